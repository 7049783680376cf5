// BOLT 4 "Packet Construction" for one part of a payment: each hop's payload (BOLT 4 `payload`
// writer requirements) and the onion over them, bound to the payment_hash as associated data.
import { fromHex } from '../base/bytes.ts';
import { createOnion } from '../onion/construct.ts';
import type { BlindedPath } from '../onion/blinding.ts';
import { encodeHopPayload, type HopPayload } from '../onion/payload.ts';
import type { UnknownTlv } from '../wire/schema.ts';
import { parseScid } from '../wire/scid.ts';
import type { PricedHop } from './route.ts';

export interface FinalHopData {
  /** Set for an invoice payment: `payment_data` with `total_msat` (BOLT 4 "Basic Multi-Part Payments"). */
  payment_secret?: Uint8Array;
  total_msat?: bigint;
  payment_metadata?: Uint8Array;
  /** keysend.ts: the preimage the payer chose. */
  keysend_preimage?: Uint8Array;
  /** Extra odd records (keysend's `extratlvs`). */
  extra?: UnknownTlv[];
  /** The route ends at this blinded path's introduction node (BOLT 4 "The reader of the `blinded_path`"). */
  blinded?: { path: BlindedPath; amount_msat: bigint; total_msat: bigint };
}

export interface PartOnion {
  /** The HTLC to add on our channel. */
  short_channel_id: bigint;
  amount_msat: bigint;
  cltv_expiry: number;
  onion: Uint8Array;
  /** For decoding the error onion (onion/error-onion.ts `decodeErrorPacket`). */
  sharedSecrets: Uint8Array[];
}

/** The payload each node of the route reads. */
export function hopPayloads(route: readonly PricedHop[], blockheight: number, final: FinalHopData): HopPayload[] {
  return route.map((h, i) => {
    const next = route[i + 1];
    if (next) {
      // "For every non-final node: MUST include `short_channel_id`", `amt_to_forward`, `outgoing_cltv_value`.
      return {
        amt_to_forward: { amt_to_forward: next.amount_msat },
        outgoing_cltv_value: { outgoing_cltv_value: blockheight + next.delay },
        short_channel_id: { short_channel_id: parseScid(next.channel) },
      };
    }
    // The final node: "MUST include `payment_data` if `payment_secret` is set" (with `total_msat`);
    // "if `payment_metadata` was set in the invoice: MUST include `payment_metadata`".
    const p: HopPayload = {
      amt_to_forward: { amt_to_forward: h.amount_msat },
      outgoing_cltv_value: { outgoing_cltv_value: blockheight + h.delay },
    };
    if (final.payment_secret) p.payment_data = { payment_secret: final.payment_secret, total_msat: final.total_msat ?? h.amount_msat };
    if (final.payment_metadata) p.payment_metadata = { payment_metadata: final.payment_metadata };
    if (final.keysend_preimage) p.keysend_preimage = { payment_preimage: final.keysend_preimage };
    if (final.extra?.length) p.unknown = [...final.extra].sort((a, b) => (a.type < b.type ? -1 : 1));
    return p;
  });
}

/**
 * BOLT 4, the writer of the payload for a blinded route: "For every node inside a blinded route:
 * MUST include the `encrypted_recipient_data` provided by the recipient; For the first node in the
 * blinded route: MUST include the `path_key` provided by the recipient in `current_path_key`; If it
 * is the final node: MUST include `amt_to_forward`, `outgoing_cltv_value` and `total_amount_msat`
 * ... `outgoing_cltv_value`: MUST use the current block height as a baseline value; MUST NOT include
 * any other tlv field." The introduction node is reached unblinded, its onion layer to its node id
 * ("SHOULD create an unblinded onion payment to `first_node_id`"); each later one to its blinded id.
 */
export function blindedHops(b: NonNullable<FinalHopData['blinded']>, blockheight: number): { pubkey: Uint8Array; payload: HopPayload }[] {
  const n = b.path.hops.length;
  return b.path.hops.map((h, i) => {
    const p: HopPayload = { encrypted_recipient_data: { encrypted_recipient_data: h.encryptedData } };
    if (i === 0) p.current_path_key = { path_key: b.path.firstPathKey };
    if (i === n - 1) {
      p.amt_to_forward = { amt_to_forward: b.amount_msat };
      p.outgoing_cltv_value = { outgoing_cltv_value: blockheight };
      p.total_amount_msat = { total_msat: b.total_msat };
    }
    return { pubkey: i === 0 ? b.path.firstNodeId : h.blindedNodeId, payload: p };
  });
}

export function buildPartOnion(
  route: readonly PricedHop[],
  blockheight: number,
  final: FinalHopData,
  payment_hash: Uint8Array,
  sessionKey: Uint8Array,
): PartOnion {
  // A blinded path: the route reaches its introduction node, whose payload is the path's first.
  const clear = final.blinded ? route.slice(0, -1) : route;
  const payloads = hopPayloads(route, blockheight, final).slice(0, clear.length);
  const hops = clear.map((h, i) => ({ pubkey: fromHex(h.id), payload: payloads[i]! }));
  if (final.blinded) hops.push(...blindedHops(final.blinded, blockheight));
  const built = createOnion(
    sessionKey,
    hops.map(h => ({ pubkey: h.pubkey, payload: encodeHopPayload(h.payload) })),
    payment_hash,
  );
  return {
    short_channel_id: parseScid(route[0]!.channel),
    amount_msat: route[0]!.amount_msat,
    cltv_expiry: blockheight + route[0]!.delay,
    onion: built.bytes,
    sharedSecrets: built.sharedSecrets,
  };
}
