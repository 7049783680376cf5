// Cold start as a restarted node sees it: in a fresh realm (a new module Worker in Chromium, a new
// process in Node), with nothing compiled or cached yet, open the store, gossipd.load() and one
// getroute. Shared by bench/cold/worker.ts and bench/cold/node.ts; bench/gossip.bench.ts starts them.
import { Gossipd } from '../../src/core/daemons/gossipd/gossipd.ts';
import type { GossipStore } from '../../src/core/gossip/store.ts';
import type { SigVerifier } from '../../src/core/gossip/verify-pool.ts';

export interface ColdStartRequest {
  chainHash: string;
  now: number;
  from: string;
  to: string;
  amount_msat: string;
}

export interface ColdStartResult {
  openMs: number;
  loadMs: number;
  routeMs: number;
  records: number;
  channels: number;
  hops: number;
}

const noVerifier: SigVerifier = {
  verifyBatch: () => Promise.reject(new Error('a cold start checks no signature')),
  close: async () => undefined,
};

export async function measureColdStart(
  open: () => Promise<GossipStore>,
  r: ColdStartRequest,
  chainHash: Uint8Array,
): Promise<ColdStartResult> {
  const clock = {
    now: () => performance.now(),
    setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  const t0 = performance.now();
  const store = await open();
  const t1 = performance.now();
  const g = new Gossipd({
    chainHash,
    store,
    verifier: noVerifier,
    peers: { send() {}, warn() {} },
    clock,
    log: { debug() {}, info() {}, warn() {} },
    now: () => r.now,
    config: { maintenanceIntervalMs: 0 },
  });
  const loaded = await g.load();
  const t2 = performance.now();
  const route = (await g.rpc('getroute', { id: r.to, fromid: r.from, amount_msat: r.amount_msat, riskfactor: 10 })) as { route: unknown[] };
  const t3 = performance.now();
  await g.close();
  await store.close();
  return {
    openMs: t1 - t0,
    loadMs: t2 - t1,
    routeMs: t3 - t2,
    records: loaded.records,
    channels: loaded.channels,
    hops: route.route.length,
  };
}
