// What every runtime's verify pool shares (src/core/gossip/worker-pool.ts): the wasm compiled once
// per key, its failure as null, and the init each new worker is sent, with and without a module.
import { deepEqual, equal } from '../support/assert.ts';
import type { ToVerifyWorker } from '../../src/core/gossip/verify-pool.ts';
import { compiledOnce, workerVerifyPool, type WorkerPoolOptions } from '../../src/core/gossip/worker-pool.ts';

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A pool whose workers only record what they are sent; `wasm` counts its calls. */
async function inits(opts: WorkerPoolOptions, module: unknown): Promise<{ posted: ToVerifyWorker[][]; wasmCalls: number }> {
  const posted: ToVerifyWorker[][] = [];
  let wasmCalls = 0;
  const pool = workerVerifyPool(
    opts,
    3,
    async () => {
      wasmCalls++;
      return module;
    },
    (_events, index) => {
      posted[index] = [];
      return { post: msg => void posted[index]!.push(msg), terminate() {} };
    },
  );
  await settle();
  await pool.close();
  return { posted, wasmCalls };
}

describe('worker-pool: what every runtime verify pool shares', () => {
  it('compiles once per key; a failure reads as null and is not retried', async () => {
    const calls: string[] = [];
    const compile = compiledOnce(async (k: string) => {
      calls.push(k);
      if (k === 'bad') throw new Error('no such wasm');
      return { k };
    });
    const [a, b] = [await compile('a'), await compile('a')];
    equal(a, b, 'the same module for the same key');
    deepEqual(await compile('bad'), null);
    deepEqual(await compile('bad'), null);
    deepEqual(calls, ['a', 'bad']);
  });

  it("sends each worker the engine and the module ('auto'), with the key cache asked for", async () => {
    const module = { compiled: true };
    const { posted, wasmCalls } = await inits({ keyCache: 5 }, module);
    equal(posted.length, 3, 'the default size');
    equal(wasmCalls, 1, 'the module is made once for every worker');
    for (const p of posted) deepEqual(p, [{ t: 'init', engine: 'auto', wasm: module, keyCache: 5 }]);
  });

  it('names the engine alone when there is no module, and never asks for one for noble', async () => {
    const none = await inits({ size: 2 }, null);
    deepEqual(none.posted, [[{ t: 'init', engine: 'auto' }], [{ t: 'init', engine: 'auto' }]]);
    const noble = await inits({ size: 1, engine: 'noble' }, { compiled: true });
    equal(noble.wasmCalls, 0);
    deepEqual(noble.posted, [[{ t: 'init', engine: 'noble' }]]);
  });
});
