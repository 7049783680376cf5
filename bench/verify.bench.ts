// ECDSA verification for gossipd, engine by engine: @noble/secp256k1 3.2.0 (our default and fallback),
// @noble/curves 2.4.0 and libsecp256k1 as WASM through src/core/crypto/verify-engines.ts, in two builds:
// tiny-secp256k1 2.2.4's secp256k1.wasm (the engine until now) and ours (src/wasm/secp256k1), each
// with and without the key cache; then through the verify pool (src/node or src/web verify-pool.ts)
// as it was (tiny's build, no cache, one chunk per worker) and as it is now, with 1 worker and with
// the default count; then what 322,000 checks (a full mainnet gossip ingest) would take at each rate.
// The items mix keys as mainnet gossip does: about 2 checks in 3 by a node_id that signs again and
// again, 1 in 3 by a bitcoin key that signs once.
import { TINY_WASM_URL } from '../test/browser/fixtures/tiny-wasm.ts';
import type { Reporter, Row } from './harness.ts';
import { concat, u32be } from '../src/core/base/bytes.ts';
import { getPublicKey, sha256, signDigest } from '../src/core/crypto/primitives.ts';
import {
  curvesEngine,
  instantiateLibsecp256k1,
  nobleEngine,
  type EngineName,
  type VerifyEngine,
} from '../src/core/crypto/verify-engines.ts';
import { keyReused, type VerifyItem, type VerifyPool } from '../src/core/gossip/verify-pool.ts';

export const title = 'ECDSA verify (BOLT 7 gossip signatures): engines, one thread and the worker pool';

const MAINNET_CHECKS = 322_000;
/** Items per single-thread round and per pool batch (gossipd sends up to 500 messages, ~1,000 checks). */
const ITEMS = 768;
const POOL_BATCH = 1024;

type Build = 'verify' | 'tiny';

interface PoolOpts {
  size: number;
  engine: EngineName;
  build: Build;
  keyCache?: number;
  depth?: number;
}

interface Runtime {
  createPool(opts: PoolOpts): VerifyPool;
  defaultWorkers(): number;
  wasmModule(build: Build): Promise<unknown>;
  /** Extra single-thread engines only this runtime can load (tiny-secp256k1's own JS entry in Node). */
  extraEngines(): Promise<{ id: string; label: string; engine: VerifyEngine }[]>;
}

async function nodeRuntime(): Promise<Runtime> {
  const m = await import('../src/node/verify-pool.ts');
  return {
    createPool: o =>
      m.createNodeVerifyPool({
        size: o.size,
        engine: o.engine,
        wasm: o.build,
        ...(o.keyCache !== undefined ? { keyCache: o.keyCache } : {}),
        ...(o.depth !== undefined ? { depth: o.depth } : {}),
      }),
    defaultWorkers: m.defaultVerifyWorkers,
    wasmModule: build => m.libsecp256k1Module(build),
    async extraEngines() {
      const tiny = await import('tiny-secp256k1');
      const engine: VerifyEngine = {
        name: 'libsecp256k1',
        verify(sig, digest, pub) {
          try {
            return tiny.verify(digest, pub, sig, true);
          } catch {
            return false;
          }
        },
      };
      return [{ id: 'tiny-js', label: "1 thread: tiny-secp256k1's own JS entry (strict)", engine }];
    },
  };
}

/** What bench needs of src/web/verify-pool.ts (typed here: that file needs DOM types, this project has none). */
interface WebPoolModule {
  createWebVerifyPool(opts: { size: number; engine: EngineName; wasmUrl: URL; keyCache?: number; depth?: number }): VerifyPool;
  defaultVerifyWorkers(): number;
  libsecp256k1Module(url: URL): Promise<unknown>;
  DEFAULT_WASM_URL: URL;
}

async function webRuntime(): Promise<Runtime> {
  // A computed specifier, so the Node type check does not pull in the DOM-typed file; the browser
  // resolves it against this module's URL.
  const path = '../src/web/verify-pool.ts';
  const m = (await import(/* @vite-ignore */ path)) as WebPoolModule;
  const url = (b: Build) => (b === 'tiny' ? TINY_WASM_URL : m.DEFAULT_WASM_URL);
  return {
    createPool: o =>
      m.createWebVerifyPool({
        size: o.size,
        engine: o.engine,
        wasmUrl: url(o.build),
        ...(o.keyCache !== undefined ? { keyCache: o.keyCache } : {}),
        ...(o.depth !== undefined ? { depth: o.depth } : {}),
      }),
    defaultWorkers: m.defaultVerifyWorkers,
    wasmModule: b => m.libsecp256k1Module(url(b)),
    extraEngines: async () => [],
  };
}

/** `n` signed items: 2 in 3 by one of 48 node keys (field node_signature_1), 1 in 3 by a fresh bitcoin key. */
function signedItems(n: number): VerifyItem[] {
  const tag = new TextEncoder().encode('verify bench');
  const out: VerifyItem[] = [];
  for (let i = 0; i < n; i++) {
    const bitcoin = i % 3 === 2;
    const sk = sha256(concat(tag, u32be(bitcoin ? 1000 + i : i % 48), new Uint8Array([1])));
    const digest = sha256(concat(tag, u32be(i)));
    out.push({ sig: signDigest(digest, sk), digest, pub: getPublicKey(sk), field: bitcoin ? 'bitcoin_signature_1' : 'node_signature_1' });
  }
  return out;
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

function ingestTime(rate: number): string {
  const s = MAINNET_CHECKS / rate;
  return s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`;
}

function ratioNote(row: Row | undefined, base: string): string {
  const r = row?.ratios?.[base];
  return r === undefined ? '' : ` (time ${r.toFixed(2)}x the current engine's: ${(1 / r).toFixed(2)}x as fast)`;
}

export async function run(report: Reporter): Promise<void> {
  const rt = report.runtime === 'node' ? await nodeRuntime() : await webRuntime();
  const items = signedItems(ITEMS);
  const reused = items.map(keyReused);
  const rand = () => (Math.random() * 2 ** 32) | 0;
  const modules = { verify: await rt.wasmModule('verify'), tiny: await rt.wasmModule('tiny') };
  if (!modules.verify || !modules.tiny) throw new Error('a secp256k1.wasm could not be loaded in this runtime');
  const wasm = (b: Build, keyCache?: number) => instantiateLibsecp256k1(modules[b], rand, keyCache === undefined ? {} : { keyCache });

  // One thread, interleaved so all engines share the machine's load. 'tiny' is the current engine.
  const BASE = 'tiny';
  const engines: { id: string; label: string; engine: VerifyEngine }[] = [
    { id: BASE, label: "1 thread: libsecp256k1, tiny-secp256k1 2.2.4's .wasm, no key cache (current)", engine: await wasm('tiny', 0) },
    { id: 'tiny-cache', label: "1 thread: libsecp256k1, tiny-secp256k1's .wasm + key cache", engine: await wasm('tiny') },
    { id: 'ours', label: '1 thread: libsecp256k1, our .wasm (10x26 field), no key cache', engine: await wasm('verify', 0) },
    { id: 'ours-cache', label: '1 thread: libsecp256k1, our .wasm + key cache (new default)', engine: await wasm('verify') },
    { id: 'noble', label: '1 thread: @noble/secp256k1 3.2.0', engine: nobleEngine },
    { id: 'curves', label: '1 thread: @noble/curves 2.4.0', engine: curvesEngine },
    ...(await rt.extraEngines()),
  ];
  for (const e of engines) {
    items.forEach((it, i) => {
      if (!e.engine.verify(it.sig, it.digest, it.pub, reused[i])) throw new Error(`${e.id} refused a valid signature`);
    });
  }
  const single = await report.measureGroup(
    engines.map(e => {
      let i = 0;
      return {
        id: e.id,
        label: e.label,
        fn: () => {
          const k = i++ % items.length;
          const it = items[k]!;
          return e.engine.verify(it.sig, it.digest, it.pub, reused[k]);
        },
        opts: { unit: 'verify', ...(e.id !== BASE ? { baselines: [BASE] } : {}) },
      };
    }),
  );
  const rates = new Map<string, number>(single.map(r => [r.id, r.opsPerSec]));

  // Through the pool: verifyBatch(POOL_BATCH items) per call, packed and transferred as in gossipd,
  // the pool as it was (tiny's build, no cache, one chunk per worker) against the pool as it is.
  const poolItems = Array.from({ length: POOL_BATCH }, (_, i) => items[i % items.length]!);
  const workers = rt.defaultWorkers();
  const sizes = [...new Set([1, workers])];
  const pools = sizes.flatMap(size => [
    {
      id: `pool${size}-current`,
      label: `pool of ${size}: tiny's .wasm, no key cache, 1 chunk per worker (current)`,
      size,
      pool: rt.createPool({ size, engine: 'libsecp256k1', build: 'tiny', keyCache: 0, depth: 1 }),
    },
    {
      id: `pool${size}-new`,
      label: `pool of ${size}: our .wasm + key cache, 2 chunks per worker (new default)`,
      size,
      pool: rt.createPool({ size, engine: 'libsecp256k1', build: 'verify' }),
    },
  ]);
  let poolRows: Row[] = [];
  try {
    for (const { pool } of pools) {
      if ((await pool.engine()) !== 'libsecp256k1') throw new Error('a pool did not load libsecp256k1');
      if ((await pool.verifyBatch(poolItems)).some(v => v !== 1)) throw new Error('a pool refused a valid signature');
    }
    poolRows = await report.measureGroup(
      pools.map(p => ({
        id: p.id,
        label: `${p.label}: verifyBatch(${POOL_BATCH})`,
        fn: () => p.pool.verifyBatch(poolItems),
        opts: { unit: 'batch', ...(p.id.endsWith('-new') ? { baselines: [`pool${p.size}-current`] } : {}) },
      })),
    );
  } finally {
    await Promise.all(pools.map(({ pool }) => pool.close()));
  }

  report.note(
    `"ours/raw": time per check (one thread) or per batch (pools) relative to the current engine or pool, measured interleaved (0.50x = twice as fast). Items: 2 in 3 by reused node keys, 1 in 3 by single-use bitcoin keys.`,
  );
  for (const e of engines) {
    const r = rates.get(e.id)!;
    report.note(
      `${e.id}, 1 thread: ${fmt(r)} checks/s; ${fmt(MAINNET_CHECKS)} checks in ${ingestTime(r)}${ratioNote(
        single.find(x => x.id === e.id),
        BASE,
      )}`,
    );
  }
  for (const [i, row] of poolRows.entries()) {
    const r = row.opsPerSec * POOL_BATCH;
    report.note(
      `${row.id}: ${fmt(r)} checks/s; ${fmt(MAINNET_CHECKS)} checks in ${ingestTime(r)}${ratioNote(row, `pool${pools[i]!.size}-current`)}`,
    );
  }
  report.note(`default pool size here: ${workers} (cores capped at 4); the machine is shared, so absolute rates vary between runs.`);
}
