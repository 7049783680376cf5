// The edge node's cold start at mainnet size, under miniflare (workerd), from Durable Object
// storage (src/edge/gossip-store-do.ts): what an evicted node pays before it can route. Node only
// (it drives workerd); `npm run bench gossip` runs it in the same run as gossip.bench.ts, whose
// Chromium side measures the browser's cold start from IndexedDB (its row 2b).
//   1. fill: the signed fixture (bench/out/wire-signed-gossip.bin: the 2026 mainnet topology,
//      signed for today's clock so nothing is stale) sent to a Durable Object in windows of 1,000
//      channels, each window one writeBatch, as a sync would write it (bench/cold/edge.ts);
//   2. each cold start in a new workerd process on the same storage (an evicted object, nothing
//      compiled): (a) bench/cold/measure.ts inside the object: DoGossipStore -> gossipd.load() ->
//      getroute, timed by workerd's clock; (b) the node Worker itself (src/edge/worker.ts): workerd
//      up, then the first request is a getroute over POST /rpc, timed from Node: hsmd, lightningd's
//      database, gossipd's load and the route, all in that one request; (c) interleaved with them,
//      the same records in a FileGossipStore loaded by a new Node process (bench/cold/node.ts, as
//      gossip.bench.ts's 2b): a reference measured under the same load, since the machine's load
//      moves the absolute figures several-fold between the runtimes' turns of one run.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import type { Reporter } from './harness.ts';
import { toHex } from '../src/core/base/bytes.ts';
import { loadSignedGossip } from './fixtures/signed-gossip-cache.ts';
import { routable } from './gossip.bench.ts';
import { wireNow } from './wire.node.bench.ts';
import type { ColdStartRequest, ColdStartResult } from './cold/measure.ts';
import { recordOf } from './cold/records.ts';
import { FileGossipStore } from '../src/node/gossip-store-file.ts';
import { bundleWorker, startWorker } from '../test/node/miniflare.ts';

export const title = 'edge node cold start at mainnet size: Durable Object SQLite storage under miniflare (workerd)';
export const runtimes = ['node'];

const WINDOW = 1000;
const ROUNDS = 3;
const AMOUNT_MSAT = '1000000';

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const k = (n: number) => n.toLocaleString('en-US');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]) => `${s(Math.min(...xs))}–${s(Math.max(...xs))}`;

/** Messages framed for /fill: u32 length, then the message. */
function frames(msgs: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(msgs.reduce((n, m) => n + 4 + m.length, 0));
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const m of msgs) {
    dv.setUint32(at, m.length);
    out.set(m, at + 4);
    at += 4 + m.length;
  }
  return out;
}

/** bench/cold/measure.ts over the file store in a new Node process. */
function nodeColdStart(file: string, r: ColdStartRequest): Promise<ColdStartResult> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', 'bench/cold/node.ts', file, JSON.stringify(r)], (err, stdout) =>
      err ? reject(err) : resolve(JSON.parse(stdout) as ColdStartResult),
    ),
  );
}

async function post(mf: Miniflare, path: string, body: string | Uint8Array<ArrayBuffer>): Promise<unknown> {
  const res = await mf.dispatchFetch(`http://localhost${path}`, { method: 'POST', body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

export async function run(report: Reporter): Promise<void> {
  const fx = await loadSignedGossip({ now: wireNow(), file: 'wire-signed-gossip.bin', log: l => process.stderr.write(`  ${l}\n`) });
  const msgs = fx.gossip.messages;
  const { sources, sinks } = routable(msgs);
  const persist = mkdtempSync(join(tmpdir(), 'bw-edge-bench-'));
  const [fillScript, nodeScript] = await Promise.all([bundleWorker('bench/cold/edge.ts'), bundleWorker('src/edge/worker.ts')]);
  const objects = { NODE: 'BoltworkerNode' };
  let mf: Miniflare | undefined;
  try {
    // ---- 1. fill
    mf = startWorker({ script: fillScript, durableObjects: objects, persist });
    await mf.ready;
    const starts: number[] = [];
    for (let i = 0, seen = 0; i < msgs.length; i++)
      if (msgs[i]![0] === 0x01 && msgs[i]![1] === 0x00 && seen++ % WINDOW === 0) starts.push(i);
    starts.push(msgs.length);
    const t0 = performance.now();
    for (let w = 0; w + 1 < starts.length; w++) await post(mf, '/fill', frames(msgs.slice(starts[w], starts[w + 1])));
    const fillMs = performance.now() - t0;
    const file = join(persist, 'gossip_store');
    const fileStore = await FileGossipStore.open(file);
    await fileStore.load(() => undefined);
    for (let w = 0; w + 1 < starts.length; w++) await fileStore.writeBatch(msgs.slice(starts[w], starts[w + 1]).map(recordOf));
    await fileStore.close();
    const st = (await post(mf, '/stats', '')) as { live: number; bytes: number; fragments: number };
    report.note(
      `1. store: ${k(msgs.length)} messages (${fx.topology.source}, ${k(fx.gossip.channel_announcements)} channels) written in ${starts.length - 1} batches in ${s(fillMs)}: ${k(st.live)} live records, ${st.fragments} rows, SQLite database ${(st.bytes / 2 ** 20).toFixed(1)} MiB`,
    );
    // A reachable pair, found on the warm object (gossip.bench.ts picks its pairs the same way).
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let pair: { from: string; to: string } | undefined;
    for (let tries = 0; !pair && tries < 50; tries++) {
      const from = sources[Math.floor(rnd() * sources.length)]!;
      const to = sinks[Math.floor(rnd() * sinks.length)]!;
      const req = { chainHash: toHex(fx.chainHash), now: fx.now, from, to, amount_msat: AMOUNT_MSAT };
      const res = await mf.dispatchFetch('http://localhost/cold', { method: 'POST', body: JSON.stringify(req) });
      if (res.status === 200) pair = { from, to };
      await res.text();
    }
    if (!pair) throw new Error('no route in 50 tries');
    await mf.dispose();
    mf = undefined;

    // ---- 2. cold starts, (a), (b) and (c) in turn each round, so they share the machine's load
    const req: ColdStartRequest = { chainHash: toHex(fx.chainHash), now: fx.now, ...pair, amount_msat: AMOUNT_MSAT };
    const inside: ColdStartResult[] = [];
    const insideTotal: number[] = [];
    const up: number[] = [];
    const first: number[] = [];
    const ref: number[] = [];
    const ratioA: number[] = [];
    const ratioB: number[] = [];
    let known = 0;
    for (let r = 0; r < ROUNDS; r++) {
      // (a) the store and gossipd alone
      mf = startWorker({ script: fillScript, durableObjects: objects, persist });
      await mf.ready;
      let t = performance.now();
      inside.push((await post(mf, '/cold', JSON.stringify(req))) as ColdStartResult);
      insideTotal.push(performance.now() - t);
      await mf.dispose();
      mf = undefined;
      // (b) the node Worker: the whole node rebuilt by its first request, a getroute
      t = performance.now();
      mf = startWorker({ script: nodeScript, durableObjects: objects, persist, bindings: { NETWORK: 'regtest' } });
      await mf.ready;
      const t1 = performance.now();
      const getroute = {
        jsonrpc: '2.0',
        id: 1,
        method: 'getroute',
        params: { id: pair.to, fromid: pair.from, amount_msat: AMOUNT_MSAT, riskfactor: 10 },
      };
      const answer = (await post(mf, '/rpc', JSON.stringify(getroute))) as { result?: { route: unknown[] }; error?: unknown };
      if (!answer.result) throw new Error(`getroute: ${JSON.stringify(answer.error)}`);
      first.push(performance.now() - t1);
      up.push(t1 - t);
      const info = (await post(mf, '/rpc', JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'getinfo' }))) as {
        result: { gossip: { channels_known: number } };
      };
      known = info.result.gossip.channels_known;
      await mf.dispose();
      mf = undefined;
      // (c) the same records from the file store, in a new Node process
      const c = await nodeColdStart(file, req);
      ref.push(c.openMs + c.loadMs + c.routeMs);
      ratioA.push(insideTotal[r]! / ref[r]!);
      ratioB.push(first[r]! / ref[r]!);
    }
    const last = inside[inside.length - 1]!;
    const x = (xs: number[]) => `${median(xs).toFixed(2)}x`;
    report.note(
      `2a. cold start in a new workerd, the store and gossipd alone (bench/cold/measure.ts in the object): first request to route **${s(median(insideTotal))}** median of ${ROUNDS} (${spread(insideTotal)}); ` +
        `by workerd's clock: gossipd.load() ${s(median(inside.map(v => v.loadMs)))} (${k(last.records)} records, ${k(last.channels)} channels; opening the store is lazy, inside the load) + getroute ${s(median(inside.map(v => v.routeMs)))} (${last.hops} hops)`,
    );
    report.note(
      `2b. cold start of the node Worker (src/edge/worker.ts) in a new workerd: workerd up ${s(median(up))}, then its first request, a getroute over POST /rpc, answered in **${s(median(first))}** (${spread(first)}), ${k(known)} channels loaded from storage, none from a peer`,
    );
    report.note(
      `2c. reference, interleaved with 2a and 2b: the same records in a FileGossipStore, a new Node process, store → first route ${s(median(ref))} (${spread(ref)}); ` +
        `edge ÷ Node, median of the rounds' ratios: 2a **${x(ratioA)}**, 2b **${x(ratioB)}** (gossip.bench.ts 2b gives Chromium's IndexedDB cold start beside Node's in the same run)`,
    );
    report.note('the machine is shared with other jobs: the absolute figures are noisy (several-fold between quiet and loaded moments)');
  } finally {
    await mf?.dispose();
    rmSync(persist, { recursive: true, force: true });
  }
}
