// BOLT 11 `r` fields (route hints) and our own private channels, on top of the graph: a private
// channel is in no one's gossip, so the payer learns it from the invoice ("`r` ... one or more
// entries containing extra routing information for a private route") or knows it as its own.
// Each hint hop is "the node that sends" (`pubkey`) with the fees and delta it charges on
// `short_channel_id` towards the next hop, the last one reaching the payee.
import { compare, fromHex, toHex } from '../base/bytes.ts';
import type { RouteHop as HintHop } from '../bolt11/fields.ts';
import type { KnownUpdate } from '../gossip/peek.ts';
import { formatScid } from '../wire/scid.ts';
import { halfKey } from './overlay.ts';
import { priceRoute, type PathHop, type PayGraph } from './route.ts';

export interface PrivateChannel {
  short_channel_id: string;
  /** The peer's node id (hex). */
  peer: string;
}

const direction = (from: string, to: string): 0 | 1 => (compare(fromHex(from), fromHex(to)) < 0 ? 0 : 1);

/**
 * The PayGraph for paying `destination`: the graph's routes, our private channel straight to the
 * destination, and each route hint reached through the graph (or directly when its entry is us or
 * a peer of ours); the cheapest for the amount is proposed.
 */
export function withHints(
  g: PayGraph,
  self: string,
  destination: string,
  hints: readonly HintHop[][],
  privates: readonly PrivateChannel[] = [],
): PayGraph {
  const policies = new Map<string, KnownUpdate>();
  const signers = new Map<string, Uint8Array>();
  const paths: { entry: string; path: PathHop[] }[] = [];
  for (const hint of hints) {
    const path: PathHop[] = [];
    hint.forEach((h, i) => {
      const from = toHex(h.pubkey);
      const to = i + 1 < hint.length ? toHex(hint[i + 1]!.pubkey) : destination;
      const hop = { id: to, channel: formatScid(h.shortChannelId), direction: direction(from, to) };
      path.push(hop);
      // BOLT 11: the hint carries the sending node's fee_base_msat, fee_proportional_millionths, cltv_expiry_delta.
      policies.set(halfKey(hop.channel, hop.direction), {
        timestamp: 0,
        message_flags: 1,
        channel_flags: hop.direction,
        cltv_expiry_delta: h.cltvExpiryDelta,
        htlc_minimum_msat: 0n,
        fee_base_msat: h.feeBaseMsat,
        fee_proportional_millionths: h.feeProportionalMillionths,
        htlc_maximum_msat: 0xffff_ffff_ffff_ffffn,
      });
      signers.set(halfKey(hop.channel, hop.direction), h.pubkey);
    });
    if (path.length) paths.push({ entry: toHex(hint[0]!.pubkey), path });
  }
  const direct = (peer: string): PathHop[] | undefined => {
    const c = privates.find(p => p.peer === peer);
    return c ? [{ id: peer, channel: c.short_channel_id, direction: direction(self, peer) }] : undefined;
  };
  const policy = (c: string, d: 0 | 1) => policies.get(halfKey(c, d)) ?? g.policy(c, d);
  const out: PayGraph = {
    route(q) {
      if (q.destination !== destination) return direct(q.destination) ?? g.route(q);
      const avoid = new Set(q.exclude);
      const usable = (p: PathHop[]) =>
        p.every(h => !avoid.has(halfKey(h.channel, h.direction)) && (h.id === destination || !avoid.has(h.id)));
      const candidates: PathHop[][] = [];
      const d = direct(destination);
      if (d && usable(d)) candidates.push(d);
      const viaGraph = g.route(q);
      if (viaGraph) candidates.push(viaGraph);
      for (const { entry, path: hint } of paths) {
        if (!usable(hint)) continue;
        if (entry === self) {
          candidates.push(hint);
          continue;
        }
        const to = direct(entry) ?? g.route({ ...q, destination: entry });
        if (to && usable(to)) candidates.push([...to, ...hint]);
      }
      let best: { path: PathHop[]; fee: bigint } | undefined;
      for (const path of candidates) {
        const priced = priceRoute(path, q.amount_msat, q.final_cltv, policy);
        if (!priced) continue;
        const fee = priced[0]!.amount_msat - q.amount_msat;
        if (!best || fee < best.fee || (fee === best.fee && path.length < best.path.length)) best = { path, fee };
      }
      return best?.path;
    },
    policy,
    signer: (c, d) => signers.get(halfKey(c, d)) ?? g.signer(c, d),
  };
  return out;
}
