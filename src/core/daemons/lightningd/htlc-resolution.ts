// What lightningd decided for one incoming HTLC (htlcs-in.ts, receive.ts): what it hands the
// channel's channeld until channeld reports the HTLC resolved; and the preimages it has durably
// released for incoming HTLCs, which onchaind claims with once the channel is on chain.
import { fromHex, toHex } from '../../base/bytes.ts';
import { sha256 } from '../../crypto/primitives.ts';
import { addAttribution, createErrorPacket, encodeFailure, failureCode, obfuscateError, type Failure } from '../../onion/index.ts';
import type { LightningdDb } from './db.ts';
import { forwards } from './forward-store.ts';

/**
 * `attribution` (BOLT 2 `attribution_data`): as a decider gives it, what came from downstream (a
 * forward's); once IncomingHtlcs has added our layer (withAttribution), what goes upstream.
 */
export type Resolution =
  | { kind: 'fulfill'; preimage: Uint8Array; attribution?: Uint8Array }
  | { kind: 'fail'; reason: Uint8Array; attribution?: Uint8Array }
  | { kind: 'malformed'; sha256OfOnion: Uint8Array; code: number };

/** BOLT 4: `htlc_hold_times` are "in units of 100 milliseconds" (a u32). */
export function holdTimeUnits(heldMs: number): number {
  return Math.min(0xffffffff, Math.max(0, Math.floor(heldMs / 100)));
}

/**
 * Our layer of `attribution_data` on a fulfil or failure of an incoming HTLC we held `heldMs` (BOLT 4
 * "Returning Errors": the erring node "MUST initialize `attribution_data`", a node relaying a failure
 * "if `attribution_data` is received from downstream: MUST transform" it, "otherwise: MUST instantiate
 * an all-zeroes `attribution_data` block", then "MUST update" it; BOLT 2 the same for
 * update_fulfill_htlc). Our HMACs cover the return packet before our `ammag` stream, which is our
 * `reason` with that stream taken off again (the XOR is its own inverse): the erring node's packet
 * or the downstream's. `layer` absent (BOLT 2: not "if `path_key` is set in the incoming
 * `update_add_htlc`", or an onion we could not peel): no attribution data goes upstream.
 */
export function withAttribution(r: Resolution, layer?: { sharedSecret: Uint8Array; heldMs: number }): Resolution {
  if (r.kind === 'malformed') return r;
  const { attribution: downstream, ...rest } = r;
  if (!layer) return rest;
  const packet = r.kind === 'fail' ? obfuscateError(layer.sharedSecret, r.reason) : new Uint8Array(0);
  return { ...rest, attribution: addAttribution(layer.sharedSecret, packet, holdTimeUnits(layer.heldMs), downstream) };
}

/** BOLT 4 "Returning Errors": the failure in an error onion with this hop's shared secret. */
export function failWith(sharedSecret: Uint8Array, f: Failure): Resolution {
  return { kind: 'fail', reason: createErrorPacket(sharedSecret, encodeFailure(f)) };
}

/**
 * Where an incoming HTLC stands in a blinded route (BOLT 4 "Route Blinding"): `intro` when its
 * onion payload carried `current_path_key` (we are the introduction node), `inside` when its
 * update_add_htlc carried `path_key`.
 */
export type BlindedRole = 'intro' | 'inside';

/**
 * A failure of an incoming HTLC as BOLT 2 prescribes in a blinded route ("When failing an incoming
 * HTLC"): "If `path_key` is set in the incoming `update_add_htlc`: MUST send an
 * `update_fail_malformed_htlc` error using the `invalid_onion_blinding` failure code for any local
 * or downstream errors"; "If `current_path_key` is set in the onion payload and it is not the final
 * node: MUST send an `update_fail_htlc` error using the `invalid_onion_blinding` failure code";
 * "SHOULD use the `sha256_of_onion` of the onion it received". Otherwise `f` in an error onion
 * (the final node that is also the introduction node answers as any final node: BOLT 4's erring node "otherwise").
 */
export function failIncoming(
  h: { sharedSecret: Uint8Array; blinded?: BlindedRole; onion_sha256?: Uint8Array },
  f: Failure,
  final: boolean,
): Resolution {
  const sha256_of_onion = h.onion_sha256 ?? new Uint8Array(32);
  if (h.blinded === 'inside') return { kind: 'malformed', sha256OfOnion: sha256_of_onion, code: failureCode('invalid_onion_blinding') };
  if (h.blinded === 'intro' && !final) return failWith(h.sharedSecret, { name: 'invalid_onion_blinding', sha256_of_onion });
  return failWith(h.sharedSecret, f);
}

/**
 * The preimages lightningd has released, durably, for incoming HTLCs of channel `dbid` whose
 * payment hash is in `hashes`: our paid invoices (receive.ts marks one paid before any part is
 * fulfilled) and the forwards into this channel settled downstream (forward.ts stages the
 * preimage in the outgoing channel's write, or from the chain before it flushes). An unpaid
 * invoice's preimage is not among them: an HTLC receive never accepted (too small, a part of an
 * incomplete set) is not claimed on chain either (Core Lightning gives onchaind only fulfilled
 * HTLCs' preimages).
 */
export function releasedPreimages(db: LightningdDb, dbid: string, hashes: ReadonlySet<string>): Uint8Array[] {
  const hex = [
    ...db
      .invoices()
      .filter(i => i.status === 'paid' && hashes.has(i.payment_hash))
      .map(i => i.payment_preimage),
    ...forwards(db)
      .filter(f => f.in_channel === dbid && f.preimage !== undefined && hashes.has(f.payment_hash))
      .map(f => f.preimage!),
  ];
  const out = new Map<string, Uint8Array>();
  for (const h of hex) {
    const p = fromHex(h);
    const hash = toHex(sha256(p));
    if (hashes.has(hash)) out.set(hash, p);
  }
  return [...out.values()];
}
