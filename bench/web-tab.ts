// The Chromium half of bench/web-pay.node.bench.ts: loaded by bench/index.html?file=bench/web-tab.ts,
// it puts `benchTab` on the page for the bench (through playwright) to drive a node of ours in this
// page (src/web/node.ts: daemons in Workers, IndexedDB with strict durability) on `boltworker
// regtest`, through a WebSocket-to-TCP bridge to a Node node. Times are taken here, in the page.
import type { Lightningd } from '../src/core/daemons/lightningd/lightningd.ts';
import type { Reporter } from './harness.ts';
import { htlcRoundTrips } from './htlc-round-trip.ts';

export const title = 'the tab side of the web-pay bench (run through bench/web-pay.node.bench.ts)';
export const runtimes = ['chromium'];

interface WebNode {
  id: string;
  lightningd: Lightningd;
  call(m: string, p?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}
interface WebNodeModule {
  startNode(o: {
    network: string;
    dataName: string;
    esplora: string;
    bridge: string;
    verifyWorkers?: number;
    log?: string;
  }): Promise<WebNode>;
}

let node: WebNode | undefined;
let tip = 0;
let rt: ReturnType<typeof htlcRoundTrips> | undefined;
const the = () => {
  if (!node) throw new Error('benchTab.start first');
  return node;
};

/** Milliseconds of each operation, one after another. */
async function each(ops: (() => Promise<unknown>)[]): Promise<number[]> {
  const out: number[] = [];
  for (const op of ops) {
    const t = performance.now();
    await op();
    out.push(performance.now() - t);
  }
  return out;
}

/** Milliseconds from starting every operation at once to the last one's end. */
async function all(ops: (() => Promise<unknown>)[]): Promise<number> {
  const t = performance.now();
  await Promise.all(ops.map(op => op()));
  return performance.now() - t;
}

const tab = {
  async start(o: { esplora: string; bridge: string }): Promise<string> {
    const web = (await import(/* @vite-ignore */ '../src/web/node.ts' as string)) as WebNodeModule;
    node = await web.startNode({
      network: 'regtest',
      dataName: `web-pay-bench-${Date.now()}`,
      esplora: o.esplora,
      bridge: o.bridge,
      verifyWorkers: 1,
      log: 'warn',
    });
    return node.id;
  },
  /** One RPC call; amounts as numbers (what crosses to the bench is JSON). */
  async call(method: string, params: unknown): Promise<unknown> {
    const r = await the().call(method, params);
    return JSON.parse(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
  },
  payEach: (bolt11s: string[]) => each(bolt11s.map(b => () => the().call('xpay', { invstring: b }))),
  payAll: (bolt11s: string[]) => all(bolt11s.map(b => () => the().call('xpay', { invstring: b }))),
  /** HTLC round trips (bench/htlc-round-trip.ts) at chain height `height`. */
  roundTripsEach(n: number, height: number): Promise<number[]> {
    tip = height;
    rt ??= htlcRoundTrips(the().lightningd, () => tip);
    return each(Array.from({ length: n }, () => rt!.once));
  },
  roundTripsAll(n: number, height: number): Promise<number> {
    tip = height;
    rt ??= htlcRoundTrips(the().lightningd, () => tip);
    return all(Array.from({ length: n }, () => rt!.once));
  },
  async stop(): Promise<void> {
    rt?.stop();
    await node?.stop();
  },
};
export type BenchTab = typeof tab;

export async function run(_report: Reporter): Promise<void> {
  (globalThis as { benchTab?: BenchTab }).benchTab = tab;
}
