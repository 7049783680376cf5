// Payments and HTLC round trips with our node in Chromium (issues 13 and 14): a node of ours in a
// page (bench/web-tab.ts: daemons in Workers, IndexedDB with strict durability) with a channel to a
// Node node on `boltworker regtest`, through our WebSocket-to-TCP bridge; beside two of our Node nodes
// (bench/pay.node.bench.ts's pair) and two LDK nodes (bench/pay-ldk.ts's) in the same run, the baselines:
//   - the median time of one payment over one hop (xpay of a fresh invoice until it answers) and
//     payments per second with ATONCE at once;
//   - HTLC round trips (bench/htlc-round-trip.ts: add, the dance, failed back, the dance again), one
//     after another and ATONCE at once.
// The tab's times are taken in the page (the bench only hands it invoices over playwright). Rounds
// rotate who goes first; the ratios (time per operation, against LDK-LDK and Node-Node) are per round.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { EVENT_PREFIX, type BenchEvent, type Reporter } from './harness.ts';
import { startNode } from '../src/node/node.ts';
import { startRegtest } from '../src/regtest/server-node.ts';
import { startBridge } from '../src/transports/bridge-server.ts';
import { fundsWhen, postJson } from '../test/support/regtest-client.ts';
import { htlcRoundTrips } from './htlc-round-trip.ts';
import { ldkPair } from './pay-ldk.ts';
import { ourPair } from './pay.node.bench.ts';
import { compare, comparisonNotes, payTrial, repeatTrial, type Trial } from './rounds.ts';
import type { BenchTab } from './web-tab.ts';
import { chromiumLauncher, viteServer } from './wire.node.bench.ts';

export const title =
  'Payments and HTLC round trips, durable: our node in Chromium paying a Node node, beside two Node nodes and two LDK nodes';
export const runtimes = ['node' as const];

const FUNDING_SAT = 1_000_000;
const AMOUNT_MSAT = 5_000_000;
const ATONCE = 10;
/** The LDK pair pays both sets (payments, then round trips: each a payment), 5,000 sat each: a bigger channel. */
const LDK_FUNDING_SAT = 5_000_000;

type PeerChannel = { channel_id: string; status: string[]; peer_connected: boolean };
const normal = (c: PeerChannel | undefined) => /^CHANNELD_NORMAL:channeld normal/.test(c?.status[0] ?? '');

/** The page's benchTab, called through playwright. */
function tabOf(page: Page) {
  return <K extends keyof BenchTab>(k: K, ...args: Parameters<BenchTab[K]>): Promise<Awaited<ReturnType<BenchTab[K]>>> =>
    page.evaluate(
      ([k, args]) => (globalThis as unknown as { benchTab: Record<string, (...a: unknown[]) => unknown> }).benchTab[k]!(...args) as never,
      [k, args] as const,
    ) as Promise<Awaited<ReturnType<BenchTab[K]>>>;
}

export async function run(report: Reporter): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-web-pay-bench-'));
  const rounds = report.quick ? 2 : 5;
  const perRound = report.quick ? 4 : 10;
  const t0 = performance.now();
  // The Node node the tab pays, on a chain of its own, behind a bridge.
  const h = await startRegtest({ port: 0, premine: 101 });
  const control = (path: string, body: unknown) => postJson(`${h.url}${path}`, body);
  const c = await startNode({
    network: 'regtest',
    lightningDir: join(dir, 'c'),
    esplora: h.url,
    verifyWorkers: 1,
    bindAddr: ['127.0.0.1:0'],
    chainPollMs: 100,
  });
  const port = c.binding[0]!.port;
  const bridge = await startBridge({ listen: '127.0.0.1:0', allowLoopback: true, allowedPorts: [port] });
  const ours = await ourPair(join(dir, 'pair'));
  const pair = await ldkPair(join(dir, 'ldk'), BigInt(LDK_FUNDING_SAT));
  const { server, port: vitePort } = await viteServer();
  // A profile on disk (not playwright's default in-memory context): the tab's IndexedDB is on disk,
  // so its strict-durability transactions wait for the disk as a real browser's do.
  const { chromium, options } = await chromiumLauncher();
  const context = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), options);
  const page = await context.newPage();
  const tab = tabOf(page);
  try {
    const ready = new Promise<void>((resolve, reject) => {
      page.on('console', msg => {
        const text = msg.text();
        if (!text.startsWith(EVENT_PREFIX)) return;
        const e = JSON.parse(text.slice(EVENT_PREFIX.length)) as BenchEvent;
        if (e.type === 'done') resolve();
        if (e.type === 'error') reject(new Error(`the tab: ${e.message}`));
      });
      page.on('pageerror', err => report.note(`[chromium] page error: ${err.message}`));
    });
    await page.goto(`http://127.0.0.1:${vitePort}/bench/index.html?file=bench/web-tab.ts`);
    await ready;
    await tab('start', { esplora: h.url, bridge: `${bridge.url}/{host}:{port}` });
    const { bech32 } = (await tab('call', 'newaddr', { addresstype: 'bech32' })) as { bech32: string };
    await control('/regtest/send', { address: bech32, amount_sat: 2 * FUNDING_SAT });
    await control('/regtest/mine', { blocks: 1 });
    await fundsWhen(
      () => tab('call', 'listfunds', {}) as Promise<{ outputs: { status: string }[] }>,
      f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed',
      'the tab: the coin confirmed',
    );
    await tab('call', 'connect', { id: `${c.id}@127.0.0.1:${port}` });
    const r = (await tab('call', 'fundchannel', { id: c.id, amount: FUNDING_SAT, feerate: '1000perkw', announce: false })) as {
      channel_id: string;
      mindepth: number;
    };
    await control('/regtest/mine', { blocks: r.mindepth });
    await fundsWhen(
      async () => ((await tab('call', 'listpeerchannels', {})) as { channels: PeerChannel[] }).channels,
      l => normal(l[0]),
      'the tab: channeld normal',
    );
    await fundsWhen(
      async () => ((await c.call('listpeerchannels', {})) as { channels: PeerChannel[] }).channels,
      l => normal(l.find(x => x.channel_id === r.channel_id)),
      'the Node node: channeld normal',
    );
    await fundsWhen(
      async () => ((await tab('call', 'getinfo', {})) as { blockheight: number }).blockheight,
      height => height === h.chain.height,
      'the tab at the tip',
    );
    report.note(
      `set up (two regtest chains; 2 Node nodes and a channel; Chromium, the tab's node funded, a channel to a Node node over the bridge) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    let label = 0;
    const invoices = async (n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++)
        out.push(
          ((await c.call('invoice', { amount_msat: AMOUNT_MSAT, label: `web-${++label}`, description: 'bench' })) as { bolt11: string })
            .bolt11,
        );
      return out;
    };
    const ldk: Trial = {
      ...payTrial(
        () => pair.invoice(BigInt(AMOUNT_MSAT)),
        b => pair.pay(b),
      ),
      around: on => pair.run(on),
      cpuHere: true,
    };
    const payments: Record<string, Trial> = {
      ldk,
      node: { ...payTrial(ours.invoice, ours.pay), cpuHere: true },
      tab: {
        timed: {
          each: async n => tab('payEach', await invoices(n)),
          all: async n => tab('payAll', await invoices(n)),
        },
      },
    };
    const rt = htlcRoundTrips(ours.a.lightningd, ours.height, BigInt(AMOUNT_MSAT));
    const roundTrips: Record<string, Trial> = {
      ldk,
      node: repeatTrial(rt.once),
      tab: { timed: { each: n => tab('roundTripsEach', n, h.chain.height), all: n => tab('roundTripsAll', n, h.chain.height) } },
    };
    const labels = { ldk: 'LDK → LDK', node: 'Node → Node', tab: 'Chromium → Node' };
    try {
      const p = await compare(payments, { rounds, perRound, atOnce: ATONCE });
      for (const n of comparisonNotes(p, ['ldk', 'node'], 'payment', labels)) report.note(`payments: ${n}`);
      const q = await compare(roundTrips, { rounds, perRound, atOnce: ATONCE });
      for (const n of comparisonNotes(q, ['ldk', 'node'], 'round trip', labels)) report.note(`HTLC round trips: ${n}`);
    } finally {
      rt.stop();
    }
    report.note(
      `${(AMOUNT_MSAT / 1000).toLocaleString('en-US')} sat each over ${FUNDING_SAT.toLocaleString('en-US')} sat channels; Node → Node: two Node nodes (lightningd's store fsynced); Chromium → Node: the tab's node (IndexedDB, strict durability) through the bridge to a Node node; LDK → LDK: bench/pay-ldk.ts's pair (ChannelMonitors fsynced) over a ${LDK_FUNDING_SAT.toLocaleString('en-US')} sat channel, send_payment until PaymentSent, for both (its round trip is a payment); payments: xpay until it answers; round trips: channeld's addHtlc until lightningd's write of the removal is durable (the peer fails the HTLC as malformed); CPU is this process's only (not Chromium's)`,
    );
  } finally {
    await tab('stop').catch(() => undefined);
    await page.close();
    await context.close();
    await server.close();
    await pair.stop();
    await ours.stop();
    await bridge.close();
    await c.stop();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
