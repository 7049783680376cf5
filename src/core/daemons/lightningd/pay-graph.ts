// The graph a payment routes over, in lightningd's realm: gossipd holds the network's graph in its
// own realm and answers each payment's candidate routes (gossipd/routes.ts: the few channels they
// use, as listchannels rows) instead of the whole graph. lightningd builds a small Graph of those
// channels and adds our own (private ones are in no gossip; our side of a public one may be newer
// than gossip). PaySession then asks getroute over it (src/core/pay/graph.ts) with the invoice's
// route hints on top (hints.ts). It asks gossipd again after a failure, with what it learnt.
import { compare, fromHex, toHex } from '../../base/bytes.ts';
import type { RouteHop as HintHop } from '../../bolt11/fields.ts';
import { Graph } from '../../gossip/graph.ts';
import type { ListChannelsEntry } from '../../gossip/list.ts';
import { FINAL_CLTV_SLACK, graphForPayments, withHints, type PayGraph, type PayRequest } from '../../pay/index.ts';
import { parseScid } from '../../wire/scid.ts';
import type { RoutesAnswer, RoutesQuery } from '../gossipd/interface.ts';

/** What a payment asks of gossipd (GossipdDaemonApi.routes). */
export interface PayGossip {
  routes(q: RoutesQuery): Promise<RoutesAnswer> | RoutesAnswer;
}

/** One payment's graph: every channel gossipd proposed so far (a newer row replaces), our channels, the hints. */
export class PaymentGraph {
  private readonly rows = new Map<string, ListChannelsEntry>();
  payGraph: PayGraph;

  constructor(
    private readonly self: string,
    private readonly destination: string,
    private readonly own: readonly OwnChannel[],
    private readonly hints: readonly HintHop[][],
  ) {
    this.payGraph = this.build();
  }

  /** gossipd's routes to the destination and to each hint's entry, avoiding `exclude`. */
  async ask(gossipd: PayGossip, req: PayRequest, exclude: string[]): Promise<void> {
    const entries = this.hints.flatMap(h => (h.length ? [toHex(h[0]!.pubkey)] : [])).filter(e => e !== this.self);
    const answer = await gossipd.routes({
      from: this.self,
      to: [this.destination, ...entries],
      amount_msat: req.amount_msat,
      final_cltv: req.final_cltv + FINAL_CLTV_SLACK,
      exclude,
      local: this.own.map(c => ({ short_channel_id: c.short_channel_id, peer: c.peer })),
    });
    for (const r of answer.channels) this.rows.set(`${r.short_channel_id}/${r.direction}`, r);
    this.payGraph = this.build();
  }

  private build(): PayGraph {
    const graph = paymentGraph(this.self, [...this.rows.values()], this.own);
    return withHints(graphForPayments(graph, this.self), this.self, this.destination, this.hints);
  }
}

/** One of our channels a payment may start on. */
export interface OwnChannel {
  short_channel_id: string;
  peer: string;
  capacity_sat: number;
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** A Graph of gossipd's channels (listchannels rows, each direction a row) and our own channels. */
export function paymentGraph(self: string, rows: readonly ListChannelsEntry[], own: readonly OwnChannel[]): Graph {
  const g = new Graph({ channels: rows.length / 2 + own.length + 1, nodes: rows.length / 2 + 2 });
  const add = (scid: string, a: string, b: string, capacity_sat?: number) => {
    const [n1, n2] = compare(fromHex(a), fromHex(b)) < 0 ? [a, b] : [b, a];
    g.addChannel(
      { short_channel_id: parseScid(scid), node_id_1: fromHex(n1), node_id_2: fromHex(n2), features: new Uint8Array(0) },
      capacity_sat,
    );
  };
  for (const r of rows) {
    add(r.short_channel_id, r.source, r.destination);
    g.applyChannelUpdate({
      short_channel_id: parseScid(r.short_channel_id),
      timestamp: r.last_update,
      message_flags: r.message_flags,
      channel_flags: r.channel_flags,
      cltv_expiry_delta: r.delay,
      htlc_minimum_msat: BigInt(r.htlc_minimum_msat),
      htlc_maximum_msat: BigInt(r.htlc_maximum_msat),
      fee_base_msat: r.base_fee_millisatoshi,
      fee_proportional_millionths: r.fee_per_millionth,
    });
  }
  for (const c of own) {
    const scid = parseScid(c.short_channel_id);
    add(c.short_channel_id, self, c.peer, c.capacity_sat);
    g.setCapacity(scid, c.capacity_sat);
    // Our direction, as we would announce it to ourselves: the first hop charges us nothing
    // (route.ts priceRoute); what it can carry is channeld's to say (a refusal teaches the session).
    const direction = compare(fromHex(self), fromHex(c.peer)) < 0 ? 0 : 1;
    g.applyChannelUpdate({
      short_channel_id: scid,
      timestamp: 0xffff_ffff,
      message_flags: 1,
      channel_flags: direction,
      cltv_expiry_delta: 0,
      htlc_minimum_msat: 0n,
      htlc_maximum_msat: BigInt(c.capacity_sat) * 1000n < U64_MAX ? BigInt(c.capacity_sat) * 1000n : U64_MAX,
      fee_base_msat: 0,
      fee_proportional_millionths: 0,
    });
  }
  return g;
}
