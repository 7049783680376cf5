// lightningd's database in Chromium (src/web/lightningd-storage-idb.ts): the LightningdStorage
// contract on IndexedDB (a reopen is a new connection), and the migration of a database an older
// node wrote (version 1: lightningd's whole state as one record beside the wallet's).
import { openDB } from 'idb';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { IdbLightningdStorage, IdbWalletStorage, LIGHTNINGD_DB } from '../../src/web/lightningd-storage-idb.ts';
import { dbContent, fillDb, lightningdStorageContract } from '../core/lightningd-storage-contract.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const names: string[] = [];
const newName = (): string => {
  const n = `ld-idb-${crypto.randomUUID()}`;
  names.push(n);
  return n;
};
const nameOf = new WeakMap<object, string>();
let current = '';

after(async () => {
  await Promise.all(
    names.map(
      n =>
        new Promise(resolve => {
          const r = indexedDB.deleteDatabase(LIGHTNINGD_DB.name(n));
          r.onsuccess = r.onerror = r.onblocked = () => resolve(undefined);
        }),
    ),
  );
});

lightningdStorageContract('IdbLightningdStorage', {
  fresh: async () => {
    current = newName();
    const s = new IdbLightningdStorage(current);
    nameOf.set(s, current);
    return s;
  },
  reopen: async s => {
    await (s as IdbLightningdStorage).close();
    const again = new IdbLightningdStorage(nameOf.get(s)!);
    nameOf.set(again, nameOf.get(s)!);
    return again;
  },
  seedLegacy: async json => {
    const db = await openDB(LIGHTNINGD_DB.name(current), LIGHTNINGD_DB.version, {
      upgrade(d) {
        d.createObjectStore(LIGHTNINGD_DB.store);
        d.createObjectStore(LIGHTNINGD_DB.records);
      },
    });
    await db.put(LIGHTNINGD_DB.store, JSON.parse(json), LIGHTNINGD_DB.key);
    db.close();
  },
});

describe('IdbLightningdStorage: a database of an older node', () => {
  it('upgrades version 1, loads its whole-state record, rewrites it as records on the first write, and leaves the wallet alone', async () => {
    const memory = new LightningdDb(new MemoryLightningdStorage());
    await fillDb(memory);
    const name = newName();
    // What an older node left: database version 1, one store `state` with `lightningd` and `wallet`.
    const old = await openDB(LIGHTNINGD_DB.name(name), 1, {
      upgrade(d) {
        d.createObjectStore('state');
      },
    });
    const wallet = { version: 1, marker: 'the wallet' };
    await old.put('state', (memory as unknown as { state: unknown }).state, 'lightningd');
    await old.put('state', wallet, 'wallet');
    old.close();

    const storage = new IdbLightningdStorage(name);
    const db = new LightningdDb(storage);
    await db.load();
    deepEqual(dbContent(db), dbContent(memory));
    await db.peerReached('04'.repeat(33), undefined, 7);
    await storage.close();

    const raw = await openDB(LIGHTNINGD_DB.name(name));
    equal(raw.version, LIGHTNINGD_DB.version);
    equal(await raw.get('state', 'lightningd'), undefined, 'the whole-state record is gone');
    ok((await raw.count(LIGHTNINGD_DB.records)) > 10, 'records in its place');
    raw.close();
    deepEqual(await new IdbWalletStorage(name).load(), wallet as never);

    const again = new LightningdDb(new IdbLightningdStorage(name));
    await again.load();
    deepEqual(dbContent(again), dbContent(db));
    equal(again.peers().length, 2);
  });
});
