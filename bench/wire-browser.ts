// The Chromium half of the wire bench (bench/wire.node.bench.ts drives it): loaded by
// bench/index.html?file=bench/wire-browser.ts&peer=JSON. A node of ours in this page
// (src/web/node.ts: daemons in Workers, IndexedDB) connects over a direct WebSocket to the bench's
// peer process, timed from `connect` until the last message is applied and stored; then the bare
// signature checks of the same messages on a verify pool like the node's (same engine, same worker
// count). Results go back as bench notes (console lines).
import type { Reporter } from './harness.ts';
import type { VerifyPool } from '../src/core/gossip/verify-pool.ts';
import { unpackSignedGossip } from './fixtures/signed-gossip.ts';
import { signatureItems } from './gossip.bench.ts';
import { bareChecks, describe, prefixMessages, s, wireRun, type PeerInfo, type WireRun } from './wire-shared.ts';

export const title = 'gossip over the wire: a peer process → a node in Chromium (Workers, IndexedDB), WebSocket';
export const runtimes = ['chromium'];

declare const location: { search: string };
interface WebNodeModule {
  startNode(o: {
    network: string;
    dataName: string;
    verifyWorkers?: number;
    log?: string;
  }): Promise<{ id: string; call(m: string, p?: unknown): Promise<unknown>; stop(): Promise<void> }>;
}
interface WebPoolModule {
  createWebVerifyPool(o: { size: number; engine: 'libsecp256k1' }): VerifyPool;
  defaultVerifyWorkers(): number;
}

export async function run(report: Reporter): Promise<void> {
  const q = new URLSearchParams(location.search);
  const peer = JSON.parse(q.get('peer') ?? 'null') as (PeerInfo & { adversarial: boolean; channels?: number }) | null;
  if (!peer) throw new Error('no peer: run through bench/wire.node.bench.ts');
  const [web, pools] = (await Promise.all(['../src/web/node.ts', '../src/web/verify-pool.ts'].map(p => import(/* @vite-ignore */ p)))) as [
    WebNodeModule,
    WebPoolModule,
  ];
  const workers = pools.defaultVerifyWorkers();
  // The bare checks of the same (good) messages on a pool like the node's, before and after the run.
  const res = await fetch(`/bench/out/${q.get('set') ?? 'wire-signed-gossip.bin'}`);
  const { gossip } = unpackSignedGossip(new Uint8Array(await res.arrayBuffer()));
  const items = signatureItems(prefixMessages(gossip.messages, peer.channels));
  const bareOnce = async (): Promise<number> => {
    const pool = pools.createWebVerifyPool({ size: workers, engine: 'libsecp256k1' });
    try {
      await pool.verifyBatch(items.slice(0, 256));
      return await bareChecks(pool, items);
    } finally {
      await pool.close();
    }
  };
  const bare1 = await bareOnce();
  const node = await web.startNode({ network: 'regtest', dataName: `wire-bench-${Date.now()}`, verifyWorkers: workers, log: 'warn' });
  let r: WireRun;
  try {
    r = await wireRun(node, peer, `ws:127.0.0.1:${peer.ws}`);
    // bench/wire-profile.ts stops its profilers while the node's Workers still run.
    if (q.get('profile'))
      await new Promise(
        resolve => (((globalThis as { wireProfileResume?: unknown }).wireProfileResume = resolve), console.log('wire-profile: stop')),
      );
  } finally {
    await node.stop();
  }
  const bare2 = await bareOnce();
  const bare = (bare1 + bare2) / 2;
  report.note(
    `[chromium] ${peer.adversarial ? 'adversarial' : 'clean'}: connect → last message applied and stored **${s(r.ms)}**${r.complete ? '' : ' (stalled: gave up)'}; bare checks of the good set's signatures ${s(bare)} (before ${s(bare1)}, after ${s(bare2)}; ${workers} Workers, libsecp256k1 WASM); wire / bare = **${(r.ms / bare).toFixed(2)}x**; ${describe(r, peer)}`,
  );
}
