// What hsmd checks before it signs a mutual close (Core Lightning's hsmd_sign_mutual_close_tx);
// onchaind's sweeps are channel-sweep.ts.
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
import { feeFor } from '../../bolt3/index.ts';
import { checkSpendsFunding, outputsTotal, paidTo, parseTx } from './channel-checks.ts';
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
