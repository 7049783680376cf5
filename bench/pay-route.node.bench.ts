// Routes for a payment at mainnet size (the real 2026-02-03 topology, 50,808 channels, synthetic
// keys; gossip.bench.ts's fixture, applied to a Graph without signatures, which the graph does not
// check): what lightningd's pay costs before a part is sent, per payment and after each failure,
// beside what it cost before gossipd answered routes (the same run, the same pairs):
//   - now: gossipd's candidateRoutes (gossipd/routes.ts: up to 3 channel-disjoint routes, each a
//     getroute), the answer structured-cloned (as it crosses the MessagePort), lightningd's graph
//     of those channels (pay-graph.ts) and its getroute;
//   - before: gossipd's whole listchannels, structured-cloned, lightningd's Graph of all of it, getroute;
//   - one bare getroute on gossipd's graph.
import type { Reporter } from './harness.ts';
import { chainHash } from '../src/core/chain/chains.ts';
import { candidateRoutes } from '../src/core/daemons/gossipd/routes.ts';
import { paymentGraph } from '../src/core/daemons/lightningd/pay-graph.ts';
import { Graph } from '../src/core/gossip/graph.ts';
import { listchannels } from '../src/core/gossip/list.ts';
import { getroute } from '../src/core/gossip/route.ts';
import { RouteError } from '../src/core/gossip/errors.ts';
import { decodeMessage } from '../src/core/wire/messages.ts';
import { graphForPayments } from '../src/core/pay/graph.ts';
import { buildSignedGossip } from './fixtures/signed-gossip.ts';
import { loadFixtureKeys, loadOrGenerateTopology } from './fixtures/load.ts';
import { routable } from './gossip.bench.ts';
import { median, quantile } from './pay-stats.ts';

export const title = 'Routes for a payment at mainnet size: gossipd answers routes vs. copying the graph';
export const runtimes = ['node' as const];

const AMOUNT = 1_000_000n;
const PAIRS = 60;
const BEFORE_PAIRS = 6;

const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

export async function run(report: Reporter): Promise<void> {
  const t0 = performance.now();
  const topology = loadOrGenerateTopology();
  const gossip = buildSignedGossip(topology, {
    chainHash: chainHash('regtest'),
    now: 1_795_000_000,
    seed: 7,
    keys: loadFixtureKeys(topology.nodes.length),
    sign: () => new Uint8Array(64),
  });
  const graph = new Graph();
  for (const raw of gossip.messages) {
    const m = decodeMessage(raw);
    if (m.name === 'channel_announcement' || m.name === 'channel_update' || m.name === 'node_announcement') graph.applyGossip(m);
  }
  const { sources, sinks } = routable(gossip.messages);
  report.note(
    `graph: ${graph.channelCount.toLocaleString('en-US')} channels, ${graph.nodeCount.toLocaleString('en-US')} nodes (${topology.source}), built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  let seed = 4242;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pairs: [string, string][] = [];
  for (let tries = 0; pairs.length < PAIRS && tries < PAIRS * 20; tries++) {
    const from = sources[Math.floor(rnd() * sources.length)]!;
    const to = sinks[Math.floor(rnd() * sinks.length)]!;
    if (from === to) continue;
    try {
      getroute(graph, { id: to, fromid: from, amount_msat: AMOUNT, riskfactor: 10 });
      pairs.push([from, to]);
    } catch (e) {
      if (!(e instanceof RouteError)) throw e;
    }
  }

  const bare: number[] = [];
  const now: number[] = [];
  const nowBytes: number[] = [];
  const routesPer: number[] = [];
  for (const [from, to] of pairs) {
    let t = performance.now();
    getroute(graph, { id: to, fromid: from, amount_msat: AMOUNT, riskfactor: 10 });
    bare.push(performance.now() - t);
    t = performance.now();
    // The payer is `from` (a node of the graph); no private channel.
    const answer = structuredClone(candidateRoutes(graph, { from, to: [to], amount_msat: AMOUNT, final_cltv: 19, exclude: [], local: [] }));
    const small = paymentGraph(from, answer.channels, []);
    const path = graphForPayments(small, from).route({ destination: to, amount_msat: AMOUNT, final_cltv: 19, exclude: [] });
    now.push(performance.now() - t);
    if (!path) throw new Error('no route over the answered channels');
    nowBytes.push(JSON.stringify(answer.channels).length);
    routesPer.push(answer.routes.length);
  }
  const before: number[] = [];
  let beforeBytes = 0;
  for (const [from, to] of pairs.slice(0, BEFORE_PAIRS)) {
    const t = performance.now();
    const rows = structuredClone(listchannels(graph));
    const g = paymentGraph(from, rows, []);
    graphForPayments(g, from).route({ destination: to, amount_msat: AMOUNT, final_cltv: 19, exclude: [] });
    before.push(performance.now() - t);
    beforeBytes = JSON.stringify(rows).length;
  }
  report.note(
    `${pairs.length} random reachable pairs, ${AMOUNT} msat: one getroute on gossipd's graph median **${ms(median(bare))}** (p90 ${ms(quantile(bare, 0.9))})`,
  );
  report.note(
    `now, per payment (and after each failure): gossipd's candidate routes (median ${median(routesPer)} routes, ${Math.round(median(nowBytes) / 1024)} KiB of rows as JSON) + clone + lightningd's small graph + its getroute: median **${ms(median(now))}** (p90 ${ms(quantile(now, 0.9))})`,
  );
  report.note(
    `before, per payment: the whole listchannels (${(beforeBytes / 2 ** 20).toFixed(1)} MiB as JSON) + clone + a Graph of it + getroute, ${before.length} pairs: median **${ms(median(before))}**; before / now **${(median(before) / median(now)).toFixed(0)}x**`,
  );
}
