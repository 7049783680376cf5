// lightningd's database on the edge (src/edge/lightningd-storage-do.ts) under miniflare: the
// LightningdStorage contract and the store's own tests run inside a SQLite-backed Durable Object
// (test/edge/lightningd-do-worker.ts), one object per test; each test here asks the Worker to run one.
import { after, describe, it } from 'node:test';
import { bundleWorker, startWorker } from './miniflare.ts';

const mf = startWorker({ script: await bundleWorker('test/edge/lightningd-do-worker.ts'), durableObjects: { STORE: 'StoreObject' } });
const names = (await (await mf.dispatchFetch('http://localhost/list')).json()) as string[];

describe('DoLightningdStorage in workerd (miniflare, SQLite-backed Durable Object)', { timeout: 300_000 }, () => {
  after(() => mf.dispose());
  it('registers the contract and its own tests', () => {
    if (names.filter(n => n.includes('the LightningdStorage contract')).length < 4) throw new Error(`tests: ${names.join(', ')}`);
  });
  for (const name of names) {
    it(name, async () => {
      const res = await mf.dispatchFetch(`http://localhost/run?name=${encodeURIComponent(name)}`);
      const body = (await res.json()) as { error?: string };
      if (body.error) throw new Error(body.error);
    });
  }
});
