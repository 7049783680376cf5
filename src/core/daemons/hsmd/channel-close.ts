// What hsmd checks before it signs a channel's funds away from the channel: a mutual close (Core
// Lightning's hsmd_sign_mutual_close_tx) and onchaind's sweeps of our to_local after its delay
// (hsmd_sign_delayed_payment_to_us) or of a revoked to_local of the peer's (hsmd_sign_penalty_to_us).
//
// What hsmd can know of a close: the funding amount, the close's fee (funding minus outputs), the
// wallet script our part must go to (it derives it from the wallet key named), and the to_local
// output of the latest commitment of ours it validated (what a unilateral close would give us, less
// the CSV wait). It cannot know our balance to the millisatoshi: channeld states it. So hsmd refuses
// a close whose payment to us, plus the fee, is below the larger of the stated balance and that
// to_local: a channeld that understates our balance still cannot get a close that pays us less than
// our own latest commitment does (fee aside), and one that states it truly gets exactly that. The
// fee share taken from our part is bounded (MAX_CLOSE_FEERATE_PER_KW over the close's weight):
// otherwise a close that pays us nothing and burns our part as fee would pass "paid + fee >= owed".
// A larger fee that only burns the peer's part (a simple close without the peer's output) is signed.
import type { Transaction } from '@scure/btc-signer';
import {
  derivePrivkey,
  derivePubkey,
  feeFor,
  perCommitmentPoint,
  pubkeyOf,
  revocationPrivkey,
  revocationPubkey,
  toLocalScript,
} from '../../bolt3/index.ts';
import type { ChannelSecrets } from '../../keys/derive.ts';
import { asHsmError, bytes, checkSpendsFunding, commitmentNumber, ourPoint, outputsTotal, paidTo, parseTx } from './channel-checks.ts';
import type { ChannelRecord, ChannelSetup } from './channel-state.ts';
import { HsmError } from './secret.ts';
import { walletKeyOf, walletScript, type WithdrawalInput } from './withdrawal.ts';

/**
 * The highest feerate hsmd signs a close at: 100,000 sat/kw (400 sat/vB), far above what a close
 * needs; channeld negotiates the real one (BOLT 2 closing_signed) well below it.
 */
export const MAX_CLOSE_FEERATE_PER_KW = 100_000;
/** BOLT 3 "Expected Weight of the Commitment Transaction": the funding input's witness, 222; plus the segwit marker and flag, 2. */
const FUNDING_WITNESS_WEIGHT = 224;

export interface MutualCloseRequest {
  /** The unsigned closing transaction (BOLT 2 closing_signed / closing_complete). */
  tx: Uint8Array;
  /** Our balance in the channel, as channeld states it (millisatoshi). */
  toUsMsat: bigint;
  /** The wallet key our part goes to (our shutdown scriptpubkey). */
  destination: WithdrawalInput;
}

/** Checks a mutual close (see the top of this file); returns the parsed transaction to sign. */
export function checkMutualClose(
  req: MutualCloseRequest,
  setup: ChannelSetup,
  rec: ChannelRecord,
  walletPub: (index: number) => Uint8Array,
): Transaction {
  const what = 'signMutualClose';
  const tx = parseTx(req?.tx, `${what}: tx`);
  checkSpendsFunding(tx, setup, what);
  if (typeof req.toUsMsat !== 'bigint' || req.toUsMsat < 0n || req.toUsMsat > setup.fundingSatoshis * 1000n) {
    throw new HsmError('bad_request', `${what}: toUsMsat must be within the channel's ${setup.fundingSatoshis} sat`);
  }
  const dest = walletKeyOf(req.destination, `${what}: destination`);
  const total = outputsTotal(tx);
  if (total > setup.fundingSatoshis) throw new HsmError('bad_tx', `${what}: the outputs spend more than the funding output holds`);
  const fee = setup.fundingSatoshis - total;
  const maxFee = feeFor(MAX_CLOSE_FEERATE_PER_KW, tx.unsignedTx.length * 4 + FUNDING_WITNESS_WEIGHT);
  const paid = paidTo(tx, walletScript(walletPub(dest.index), dest.type));
  const stated = req.toUsMsat / 1000n;
  const ownCommitment = rec.holder?.toLocalSat ?? 0n;
  const owed = stated > ownCommitment ? stated : ownCommitment;
  if (paid + fee < owed) {
    throw new HsmError('underpays', `${what}: pays us ${paid} sat (fee ${fee} sat) of the ${owed} sat the channel owes us`);
  }
  // At most maxFee of what we are owed may go to the fee. A larger fee is fine when it is the
  // peer's part that goes (option_simple_close's closer_output_only drops the closee's output),
  // never ours.
  if (paid + (fee < maxFee ? fee : maxFee) < owed) {
    throw new HsmError(
      'fee_too_high',
      `${what}: ${owed - paid} sat of our part goes to a fee of ${fee} sat, above ${maxFee} sat for this close`,
    );
  }
  return tx;
}

/** An input of ours for onchaind to sweep to the wallet; every output of `tx` must pay `destination`. */
export type SweepRequest = {
  tx: Uint8Array;
  /** The input to sign, and the amount of the output it spends. */
  input: number;
  amount: bigint;
  destination: WithdrawalInput;
} & (
  | {
      /** Our to_local on our commitment `commitmentNumber`, after its CSV delay (BOLT 5 "Local Commitment"). */
      kind: 'delayed';
      commitmentNumber: bigint;
    }
  | {
      /** The peer's to_local on its revoked commitment, whose secret it gave us (BOLT 5 "Revoked Transaction Close"). */
      kind: 'penalty';
      perCommitmentSecret: Uint8Array;
    }
);

/** The checked sweep: the transaction, the input, the BOLT 3 to_local script hsmd rebuilt, and the key for it. */
export function sweepScriptAndKey(
  req: SweepRequest,
  setup: ChannelSetup,
  rec: ChannelRecord,
  s: ChannelSecrets,
  walletPub: (index: number) => Uint8Array,
): { tx: Transaction; input: number; witnessScript: Uint8Array; key: Uint8Array } {
  const what = 'signSweep';
  const tx = parseTx(req?.tx, `${what}: tx`);
  if (!Number.isInteger(req.input) || req.input < 0 || req.input >= tx.inputsLength) {
    throw new HsmError('bad_request', `${what}: input must name one of the transaction's inputs`);
  }
  if (typeof req.amount !== 'bigint' || req.amount <= 0n) throw new HsmError('bad_request', `${what}: amount must be a positive bigint`);
  const dest = walletKeyOf(req.destination, `${what}: destination`);
  const ours = walletScript(walletPub(dest.index), dest.type);
  if (tx.outputsLength === 0 || paidTo(tx, ours) !== outputsTotal(tx)) {
    throw new HsmError('not_to_wallet', `${what}: every output must pay the wallet key named`);
  }
  if (req.kind === 'delayed') {
    const n = commitmentNumber(req.commitmentNumber, `${what}: commitmentNumber`);
    if (!rec.holder || n > rec.holder.number) throw new HsmError('not_validated', `${what}: commitment ${n} of ours was never validated`);
    // BIP 68: the input's sequence must meet the script's CSV, or the transaction is invalid.
    if ((tx.getInput(req.input).sequence ?? 0xffffffff) < setup.holderToSelfDelay) {
      throw new HsmError('bad_sequence', `${what}: the input's sequence is below the ${setup.holderToSelfDelay}-block delay`);
    }
    const pcp = ourPoint(s, n);
    const witnessScript = toLocalScript(
      revocationPubkey(setup.remoteBasepoints.revocationBasepoint, pcp),
      setup.holderToSelfDelay,
      derivePubkey(pubkeyOf(s.delayed_payment_basepoint_secret), pcp),
    );
    return { tx, input: req.input, witnessScript, key: derivePrivkey(s.delayed_payment_basepoint_secret, pcp) };
  }
  if (req.kind === 'penalty') {
    const secret = bytes(req.perCommitmentSecret, 32, `${what}: perCommitmentSecret`);
    const pcp = asHsmError(what, () => perCommitmentPoint(secret));
    const witnessScript = toLocalScript(
      revocationPubkey(pubkeyOf(s.revocation_basepoint_secret), pcp),
      setup.counterpartyToSelfDelay,
      derivePubkey(setup.remoteBasepoints.delayedPaymentBasepoint, pcp),
    );
    return { tx, input: req.input, witnessScript, key: revocationPrivkey(s.revocation_basepoint_secret, secret) };
  }
  throw new HsmError('bad_request', `${what}: kind must be 'delayed' or 'penalty'`);
}
