// gossipd at mainnet size, with the signed fixture (bench/fixtures/signed-gossip.ts: the real
// 2026-02-03 topology, synthetic keys, regtest, ~170k messages, cached in bench/out/signed-gossip.bin;
// the Chromium page fetches that file from the bench page's dev server, so run Node first):
//   1. full ingest through gossipd into the store (Node: FileGossipStore with fdatasync; Chromium:
//      IndexedDB, durability 'strict') vs the bare signature checks of the same messages on the same
//      verify pool (engine, worker count): the floor any ingest on that pool has;
//   2. cold start: open store -> gossipd.load() -> first getroute;
//   3. getroute over random reachable pairs: median and p99;
//   4. memory retained by the loaded gossipd (its store open) and by a bare Graph (Node: heap +
//      ArrayBuffers; Chromium: measureUserAgentSpecificMemory, the bench page being cross-origin isolated);
//   5. one query_short_channel_ids of 8,000 ids answered, its gossip read back from the store.
// Each of these is one long run, so the results are timed once and printed as notes, not through
// the harness's repeated sampling.
import type { Reporter } from './harness.ts';
import { toHex } from '../src/core/base/bytes.ts';
import { BoltError } from '../src/core/base/errors.ts';
import { Gossipd } from '../src/core/daemons/gossipd/gossipd.ts';
import { Graph } from '../src/core/gossip/graph.ts';
import { gossipDigest } from '../src/core/gossip/peek.ts';
import type { GossipStore } from '../src/core/gossip/store.ts';
import type { VerifyItem, VerifyPool } from '../src/core/gossip/verify-pool.ts';
import { decodeMessage, encodeMessage, readType, TYPE } from '../src/core/wire/messages.ts';
import { encodeShortChannelIds } from '../src/core/gossip/encoding.ts';
import { unpackSignedGossip, type SignedGossip } from './fixtures/signed-gossip.ts';
import type { ColdStartRequest, ColdStartResult } from './cold/measure.ts';
import { bareChecks } from './wire-shared.ts';

export const title = 'gossipd at mainnet size (signed fixture): ingest, cold start, getroute, heap';

/** Share of the fixture's channels (a prefix, with their updates and nodes) ingested in Chromium. */
const CHROMIUM_FRACTION = 1;
/** Channels per window: what one query_short_channel_ids brings (gossipd's scidsPerQuery). */
const WINDOW = 1000;
const ROUTES = 300;
const AMOUNT_MSAT = 1_000_000n;
const PEER = '02' + '11'.repeat(32);

interface Fixture {
  gossip: SignedGossip;
  now: number;
  chainHash: Uint8Array;
  note: string;
}

interface Env {
  fixture(): Promise<Fixture>;
  /** A store; `fresh` wipes what an earlier run left. */
  openStore(fresh: boolean): Promise<GossipStore>;
  storeLabel: string;
  createPool(size: number): VerifyPool;
  workers: number;
  fraction: number;
  /** Cold start in a fresh realm (new process / new Worker) over the store left by the ingest. */
  coldStartFresh(r: ColdStartRequest): Promise<ColdStartResult>;
  freshLabel: string;
  /** Bytes retained (Node: JS heap + ArrayBuffers; Chromium: the page and its Workers), after a full gc. */
  retained?(): Promise<number>;
  retainedLabel?: string;
  cleanup(): Promise<void>;
}

async function nodeEnv(): Promise<Env> {
  // Computed specifiers: the browser never sees these imports.
  const load = (p: string) => import(/* @vite-ignore */ p);
  const cache = (await load('./fixtures/signed-gossip-cache.ts')) as typeof import('./fixtures/signed-gossip-cache.ts');
  const fileStore = (await load('../src/node/gossip-store-file.ts')) as typeof import('../src/node/gossip-store-file.ts');
  const pool = (await load('../src/node/verify-pool.ts')) as typeof import('../src/node/verify-pool.ts');
  const fs = (await load('node:fs')) as typeof import('node:fs');
  const os = (await load('node:os')) as typeof import('node:os');
  const path = (await load('node:path')) as typeof import('node:path');
  const v8 = (await load('node:v8')) as typeof import('node:v8');
  const vm = (await load('node:vm')) as typeof import('node:vm');
  const cp = (await load('node:child_process')) as typeof import('node:child_process');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-gossip-bench-'));
  const file = path.join(dir, 'gossip_store');
  return {
    async fixture() {
      const r = await cache.loadSignedGossip({ log: s => process.stderr.write(`  ${s}\n`) });
      return {
        gossip: r.gossip,
        now: r.now,
        chainHash: r.chainHash,
        note: `fixture: ${r.topology.source}, ${r.topology.nodes.length} nodes, ${r.topology.channels.length} channels; ${r.fromCache ? 'read from' : `built in ${(r.buildMs / 1000).toFixed(1)} s (tiny-secp256k1 signing, 1 thread) and written to`} bench/out/signed-gossip.bin`,
      };
    },
    async openStore(fresh) {
      if (fresh) fs.rmSync(file, { force: true });
      return fileStore.FileGossipStore.open(file);
    },
    storeLabel: 'FileGossipStore (fdatasync per batch)',
    coldStartFresh: r =>
      new Promise((resolve, reject) => {
        cp.execFile(process.execPath, ['--import', 'tsx', 'bench/cold/node.ts', file, JSON.stringify(r)], (err, stdout) => {
          if (err) reject(err);
          else resolve(JSON.parse(stdout) as ColdStartResult);
        });
      }),
    freshLabel: 'a new Node process',
    createPool: size => pool.createNodeVerifyPool({ size, engine: 'libsecp256k1' }),
    workers: pool.defaultVerifyWorkers(),
    fraction: 1,
    async retained() {
      gc();
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    },
    retainedLabel:
      'process.memoryUsage() heapUsed + arrayBuffers deltas, after gc() twice; --expose-gc set at run time through v8.setFlagsFromString',
    async cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What this file needs of src/web (DOM-typed, not in this project's type check). */
interface WebModules {
  pool: { createWebVerifyPool(o: { size: number; engine: 'libsecp256k1' }): VerifyPool; defaultVerifyWorkers(): number };
  idb: { openIdbGossipStore(o: { name: string }): Promise<GossipStore> };
}
declare const indexedDB: { deleteDatabase(name: string): { onsuccess: unknown; onerror: unknown; onblocked: unknown } };
interface BenchWorker {
  onmessage: ((e: { data: { result?: ColdStartResult; error?: string } }) => void) | null;
  onerror: ((e: { message: string }) => void) | null;
  postMessage(m: unknown): void;
  terminate(): void;
}
declare const Worker: new (url: URL, o: { type: 'module' }) => BenchWorker;

async function webEnv(): Promise<Env> {
  const paths = ['../src/web/verify-pool.ts', '../src/web/gossip-store-idb.ts'];
  const [pool, idb] = (await Promise.all(paths.map(p => import(/* @vite-ignore */ p)))) as [WebModules['pool'], WebModules['idb']];
  const name = 'boltworker-gossip-bench';
  const wipe = () =>
    new Promise<void>((res, rej) => {
      const rq = indexedDB.deleteDatabase(name);
      rq.onsuccess = () => res();
      rq.onerror = () => rej(new Error('deleteDatabase failed'));
      rq.onblocked = () => rej(new Error('deleteDatabase blocked'));
    });
  return {
    async fixture() {
      const res = await fetch('/bench/out/signed-gossip.bin');
      if (!res.ok) throw new Error(`fetch /bench/out/signed-gossip.bin: ${res.status} (run the Node side first: it builds the file)`);
      const { header, gossip } = unpackSignedGossip(new Uint8Array(await res.arrayBuffer()));
      return {
        gossip,
        now: header.now,
        chainHash: header.chainHash,
        note: 'fixture: bench/out/signed-gossip.bin fetched from the dev server as one ArrayBuffer',
      };
    },
    async openStore(fresh) {
      if (fresh) await wipe();
      return idb.openIdbGossipStore({ name });
    },
    storeLabel: "IndexedDB (durability 'strict')",
    coldStartFresh: r =>
      new Promise((resolve, reject) => {
        const w = new Worker(new URL('./cold/worker.ts', import.meta.url), { type: 'module' });
        w.onmessage = e => {
          w.terminate();
          if (e.data.result) resolve(e.data.result);
          else reject(new Error(e.data.error ?? 'no result'));
        };
        w.onerror = e => {
          w.terminate();
          reject(new Error(e.message));
        };
        w.postMessage({ ...r, dbName: name });
      }),
    freshLabel: 'a new module Worker',
    ...(pageMemory()
      ? {
          retained: pageMemory(),
          retainedLabel:
            'performance.measureUserAgentSpecificMemory() deltas (the page and its Workers, JS heap and ArrayBuffers), after gc() twice (--js-flags=--expose-gc)',
        }
      : {}),
    createPool: size => pool.createWebVerifyPool({ size, engine: 'libsecp256k1' }),
    workers: pool.defaultVerifyWorkers(),
    fraction: CHROMIUM_FRACTION,
    cleanup: wipe,
  };
}

/** Chromium, cross-origin isolated (scripts/bench.mjs sets the headers): what the page and its Workers hold. */
function pageMemory(): (() => Promise<number>) | undefined {
  const w = globalThis as {
    gc?: () => void;
    crossOriginIsolated?: boolean;
    performance: { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> };
  };
  const measure = w.performance.measureUserAgentSpecificMemory;
  if (!w.crossOriginIsolated || !measure || !w.gc) return undefined;
  return async () => {
    w.gc!();
    w.gc!();
    return (await measure.call(w.performance)).bytes;
  };
}

function isAnnouncement(m: Uint8Array): boolean {
  return readType(m) === TYPE.channel_announcement;
}

/** The messages of the first `fraction` of channels (each channel's updates and new nodes follow it). */
function prefix(g: SignedGossip, fraction: number): Uint8Array[] {
  if (fraction >= 1) return g.messages;
  const stopAt = Math.floor(g.channel_announcements * fraction);
  let seen = 0;
  for (let i = 0; i < g.messages.length; i++) {
    const m = g.messages[i]!;
    if (isAnnouncement(m) && seen++ === stopAt) return g.messages.slice(0, i);
  }
  return g.messages;
}

/** Node ids (hex) with an enabled channel_update out of them, and those with one into them. */
export function routable(msgs: readonly Uint8Array[]): { sources: string[]; sinks: string[] } {
  const ends = new Map<bigint, [string, string]>();
  const out = new Set<string>();
  const into = new Set<string>();
  for (const raw of msgs) {
    const m = decodeMessage(raw);
    if (m.name === 'channel_announcement') ends.set(m.short_channel_id, [toHex(m.node_id_1), toHex(m.node_id_2)]);
    else if (m.name === 'channel_update' && (m.channel_flags & 2) === 0) {
      const e = ends.get(m.short_channel_id)!;
      const d = m.channel_flags & 1;
      out.add(e[d]!);
      into.add(e[1 - d]!);
    }
  }
  return { sources: [...out].sort(), sinks: [...into].sort() };
}

function pickOf(xs: readonly string[], rnd: () => number): string {
  return xs[Math.floor(rnd() * xs.length)]!;
}

/** The signature checks gossipd makes for these messages (BOLT 7: 4 per channel_announcement, 1 otherwise). */
export function signatureItems(msgs: readonly Uint8Array[]): VerifyItem[] {
  const ends = new Map<bigint, [Uint8Array, Uint8Array]>();
  const items: VerifyItem[] = [];
  for (const raw of msgs) {
    const m = decodeMessage(raw);
    const digest = gossipDigest(raw);
    if (m.name === 'channel_announcement') {
      ends.set(m.short_channel_id, [m.node_id_1, m.node_id_2]);
      items.push(
        { sig: m.node_signature_1, digest, pub: m.node_id_1 },
        { sig: m.node_signature_2, digest, pub: m.node_id_2 },
        { sig: m.bitcoin_signature_1, digest, pub: m.bitcoin_key_1 },
        { sig: m.bitcoin_signature_2, digest, pub: m.bitcoin_key_2 },
      );
    } else if (m.name === 'channel_update') {
      items.push({ sig: m.signature, digest, pub: ends.get(m.short_channel_id)![m.channel_flags & 1]! });
    } else if (m.name === 'node_announcement') {
      items.push({ sig: m.signature, digest, pub: m.node_id });
    }
  }
  return items;
}

const clock = {
  now: () => performance.now(),
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
const quiet = { debug() {}, info() {}, warn: (s: string) => console.warn(s) };

/** What a peer was sent: counted; `end` is called at reply_short_channel_ids_end. */
interface Answered {
  count: number;
  bytes: number;
  end?: () => void;
}
const ASKER = '02' + '22'.repeat(32);

function daemon(fx: Fixture, store: GossipStore, verifier: VerifyPool, answered?: Answered): Gossipd {
  const send = (_id: string, m: Uint8Array): void => {
    if (!answered) return;
    answered.count++;
    answered.bytes += m.length;
    if (readType(m) === TYPE.reply_short_channel_ids_end) answered.end?.();
  };
  return new Gossipd({ chainHash: fx.chainHash, store, verifier, peers: { send, warn() {} }, clock, log: quiet, now: () => fx.now });
}

function getroute(g: Gossipd, from: string, to: string): Promise<unknown> {
  return g.rpc('getroute', { id: to, fromid: from, amount_msat: AMOUNT_MSAT.toString(), riskfactor: 10 });
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const k = (n: number) => n.toLocaleString('en-US');

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function run(report: Reporter): Promise<void> {
  const env = report.runtime === 'node' ? await nodeEnv() : await webEnv();
  const fx = await env.fixture();
  report.note(fx.note);
  const msgs = prefix(fx.gossip, env.fraction);
  const channels = msgs.filter(isAnnouncement).length;
  // Every message is taken (an update whose htlc_maximum_msat is below its minimum too: BOLT 7
  // leaves that direction out of routes, the update still replaces the older one).
  const expected = msgs.length;
  report.note(
    `ingested here: ${k(msgs.length)} messages (${k(channels)} channels${env.fraction < 1 ? `, ${Math.round(env.fraction * 100)}% of the fixture` : ', all of it'}); ` +
      `pool: ${env.workers} libsecp256k1 (WASM) workers; store: ${env.storeLabel}`,
  );

  // ---- 1. bare signature checks vs full ingest, on one pool
  // ---- 4a. (Node) heap of a bare Graph holding all of it, measured first, before anything else is retained
  let graphHeap: string | undefined;
  if (env.retained) {
    const before = await env.retained();
    let graph: Graph | undefined = new Graph();
    for (const raw of msgs) {
      const m = decodeMessage(raw);
      if (m.name === 'channel_announcement' || m.name === 'channel_update' || m.name === 'node_announcement') graph.applyGossip(m);
    }
    const after = await env.retained();
    graphHeap = `a bare Graph (graph.ts) of the same gossip ${mb(after - before)} (${k(graph.channelCount)} channels, ${k(graph.nodeCount)} nodes)`;
    graph = undefined;
  }

  // Windows: WINDOW channels with their updates and new nodes each, as one query_short_channel_ids brings them.
  const starts = [0];
  for (let i = 0, seen = 0; i < msgs.length; i++) if (isAnnouncement(msgs[i]!) && seen++ % WINDOW === 0 && i > 0) starts.push(i);
  starts.push(msgs.length);
  const windows = starts.slice(0, -1).map((from, w) => msgs.slice(from, starts[w + 1]!));
  let items: VerifyItem[][] | undefined = windows.map(signatureItems);
  const nItems = items.reduce((n, x) => n + x.length, 0);
  // Sources and destinations that can route at all: an enabled channel_update out of / into them.
  const { sources, sinks } = routable(msgs);
  const pool = env.createPool(env.workers);
  try {
    await pool.verifyBatch(items[0]!.slice(0, 256)); // workers up, WASM compiled
    // The bare checks of one window: batches of 1000 with 4 in flight.
    const bare = (all: VerifyItem[]): Promise<number> => bareChecks(pool, all);

    const store = await env.openStore(true);
    const g = daemon(fx, store, pool);
    await g.load();
    g.newPeer(PEER, '');
    // Interleaved, window by window (the machine is shared, so both see the same load): the bare
    // checks of the window's signatures, and gossipd taking the window (gossip() each message,
    // then flush(): verified, applied and stored), alternating which goes first.
    let bareMs = 0;
    let ingestMs = 0;
    const ratios: number[] = [];
    for (const [w, win] of windows.entries()) {
      const ingest = async () => {
        const t = performance.now();
        for (const m of win) g.gossip(PEER, m);
        await g.flush();
        return performance.now() - t;
      };
      let b: number;
      let i: number;
      if (w % 2 === 0) {
        b = await bare(items[w]!);
        i = await ingest();
      } else {
        i = await ingest();
        b = await bare(items[w]!);
      }
      bareMs += b;
      ingestMs += i;
      ratios.push(i / b);
    }
    items = undefined;
    ratios.sort((x, y) => x - y);
    report.note(
      `1. full ingest through gossipd into the store: ${s(ingestMs)} (${k(Math.round((msgs.length * 1000) / ingestMs))} msg/s); bare signature checks of the same ${k(nItems)} signatures on the same pool: ${s(bareMs)} (${k(Math.round((nItems * 1000) / bareMs))}/s); ` +
        `ingest / bare = **${(ingestMs / bareMs).toFixed(2)}x** (total), median over the ${windows.length} windows ${quantile(ratios, 0.5).toFixed(2)}x (min ${ratios[0]!.toFixed(2)}x, max ${ratios[ratios.length - 1]!.toFixed(2)}x)`,
    );
    const st = g.stats;
    report.note(
      `   gossipd stats: accepted ${k(st.accepted)} of ${k(expected)} expected, stored ${k(st.stored)}, signatures checked ${k(st.signatures_checked)} in ${k(st.verify_batches)} batches, duplicates ${st.duplicates}, ignored ${st.ignored}, rejected ${st.rejected}, held at end ${st.held}`,
    );
    if (st.accepted !== expected) throw new Error(`gossipd accepted ${st.accepted} of ${expected}`);
    // Pairs for getroute, from the ingested graph.
    await g.close();
    await store.close();

    // ---- 2. cold start: store -> load -> first getroute
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const t2 = performance.now();
    const store2 = await env.openStore(false);
    const g2 = daemon(fx, store2, pool);
    const loaded = await g2.load();
    const t3 = performance.now();
    let first: number | undefined;
    let tries = 0;
    let firstFails = 0;
    let pair: [string, string] | undefined;
    while (first === undefined && tries++ < 50) {
      try {
        const from = pickOf(sources, rnd);
        const to = pickOf(sinks, rnd);
        await getroute(g2, from, to);
        first = performance.now();
        pair = [from, to];
      } catch (e) {
        if (!(e instanceof BoltError)) throw e;
        firstFails++;
      }
    }
    if (first === undefined) throw new Error('no route in 50 tries');
    report.note(
      `2. cold start: open store + gossipd.load() ${s(t3 - t2)} (${k(loaded.records)} records, ${k(loaded.channels)} channels, ${k(loaded.nodes)} nodes) + first getroute ${ms(first - t3)}${firstFails ? ` (after ${firstFails} unreachable pairs)` : ''} = ${s(first - t2)} to route-ready`,
    );

    // ---- 2b. the same in a fresh realm: nothing compiled yet (what a restarted node sees)
    await g2.close();
    await store2.close();
    const fresh = await env.coldStartFresh({
      chainHash: toHex(fx.chainHash),
      now: fx.now,
      from: pair![0],
      to: pair![1],
      amount_msat: AMOUNT_MSAT.toString(),
    });
    report.note(
      `2b. cold start in ${env.freshLabel} (nothing compiled yet): open store ${ms(fresh.openMs)} + gossipd.load() ${s(fresh.loadMs)} (${k(fresh.records)} records, ${k(fresh.channels)} channels) + first getroute ${ms(fresh.routeMs)} (${fresh.hops} hops) = **${s(fresh.openMs + fresh.loadMs + fresh.routeMs)}** to route-ready`,
    );
    const store2b = await env.openStore(false);
    const g2b = daemon(fx, store2b, pool);
    await g2b.load();

    // ---- 3. getroute over random reachable pairs
    const times: number[] = [];
    const failTimes: number[] = [];
    const hops: number[] = [];
    for (let a = 0; times.length < ROUTES && a < ROUTES * 5; a++) {
      const from = pickOf(sources, rnd);
      const to = pickOf(sinks, rnd);
      if (from === to) continue;
      const t = performance.now();
      try {
        const r = (await getroute(g2b, from, to)) as { route: unknown[] };
        times.push(performance.now() - t);
        hops.push(r.route.length);
      } catch (e) {
        if (!(e instanceof BoltError)) throw e;
        failTimes.push(performance.now() - t);
      }
    }
    times.sort((x, y) => x - y);
    failTimes.sort((x, y) => x - y);
    hops.sort((x, y) => x - y);
    report.note(
      `3. getroute (${AMOUNT_MSAT} msat, riskfactor 10) over ${times.length} random reachable pairs (source: a node with an enabled channel out, ${k(sources.length)} of them; destination: one with an enabled channel in, ${k(sinks.length)}): median ${ms(quantile(times, 0.5))}, p99 ${ms(quantile(times, 0.99))}, max ${ms(times[times.length - 1]!)}; ` +
        `median ${quantile(hops, 0.5)} hops; ${failTimes.length} unreachable pairs skipped${failTimes.length ? ` (median ${ms(quantile(failTimes, 0.5))} to say so)` : ''}`,
    );

    // ---- 4b. heap of gossipd after load()
    await g2b.close();
    await store2b.close();
    const answered: Answered = { count: 0, bytes: 0 };
    const before = env.retained ? await env.retained() : 0;
    const store3 = await env.openStore(false);
    const g3 = daemon(fx, store3, pool, answered);
    await g3.load();
    if (env.retained) {
      // The store stays open: gossipd reads its raw gossip back from it to answer peers.
      const withGossipd = (await env.retained()) - before;
      report.note(
        `4. retained memory (${env.retainedLabel}): ` +
          `all of gossipd after load() (graph, update checksums, the open store and its index; no message held) **${mb(withGossipd)}**; ${graphHeap}`,
      );
    } else {
      report.note(
        '4. memory: not measured here (needs a cross-origin isolated page with measureUserAgentSpecificMemory and gc(), as scripts/bench.mjs provides)',
      );
    }

    // ---- 5. answering from the store: one query_short_channel_ids of 8,000 ids, read back as sent
    const all = [...g3.graph.channelIds()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const asked = all.filter((_, i) => i % Math.max(1, Math.floor(all.length / 8000)) === 0).slice(0, 8000);
    g3.newPeer(ASKER, '80');
    answered.count = answered.bytes = 0;
    const t5 = performance.now();
    const done = new Promise<void>(resolve => (answered.end = resolve));
    g3.gossip(
      ASKER,
      encodeMessage({ name: 'query_short_channel_ids', chain_hash: fx.chainHash, encoded_short_ids: encodeShortChannelIds(asked) }),
    );
    await done;
    const t6 = performance.now();
    report.note(
      `5. answering one query_short_channel_ids of ${k(asked.length)} ids from the store (${env.storeLabel.split(' ')[0]}, read back as the outbox takes them): ${k(answered.count)} messages, ${mb(answered.bytes)} in ${s(t6 - t5)}`,
    );
    await g3.close();
    await store3.close();
  } finally {
    await pool.close();
    await env.cleanup();
  }
}
