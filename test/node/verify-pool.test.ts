// gossipd's signature-check pool on real worker_threads, and the engines' agreement: the same 2,000
// valid and deliberately broken items through @noble/secp256k1, @noble/curves, libsecp256k1 (our
// src/wasm/secp256k1 build and tiny-secp256k1's, both through our glue, with and without the key
// cache) and tiny-secp256k1's own JS entry must give one verdict.
import type { Worker } from 'node:worker_threads';
import * as tiny from 'tiny-secp256k1';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { curvesEngine, highSTwin, instantiateLibsecp256k1, nobleEngine, type VerifyEngine } from '../../src/core/crypto/verify-engines.ts';
import { VerifyPoolError } from '../../src/core/gossip/verify-pool.ts';
import { createNodeVerifyPool, defaultVerifyWorkers, libsecp256k1Module } from '../../src/node/verify-pool.ts';
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

describe('verify engines agree (Node)', () => {
  it('noble, curves, libsecp256k1 (both WASM builds) and tiny-secp256k1 give identical verdicts on 2,000 items', async () => {
    const ours = await libsecp256k1Module('verify');
    const theirs = await libsecp256k1Module('tiny');
    ok(ours, 'src/wasm/secp256k1/verify.wasm compiles in Node');
    ok(theirs, "tiny-secp256k1's secp256k1.wasm compiles in Node");
    equal(await libsecp256k1Module(), ours, "'auto' is our build");
    const wasm = await instantiateLibsecp256k1(ours, () => 12345);
    const wasmTiny = await instantiateLibsecp256k1(theirs, () => 12345);
    // tiny-secp256k1's JS API, strict (no normalising): throws on a bad key or r/s >= n.
    const tinyStrict: VerifyEngine = {
      name: 'libsecp256k1',
      verify(sig, digest, pub) {
        try {
          return tiny.verify(digest, pub, sig, true);
        } catch {
          return false;
        }
      },
    };
    const results = [nobleEngine, curvesEngine, wasm, wasmTiny, tinyStrict].map(e => verdicts(e, items));
    for (const [i, got] of results.entries()) equal(firstMismatch(items, got), undefined, `engine ${i}`);
    equal(
      want.reduce((a, b) => a + b, 0),
      items.filter(i => i.valid).length,
    );
  });

  it('tiny-secp256k1 normalises high-S unless strict: we must (and do) call it strict', async () => {
    const v = items.find(i => i.valid)!;
    const twin = highSTwin(v.sig);
    equal(tiny.verify(v.digest, v.pub, twin), true, 'non-strict accepts the twin');
    equal(tiny.verify(v.digest, v.pub, twin, true), false);
    for (const build of ['verify', 'tiny'] as const) {
      const wasm = await instantiateLibsecp256k1(await libsecp256k1Module(build), () => 1);
      for (const reused of [false, true, true]) {
        equal(wasm.verify(twin, v.digest, v.pub, reused), false, build);
        equal(wasm.verify(v.sig, v.digest, v.pub, reused), true, build);
      }
    }
  });

  for (const build of ['verify', 'tiny'] as const) {
    it(`the key cache (65-byte keys) never changes a verdict: ${build} build`, async () => {
      const module = await libsecp256k1Module(build);
      await checkKeyCache(keyCache => instantiateLibsecp256k1(module, () => 1, { keyCache }), items.slice(0, 400));
    });
  }
});

describe('verify pool on worker_threads', () => {
  it('sizes itself to the cores, capped at 4', () => {
    const n = defaultVerifyWorkers();
    ok(n >= 1 && n <= 4, String(n));
  });

  it('uses libsecp256k1 by default and returns the 2,000 verdicts in order across workers', async () => {
    const workers: Worker[] = [];
    const pool = createNodeVerifyPool({ size: 2, maxChunk: 97, onSpawn: w => workers.push(w) });
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
    const pool = createNodeVerifyPool({ size: 2, maxChunk: 61, wasm: 'tiny', keyCache: 2, depth: 1 });
    try {
      await checkPoolWithHints(pool, items);
    } finally {
      await pool.close();
    }
  });

  for (const engine of ['noble', 'curves'] as const) {
    it(`runs the ${engine} engine when asked`, async () => {
      const pool = createNodeVerifyPool({ size: 2, engine });
      try {
        equal(await pool.engine(), engine);
        const some = items.slice(0, 360);
        deepEqual(await pool.verifyBatch(some), want.slice(0, 360));
      } finally {
        await pool.close();
      }
    });
  }

  it('a worker killed mid-batch is replaced and the batch still completes', async () => {
    const workers: Worker[] = [];
    const pool = createNodeVerifyPool({ size: 2, onSpawn: w => workers.push(w) });
    try {
      await pool.engine();
      const p = pool.verifyBatch(items);
      await workers[0]!.terminate();
      equal(firstMismatch(items, await p), undefined);
      equal(pool.spawned, 3);
    } finally {
      await pool.close();
    }
  });

  it('a worker that crashes (uncaught exception) is replaced too', async () => {
    const workers: Worker[] = [];
    const pool = createNodeVerifyPool({ size: 1, onSpawn: w => workers.push(w) });
    try {
      await pool.engine();
      const exited = new Promise(r => workers[0]!.once('exit', r));
      workers[0]!.postMessage({ t: 'crash' });
      await exited;
      deepEqual(await pool.verifyBatch(items.slice(0, 200)), want.slice(0, 200));
      equal(pool.spawned, 2);
    } finally {
      await pool.close();
    }
  });

  it('a batch whose retry dies too is rejected with worker_died, and the pool recovers', async () => {
    const workers: Worker[] = [];
    const pool = createNodeVerifyPool({
      size: 1,
      onSpawn(w) {
        workers.push(w);
        // The replacement dies at once, before it can answer the retried chunk.
        if (workers.length === 2) void w.terminate();
      },
    });
    try {
      await pool.engine();
      const p = pool.verifyBatch(items.slice(0, 500));
      const failed = rejects(p, VerifyPoolError, 'worker_died');
      await workers[0]!.terminate();
      await failed;
      deepEqual(await pool.verifyBatch(items.slice(0, 50)), want.slice(0, 50));
      equal(workers.length, 3);
    } finally {
      await pool.close();
    }
  });

  it('close() rejects what is pending, refuses new batches and ends every worker', async () => {
    const workers: Worker[] = [];
    const pool = createNodeVerifyPool({ size: 2, onSpawn: w => workers.push(w) });
    const exits = workers.map(w => new Promise(r => w.once('exit', r)));
    const p = pool.verifyBatch(items);
    const closed = rejects(p, VerifyPoolError, 'closed');
    await pool.close();
    await closed;
    await Promise.all(exits);
    ok(
      workers.every(w => w.threadId === -1),
      'all threads ended',
    );
    await rejects(pool.verifyBatch(items.slice(0, 3)), VerifyPoolError, 'closed');
  });
});
