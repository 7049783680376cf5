// A funded channel not yet in normal operation, after a reconnect or a restart (Core Lightning runs
// channeld from funding on; here openingd carries the channel until both channel_ready are in).
// BOLT 2 "Message Retransmission": "upon reconnection: MUST transmit `channel_reestablish` for each
// channel" and "MUST wait to receive the other node's `channel_reestablish` message before sending
// any other messages for that channel". Neither side can have signed a commitment beyond #0 yet:
// each expects commitment_signed #1 and no revoke_and_ack.
import { equal } from '../../base/bytes.ts';
import { point } from '../../bolt3/ec.ts';
import type { ChannelSigner } from '../../channel/signer.ts';
import type { MessageOf } from '../../wire/messages.ts';
import { OpeningError } from './errors.ts';
import type { Funded } from './opening.ts';

const ZERO_SECRET = new Uint8Array(32);

/**
 * Ours: `next_commitment_number` 1 (we hold commitment #0 and expect #1), `next_revocation_number`
 * 0, `your_last_per_commitment_secret` zeroes (nothing revoked), `my_current_per_commitment_point`
 * our point for commitment #0.
 */
export async function fundedReestablish(f: Funded, signer: ChannelSigner): Promise<MessageOf<'channel_reestablish'>> {
  return {
    name: 'channel_reestablish',
    channel_id: f.params.channelId,
    next_commitment_number: 1n,
    next_revocation_number: 0n,
    your_last_per_commitment_secret: ZERO_SECRET,
    my_current_per_commitment_point: await signer.perCommitmentPoint(0n),
  };
}

/**
 * The peer's, for a channel whose only commitments are #0. Anything else means one of us lost
 * state or the peer lies: BOLT 2 "if `next_commitment_number` is zero: MUST immediately fail the
 * channel"; "if `next_revocation_number` is not equal to 1 greater than the commitment number of
 * the last `revoke_and_ack` the receiving node has sent: SHOULD send an `error`"; "if
 * `your_last_per_commitment_secret` does not match the expected values: SHOULD send an `error`";
 * and a `next_commitment_number` beyond 1 asks for a commitment_signed we never sent.
 */
export function receiveFundedReestablish(f: Funded, m: MessageOf<'channel_reestablish'>): void {
  const fail = (text: string) => new OpeningError('unexpected_message', `channel_reestablish: ${text}`);
  if (!equal(m.channel_id, f.params.channelId)) throw new OpeningError('channel_id', 'channel_reestablish names another channel');
  if (m.next_commitment_number !== 1n) throw fail(`next_commitment_number ${m.next_commitment_number}, expected 1`);
  if (m.next_revocation_number !== 0n) throw fail(`next_revocation_number ${m.next_revocation_number}, expected 0`);
  if (!equal(m.your_last_per_commitment_secret, ZERO_SECRET)) throw fail('your_last_per_commitment_secret is not zeroes');
  // "MUST ignore `my_current_per_commitment_point`, but MAY require it to be a valid point."
  try {
    point(m.my_current_per_commitment_point);
  } catch {
    throw fail('my_current_per_commitment_point is not a valid point');
  }
}
