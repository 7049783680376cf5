// Candidate routes for lightningd's payments (Core Lightning's xpay asks askrene's `getroutes`
// rather than copy the graph): gossipd runs getroute (gossip/route.ts) over its own graph and
// answers the few channels the routes use, as listchannels rows, so that no payment copies the
// whole graph across realms. The payer adds what gossipd cannot know (its private channels, the
// invoice's route hints) and prices and checks the routes itself (src/core/pay).
//
// Private channels of ours are in no gossip (nor is a public one before our channel_update for it),
// so gossipd routes from their peers as well as from us: the first hop, ours, costs us nothing (route.ts "sourcefree"), so starting at a peer ranks
// the rest of the route as starting at us would. Several routes per (source, destination): after
// each, the channels it used past its first hop are set aside, so the next is channel-disjoint,
// and the payer has somewhere to go when a hop fails or cannot take a part. No route at the
// amount: half as much is asked, as the payer splits parts that way (pay/session.ts).
import { compare, fromHex } from '../../base/bytes.ts';
import { RouteError } from '../../gossip/errors.ts';
import type { Graph } from '../../gossip/graph.ts';
import { listchannels, type ListChannelsEntry } from '../../gossip/list.ts';
import { getroute } from '../../gossip/route.ts';
import { parseScid } from '../../wire/scid.ts';

/** lightningd's question: routes from us (and our private channels' peers) to each of `to`. */
export interface RoutesQuery {
  /** Our node id (hex). */
  from: string;
  /** Destinations (hex): the payee, and the entry node of each route hint. */
  to: string[];
  amount_msat: bigint;
  /** Blocks the destination receives (getroute's `cltv`). */
  final_cltv: number;
  /** `scid/direction` or node ids the payment has learnt to avoid. */
  exclude: string[];
  /** Our channels a payment may start on; those gossipd does not know (private) are routed from their peer. */
  local: { short_channel_id: string; peer: string }[];
  /** Routes per source and destination; default ROUTES_PER_PAIR. */
  count?: number;
}

export interface RoutesAnswer {
  /** Each route found: from a source to a destination, the nodes reached and channels taken. */
  routes: { from: string; to: string; hops: { id: string; channel: string; direction: 0 | 1 }[] }[];
  /** Both directions of every channel in those routes (what the payer prices and checks them with). */
  channels: ListChannelsEntry[];
}

export const ROUTES_PER_PAIR = 3;
/** At most this many halvings of the amount when nothing carries it. */
const HALVINGS = 4;
/** Sources and destinations per query, at most (a node with more channels routes from us alone). */
const MAX_SOURCES = 16;
const MAX_DESTINATIONS = 16;
/** Core Lightning's default riskfactor for pay (pay/graph.ts PAY_RISKFACTOR). */
const RISKFACTOR = 10;

export function candidateRoutes(graph: Graph, q: RoutesQuery): RoutesAnswer {
  const excluded = new Set(q.exclude);
  const count = Math.max(1, Math.min(q.count ?? ROUTES_PER_PAIR, 8));
  const known = (id: string) => graph.findNode(id) >= 0;
  const sources = new Set<string>();
  if (known(q.from)) sources.add(q.from);
  for (const c of q.local) {
    if (sources.size >= MAX_SOURCES) break;
    if (excluded.has(c.peer) || excluded.has(`${c.short_channel_id}/0`) || excluded.has(`${c.short_channel_id}/1`)) continue;
    let scid: bigint;
    try {
      scid = parseScid(c.short_channel_id);
    } catch {
      continue;
    }
    // Routed from us over it only when gossipd has our side's channel_update; else from the peer.
    const ourSide = compare(fromHex(q.from), fromHex(c.peer)) < 0 ? 0 : 1;
    if (graph.channelUpdate(scid, ourSide) === undefined && known(c.peer)) sources.add(c.peer);
  }
  const routes: RoutesAnswer['routes'] = [];
  const used = new Set<string>();
  for (const to of [...new Set(q.to)].slice(0, MAX_DESTINATIONS)) {
    if (!known(to) || excluded.has(to)) continue;
    for (const from of sources) {
      if (from === to) continue;
      let amount = q.amount_msat;
      for (let h = 0; h <= HALVINGS && amount > 0n; h++, amount /= 2n) {
        const found = disjointRoutes(graph, from, to, amount, q, count);
        for (const hops of found) {
          routes.push({ from, to, hops });
          for (const hop of hops) used.add(hop.channel);
        }
        if (found.length) break;
      }
    }
  }
  const channels: ListChannelsEntry[] = [];
  for (const scid of used) channels.push(...listchannels(graph, { short_channel_id: scid }));
  return { routes, channels };
}

/** Up to `count` routes from `from` to `to`, each avoiding the channels the ones before used past their first hop. */
function disjointRoutes(graph: Graph, from: string, to: string, amount: bigint, q: RoutesQuery, count: number) {
  const exclude = [...q.exclude];
  const out: RoutesAnswer['routes'][number]['hops'][] = [];
  for (let i = 0; i < count; i++) {
    let hops: RoutesAnswer['routes'][number]['hops'];
    try {
      hops = getroute(graph, {
        id: to,
        fromid: from,
        localid: q.from,
        amount_msat: amount,
        riskfactor: RISKFACTOR,
        cltv: q.final_cltv,
        exclude,
      }).route.map(h => ({ id: h.id, channel: h.channel, direction: h.direction }));
    } catch (e) {
      if (e instanceof RouteError) break;
      throw e;
    }
    out.push(hops);
    // A route of one hop from us has nothing past its first hop: it is the only one through it.
    const middle = from === q.from ? hops.slice(1) : hops;
    if (middle.length === 0) exclude.push(`${hops[0]!.channel}/${hops[0]!.direction}`);
    for (const h of middle) exclude.push(`${h.channel}/${h.direction}`);
  }
  return out;
}
