// The browser node writes lightningd's database when the page is left or hidden
// (src/web/flush-on-hide.ts, registered by startNode): a record staged in memory just before
// `pagehide` (or `visibilitychange` to hidden) is in IndexedDB after it, and not before. The
// node's LightningdDb is the one instance in this page: the test finds it by the first flush the
// node makes while starting, and reads IndexedDB over a connection of its own.
import { LightningdDb } from '../../src/core/daemons/lightningd/db.ts';
import { fromRecords } from '../../src/core/daemons/lightningd/db-records.ts';
import { startNode, type WebNode } from '../../src/web/index.ts';
import { HSM_SECRET_DB } from '../../src/web/hsm-secret-idb.ts';
import { IdbLightningdStorage, LIGHTNINGD_DB } from '../../src/web/lightningd-storage-idb.ts';
import { gossipDbName } from '../../src/web/worker-api.ts';
import { equal, ok } from '../support/assert.ts';

function deleteDb(name: string): Promise<void> {
  return new Promise(resolve => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}

const TABLE = 'flush_on_hide_test';

/** The record `key` of TABLE as IndexedDB holds it now (a connection of the test's own). */
async function stored(dataName: string, key: string): Promise<unknown> {
  const s = new IdbLightningdStorage(dataName);
  try {
    const state = fromRecords(await s.load()) as { tables?: Record<string, Record<string, unknown>> } | undefined;
    return state?.tables?.[TABLE]?.[key];
  } finally {
    await s.close();
  }
}

/** Reads IndexedDB until the record is there (at most 200 reads, 25 ms apart). */
async function storedSoon(dataName: string, key: string): Promise<unknown> {
  for (let i = 0; i < 200; i++) {
    const v = await stored(dataName, key);
    if (v !== undefined) return v;
    await new Promise(r => setTimeout(r, 25));
  }
  return undefined;
}

describe('browser node: lightningd writes its database when the page is hidden or left', () => {
  const dataName = `flush-hide-${crypto.randomUUID()}`;
  let node: WebNode | undefined;
  let db: LightningdDb | undefined;

  before(async () => {
    const flush = LightningdDb.prototype.flush;
    LightningdDb.prototype.flush = function (this: LightningdDb) {
      db ??= this;
      return flush.call(this);
    };
    try {
      node = await startNode({ network: 'regtest', dataName });
    } finally {
      LightningdDb.prototype.flush = flush;
    }
    ok(db, "the node's database flushed while starting");
  });
  after(async () => {
    await node?.stop();
    await deleteDb(HSM_SECRET_DB.name(dataName));
    await deleteDb(LIGHTNINGD_DB.name(dataName));
    await deleteDb(gossipDbName(dataName));
  });

  it('pagehide: a record staged just before is in IndexedDB after it', async () => {
    db!.stage(TABLE, 'pagehide', { n: 1 });
    equal(await stored(dataName, 'pagehide'), undefined, 'staged only: not in IndexedDB yet');
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    equal(JSON.stringify(await storedSoon(dataName, 'pagehide')), '{"n":1}');
  });

  it('visibilitychange to hidden: the same; to visible: nothing written', async () => {
    const visibility = (state: string) => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
      document.dispatchEvent(new Event('visibilitychange'));
    };
    const d = db!;
    let calls = 0;
    d.flush = function (this: LightningdDb) {
      calls++;
      return LightningdDb.prototype.flush.call(this);
    };
    try {
      d.stage(TABLE, 'hidden', { n: 2 });
      visibility('visible');
      equal(calls, 0, 'visible: no write');
      equal(await stored(dataName, 'hidden'), undefined);
      visibility('hidden');
      equal(calls, 1);
      equal(JSON.stringify(await storedSoon(dataName, 'hidden')), '{"n":2}');
    } finally {
      delete (d as unknown as Record<string, unknown>).flush;
      delete (document as unknown as Record<string, unknown>).visibilityState;
    }
  });

  it('a stopped node no longer listens', async () => {
    await node!.stop();
    node = undefined;
    let flushed = 0;
    const flush = LightningdDb.prototype.flush;
    LightningdDb.prototype.flush = function (this: LightningdDb) {
      flushed++;
      return flush.call(this);
    };
    try {
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    } finally {
      LightningdDb.prototype.flush = flush;
    }
    equal(flushed, 0);
  });
});
