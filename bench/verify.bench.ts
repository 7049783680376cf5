// ECDSA verification for gossipd, engine by engine: @noble/secp256k1 3.2.0 (our default and fallback),
// @noble/curves 2.4.0 and libsecp256k1 as WASM (tiny-secp256k1 2.2.4's secp256k1.wasm through
// src/core/crypto-verify.ts), in one thread and through the verify pool (src/node or src/web
// verify-pool.ts) with 1 worker and with the default count; then what 322,000 checks (a full mainnet
// gossip ingest) would take at each rate.
import type { Reporter, Row } from './harness.ts';
import { concat, u32be } from '../src/core/bytes.ts';
import { getPublicKey, sha256, signDigest } from '../src/core/crypto.ts';
import { curvesEngine, instantiateLibsecp256k1, nobleEngine, type EngineName, type VerifyEngine } from '../src/core/crypto-verify.ts';
import type { VerifyItem, VerifyPool } from '../src/core/gossip/verify-pool.ts';

export const title = 'ECDSA verify (BOLT 7 gossip signatures): engines, one thread and the worker pool';

const MAINNET_CHECKS = 322_000;
const BATCH = 256;

interface Runtime {
  createPool(opts: { size: number; engine: EngineName }): VerifyPool;
  defaultWorkers(): number;
  wasmModule(): Promise<unknown>;
  /** Extra single-thread engines only this runtime can load (tiny-secp256k1's own JS entry in Node). */
  extraEngines(): Promise<{ id: string; label: string; engine: VerifyEngine }[]>;
}

async function nodeRuntime(): Promise<Runtime> {
  const m = await import('../src/node/verify-pool.ts');
  return {
    createPool: (o) => m.createNodeVerifyPool(o),
    defaultWorkers: m.defaultVerifyWorkers,
    wasmModule: m.libsecp256k1Module,
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
  createWebVerifyPool(opts: { size: number; engine: EngineName }): VerifyPool;
  defaultVerifyWorkers(): number;
  libsecp256k1Module(): Promise<unknown>;
}

async function webRuntime(): Promise<Runtime> {
  // A computed specifier, so the Node type check does not pull in the DOM-typed file; the browser
  // resolves it against this module's URL.
  const path = '../src/web/verify-pool.ts';
  const m = (await import(/* @vite-ignore */ path)) as WebPoolModule;
  return {
    createPool: (o) => m.createWebVerifyPool(o),
    defaultWorkers: m.defaultVerifyWorkers,
    wasmModule: () => m.libsecp256k1Module(),
    extraEngines: async () => [],
  };
}

function signedItems(n: number): VerifyItem[] {
  const tag = new TextEncoder().encode('verify bench');
  const out: VerifyItem[] = [];
  for (let i = 0; i < n; i++) {
    const sk = sha256(concat(tag, u32be(i % 64), new Uint8Array([1])));
    const digest = sha256(concat(tag, u32be(i)));
    out.push({ sig: signDigest(digest, sk), digest, pub: getPublicKey(sk) });
  }
  return out;
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

function ingestTime(rate: number): string {
  const s = MAINNET_CHECKS / rate;
  return s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`;
}

export async function run(report: Reporter): Promise<void> {
  const rt = report.runtime === 'node' ? await nodeRuntime() : await webRuntime();
  const items = signedItems(BATCH);
  const module = await rt.wasmModule();
  if (!module) throw new Error('secp256k1.wasm could not be loaded in this runtime');
  const wasm = await instantiateLibsecp256k1(module, () => (Math.random() * 2 ** 32) | 0);

  // One thread, interleaved so all engines share the machine's load.
  const engines: { id: string; label: string; engine: VerifyEngine }[] = [
    { id: 'noble', label: '1 thread: @noble/secp256k1 3.2.0', engine: nobleEngine },
    { id: 'curves', label: '1 thread: @noble/curves 2.4.0', engine: curvesEngine },
    { id: 'libsecp256k1', label: '1 thread: libsecp256k1 WASM (tiny-secp256k1 2.2.4 .wasm, our glue)', engine: wasm },
    ...(await rt.extraEngines()),
  ];
  for (const e of engines) {
    for (const it of items) if (!e.engine.verify(it.sig, it.digest, it.pub)) throw new Error(`${e.id} refused a valid signature`);
  }
  const single = await report.measureGroup(
    engines.map((e) => {
      let i = 0;
      return {
        id: e.id,
        label: e.label,
        fn: () => {
          const it = items[i++ % items.length]!;
          return e.engine.verify(it.sig, it.digest, it.pub);
        },
        opts: { unit: 'verify', ...(e.id !== 'noble' ? { baselines: ['noble'] } : {}) },
      };
    }),
  );
  const rates = new Map<string, number>(single.map((r) => [r.id, r.opsPerSec]));

  // Through the pool: verifyBatch(256 items) per call, packed and transferred as in gossipd, measured
  // interleaved with the same 256 checks done in this thread, per engine.
  const workers = rt.defaultWorkers();
  const sizes = [...new Set([1, workers])];
  const poolRows: { engine: EngineName; size: number; row: Row }[] = [];
  for (const e of engines.filter((x) => x.id === x.engine.name)) {
    const engine = e.engine.name;
    const pools = sizes.map((size) => ({ size, pool: rt.createPool({ size, engine }) }));
    try {
      for (const { pool } of pools) {
        const got = await pool.engine();
        if (got !== engine) throw new Error(`pool asked for ${engine} runs ${got}`);
        const first = await pool.verifyBatch(items);
        if (first.some((v) => v !== 1)) throw new Error(`pool (${engine}) refused a valid signature`);
      }
      const inlineId = `batch-${engine}-inline`;
      const rows = await report.measureGroup([
        {
          id: inlineId,
          label: `${engine}: ${BATCH} checks in this thread`,
          fn: () => {
            for (const it of items) e.engine.verify(it.sig, it.digest, it.pub);
          },
          opts: { unit: 'batch' },
        },
        ...pools.map(({ size, pool }) => ({
          id: `batch-${engine}-pool${size}`,
          label: `${engine}: verifyBatch(${BATCH}) on a pool of ${size}`,
          fn: () => pool.verifyBatch(items),
          opts: { unit: 'batch', baselines: [inlineId] },
        })),
      ]);
      for (const [i, { size }] of pools.entries()) poolRows.push({ engine, size, row: rows[i + 1]! });
    } finally {
      await Promise.all(pools.map(({ pool }) => pool.close()));
    }
  }

  report.note(`"ours/raw": one thread, time per check relative to @noble/secp256k1; pools, time per batch relative to the same ${BATCH} checks in one thread, measured interleaved (0.50x = twice as fast).`);
  for (const e of engines) {
    const r = rates.get(e.id)!;
    report.note(`${e.id}, 1 thread: ${fmt(r)} checks/s; ${fmt(MAINNET_CHECKS)} checks in ${ingestTime(r)}`);
  }
  for (const { engine, size, row } of poolRows) {
    const r = row.opsPerSec * BATCH;
    const eff = r / (size * (rates.get(engine) ?? r));
    report.note(`${engine}, pool of ${size}: ${fmt(r)} checks/s (${(eff * 100).toFixed(0)}% of ${size} x the one-thread rate above); ${fmt(MAINNET_CHECKS)} checks in ${ingestTime(r)}`);
  }
  report.note(`default pool size here: ${workers} (cores capped at 4); the machine is shared, so absolute rates vary between runs.`);
}
