// BOLT 5: which transaction spent the funding output. A commitment carries its number, obscured,
// in its locktime and its input's sequence (BOLT 3 "Commitment Transaction"); a mutual close does
// not (BOLT 3 "Closing Transaction": locktime 0, sequence 0xFFFFFFFF). Our own commitment and the
// peer's current or next one are known to the byte (we rebuild them and compare txids); an older
// number of the peer's is a revoked commitment, whose secret the shachain of revealed secrets gives
// (BOLT 5 "Revoked Transaction Close Handling"); a later number than we know is the peer's
// commitment from a state we lost (BOLT 2 option_data_loss_protect): we can still take to_remote.
import type { Transaction } from '@scure/btc-signer';
import { toHex } from '../base/bytes.ts';
import { commitmentNumberOf, FIRST_SECRET_INDEX, perCommitmentPoint, Shachain } from '../bolt3/index.ts';
import { buildFor, type BuiltCommitment } from '../channel/commitment.ts';
import type { ChannelState } from '../channel/state.ts';
import { OnchainError } from './errors.ts';

export type Close =
  | { kind: 'mutual' }
  /** Our commitment (the current one: we never broadcast another). */
  | { kind: 'local'; commitmentNumber: bigint; built: BuiltCommitment; perCommitmentPoint: Uint8Array }
  /** The peer's current commitment, or the next one we signed whose revocation of the current we await. */
  | { kind: 'remote'; which: 'current' | 'next'; commitmentNumber: bigint; built: BuiltCommitment; perCommitmentPoint: Uint8Array }
  /** A commitment of the peer's it revoked: its secret, from the shachain. */
  | { kind: 'revoked'; commitmentNumber: bigint; perCommitmentSecret: Uint8Array; perCommitmentPoint: Uint8Array }
  /** A commitment of the peer's beyond every one we know (we lost state). */
  | { kind: 'future'; commitmentNumber: bigint };

/** The funding outpoint the transaction's only input must spend. */
export function spendsFunding(state: ChannelState, tx: Transaction): boolean {
  const p = state.params;
  if (tx.inputsLength !== 1) return false;
  const i = tx.getInput(0);
  return !!i.txid && toHex(i.txid) === p.fundingTxid.toLowerCase() && i.index === p.fundingOutputIndex;
}

/**
 * BOLT 5 "Failing a Channel" onwards: what `tx` (which spends the funding output) is.
 * `localPoint`: our per_commitment_point for our current commitment (hsmd gives it).
 */
export function classifyClose(state: ChannelState, tx: Transaction, localPoint: Uint8Array): Close {
  if (!spendsFunding(state, tx)) throw new OnchainError('not_funding_spend', `${tx.id} does not spend this channel's funding output`);
  const n = commitmentNumberOf(tx.lockTime, tx.getInput(0).sequence ?? 0, state.params.obscuringFactor);
  if (n === undefined) return { kind: 'mutual' };

  const local = state.localCommit;
  if (n === local.index) {
    const built = buildFor(state.params, 'local', local.spec, local.index, localPoint);
    if (built.commitment.tx.id === tx.id) return { kind: 'local', commitmentNumber: n, built, perCommitmentPoint: localPoint };
  }
  for (const [which, rc] of [
    ['current', state.remoteCommit],
    ['next', state.nextRemoteCommit],
  ] as const) {
    if (!rc || rc.index !== n) continue;
    const built = buildFor(state.params, 'remote', rc.spec, rc.index, rc.perCommitmentPoint);
    if (built.commitment.tx.id === tx.id) {
      return { kind: 'remote', which, commitmentNumber: n, built, perCommitmentPoint: rc.perCommitmentPoint };
    }
  }
  if (n < state.remoteCommit.index) {
    // BOLT 3: commitment n's secret has index 2^48 - 1 - n.
    let secret: Uint8Array;
    try {
      secret = Shachain.from(state.remoteSecrets).derive(FIRST_SECRET_INDEX - n);
    } catch (e) {
      throw new OnchainError(
        'no_secret',
        `commitment ${n} of the peer's is older than its current one, but its secret is not held: ${(e as Error).message}`,
      );
    }
    return { kind: 'revoked', commitmentNumber: n, perCommitmentSecret: secret, perCommitmentPoint: perCommitmentPoint(secret) };
  }
  const latest = state.nextRemoteCommit?.index ?? state.remoteCommit.index;
  if (n > latest) return { kind: 'future', commitmentNumber: n };
  throw new OnchainError('unknown_commitment', `commitment ${n} in ${tx.id} is neither ours nor one of the peer's we know`);
}
