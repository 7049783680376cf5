// BOLT 2 "Message Retransmission": our channel_reestablish from the channel's state, and what the
// peer's asks of us: the revoke_and_ack and the updates with commitment_signed it did not get (in
// the order first sent), channel_ready if the channel never moved, or the proof that one side is
// behind (option_data_loss_protect).
import { equal } from '../../base/bytes.ts';
import { Bolt3Error, FIRST_SECRET_INDEX, perCommitmentPoint, Shachain } from '../../bolt3/index.ts';
import { point } from '../../bolt3/ec.ts';
import { ChannelError } from '../../channel/errors.ts';
import { revokeCurrent, signRemoteCommit } from '../../channel/dance.ts';
import type { ChannelSigner } from '../../channel/signer.ts';
import type { ChannelState } from '../../channel/state.ts';
import { updateMessage } from '../../channel/updates.ts';
import type { Message, MessageOf } from '../../wire/messages.ts';

const ZERO_SECRET = new Uint8Array(32);

/**
 * BOLT 2 channel_reestablish, the sender: `next_commitment_number` "the commitment number of the
 * next `commitment_signed` it expects to receive"; `next_revocation_number` "the commitment number
 * of the next `revoke_and_ack` message it expects to receive"; `your_last_per_commitment_secret`
 * "the last `per_commitment_secret` it received" (zeroes before any); `my_current_per_commitment_point`
 * a valid point: ours for our current commitment.
 */
export async function ourReestablish(s: ChannelState, signer: ChannelSigner): Promise<MessageOf<'channel_reestablish'>> {
  const lastRevoked = s.remoteCommit.index - 1n;
  return {
    name: 'channel_reestablish',
    channel_id: s.params.channelId,
    next_commitment_number: s.localCommit.index + 1n,
    next_revocation_number: s.remoteCommit.index,
    your_last_per_commitment_secret:
      lastRevoked < 0n ? ZERO_SECRET : Shachain.from(s.remoteSecrets).derive(FIRST_SECRET_INDEX - lastRevoked),
    my_current_per_commitment_point: await signer.perCommitmentPoint(s.localCommit.index),
  };
}

export type ReestablishOutcome =
  /** Carry on: send `retransmit` first, in this order. */
  | { kind: 'resume'; retransmit: Message[] }
  /** The peer holds a revocation of ours we do not remember: our state is old. */
  | { kind: 'behind'; theirCurrentPerCommitmentPoint: Uint8Array };

/** Whether `secret` is our per_commitment_secret of commitment `n` (checked by its point: the signer reveals nothing for it). */
async function isOurSecret(secret: Uint8Array, n: bigint, signer: ChannelSigner): Promise<boolean> {
  try {
    return equal(perCommitmentPoint(secret), await signer.perCommitmentPoint(n));
  } catch (e) {
    if (e instanceof Bolt3Error) return false;
    throw e;
  }
}

/**
 * BOLT 2 channel_reestablish, the receiver. Throws ChannelError (action `error`: fail the channel)
 * when the peer is behind or lies; answers `behind` when it proves we are.
 */
export async function receiveReestablish(
  s: ChannelState,
  m: MessageOf<'channel_reestablish'>,
  signer: ChannelSigner,
  channelReady: () => Promise<Message>,
): Promise<ReestablishOutcome> {
  const fail = (code: ConstructorParameters<typeof ChannelError>[0], text: string) => new ChannelError(code, text, 'error');
  // "if `next_commitment_number` is zero: MUST immediately fail the channel"
  if (m.next_commitment_number === 0n) throw fail('reestablish_commitment_number', 'next_commitment_number is 0');
  // "MUST ignore `my_current_per_commitment_point`, but MAY require it to be a valid point."
  try {
    point(m.my_current_per_commitment_point);
  } catch {
    throw fail('reestablish_bad_point', 'my_current_per_commitment_point is not a valid point');
  }
  const localIndex = s.localCommit.index;
  // option_data_loss_protect: "if `next_revocation_number` is greater than expected above, AND
  // `your_last_per_commitment_secret` is correct for that `next_revocation_number` minus 1: MUST NOT
  // broadcast its commitment transaction. SHOULD send an `error` to request the peer to fail the channel."
  if (m.next_revocation_number > localIndex) {
    if (await isOurSecret(m.your_last_per_commitment_secret, m.next_revocation_number - 1n, signer)) {
      return { kind: 'behind', theirCurrentPerCommitmentPoint: m.my_current_per_commitment_point };
    }
    throw fail('reestablish_revocation_number', `next_revocation_number ${m.next_revocation_number}, we revoked up to ${localIndex - 1n}`);
  }
  // "otherwise: if `your_last_per_commitment_secret` does not match the expected values: SHOULD send an `error`"
  const secretOk =
    m.next_revocation_number === 0n
      ? equal(m.your_last_per_commitment_secret, ZERO_SECRET)
      : await isOurSecret(m.your_last_per_commitment_secret, m.next_revocation_number - 1n, signer);
  if (!secretOk) throw fail('reestablish_bad_secret', `your_last_per_commitment_secret is not ours for ${m.next_revocation_number - 1n}`);

  // "if `next_revocation_number` is equal to the commitment number of the last `revoke_and_ack` the
  // receiving node sent ...: MUST re-send the `revoke_and_ack`"; "otherwise: if
  // `next_revocation_number` is not equal to 1 greater than the commitment number of the last
  // `revoke_and_ack` the receiving node has sent: SHOULD send an `error`".
  let revoke: Message | undefined;
  if (localIndex > 0n && m.next_revocation_number === localIndex - 1n) revoke = await revokeCurrent(s, signer);
  else if (m.next_revocation_number !== localIndex) {
    throw fail('reestablish_revocation_number', `next_revocation_number ${m.next_revocation_number}, expected ${localIndex}`);
  }

  // "if `next_commitment_number` is equal to the commitment number of the last `commitment_signed`
  // message the receiving node has sent: MUST reuse the same commitment number for its next
  // `commitment_signed`" (with the updates it carried: the peer reversed them); "otherwise: if
  // `next_commitment_number` is not equal to the commitment number of the next `commitment_signed`
  // that the receiving node would send: SHOULD send an `error`".
  let commit: Message[] | undefined;
  const lastSigned = s.nextRemoteCommit?.index ?? s.remoteCommit.index;
  if (s.nextRemoteCommit && m.next_commitment_number === s.nextRemoteCommit.index) {
    const updates = s.localChanges.signed.map(u => updateMessage(s.params.channelId, u));
    commit = [...updates, await signRemoteCommit(s, s.nextRemoteCommit, signer)];
  } else if (m.next_commitment_number !== lastSigned + 1n) {
    throw fail('reestablish_commitment_number', `next_commitment_number ${m.next_commitment_number}, expected ${lastSigned + 1n}`);
  }

  const retransmit: Message[] = [];
  // "if `next_commitment_number` is 1 in both the `channel_reestablish` it sent and received: MUST retransmit `channel_ready`"
  if (localIndex === 0n && m.next_commitment_number === 1n) retransmit.push(await channelReady());
  // "MUST retransmit `revoke_and_ack` and `commitment_signed` in the same relative order as initially transmitted."
  if (revoke && commit && s.lastSent === 'revoke_and_ack') retransmit.push(...commit, revoke);
  else retransmit.push(...(revoke ? [revoke] : []), ...(commit ?? []));
  return { kind: 'resume', retransmit };
}
