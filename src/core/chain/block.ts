// A raw Bitcoin block, read only as far as following the chain and watching it needs: the header's
// previous-block hash and time, and each transaction's txid, inputs (the outpoints they spend) and
// bytes. Both
// serializations are read: legacy, and BIP 144 segwit (`marker` 0x00, `flag` 0x01 after the
// version, witnesses after the outputs). Pure; every length is checked against the bytes left, so
// a truncated or garbage block is a ChainSourceError('bad_block'), never a crash or a huge loop.
import { concat } from '../base/bytes.ts';
import { sha256d } from '../crypto/primitives.ts';
import { ChainSourceError } from './errors.ts';

/** An outpoint a transaction input spends: `txid` in display order (as Esplora prints it). */
export interface Outpoint {
  txid: string;
  vout: number;
}

export interface ParsedTx {
  /** Display order: double SHA-256 of the serialization without witnesses (BIP 144), reversed. */
  txid: string;
  /** The outpoints its inputs spend; empty for the coinbase (its input spends nothing). */
  inputs: Outpoint[];
  /** The transaction as serialized in the block (witnesses included): a view into the block's bytes. */
  raw: Uint8Array;
}

export interface ParsedBlock {
  /** This block's hash, display order (double SHA-256 of the 80-byte header, reversed). */
  hash: string;
  /** The previous block's hash, display order. */
  prevHash: string;
  /** The header's time (UNIX seconds). */
  time: number;
  txs: ParsedTx[];
}

const HEADER = 80;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** The smallest input (32 + 4 + 1 + 4) and output (8 + 1): counts above what is left are garbage. */
const MIN_INPUT = 41;
const MIN_OUTPUT = 9;

/** 32 bytes at `at`, reversed into display-order hex (txids and block hashes are shown byte-reversed). */
function reversedHex(b: Uint8Array, at: number): string {
  let s = '';
  for (let i = at + 31; i >= at; i--) s += HEX[b[i]!];
  return s;
}

class Cursor {
  at = 0;
  constructor(private readonly b: Uint8Array) {}

  need(n: number, what: string): void {
    if (n < 0 || this.at + n > this.b.length)
      throw new ChainSourceError('bad_block', `raw block ends inside ${what} (byte ${this.at} of ${this.b.length})`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.b[this.at++]!;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.b;
    const a = this.at;
    this.at += 4;
    return (b[a]! | (b[a + 1]! << 8) | (b[a + 2]! << 16) | (b[a + 3]! << 24)) >>> 0;
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.at += n;
  }

  /** Bitcoin's CompactSize (little-endian; unlike BOLT 1 bigsize), capped by what a block can hold. */
  count(what: string, minEach = 1): number {
    const first = this.u8(what);
    let n: number;
    if (first < 0xfd) n = first;
    else if (first === 0xfd) {
      this.need(2, what);
      n = this.b[this.at]! | (this.b[this.at + 1]! << 8);
      this.at += 2;
    } else if (first === 0xfe) n = this.u32(what);
    else {
      this.need(8, what);
      const hi = this.b[this.at + 4]! | this.b[this.at + 5]! | this.b[this.at + 6]! | this.b[this.at + 7]!;
      const lo = (this.b[this.at]! | (this.b[this.at + 1]! << 8) | (this.b[this.at + 2]! << 16) | (this.b[this.at + 3]! << 24)) >>> 0;
      this.at += 8;
      n = hi ? Number.MAX_SAFE_INTEGER : lo;
    }
    if (n * minEach > this.b.length - this.at)
      throw new ChainSourceError('bad_block', `${what}: ${n} does not fit in the ${this.b.length - this.at} bytes left`);
    return n;
  }
}

/** The txid of a transaction at `start..end` of `raw`: witness data (BIP 144) left out of the hash. */
function txidOf(raw: Uint8Array, start: number, end: number, segwit: { inputsAt: number; witnessAt: number } | undefined): string {
  const body = segwit
    ? concat(raw.subarray(start, start + 4), raw.subarray(segwit.inputsAt, segwit.witnessAt), raw.subarray(end - 4, end))
    : raw.subarray(start, end);
  return reversedHex(sha256d(body), 0);
}

const NULL_TXID = '00'.repeat(32);

/** One transaction from the cursor on (`what` names it in errors). */
function readTx(c: Cursor, raw: Uint8Array, what: string): ParsedTx {
  const start = c.at;
  c.skip(4, 'tx version');
  // BIP 144: a zero input count followed by a non-zero byte is the segwit marker and flag.
  let nIn = c.count('input count', MIN_INPUT - 1);
  let segwit = false;
  if (nIn === 0) {
    const flag = c.u8('segwit flag');
    if (flag !== 1) throw new ChainSourceError('bad_block', `${what}: unknown segwit flag ${flag}`);
    segwit = true;
    nIn = c.count('input count', MIN_INPUT);
  }
  if (nIn === 0) throw new ChainSourceError('bad_block', `${what} has no input`);
  // Where the input count starts (after the marker and flag): the txid hashes from there.
  const inputsAt = segwit ? start + 6 : start + 4;
  const inputs: Outpoint[] = [];
  for (let i = 0; i < nIn; i++) {
    c.need(36, 'outpoint');
    const txidAt = c.at;
    c.at += 32;
    const vout = c.u32('outpoint index');
    const txid = reversedHex(raw, txidAt);
    // A coinbase's single input spends nothing (the null outpoint).
    if (!(vout === 0xffffffff && txid === NULL_TXID)) inputs.push({ txid, vout });
    c.skip(c.count('scriptSig length'), 'scriptSig');
    c.skip(4, 'sequence');
  }
  const nOut = c.count('output count', MIN_OUTPUT);
  for (let o = 0; o < nOut; o++) {
    c.skip(8, 'output value');
    c.skip(c.count('scriptPubKey length'), 'scriptPubKey');
  }
  const witnessAt = c.at;
  if (segwit) {
    for (let i = 0; i < nIn; i++) {
      const items = c.count('witness item count');
      for (let w = 0; w < items; w++) c.skip(c.count('witness item length'), 'witness item');
    }
  }
  c.skip(4, 'lock time');
  return { txid: txidOf(raw, start, c.at, segwit ? { inputsAt, witnessAt } : undefined), inputs, raw: raw.subarray(start, c.at) };
}

/**
 * Parses a raw block (`/block/:hash/raw`). Throws ChainSourceError('bad_block') when the bytes are
 * not a whole block: short, a count or length past the end, an unknown segwit flag, bytes left over.
 */
export function parseBlock(raw: Uint8Array): ParsedBlock {
  if (raw.length < HEADER + 1) throw new ChainSourceError('bad_block', `raw block of ${raw.length} bytes is shorter than a header`);
  const hash = reversedHex(sha256d(raw.subarray(0, HEADER)), 0);
  const prevHash = reversedHex(raw, 4);
  const c = new Cursor(raw);
  c.at = 68;
  const time = c.u32('header time');
  c.at = HEADER;
  const txCount = c.count('transaction count', 10);
  if (txCount === 0) throw new ChainSourceError('bad_block', 'a block without a coinbase transaction');
  const txs: ParsedTx[] = [];
  for (let t = 0; t < txCount; t++) txs.push(readTx(c, raw, `transaction ${t}`));
  if (c.at !== raw.length) throw new ChainSourceError('bad_block', `${raw.length - c.at} bytes after the last transaction`);
  return { hash, prevHash, time, txs };
}

/** One serialized transaction (witnesses allowed), read as parseBlock reads a block's. Throws ChainSourceError('bad_block'). */
export function parseTx(raw: Uint8Array): ParsedTx {
  const c = new Cursor(raw);
  const tx = readTx(c, raw, 'transaction');
  if (c.at !== raw.length) throw new ChainSourceError('bad_block', `${raw.length - c.at} bytes after the transaction`);
  return tx;
}
