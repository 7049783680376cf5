// A BOLT 2 rule the peer (or our own caller) broke, named by `code`, with what the spec tells the
// receiver to do about it: `warning` (send BOLT 1 `warning` and close the connection) or `error`
// (send BOLT 1 `error` and fail the channel). channeld turns one into the other message.
import { PeerRuleError } from '../base/errors.ts';
import type { MessageOf } from '../wire/messages.ts';

export type ChannelRule =
  // update_add_htlc
  | 'htlc_amount_zero'
  | 'htlc_minimum_msat'
  | 'htlc_id'
  | 'cltv_expiry'
  | 'max_accepted_htlcs'
  | 'max_htlc_value_in_flight_msat'
  | 'cannot_afford'
  | 'fee_spike_buffer'
  | 'dust_exposure'
  // removals
  | 'unknown_htlc'
  | 'htlc_not_committed'
  | 'bad_preimage'
  | 'badonion_not_set'
  // update_fee
  | 'update_fee_not_opener'
  | 'feerate_out_of_range'
  | 'cannot_afford_fee'
  // commitment_signed
  | 'commitment_without_updates'
  | 'awaiting_revoke_and_ack'
  | 'bad_commitment_signature'
  | 'htlc_signature_count'
  | 'bad_htlc_signature'
  // revoke_and_ack
  | 'unexpected_revoke_and_ack'
  | 'bad_per_commitment_secret'
  | 'secret_not_from_shachain'
  // channel_reestablish (BOLT 2 "Message Retransmission")
  | 'reestablish_commitment_number'
  | 'reestablish_revocation_number'
  | 'reestablish_bad_secret'
  | 'reestablish_bad_point'
  | 'we_are_behind';

export class ChannelError extends PeerRuleError<ChannelRule> {
  constructor(code: ChannelRule, message: string, action: 'warning' | 'error' = 'warning') {
    super(code, message, action);
  }
}

/**
 * The BOLT 1 message a channel daemon sends the peer for a refused update (channeld) or open
 * (openingd): `warning` (then closes the connection) or `error` (then fails the channel), naming
 * the rule in its data.
 */
export function peerMessageFor(
  e: { action: 'warning' | 'error'; code: string; message: string },
  channelId: Uint8Array,
): MessageOf<'warning'> | MessageOf<'error'> {
  return { name: e.action, channel_id: channelId, data: new TextEncoder().encode(`${e.code}: ${e.message}`) };
}
