// What hsmd reads out of a transaction a channel daemon hands it, before it signs: the transaction
// parses, spends this channel's funding output and nothing else, carries the commitment number it
// claims, and pays where it must. Pure checks over @scure/btc-signer's transaction; each failure is
// an HsmError with its own code.
import { Transaction } from '@scure/btc-signer';
import { equal } from '../../base/bytes.ts';
import {
  commitmentNumberOf,
  commitmentSecret,
  fundingScript,
  obscuringFactor,
  perCommitmentPoint,
  pubkeyOf,
  TX_OPTS,
  Bolt3Error,
} from '../../bolt3/index.ts';
import type { ChannelSecrets } from '../../keys/derive.ts';
import type { ChannelSetup } from './channel-state.ts';
import { HsmError } from './secret.ts';

/** An unsigned transaction (its raw bytes, no witness), one input's witness script and amount (BIP 143). */
export interface RawInput {
  tx: Uint8Array;
  witnessScript: Uint8Array;
  amount: bigint;
}

export function bytes(v: unknown, len: number | undefined, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new HsmError('bad_request', `${what} must be a Uint8Array`);
  if (len !== undefined && v.length !== len) throw new HsmError('bad_request', `${what} must be ${len} bytes, got ${v.length}`);
  return v;
}

export function commitmentNumber(v: unknown, what: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffn) throw new HsmError('bad_request', `${what} must be a 48-bit bigint`);
  return v;
}

export function parseTx(raw: unknown, what: string): Transaction {
  bytes(raw, undefined, what);
  try {
    return Transaction.fromRaw(raw as Uint8Array, TX_OPTS);
  } catch (e) {
    throw new HsmError('bad_tx', `${what} does not parse (${(e as Error).message})`);
  }
}

/** BOLT 3: our per-commitment point for our commitment `n`. */
export function ourPoint(s: ChannelSecrets, n: bigint): Uint8Array {
  return perCommitmentPoint(commitmentSecret(s.shachain_seed, n));
}

/** BOLT 3 "Funding Transaction Output": the 2-of-2 of both funding pubkeys. */
export function fundingScriptOf(setup: ChannelSetup, s: ChannelSecrets): Uint8Array {
  return fundingScript(pubkeyOf(s.funding_privkey), setup.remoteFundingPubkey);
}

/** The transaction's only input spends this channel's funding output. */
export function checkSpendsFunding(tx: Transaction, setup: ChannelSetup, what: string): void {
  const input = tx.inputsLength === 1 ? tx.getInput(0) : undefined;
  const txid = input?.txid;
  const spends =
    !!input &&
    !!txid &&
    Array.from(txid, b => b.toString(16).padStart(2, '0')).join('') === setup.fundingTxid.toLowerCase() &&
    input.index === setup.fundingOutputIndex;
  if (!spends) throw new HsmError('not_this_channel', `${what} does not spend this channel's funding output (alone)`);
}

/**
 * BOLT 3 "Commitment Transaction": the commitment number, obscured with the factor of both
 * payment basepoints (the opener's first), in locktime and sequence (undefined: not a commitment).
 */
export function commitmentNumberIn(tx: Transaction, setup: ChannelSetup, s: ChannelSecrets): bigint | undefined {
  const ours = pubkeyOf(s.payment_basepoint_secret);
  const theirs = setup.remoteBasepoints.paymentBasepoint;
  const factor = setup.isOpener ? obscuringFactor(ours, theirs) : obscuringFactor(theirs, ours);
  return commitmentNumberOf(tx.lockTime, tx.getInput(0).sequence ?? 0, factor);
}

/** The commitment number `tx` carries is the claimed one. */
export function checkCommitmentNumber(tx: Transaction, setup: ChannelSetup, s: ChannelSecrets, claimed: bigint, what: string): void {
  if (commitmentNumberIn(tx, setup, s) !== claimed) throw new HsmError('wrong_number', `${what} is not commitment ${claimed}`);
}

/** The total of the outputs paying `script`. */
export function paidTo(tx: Transaction, script: Uint8Array): bigint {
  let sum = 0n;
  for (let i = 0; i < tx.outputsLength; i++) {
    const o = tx.getOutput(i);
    if (o.script && equal(o.script, script)) sum += o.amount ?? 0n;
  }
  return sum;
}

/** The total of all of `tx`'s outputs. */
export function outputsTotal(tx: Transaction): bigint {
  let sum = 0n;
  for (let i = 0; i < tx.outputsLength; i++) sum += tx.getOutput(i).amount ?? 0n;
  return sum;
}

/** BOLT 3 helpers throw Bolt3Error on a bad point or secret: the caller's fault, said as hsmd's error. */
export function asHsmError<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Bolt3Error) throw new HsmError('bad_request', `${what}: ${e.message}`);
    throw e;
  }
}
