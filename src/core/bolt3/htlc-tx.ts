// BOLT 3 "HTLC-Timeout and HTLC-Success Transactions": the second stage that spends an HTLC output
// of the owner's commitment into a to_local-like output delayed by `to_self_delay`.
import { Transaction } from '@scure/btc-signer';
import { fromHex } from '../base/bytes.ts';
import { TX_OPTS, type Commitment, type CommitmentOutput } from './commitment.ts';
import { Bolt3Error } from './errors.ts';
import { htlcSuccessFee, htlcTimeoutFee } from './fees.ts';
import { p2wsh, toLocalScript } from './scripts.ts';
import { SIGHASH_ALL, SIGHASH_SINGLE_ANYONECANPAY } from './witness.ts';

export interface HtlcTxSpec {
  /** The commitment's txid as displayed (big-endian hex). */
  commitmentTxid: string;
  /** The index of the HTLC output in the commitment. */
  outputIndex: number;
  /** The owner's view: true for an offered HTLC (HTLC-timeout), false for a received one (HTLC-success). */
  offered: boolean;
  amountMsat: bigint;
  cltvExpiry: number;
  feeratePerKw: number;
  anchors: boolean;
  toSelfDelay: number;
  revocationPubkey: Uint8Array;
  localDelayedPubkey: Uint8Array;
}

export interface HtlcTx {
  tx: Transaction;
  /** The witness script of the HTLC transaction's output (the to_local script). */
  outputWitnessScript: Uint8Array;
  amount: bigint;
}

/**
 * version 2; locktime 0 for HTLC-success, `cltv_expiry` for HTLC-timeout; one input, sequence 0
 * (1 with option_anchors); one output of the HTLC amount (whole satoshis) minus the fee, a P2WSH of
 * the to_local script with the owner's delayed key.
 */
export function buildHtlcTx(s: HtlcTxSpec): HtlcTx {
  const fee = s.offered ? htlcTimeoutFee(s.feeratePerKw, s.anchors) : htlcSuccessFee(s.feeratePerKw, s.anchors);
  const amount = s.amountMsat / 1000n - fee;
  if (amount <= 0n) throw new Bolt3Error('trimmed', 'an HTLC whose amount does not cover its transaction fee has no HTLC transaction');
  const ws = toLocalScript(s.revocationPubkey, s.toSelfDelay, s.localDelayedPubkey);
  const tx = new Transaction({ version: 2, lockTime: s.offered ? s.cltvExpiry : 0, ...TX_OPTS });
  tx.addInput({ txid: fromHex(s.commitmentTxid), index: s.outputIndex, sequence: s.anchors ? 1 : 0 });
  tx.addOutput({ script: p2wsh(ws), amount });
  return { tx, outputWitnessScript: ws, amount };
}

/**
 * The HTLC transactions of a commitment, in the order of its HTLC outputs (the order BOLT 2's
 * `htlc_signatures` follow).
 */
export function htlcTxsOf(
  c: Commitment,
  params: { feeratePerKw: number; anchors: boolean; toSelfDelay: number; revocationPubkey: Uint8Array; localDelayedPubkey: Uint8Array },
): { output: CommitmentOutput; outputIndex: number; htlcTx: HtlcTx }[] {
  const txid = c.tx.id;
  const out: { output: CommitmentOutput; outputIndex: number; htlcTx: HtlcTx }[] = [];
  c.outputs.forEach((o, i) => {
    if (!o.htlc) return;
    const htlcTx = buildHtlcTx({
      commitmentTxid: txid,
      outputIndex: i,
      offered: o.htlc.offered,
      amountMsat: o.htlc.amountMsat,
      cltvExpiry: o.htlc.cltvExpiry,
      ...params,
    });
    out.push({ output: o, outputIndex: i, htlcTx });
  });
  return out;
}

/**
 * The sighash type of a signature on an HTLC transaction: BOLT 3 says SIGHASH_SINGLE|SIGHASH_ANYONECANPAY
 * with option_anchors (BOLT 5 "Generation of HTLC Transactions"): the remote's signature, so the
 * owner can add inputs and outputs for fees. The owner's own signature is SIGHASH_ALL.
 */
export function htlcSighashType(anchors: boolean, byRemote: boolean): number {
  return anchors && byRemote ? SIGHASH_SINGLE_ANYONECANPAY : SIGHASH_ALL;
}
