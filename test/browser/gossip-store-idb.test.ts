// The IndexedDB GossipStore in Chromium: the shared contract, its schema and version handling, the
// typed errors, and loading a mainnet-sized store.
import {
  IDB_SCHEMA,
  openIdbGossipStore,
  openOrRecreateIdbGossipStore,
  toStoreError,
  type IdbGossipStore,
} from '../../src/web/gossip-store-idb.ts';
import { GossipStoreError, channelUpdateKey, shouldCompact, type GossipRecord } from '../../src/core/gossip/store.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { gossipStoreContract, loadAll, nodeId, rec, syntheticRecord } from '../core/gossip-store-contract.ts';

const prefix = `gossip-idb-${Date.now()}`;
let n = 0;
const names = new Map<IdbGossipStore, string>();
const freshName = (): string => `${prefix}-${n++}`;

async function open(name: string): Promise<IdbGossipStore> {
  const s = await openIdbGossipStore({ name });
  names.set(s, name);
  return s;
}

function rawOpen(name: string, version: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, version);
    req.onupgradeneeded = () => upgrade?.(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

gossipStoreContract('IdbGossipStore', {
  fresh: () => open(freshName()),
  reopen: async s => {
    await s.close();
    return open(names.get(s as IdbGossipStore)!);
  },
});

describe('IdbGossipStore', () => {
  it('keeps a schema record, one log value per batch, and loads in write order', async () => {
    const name = freshName();
    const s = await open(name);
    await s.writeBatch([rec(256, 1n, 'c'), rec(257, nodeId(1), 'n'), rec(258, channelUpdateKey(1n, 0), 'u')]);
    await s.writeBatch([rec(256, 0n, 'c0')]);
    deepEqual(
      (await loadAll(s)).map(r => `${r.type}:${r.key}`),
      ['256:1', `257:${nodeId(1)}`, '258:2', '256:0'],
    );
    await s.close();
    const db = await rawOpen(name, IDB_SCHEMA.version);
    const values = await new Promise<unknown[]>(resolve => {
      const req = db.transaction('log').objectStore('log').getAll();
      req.onsuccess = () => resolve(req.result);
    });
    equal(values.length, 2);
    ok(values.every(v => v instanceof ArrayBuffer));
    const schema = await new Promise(resolve => {
      const req = db.transaction('meta').objectStore('meta').get('schema');
      req.onsuccess = () => resolve(req.result);
    });
    deepEqual(schema, { ...IDB_SCHEMA });
    db.close();
  });

  it('stores a view of a larger buffer as just its bytes', async () => {
    const name = freshName();
    const s = await open(name);
    const big = new Uint8Array(100_000);
    big.set([1, 0, 7, 7, 7], 500);
    await s.writeBatch([{ type: 256, key: 3n, timestamp: 1, raw: big.subarray(500, 505) }]);
    const [r] = await loadAll(s);
    deepEqual(r!.raw, new Uint8Array([1, 0, 7, 7, 7]));
    await s.close();
    const db = await rawOpen(name, IDB_SCHEMA.version);
    const value = await new Promise<ArrayBuffer>(resolve => {
      const req = db.transaction('log').objectStore('log').get(0);
      req.onsuccess = () => resolve(req.result as ArrayBuffer);
    });
    ok(value.byteLength < 100, `the batch value is ${value.byteLength} bytes`);
    db.close();
  });

  it('refuses a damaged log value with GossipStoreError(corrupt) before handing out a record, and clear() starts it again', async () => {
    const name = freshName();
    let s = await open(name);
    await s.writeBatch([rec(256, 1n, 'a')]);
    await s.close();
    const db = await rawOpen(name, IDB_SCHEMA.version);
    await new Promise<void>(resolve => {
      const tx = db.transaction('log', 'readwrite');
      tx.objectStore('log').put(new Uint8Array([1, 2, 3, 4, 5, 6, 7]).buffer, 1); // a cut-short entry
      tx.oncomplete = () => resolve();
    });
    db.close();
    s = await open(name);
    await rejects(
      s.load(() => ok(false, 'no record expected')),
      GossipStoreError,
      'corrupt',
    );
    await s.clear();
    equal((await loadAll(s)).length, 0);
    await s.writeBatch([rec(256, 2n, 'b')]);
    await s.close();
    s = await open(name);
    deepEqual(
      (await loadAll(s)).map(r => r.key),
      [2n],
    );
    await s.close();
  });

  it('drops a version 1 database (one value per record) on upgrade and starts empty', async () => {
    const name = freshName();
    const old = await rawOpen(name, 1, d => {
      for (const n of ['channels', 'updates', 'nodes', 'meta']) d.createObjectStore(n);
    });
    await new Promise<void>(resolve => {
      const tx = old.transaction(['channels', 'meta'], 'readwrite');
      tx.objectStore('channels').put({ type: 256, key: 1n, timestamp: 0, raw: new Uint8Array([1, 0]) }, '0000000000000001');
      tx.objectStore('meta').put({ format: 'boltworker-gossip-store', version: 1 }, 'schema');
      tx.oncomplete = () => resolve();
    });
    old.close();
    const s = await open(name);
    equal((await loadAll(s)).length, 0);
    await s.writeBatch([rec(256, 5n, 'new')]);
    deepEqual(
      (await loadAll(s)).map(r => r.key),
      [5n],
    );
    await s.close();
  });

  it('packs a trickle of small batches into a few values when shouldCompact says so', async () => {
    const name = freshName();
    const s = await open(name);
    for (let i = 0; i < 80; i++) await s.writeBatch([rec(258, BigInt(i), `u${i}`)]);
    const before = (await loadAll(s)).map(r => `${r.type}:${r.key}`);
    const st = await s.stats();
    equal(st.dead, 0);
    equal(st.fragments, 80);
    ok(shouldCompact(st, 10_000, 70));
    ok(!shouldCompact(st, 10_000, 80));
    await s.compact();
    const after = await s.stats();
    equal(after.fragments, 1);
    ok(!shouldCompact(after, 10_000, 70));
    deepEqual(
      (await loadAll(s)).map(r => `${r.type}:${r.key}`),
      before,
    );
    await s.close();
  });

  it('compacts into a few large values and loads the same records after', async () => {
    const name = freshName();
    let s = await open(name);
    for (let i = 0; i < 40; i++)
      await s.writeBatch(
        [rec(256, BigInt(i % 8), `c${i}`), rec(258, BigInt(i), `u${i}`)],
        i % 4 === 3 ? [{ type: 258, key: BigInt(i - 1) }] : [],
      );
    const before = (await loadAll(s)).map(r => `${r.type}:${r.key}:${new TextDecoder().decode(r.raw.subarray(2))}`);
    const st = await s.stats();
    ok(st.dead > 0);
    await s.compact();
    equal((await s.stats()).dead, 0);
    equal((await s.stats()).live, st.live);
    deepEqual(
      (await loadAll(s)).map(r => `${r.type}:${r.key}:${new TextDecoder().decode(r.raw.subarray(2))}`),
      before,
    );
    await s.writeBatch([rec(256, 100n, 'after')], [{ type: 256, key: 0n }]);
    await s.close();
    s = await open(name);
    const after = (await loadAll(s)).map(r => `${r.type}:${r.key}`);
    ok(after.includes('256:100') && !after.includes('256:0'));
    equal(after.length, before.length);
    await s.close();
  });

  it('refuses a database with another schema, or at a newer version, with GossipStoreError(version)', async () => {
    const other = freshName();
    const db = await rawOpen(other, 1, d => {
      d.createObjectStore('meta');
    });
    db.close();
    await rejects(openIdbGossipStore({ name: other }), GossipStoreError, 'version');
    const newer = freshName();
    (await rawOpen(newer, 5)).close();
    await rejects(openIdbGossipStore({ name: newer }), GossipStoreError, 'version');
  });

  it('openOrRecreateIdbGossipStore replaces a database it cannot read (newer version, other schema) with an empty one', async () => {
    const newer = freshName();
    (await rawOpen(newer, 7)).close();
    const why: string[] = [];
    let s = await openOrRecreateIdbGossipStore({ name: newer }, e => why.push(e.code));
    deepEqual(why, ['version']);
    equal((await loadAll(s)).length, 0);
    await s.writeBatch([rec(256, 3n, 'c')]);
    await s.close();
    s = await openOrRecreateIdbGossipStore({ name: newer }, e => why.push(e.code));
    deepEqual(
      (await loadAll(s)).map(r => r.key),
      [3n],
    );
    deepEqual(why, ['version'], 'a readable database is kept');
    await s.close();
    const other = freshName();
    (await rawOpen(other, 2, d => d.createObjectStore('meta'))).close();
    s = await openOrRecreateIdbGossipStore({ name: other });
    equal((await loadAll(s)).length, 0);
    await s.close();
  });

  it('gives the database up to a newer version and then fails with GossipStoreError(version_change)', async () => {
    const name = freshName();
    const s = await open(name);
    await s.writeBatch([rec(256, 1n, 'a')]);
    const db = await rawOpen(name, IDB_SCHEMA.version + 1); // succeeds only because s closed its connection
    db.close();
    await rejects(s.writeBatch([rec(256, 2n, 'b')]), GossipStoreError, 'version_change');
    await rejects(
      s.load(() => undefined),
      GossipStoreError,
      'version_change',
    );
    await s.close();
    await rejects(s.stats(), GossipStoreError, 'closed');
  });

  it('says GossipStoreError(blocked) when an older connection will not let an upgrade through', async () => {
    const name = freshName();
    const old = await rawOpen(name, 1, d => {
      for (const s of ['channels', 'updates', 'nodes', 'meta']) d.createObjectStore(s);
    });
    old.onversionchange = () => undefined; // an old tab that ignores the request
    await rejects(openIdbGossipStore({ name, dbVersion: IDB_SCHEMA.version }), GossipStoreError, 'blocked');
    old.close();
  });

  it('maps QuotaExceededError and other DOMExceptions to typed errors', () => {
    equal(toStoreError(new DOMException('full', 'QuotaExceededError')).code, 'quota_exceeded');
    equal(toStoreError(new DOMException('v', 'VersionError')).code, 'version');
    equal(toStoreError(new DOMException('x', 'AbortError')).code, 'io');
    equal(toStoreError('weird').code, 'io');
    const e = new GossipStoreError('closed', 'c');
    equal(toStoreError(e), e);
  });

  it('loads 170,000 records intact (one getAll of the log)', async () => {
    const name = freshName();
    const s = await openIdbGossipStore({ name, durability: 'relaxed' });
    const N = 170_000;
    const per = 10_000;
    let t0 = performance.now();
    for (let b = 0; b < N; b += per) {
      const batch: GossipRecord[] = [];
      for (let i = b; i < b + per; i++) batch.push(syntheticRecord(i));
      await s.writeBatch(batch);
    }
    const writeMs = performance.now() - t0;
    await s.close();
    t0 = performance.now();
    const r = await openIdbGossipStore({ name });
    const openMs = performance.now() - t0;
    t0 = performance.now();
    let count = 0;
    let bytes = 0;
    const want = new Map([0, 1, 2, 77_777, N - 1].map(i => [i, syntheticRecord(i)]));
    const seen = new Map<number, GossipRecord>();
    const res = await r.load(x => {
      count++;
      bytes += x.raw.length;
      const i = new DataView(x.raw.buffer, x.raw.byteOffset).getUint32(2);
      if (want.has(i)) seen.set(i, x);
    });
    const loadMs = performance.now() - t0;
    t0 = performance.now();
    await r.load(() => undefined);
    const againMs = performance.now() - t0;
    console.log(
      `IndexedDB: wrote ${N} records (${(bytes / 1e6).toFixed(1)} MB raw) in ${writeMs.toFixed(0)} ms; ` +
        `opened in ${openMs.toFixed(0)} ms, loaded in ${loadMs.toFixed(0)} ms (again: ${againMs.toFixed(0)} ms)`,
    );
    equal(count, N);
    equal(res.live, N);
    for (const [i, w] of want) deepEqual(seen.get(i), w, `record ${i}`);
    ok(bytes > 35e6);
    await r.close();
    indexedDB.deleteDatabase(name);
  });

  after(async () => {
    for (let i = 0; i < n; i++) indexedDB.deleteDatabase(`${prefix}-${i}`);
  });
});
