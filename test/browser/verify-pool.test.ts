// gossipd's signature-check pool on real module Workers in Chromium, and the engines' agreement
// there: the same 2,000 valid and deliberately broken items through @noble/secp256k1, @noble/curves
// and libsecp256k1 (our src/wasm/secp256k1 build and tiny-secp256k1's secp256k1.wasm, fetched and
// driven by our glue, with and without the key cache).
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { curvesEngine, highSTwin, instantiateLibsecp256k1, nobleEngine, type VerifyEngine } from '../../src/core/crypto/verify-engines.ts';
import { VerifyPoolError } from '../../src/core/gossip/verify-pool.ts';
import { createWebVerifyPool, defaultVerifyWorkers, libsecp256k1Module } from '../../src/web/verify-pool.ts';
import { TINY_WASM_URL } from './fixtures/tiny-wasm.ts';
import { checkKeyCache, checkPoolWithHints } from '../support/key-cache-checks.ts';
import { expectedVerdicts, firstMismatch, mixedItems, type LabelledItem } from '../support/verify-items.ts';

let items: LabelledItem[];
let want: Uint8Array;
before(() => {
  items = mixedItems(2000);
  want = expectedVerdicts(items);
});

function verdicts(engine: VerifyEngine, list: readonly LabelledItem[]): Uint8Array {
  return Uint8Array.from(list, it => (engine.verify(it.sig, it.digest, it.pub) ? 1 : 0));
}

describe('verify engines agree (Chromium)', () => {
  it('noble, curves and libsecp256k1 (both WASM builds) give identical verdicts on 2,000 items', async () => {
    const ours = await libsecp256k1Module();
    const theirs = await libsecp256k1Module(TINY_WASM_URL);
    ok(ours, 'src/wasm/secp256k1/verify.wasm is served and compiles');
    ok(theirs, "tiny-secp256k1's secp256k1.wasm is served and compiles");
    const rand = () => crypto.getRandomValues(new Int32Array(1))[0]!;
    const wasm = await instantiateLibsecp256k1(ours, rand);
    const wasmTiny = await instantiateLibsecp256k1(theirs, rand);
    for (const engine of [nobleEngine, curvesEngine, wasm, wasmTiny]) {
      equal(firstMismatch(items, verdicts(engine, items)), undefined, engine.name);
    }
    const v = items.find(i => i.valid)!;
    for (const e of [wasm, wasmTiny]) {
      equal(e.verify(highSTwin(v.sig), v.digest, v.pub), false, 'high-S refused');
      equal(e.verify(highSTwin(v.sig), v.digest, v.pub, true), false, 'high-S refused, cached key');
    }
  });

  for (const build of ['ours', 'tiny'] as const) {
    it(`the key cache (65-byte keys) never changes a verdict: ${build} build`, async () => {
      const module = await libsecp256k1Module(build === 'ours' ? undefined : TINY_WASM_URL);
      await checkKeyCache(keyCache => instantiateLibsecp256k1(module, () => 1, { keyCache }), items.slice(0, 400));
    });
  }
});

describe('verify pool on module Workers', () => {
  it('sizes itself to the cores, capped at 4', () => {
    const n = defaultVerifyWorkers();
    ok(n >= 1 && n <= 4, String(n));
  });

  it('uses libsecp256k1 by default and returns the 2,000 verdicts in order across workers', async () => {
    const workers: Worker[] = [];
    const pool = createWebVerifyPool({ size: 2, maxChunk: 97, onSpawn: w => workers.push(w) });
    try {
      equal(await pool.engine(), 'libsecp256k1');
      const [all, part] = await Promise.all([pool.verifyBatch(items), pool.verifyBatch(items.slice(333, 777))]);
      equal(firstMismatch(items, all), undefined);
      deepEqual(part, want.slice(333, 777));
      equal(workers.length, 2);
    } finally {
      await pool.close();
    }
  });

  it("tiny-secp256k1's build, a 2-entry key cache and one chunk in flight give the same verdicts", async () => {
    const pool = createWebVerifyPool({ size: 2, maxChunk: 61, wasmUrl: TINY_WASM_URL, keyCache: 2, depth: 1 });
    try {
      await checkPoolWithHints(pool, items);
    } finally {
      await pool.close();
    }
  });

  for (const engine of ['noble', 'curves'] as const) {
    it(`runs the ${engine} engine when asked`, async () => {
      const pool = createWebVerifyPool({ size: 2, engine });
      try {
        equal(await pool.engine(), engine);
        deepEqual(await pool.verifyBatch(items.slice(0, 360)), want.slice(0, 360));
      } finally {
        await pool.close();
      }
    });
  }

  it('falls back to @noble/secp256k1 when the wasm will not compile', async () => {
    const pool = createWebVerifyPool({ size: 1, wasmUrl: new URL('/package.json', location.origin) });
    try {
      equal(await pool.engine(), 'noble');
      deepEqual(await pool.verifyBatch(items.slice(0, 90)), want.slice(0, 90));
    } finally {
      await pool.close();
    }
  });

  it('a worker that crashes mid-batch is replaced and its chunk retried', async () => {
    const workers: Worker[] = [];
    const pool = createWebVerifyPool({ size: 2, onSpawn: w => workers.push(w) });
    try {
      await pool.engine();
      // The crash is queued ahead of the chunk, so the chunk is in flight on a worker that has died.
      workers[0]!.postMessage({ t: 'crash' });
      const p = pool.verifyBatch(items);
      equal(firstMismatch(items, await p), undefined);
      equal(pool.spawned, 3);
    } finally {
      await pool.close();
    }
  });

  it('a batch whose retry dies too is rejected with worker_died, and the pool recovers', async () => {
    const workers: Worker[] = [];
    const pool = createWebVerifyPool({
      size: 1,
      onSpawn(w) {
        workers.push(w);
        // The replacement crashes before it reads the retried chunk.
        if (workers.length === 2) w.postMessage({ t: 'crash' });
      },
    });
    try {
      await pool.engine();
      workers[0]!.postMessage({ t: 'crash' });
      await rejects(pool.verifyBatch(items.slice(0, 500)), VerifyPoolError, 'worker_died');
      deepEqual(await pool.verifyBatch(items.slice(0, 50)), want.slice(0, 50));
      equal(workers.length, 3);
    } finally {
      await pool.close();
    }
  });

  it('close() rejects what is pending and refuses new batches', async () => {
    const pool = createWebVerifyPool({ size: 2 });
    const p = pool.verifyBatch(items);
    const closed = rejects(p, VerifyPoolError, 'closed');
    await pool.close();
    await closed;
    await rejects(pool.verifyBatch(items.slice(0, 3)), VerifyPoolError, 'closed');
  });
});
