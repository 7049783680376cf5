// A route for one part: gossipd's getroute (src/core/gossip/route.ts) proposes the path, and the
// payer prices it with the policies it knows best (its overlay over the graph) and checks it
// against what it has learned: a hop that breaks a limit is set aside and the path asked again.
// BOLT 7 "HTLC Fees": each node charges, on the channel it sends on, fee_base_msat +
// amount_to_forward * fee_proportional_millionths / 1000000; it adds its cltv_expiry_delta.
import type { KnownUpdate } from '../gossip/peek.ts';
import { forwardFee } from './forward.ts';
import { halfKey, type RouteOverlay } from './overlay.ts';

export interface PathHop {
  /** Node at the end of this hop (hex). */
  id: string;
  /** `BLOCKxTXxOUT`. */
  channel: string;
  direction: 0 | 1;
}

export interface PricedHop extends PathHop {
  /** What the node at the end of this hop receives. */
  amount_msat: bigint;
  /** Blocks from the tip its HTLC expires at. */
  delay: number;
}

/** The payer's view of the network the session routes over. */
export interface PayGraph {
  /** A path from this node, avoiding `exclude` (`scid/direction` or node ids), or undefined. */
  route(q: { destination: string; amount_msat: bigint; final_cltv: number; exclude: readonly string[] }): PathHop[] | undefined;
  policy(channel: string, direction: 0 | 1): KnownUpdate | undefined;
  /** The node that signs `direction`'s channel_update (node_id_1 for 0), if the graph has the channel. */
  signer(channel: string, direction: 0 | 1): Uint8Array | undefined;
}

/** Amounts and delays back from the destination; undefined if a hop after the first has no policy. */
export function priceRoute(
  path: readonly PathHop[],
  amount: bigint,
  finalCltv: number,
  policy: (channel: string, direction: 0 | 1) => KnownUpdate | undefined,
): PricedHop[] | undefined {
  const out = new Array<PricedHop>(path.length);
  let amt = amount;
  let delay = finalCltv;
  for (let i = path.length - 1; i >= 0; i--) {
    out[i] = { ...path[i]!, amount_msat: amt, delay };
    if (i === 0) break; // the first channel is ours: no fee, no delta
    const p = policy(path[i]!.channel, path[i]!.direction);
    if (!p) return undefined;
    amt += forwardFee(amt, p.fee_base_msat, p.fee_proportional_millionths);
    delay += p.cltv_expiry_delta;
  }
  return out;
}

export interface PartRequest {
  destination: string;
  amount_msat: bigint;
  final_cltv: number;
  maxfee_msat: bigint;
  maxdelay: number;
  /** What each of our channels can still carry for this payment. */
  localAvailable: (channel: string) => bigint;
}

const MAX_TRIES = 16;

/** A priced route within every known limit, or undefined. */
export function planRoute(g: PayGraph, overlay: RouteOverlay, req: PartRequest): PricedHop[] | undefined {
  const local = new Set<string>();
  const policy = (c: string, d: 0 | 1) => overlay.policy(c, d, (cc, dd) => g.policy(cc, dd));
  for (let t = 0; t < MAX_TRIES; t++) {
    const path = g.route({
      destination: req.destination,
      amount_msat: req.amount_msat,
      final_cltv: req.final_cltv,
      exclude: [...overlay.excluded, ...local],
    });
    if (!path || path.length === 0) return undefined;
    const priced = priceRoute(path, req.amount_msat, req.final_cltv, policy);
    if (!priced) return undefined;
    const bad = violation(priced, policy, overlay, req);
    if (bad === undefined) return priced;
    local.add(halfKey(priced[bad]!.channel, priced[bad]!.direction));
  }
  return undefined;
}

/** Index of a hop to set aside, or undefined when the route is within every limit. */
function violation(
  r: readonly PricedHop[],
  policy: (c: string, d: 0 | 1) => KnownUpdate | undefined,
  overlay: RouteOverlay,
  req: PartRequest,
): number | undefined {
  if (r[0]!.amount_msat > req.localAvailable(r[0]!.channel)) return 0;
  for (let i = 0; i < r.length; i++) {
    const h = r[i]!;
    const max = overlay.maxCarry(h.channel, h.direction);
    if (max !== undefined && h.amount_msat > max) return i;
    const p = policy(h.channel, h.direction);
    if (i > 0 && p && ((p.channel_flags & 2) !== 0 || h.amount_msat < p.htlc_minimum_msat || h.amount_msat > p.htlc_maximum_msat)) return i;
  }
  // Over maxfee or maxdelay: set aside the hop that costs most of it.
  const worst = (cost: (i: number) => bigint) => {
    let w = 1;
    for (let i = 2; i < r.length; i++) if (cost(i) > cost(w)) w = i;
    return w;
  };
  if (r[0]!.amount_msat - req.amount_msat > req.maxfee_msat)
    return r.length > 1 ? worst(i => r[i - 1]!.amount_msat - r[i]!.amount_msat) : 0;
  if (r[0]!.delay > req.maxdelay) return r.length > 1 ? worst(i => BigInt(r[i - 1]!.delay - r[i]!.delay)) : 0;
  return undefined;
}
