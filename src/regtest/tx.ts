// Transactions as Bitcoin serializes them (BIP 144 for the witness form), through
// @scure/btc-signer's RawTx codec: txid (double SHA-256 of the serialization without witnesses),
// wtxid (with them), size, weight and vsize (BIP 141). Hashes are kept in display order (reversed),
// as Esplora and Bitcoin Core print them.
import { BTCArray, RawTx } from '@scure/btc-signer/script.js';
import { fromHex, toHex } from '../core/base/bytes.ts';
import { sha256d } from '../core/crypto/primitives.ts';

export interface TxInput {
  /** The spent output's transaction, display order. */
  txid: string;
  vout: number;
  scriptSig: Uint8Array;
  sequence: number;
  witness: Uint8Array[];
}

export interface TxOutput {
  value: bigint;
  script: Uint8Array;
}

export interface Tx {
  txid: string;
  wtxid: string;
  version: number;
  lockTime: number;
  inputs: TxInput[];
  outputs: TxOutput[];
  /** The full serialization (with witnesses when any input has one). */
  raw: Uint8Array;
  /** Bytes of the serialization without witnesses. */
  baseSize: number;
  size: number;
  weight: number;
  vsize: number;
}

export class TxDecodeError extends Error {
  override name = 'TxDecodeError';
}

const NULL_TXID = '0'.repeat(64);

/** Display-order hex of a double SHA-256 (hashes are stored little-endian on the wire). */
export function hashHex(bytes: Uint8Array): string {
  return toHex(sha256d(bytes).reverse());
}

/** Reads one serialized transaction (the whole of `raw`); throws TxDecodeError. */
export function decodeTx(raw: Uint8Array): Tx {
  let t: ReturnType<typeof RawTx.decode>;
  try {
    // The codec returns views into its input: decode a private copy.
    t = RawTx.decode(raw.slice());
  } catch (e) {
    throw new TxDecodeError(`TX decode failed: ${(e as Error).message}`);
  }
  return fromRaw(t);
}

const TxList = BTCArray(RawTx);

/** Reads a CompactSize count and that many transactions (a block's body); throws TxDecodeError. */
export function decodeTxList(bytes: Uint8Array): Tx[] {
  try {
    return TxList.decode(bytes.slice()).map(fromRaw);
  } catch (e) {
    throw new TxDecodeError(`block transactions: ${(e as Error).message}`);
  }
}

/** Builds a transaction from its fields (witnesses empty when absent). */
export function makeTx(f: { version: number; lockTime: number; inputs: TxInput[]; outputs: TxOutput[] }): Tx {
  const hasWitness = f.inputs.some(i => i.witness.length > 0);
  return fromRaw({
    version: f.version,
    segwitFlag: hasWitness,
    inputs: f.inputs.map(i => ({ txid: fromHex(i.txid), index: i.vout, finalScriptSig: i.scriptSig, sequence: i.sequence })),
    outputs: f.outputs.map(o => ({ amount: o.value, script: o.script })),
    witnesses: hasWitness ? f.inputs.map(i => i.witness) : undefined,
    lockTime: f.lockTime,
  });
}

function fromRaw(t: ReturnType<typeof RawTx.decode>): Tx {
  const raw = RawTx.encode(t);
  const base = RawTx.encode({ ...t, segwitFlag: false, witnesses: undefined });
  const weight = base.length * 3 + raw.length;
  return {
    txid: hashHex(base),
    wtxid: hashHex(raw),
    version: t.version,
    lockTime: t.lockTime,
    inputs: t.inputs.map((i, n) => ({
      txid: toHex(i.txid),
      vout: i.index,
      scriptSig: i.finalScriptSig,
      sequence: i.sequence,
      witness: t.witnesses?.[n] ?? [],
    })),
    outputs: t.outputs.map(o => ({ value: o.amount, script: o.script })),
    raw,
    baseSize: base.length,
    size: raw.length,
    weight,
    vsize: Math.ceil(weight / 4),
  };
}

/** A coinbase has one input spending the null outpoint (all-zero txid, index 0xffffffff). */
export function isCoinbase(tx: Tx): boolean {
  return tx.inputs.length === 1 && tx.inputs[0]!.txid === NULL_TXID && tx.inputs[0]!.vout === 0xffffffff;
}

export function outpointKey(txid: string, vout: number): string {
  return `${txid}:${vout}`;
}
