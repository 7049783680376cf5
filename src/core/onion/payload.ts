// BOLT 4 "`payload` format": the hop payload TLV stream, and the reader's checks on which
// records a hop must find (blinded or not, forwarding or final).
import type { TlvStreamDecl, TlvValues } from '../wire/schema.ts';
import { OnionError } from './errors.ts';
import { onionTlvCodec } from './tlv.ts';

export const PAYLOAD_TLVS = {
  2: ['amt_to_forward', [['amt_to_forward', 'tu64']]],
  4: ['outgoing_cltv_value', [['outgoing_cltv_value', 'tu32']]],
  6: ['short_channel_id', [['short_channel_id', 'short_channel_id']]],
  8: [
    'payment_data',
    [
      ['payment_secret', 'bytes', 32],
      ['total_msat', 'tu64'],
    ],
  ],
  10: ['encrypted_recipient_data', [['encrypted_recipient_data', 'bytes', '...']]],
  12: ['current_path_key', [['path_key', 'point']]],
  16: ['payment_metadata', [['payment_metadata', 'bytes', '...']]],
  18: ['total_amount_msat', [['total_msat', 'tu64']]],
  // keysend (bLIP 3): the payer's preimage for the final node. An even type: a node that does not
  // take keysend fails the payload (BOLT 1 "it's OK to be odd").
  5482373484: ['keysend_preimage', [['payment_preimage', 'bytes', 32]]],
} as const satisfies TlvStreamDecl;

export type HopPayload = TlvValues<typeof PAYLOAD_TLVS>;

const PAYLOAD_CODEC = onionTlvCodec(PAYLOAD_TLVS, 'bad_payload', 'invalid_onion_payload');

export const encodeHopPayload = PAYLOAD_CODEC.encode;
/** A payload that is not a valid TLV stream fails with `invalid_onion_payload`. */
export const decodeHopPayload = PAYLOAD_CODEC.decode;

export interface PayloadContext {
  /** This node is the final node (the onion's next HMAC is all zero). */
  final: boolean;
  /** The incoming `update_add_htlc` carried a `path_key`. */
  pathKeyInHtlc: boolean;
}

const BLINDED_FORWARD = new Set(['encrypted_recipient_data', 'current_path_key']);
const BLINDED_FINAL = new Set([...BLINDED_FORWARD, 'amt_to_forward', 'outgoing_cltv_value', 'total_amount_msat']);

/** BOLT 4 `payload` reader requirements on which records are present; amounts and expiries
 * against the HTLC are the channel's to check. In a blinded route every error is
 * `invalid_onion_blinding` (BOLT 4 "Route Blinding"). */
export function checkHopPayload(p: HopPayload, ctx: PayloadContext): void {
  const present = Object.keys(p).filter(k => k !== 'unknown');
  if (p.encrypted_recipient_data) {
    const fail = (why: string) => new OnionError('bad_blinded_payload', why, 'invalid_onion_blinding');
    // "If `path_key` is set in the incoming `update_add_htlc`: MUST return an error if
    // `current_path_key` is present. Otherwise: MUST return an error if `current_path_key` is not present."
    if (ctx.pathKeyInHtlc === !!p.current_path_key) throw fail('path_key must come in exactly one of the HTLC and the payload');
    const allowed = ctx.final ? BLINDED_FINAL : BLINDED_FORWARD;
    const extra = present.filter(k => !allowed.has(k));
    if (extra.length) throw fail(`a blinded ${ctx.final ? 'final' : 'forwarding'} payload has ${extra.join(', ')}`);
    if (ctx.final && (!p.amt_to_forward || !p.outgoing_cltv_value || !p.total_amount_msat)) {
      throw fail('a blinded final payload needs amt_to_forward, outgoing_cltv_value and total_amount_msat');
    }
    return;
  }
  // "Otherwise (it is not part of a blinded route)"
  if (ctx.pathKeyInHtlc || p.current_path_key)
    throw new OnionError('unexpected_path_key', 'path_key outside a blinded route', 'invalid_onion_payload');
  if (!p.amt_to_forward || !p.outgoing_cltv_value) {
    throw new OnionError('missing_field', 'amt_to_forward and outgoing_cltv_value are required', 'invalid_onion_payload');
  }
  if (!ctx.final && !p.short_channel_id)
    throw new OnionError('missing_field', 'a forwarding payload needs short_channel_id', 'invalid_onion_payload');
}
