// A Worker for test/node/lightningd-storage-do.test.ts, run under miniflare (workerd): the
// LightningdStorage contract (test/core/lightningd-storage-contract.ts) on the Durable Object
// storage (src/edge/lightningd-storage-do.ts), each test in an object of its own
// (test/edge/do-test-harness.ts).
import { DoLightningdStorage } from '../../src/edge/lightningd-storage-do.ts';
import { LEGACY_STATE_KEY } from '../../src/core/daemons/lightningd/db-records.ts';
import { lightningdStorageContract } from '../core/lightningd-storage-contract.ts';
import { equal, ok } from '../support/assert.ts';
import { storage, testWorker } from './do-test-harness.ts';

lightningdStorageContract('DoLightningdStorage', {
  fresh: async () => new DoLightningdStorage(storage()),
  reopen: async () => new DoLightningdStorage(storage()),
  // The whole state as one value, as node-object.ts kept it before records.
  seedLegacy: json => storage().put(LEGACY_STATE_KEY, JSON.parse(json)),
});

describe('DoLightningdStorage', () => {
  it('keeps every value under 128 KiB and every key under 2 KiB, and leaves no part behind', async () => {
    const s = new DoLightningdStorage(storage());
    await s.load();
    const huge = JSON.stringify({ onions: 'o'.repeat(600_000), wide: '€'.repeat(100_000) });
    await s.write(
      [
        ['channels:1', huge],
        [`invoices:${'€'.repeat(5000)}`, '1'],
      ],
      [],
    );
    const all = await storage().list();
    ok(all.size > 10, `${all.size} values`);
    for (const [k, v] of all) {
      ok(new TextEncoder().encode(k).length <= 2048, `key ${k.slice(0, 40)}... too long`);
      const bytes = typeof v === 'string' ? v.length * 2 : JSON.stringify(v).length * 2;
      ok(bytes < 128 * 1024, `value of ${k.slice(0, 40)}: ${bytes} bytes`);
    }
    await s.write([['channels:1', '"small"']], [`invoices:${'€'.repeat(5000)}`]);
    equal((await storage().list()).size, 1);
    equal((await new DoLightningdStorage(storage()).load()).get('channels:1'), '"small"');
  });

  it('leaves nothing of a batch whose transaction fails part way', async () => {
    const s = new DoLightningdStorage(storage());
    await s.load();
    await s.write([['a', '1']], []);
    const failing = new DoLightningdStorage({
      get: k => storage().get(k),
      list: o => storage().list(o),
      transaction: f =>
        storage().transaction(async txn =>
          f({
            put: async (k, v) => {
              if (k === 'lightningd/=b') throw new Error('the object was reset');
              return txn.put(k, v);
            },
            delete: k => txn.delete(k),
          }),
        ),
    });
    await failing.load();
    let threw = false;
    try {
      await failing.write(
        [
          ['a', '2'],
          ['b', '3'],
          ['c', '4'],
        ],
        [],
      );
    } catch {
      threw = true;
    }
    ok(threw);
    const got = await new DoLightningdStorage(storage()).load();
    equal(got.get('a'), '1');
    ok(!got.has('c') && !got.has('b'));
  });
});

export { StoreObject } from './do-test-harness.ts';
export default testWorker;
