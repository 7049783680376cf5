// A Worker for test/node/gossip-store-do.test.ts, run under miniflare (workerd): the GossipStore
// contract (test/core/gossip-store-contract.ts) and the Durable Object store's own tests run here,
// inside a SQLite-backed Durable Object, each test in an object of its own (fresh storage,
// test/edge/do-test-harness.ts).
import { DoGossipStore, DO_SCHEMA, type DoStorage } from '../../src/edge/gossip-store-do.ts';
import { GossipStoreError, channelUpdateKey, shouldCompact, type GossipRecord, type GossipStore } from '../../src/core/gossip/store.ts';
import { gossipStoreContract, loadAll, nodeId, rec, syntheticRecord } from '../core/gossip-store-contract.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { onEachTest, storage, testWorker } from './do-test-harness.ts';

let freshCalls = 0;
onEachTest(() => {
  freshCalls = 0;
});

gossipStoreContract('DoGossipStore', {
  fresh: async () => {
    if (freshCalls++) throw new Error('one fresh() per test: each test has one object');
    return new DoGossipStore(storage());
  },
  reopen: async s => {
    await s.close();
    return new DoGossipStore(storage());
  },
});

const tag = (r: GossipRecord): string => new TextDecoder().decode(r.raw.subarray(2)).split('#')[0]!;
const rowCount = (): number => storage().sql.exec<{ c: number }>('SELECT count(*) AS c FROM gossip_log').one().c;

describe('DoGossipStore', () => {
  it('cuts a batch larger than a row into several rows, written as one, and loads it whole', async () => {
    const s = new DoGossipStore(storage(), { rowBytes: 300 });
    await loadAll(s);
    const big = Array.from({ length: 40 }, (_, i) => rec(258, channelUpdateKey(BigInt(i), 0), `u${i}`));
    await s.writeBatch(big);
    ok(rowCount() > 3, `${rowCount()} rows`);
    await s.writeBatch([rec(256, 1n, 'c')], [{ type: 258, key: channelUpdateKey(3n, 0) }]);
    const again = new DoGossipStore(storage(), { rowBytes: 300 });
    const got = await loadAll(again);
    equal(got.length, 40);
    ok(!got.some(r => r.key === channelUpdateKey(3n, 0)));
    deepEqual((await again.read([{ type: 258, key: channelUpdateKey(39n, 0) }]))[0], big[39]!.raw);
  });

  it('leaves nothing of a batch whose transaction fails part way (the object dying mid-write), and takes the next one', async () => {
    const real = storage();
    let inserts = 0;
    let failAt = -1;
    // The real storage, except that the Nth INSERT of a transaction throws (after earlier rows went in).
    const flaky: DoStorage = {
      sql: {
        exec: (q: string, ...b: unknown[]) => {
          if (q.startsWith('INSERT INTO gossip_log') && inserts++ === failAt) throw new Error('the object was reset');
          return real.sql.exec(q, ...b);
        },
        get databaseSize() {
          return real.sql.databaseSize;
        },
      } as SqlStorage,
      transactionSync: f => real.transactionSync(f),
      sync: () => real.sync(),
    };
    const s = new DoGossipStore(flaky, { rowBytes: 200 });
    await loadAll(s);
    await s.writeBatch([rec(256, 1n, 'before')]);
    const rowsBefore = rowCount();
    inserts = 0;
    failAt = 3;
    const batch = Array.from({ length: 20 }, (_, i) => rec(256, BigInt(100 + i), `lost${i}`));
    await rejects(s.writeBatch(batch, [{ type: 256, key: 1n }]), GossipStoreError, 'io');
    equal(rowCount(), rowsBefore, 'no row of the failed batch');
    failAt = -1;
    await s.writeBatch([rec(256, 2n, 'after')]);
    deepEqual((await loadAll(s)).map(tag), ['before', 'after']);
    deepEqual((await loadAll(new DoGossipStore(real))).map(tag), ['before', 'after']);
  });

  it('refuses a damaged row with GossipStoreError(corrupt) before handing out a record, and clear() starts it again', async () => {
    const s = new DoGossipStore(storage());
    await loadAll(s);
    await s.writeBatch([rec(256, 1n, 'a'), rec(256, 2n, 'b')]);
    await s.writeBatch([rec(256, 3n, 'c')]);
    // The last row loses its last byte: the log no longer reads to its end.
    storage().sql.exec('UPDATE gossip_log SET bytes = substr(bytes, 1, length(bytes) - 1) WHERE n = 1');
    const t = new DoGossipStore(storage());
    let handed = 0;
    await rejects(
      t.load(() => handed++),
      GossipStoreError,
      'corrupt',
    );
    equal(handed, 0);
    await t.clear();
    equal((await loadAll(t)).length, 0);
    await t.writeBatch([rec(256, 5n, 'new')]);
    deepEqual(
      (await loadAll(new DoGossipStore(storage()))).map(r => r.key),
      [5n],
    );
  });

  it('drops a log of another schema version and starts empty, keeping meta values', async () => {
    const s = new DoGossipStore(storage());
    await loadAll(s);
    await s.writeBatch([rec(256, 1n, 'old')]);
    await s.setMeta('k', 'v');
    storage().sql.exec("UPDATE gossip_meta SET value = ? WHERE key = 'schema'", JSON.stringify({ ...DO_SCHEMA, version: 0 }));
    const t = new DoGossipStore(storage());
    equal((await loadAll(t)).length, 0);
    equal(await t.getMeta('k'), 'v');
    await t.writeBatch([rec(256, 2n, 'new')]);
    equal((await loadAll(new DoGossipStore(storage()))).length, 1);
  });

  it('packs a trickle of small batches into one row when shouldCompact says so', async () => {
    const s = new DoGossipStore(storage());
    await loadAll(s);
    for (let i = 0; i < 80; i++) await s.writeBatch([rec(258, BigInt(i), `u${i}`)]);
    const before = (await loadAll(s)).map(r => `${r.type}:${r.key}`);
    const st = await s.stats();
    equal(st.dead, 0);
    equal(st.fragments, 80);
    ok(st.bytes > 0);
    ok(shouldCompact(st, 10_000, 70));
    await s.compact();
    equal((await s.stats()).fragments, 1);
    equal(rowCount(), 1);
    deepEqual(
      (await loadAll(new DoGossipStore(storage()))).map(r => `${r.type}:${r.key}`),
      before,
    );
  });

  it('loads 170,000 records intact (one SELECT of the log)', async () => {
    const s: GossipStore = new DoGossipStore(storage());
    await loadAll(s);
    const N = 170_000;
    for (let b = 0; b < N; b += 10_000) {
      const batch: GossipRecord[] = [];
      for (let i = b; i < b + 10_000; i++) batch.push(syntheticRecord(i));
      await s.writeBatch(batch);
    }
    const want = new Map([0, 1, 2, 77_777, N - 1].map(i => [i, syntheticRecord(i)]));
    const seen = new Map<number, GossipRecord>();
    let count = 0;
    let bytes = 0;
    const r = new DoGossipStore(storage());
    const res = await r.load(x => {
      count++;
      bytes += x.raw.length;
      const i = new DataView(x.raw.buffer, x.raw.byteOffset).getUint32(2);
      if (want.has(i)) seen.set(i, x);
    });
    equal(count, N);
    equal(res.live, N);
    ok(bytes > 35e6);
    for (const [i, w] of want) deepEqual(seen.get(i), w, `record ${i}`);
    ok(rowCount() <= 60, `${rowCount()} rows`);
    equal((await r.read([{ type: 257, key: nodeId(N - 1) }]))[0]?.length, syntheticRecord(N - 1).raw.length);
  });
});

export { StoreObject } from './do-test-harness.ts';
export default testWorker;
