// BOLT 4 "Route Blinding" for payments: the recipient's side (the path it builds to itself, each
// hop's `encrypted_data_tlv`, and the aggregated fees and CLTV delta it tells the sender), and the
// reader's checks of a hop's decrypted `encrypted_recipient_data` (relaying or final). Every
// refusal is `invalid_onion_blinding` (BOLT 4: nodes in a blinded route give no other reason).
import { hmacSha256 } from '../crypto/primitives.ts';
import { buildBlindedPath, encodeEncryptedData, OnionError, type BlindedPath, type EncryptedData } from '../onion/index.ts';

export type PaymentRelay = NonNullable<EncryptedData['payment_relay']>;

/** What the sender needs besides the path (BOLT 12's `blinded_payinfo`, Core Lightning's `payinfo`). */
export interface BlindedPayInfo {
  fee_base_msat: number;
  fee_proportional_millionths: number;
  /** Every relay's delta plus the recipient's min_final_cltv_expiry_delta. */
  cltv_expiry_delta: number;
  htlc_minimum_msat: bigint;
  htlc_maximum_msat: bigint;
}

/**
 * BOLT 4, the creator of `encrypted_recipient_data`: "MUST compute the total fees and CLTV delta of
 * the route as follows": total_fee_base_msat(n+1) = (fee_base_msat(n+1) * 1000000 +
 * total_fee_base_msat(n) * (1000000 + fee_proportional_millionths(n+1)) + 1000000 - 1) / 1000000;
 * total_fee_proportional_millionths(n+1) = ((total_fee_proportional_millionths(n) +
 * fee_proportional_millionths(n+1)) * 1000000 + total_fee_proportional_millionths(n) *
 * fee_proportional_millionths(n+1) + 1000000 - 1) / 1000000; total_cltv_delta = the sum of the
 * deltas + min_final_cltv_expiry_delta. The relays are folded from the recipient's end, as each
 * relay's fee is charged on what the next one forwards.
 */
export function aggregateRelays(
  relays: readonly PaymentRelay[],
  minFinalCltvExpiryDelta: number,
): Pick<BlindedPayInfo, 'fee_base_msat' | 'fee_proportional_millionths' | 'cltv_expiry_delta'> {
  let base = 0n;
  let prop = 0n;
  let cltv = minFinalCltvExpiryDelta;
  for (const r of [...relays].reverse()) {
    const b = BigInt(r.fee_base_msat);
    const p = BigInt(r.fee_proportional_millionths);
    base = (b * 1_000_000n + base * (1_000_000n + p) + 1_000_000n - 1n) / 1_000_000n;
    prop = ((prop + p) * 1_000_000n + prop * p + 1_000_000n - 1n) / 1_000_000n;
    cltv += r.cltv_expiry_delta;
  }
  return { fee_base_msat: Number(base), fee_proportional_millionths: Number(prop), cltv_expiry_delta: cltv };
}

/** What the sender adds for the blinded part of the route to deliver `amount` (BOLT 7 "HTLC Fees" on the aggregate). */
export function blindedFee(info: Pick<BlindedPayInfo, 'fee_base_msat' | 'fee_proportional_millionths'>, amount: bigint): bigint {
  return BigInt(info.fee_base_msat) + (amount * BigInt(info.fee_proportional_millionths)) / 1_000_000n;
}

/** One relaying node of a path to us: who, the channel it forwards on, what it charges. */
export interface RelayHop {
  nodeId: Uint8Array;
  short_channel_id: bigint;
  relay: PaymentRelay;
  htlc_minimum_msat: bigint;
}

export interface ReceivePathRequest {
  /** e_0 (fresh random). */
  sessionKey: Uint8Array;
  /** The relays from the introduction node to our peer; each forwards on its `short_channel_id` towards us. */
  relays: readonly RelayHop[];
  ourNodeId: Uint8Array;
  /** Our private context, checked when a payment arrives ("MAY store private data in `path_id`"). */
  path_id: Uint8Array;
  /** The last block height at which we accept a payment over the path. */
  max_cltv_expiry: number;
  min_final_cltv_expiry_delta: number;
  htlc_maximum_msat: bigint;
}

/**
 * BOLT 4 "The creator of `encrypted_recipient_data`": for each non-final node `payment_relay`,
 * exactly one of `short_channel_id`/`next_node_id`, and `payment_constraints` whose
 * `max_cltv_expiry` grows from ours by the final delta and each relay's delta; `path_id` for us;
 * "SHOULD add padding data to ensure all `encrypted_data_tlv[i]` have the same length".
 */
export function receivePath(q: ReceivePathRequest): { path: BlindedPath; payinfo: BlindedPayInfo } {
  const htlcMin = q.relays.reduce((m, r) => (r.htlc_minimum_msat > m ? r.htlc_minimum_msat : m), 0n);
  const datas: EncryptedData[] = [];
  let maxCltv = q.max_cltv_expiry + q.min_final_cltv_expiry_delta;
  const ours: EncryptedData = {
    path_id: { data: q.path_id },
    payment_constraints: { max_cltv_expiry: maxCltv, htlc_minimum_msat: htlcMin },
  };
  for (let i = q.relays.length - 1; i >= 0; i--) {
    const r = q.relays[i]!;
    maxCltv += r.relay.cltv_expiry_delta;
    datas.unshift({
      short_channel_id: { short_channel_id: r.short_channel_id },
      payment_relay: r.relay,
      payment_constraints: { max_cltv_expiry: maxCltv, htlc_minimum_msat: htlcMin },
    });
  }
  datas.push(ours);
  const plain = datas.map(d => encodeEncryptedData(d));
  const longest = Math.max(...plain.map(b => b.length));
  // padding's TLV header is 2 bytes (type 1, a length below 253): pad every other record to the longest.
  const padded = plain.map((b, i) =>
    b.length === longest
      ? b
      : encodeEncryptedData({ padding: { padding: new Uint8Array(Math.max(0, longest - b.length - 2)) }, ...datas[i]! }),
  );
  const nodes = [...q.relays.map(r => r.nodeId), q.ourNodeId];
  const { path } = buildBlindedPath(
    q.sessionKey,
    nodes.map((nodeId, i) => ({ nodeId, data: padded[i]! })),
  );
  return {
    path,
    payinfo: {
      ...aggregateRelays(
        q.relays.map(r => r.relay),
        q.min_final_cltv_expiry_delta,
      ),
      htlc_minimum_msat: htlcMin,
      htlc_maximum_msat: q.htlc_maximum_msat,
    },
  };
}

const blindingError = (why: string) => new OnionError('bad_blinded_hop', why, 'invalid_onion_blinding');

/**
 * BOLT 4 reader, for any hop of a blinded route: "If `payment_constraints` is present: MUST return
 * an error if: the expiry is greater than `max_cltv_expiry`; the amount is below
 * `htlc_minimum_msat`"; "MUST return an error if `allowed_features.features` contains an unknown
 * feature bit (even if it is odd)" (we know no feature for a payment inside a blinded route).
 */
function checkConstraints(d: EncryptedData, htlc: { amount_msat: bigint; cltv_expiry: number }): void {
  const c = d.payment_constraints;
  if (c && htlc.cltv_expiry > c.max_cltv_expiry)
    throw blindingError(`cltv_expiry ${htlc.cltv_expiry} over max_cltv_expiry ${c.max_cltv_expiry}`);
  if (c && htlc.amount_msat < c.htlc_minimum_msat) throw blindingError(`amount below htlc_minimum_msat ${c.htlc_minimum_msat}`);
  if (d.allowed_features?.features.some(b => b !== 0)) throw blindingError('allowed_features names a feature we do not know');
}

export interface BlindedRelayed {
  /** Where to forward: our channel's short_channel_id, or a peer's node id. */
  short_channel_id?: bigint;
  next_node_id?: Uint8Array;
  amt_to_forward: bigint;
  outgoing_cltv_value: number;
  relay: PaymentRelay;
}

/**
 * A relaying node of a blinded route: "MUST return an error if `encrypted_recipient_data` does not
 * contain either `short_channel_id` or `next_node_id`", "... does not contain `payment_relay`"; the
 * forward from payment_relay: amt_to_forward = ((amount_msat - fee_base_msat) * 1000000 + 1000000 +
 * fee_proportional_millionths - 1) / (1000000 + fee_proportional_millionths), outgoing_cltv_value =
 * cltv_expiry - payment_relay.cltv_expiry_delta.
 */
export function blindedRelay(d: EncryptedData, htlc: { amount_msat: bigint; cltv_expiry: number }): BlindedRelayed {
  const relay = d.payment_relay;
  if (!relay) throw blindingError('no payment_relay for a relaying node');
  if (!d.short_channel_id && !d.next_node_id) throw blindingError('neither short_channel_id nor next_node_id');
  checkConstraints(d, htlc);
  if (htlc.amount_msat < BigInt(relay.fee_base_msat)) throw blindingError('amount below fee_base_msat');
  const prop = BigInt(relay.fee_proportional_millionths);
  const amt = ((htlc.amount_msat - BigInt(relay.fee_base_msat)) * 1_000_000n + 1_000_000n + prop - 1n) / (1_000_000n + prop);
  const cltv = htlc.cltv_expiry - relay.cltv_expiry_delta;
  if (cltv < 0) throw blindingError('cltv_expiry below cltv_expiry_delta');
  return {
    ...(d.short_channel_id ? { short_channel_id: d.short_channel_id.short_channel_id } : {}),
    ...(d.next_node_id ? { next_node_id: d.next_node_id.node_id } : {}),
    amt_to_forward: amt,
    outgoing_cltv_value: cltv,
    relay,
  };
}

/**
 * The final node of a blinded route: its constraints, and its `path_id` ("MUST ignore the message
 * if the `path_id` does not match the blinded route it created for this purpose": the caller
 * compares it). Relay records for a final node are refused: it forwards nothing.
 */
export function blindedFinal(d: EncryptedData, htlc: { amount_msat: bigint; cltv_expiry: number }): { path_id: Uint8Array } {
  checkConstraints(d, htlc);
  if (d.short_channel_id || d.next_node_id) throw blindingError('the final node is told to forward');
  if (!d.path_id) throw blindingError('no path_id');
  return { path_id: d.path_id.data };
}

/**
 * The `path_id` of the paths we make to be paid for an invoice: private to us (BOLT 4 Rationale:
 * "put some private context information in the `path_id` field (e.g. the `payment_preimage`)";
 * "it's important to use private information ... that senders cannot have access to"), derived
 * from the invoice's preimage so nothing more is stored.
 */
export function pathIdFor(payment_preimage: Uint8Array): Uint8Array {
  return hmacSha256(new TextEncoder().encode('blinded path_id'), payment_preimage);
}
