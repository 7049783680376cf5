// Blocks as Bitcoin serializes them: the 80-byte header, its hash (double SHA-256, display order),
// the merkle root of the txids, the BIP 141 witness commitment in the coinbase, the BIP 34 height
// in the coinbase's scriptSig, and proof of work against the compact target (nBits).
import { CompactSizeLen } from '@scure/btc-signer/script.js';
import { concat, fromHex, toHex } from '../core/base/bytes.ts';
import { sha256d } from '../core/crypto/primitives.ts';
import { GENESIS } from './params.ts';
import { decodeTx, decodeTxList, hashHex, makeTx, type Tx, type TxOutput, TxDecodeError } from './tx.ts';

export interface BlockHeader {
  version: number;
  /** Display order. */
  prevHash: string;
  /** Display order. */
  merkleRoot: string;
  time: number;
  bits: number;
  nonce: number;
}

export interface Block {
  hash: string;
  header: BlockHeader;
  txs: Tx[];
  raw: Uint8Array;
  size: number;
  weight: number;
}

export const HEADER_SIZE = 80;

export function encodeHeader(h: BlockHeader): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE);
  const v = new DataView(out.buffer);
  v.setInt32(0, h.version, true);
  out.set(fromHex(h.prevHash).reverse(), 4);
  out.set(fromHex(h.merkleRoot).reverse(), 36);
  v.setUint32(68, h.time, true);
  v.setUint32(72, h.bits, true);
  v.setUint32(76, h.nonce, true);
  return out;
}

export function decodeHeader(b: Uint8Array): BlockHeader {
  if (b.length < HEADER_SIZE) throw new TxDecodeError('block header: fewer than 80 bytes');
  const v = new DataView(b.buffer, b.byteOffset, HEADER_SIZE);
  return {
    version: v.getInt32(0, true),
    prevHash: toHex(b.slice(4, 36).reverse()),
    merkleRoot: toHex(b.slice(36, 68).reverse()),
    time: v.getUint32(68, true),
    bits: v.getUint32(72, true),
    nonce: v.getUint32(76, true),
  };
}

/** One level up Bitcoin's merkle tree (an odd last node pairs with itself). */
function parents(level: Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) next.push(sha256d(concat(level[i]!, level[i + 1] ?? level[i]!)));
  return next;
}

/** The merkle root of display-order hashes. */
export function merkleRoot(hashes: string[]): string {
  if (hashes.length === 0) return '0'.repeat(64);
  let level = hashes.map(h => fromHex(h).reverse());
  while (level.length > 1) level = parents(level);
  return toHex(level[0]!.slice().reverse());
}

/** The sibling hashes from leaf `pos` up to the root (Esplora's `/tx/:txid/merkle-proof`), display order. */
export function merkleBranch(hashes: string[], pos: number): string[] {
  const branch: string[] = [];
  let level = hashes.map(h => fromHex(h).reverse());
  for (let i = pos; level.length > 1; i >>= 1) {
    branch.push(toHex((level[i ^ 1] ?? level[i]!).slice().reverse()));
    level = parents(level);
  }
  return branch;
}

/** The target a compact nBits encodes (arith_uint256::SetCompact; negative/overflow forms refused). */
export function bitsToTarget(bits: number): bigint {
  const exp = bits >>> 24;
  const mant = BigInt(bits & 0x007fffff);
  if (bits & 0x00800000) throw new TxDecodeError('nBits: negative target');
  return exp <= 3 ? mant >> BigInt(8 * (3 - exp)) : mant << BigInt(8 * (exp - 3));
}

/** True when the header's hash, read as a little-endian number, is at most its target. */
export function checkProofOfWork(hash: string, bits: number): boolean {
  return BigInt('0x' + hash) <= bitsToTarget(bits);
}

/** Difficulty as Bitcoin Core prints it (the pow limit of mainnet over this target). */
export function difficulty(bits: number): number {
  let shift = (bits >>> 24) & 0xff;
  let diff = 0x0000ffff / (bits & 0x00ffffff);
  while (shift < 29) {
    diff *= 256;
    shift++;
  }
  while (shift > 29) {
    diff /= 256;
    shift--;
  }
  return diff;
}

/** BIP 34: the height as a minimally encoded script number push (OP_1..OP_16 for 1..16, as CScript << n). */
export function heightPush(height: number): Uint8Array {
  if (height === 0) return Uint8Array.of(0x00);
  if (height <= 16) return Uint8Array.of(0x50 + height);
  const bytes: number[] = [];
  for (let n = height; n > 0; n = Math.floor(n / 256)) bytes.push(n & 0xff);
  if (bytes[bytes.length - 1]! & 0x80) bytes.push(0);
  return Uint8Array.of(bytes.length, ...bytes);
}

/** BIP 141's commitment output: OP_RETURN, push 36, 0xaa21a9ed, sha256d(witness root || reserved). */
const WITNESS_COMMITMENT_HEADER = fromHex('6a24aa21a9ed');
const WITNESS_RESERVED = new Uint8Array(32);

export function witnessCommitmentScript(wtxids: string[]): Uint8Array {
  // The coinbase's wtxid counts as all zeros (BIP 141).
  const root = fromHex(merkleRoot(['0'.repeat(64), ...wtxids])).reverse();
  return concat(WITNESS_COMMITMENT_HEADER, sha256d(concat(root, WITNESS_RESERVED)));
}

/**
 * A coinbase for `height` paying `value` to `script`: scriptSig = BIP 34 height, then an extra
 * nonce (so blocks at the same height differ), witness = the reserved value, and the witness
 * commitment for the block's other transactions as its last output.
 */
export function makeCoinbase(height: number, extraNonce: number, script: Uint8Array, value: bigint, others: Tx[]): Tx {
  const nonce = new Uint8Array(4);
  new DataView(nonce.buffer).setUint32(0, extraNonce >>> 0, true);
  const outputs: TxOutput[] = [
    { value, script },
    { value: 0n, script: witnessCommitmentScript(others.map(t => t.wtxid)) },
  ];
  return makeTx({
    version: 2,
    lockTime: 0,
    inputs: [
      {
        txid: '0'.repeat(64),
        vout: 0xffffffff,
        scriptSig: concat(heightPush(height), Uint8Array.of(4), nonce),
        sequence: 0xffffffff,
        witness: [WITNESS_RESERVED],
      },
    ],
    outputs,
  });
}

export function encodeBlock(header: BlockHeader, txs: Tx[]): Uint8Array {
  return concat(encodeHeader(header), CompactSizeLen.encode(txs.length), ...txs.map(t => t.raw));
}

function assemble(header: BlockHeader, txs: Tx[], raw: Uint8Array): Block {
  const base = HEADER_SIZE + CompactSizeLen.encode(txs.length).length + txs.reduce((s, t) => s + t.baseSize, 0);
  return { hash: hashHex(encodeHeader(header)), header, txs, raw, size: raw.length, weight: base * 3 + raw.length };
}

/** Reads a serialized block; checks nothing but the encoding (the chain checks the rest). */
export function decodeBlock(raw: Uint8Array): Block {
  const header = decodeHeader(raw);
  const txs = decodeTxList(raw.subarray(HEADER_SIZE));
  return assemble(header, txs, raw.slice());
}

/**
 * A block on `prevHash` holding `txs` (coinbase first), with the merkle root filled in and the
 * nonce ground until the hash meets `bits` (on regtest about two tries).
 */
export function mineBlock(f: { prevHash: string; time: number; bits: number; version?: number }, txs: Tx[]): Block {
  const header: BlockHeader = {
    version: f.version ?? 0x20000000,
    prevHash: f.prevHash,
    merkleRoot: merkleRoot(txs.map(t => t.txid)),
    time: f.time,
    bits: f.bits,
    nonce: 0,
  };
  for (;;) {
    const hash = hashHex(encodeHeader(header));
    if (checkProofOfWork(hash, header.bits)) break;
    if (header.nonce === 0xffffffff) {
      header.time++;
      header.nonce = 0;
    } else header.nonce++;
  }
  return assemble(header, txs, encodeBlock(header, txs));
}

/** Bitcoin Core's regtest genesis block, rebuilt from its fields. */
export function genesisBlock(): Block {
  const coinbase = decodeTx(fromHex(GENESIS.coinbaseHex));
  const header: BlockHeader = {
    version: GENESIS.version,
    prevHash: '0'.repeat(64),
    merkleRoot: coinbase.txid,
    time: GENESIS.time,
    bits: GENESIS.bits,
    nonce: GENESIS.nonce,
  };
  return assemble(header, [coinbase], encodeBlock(header, [coinbase]));
}
