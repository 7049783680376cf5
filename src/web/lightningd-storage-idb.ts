// lightningd's database in the browser, in an IndexedDB database of its own per data name (the
// node secret is in another, which only hsmd opens): its records (db-records.ts) in the object store
// `records`, one per key, each batch one readwrite transaction with `durability: 'strict'` (it
// completes once the browser has flushed it to disk: all of the batch or none of it); and the
// on-chain wallet's state as one record of the store `state`, replaced whole (once per block).
// Before records (database version 1) lightningd's whole state was the record `lightningd` of
// `state`: it loads as LEGACY_STATE_KEY and the first batch deletes it in its own transaction.
import { openDB, type IDBPDatabase } from 'idb';
import type { LightningdStorage } from '../core/daemons/lightningd/db.ts';
import { LEGACY_STATE_KEY } from '../core/daemons/lightningd/db-records.ts';
import type { WalletState, WalletStorage } from '../core/wallet/state.ts';

export const LIGHTNINGD_DB = Object.freeze({
  name: (dataName: string): string => `boltworker-lightningd:${dataName}`,
  version: 2,
  /** Whole values: the wallet's, and lightningd's before records. */
  store: 'state',
  records: 'records',
  key: 'lightningd',
  walletKey: 'wallet',
});

/** One connection to a data name's lightningd database, opened on first use. */
class LightningdIdb {
  private db: Promise<IDBPDatabase> | undefined;
  constructor(private readonly dataName: string) {}

  protected open(): Promise<IDBPDatabase> {
    this.db ??= openDB(LIGHTNINGD_DB.name(this.dataName), LIGHTNINGD_DB.version, {
      upgrade(d) {
        if (!d.objectStoreNames.contains(LIGHTNINGD_DB.store)) d.createObjectStore(LIGHTNINGD_DB.store);
        if (!d.objectStoreNames.contains(LIGHTNINGD_DB.records)) d.createObjectStore(LIGHTNINGD_DB.records);
      },
      // Another connection (an older page) wants to upgrade: let it, this one reopens on next use.
      blocking: () => void this.close(),
    });
    return this.db;
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) (await db.catch(() => undefined))?.close();
  }
}

export class IdbLightningdStorage extends LightningdIdb implements LightningdStorage {
  async load(): Promise<Map<string, string>> {
    const tx = (await this.open()).transaction([LIGHTNINGD_DB.records, LIGHTNINGD_DB.store], 'readonly');
    const records = tx.objectStore(LIGHTNINGD_DB.records);
    const [keys, values, legacy] = await Promise.all([
      records.getAllKeys(),
      records.getAll(),
      tx.objectStore(LIGHTNINGD_DB.store).get(LIGHTNINGD_DB.key),
    ]);
    await tx.done;
    const out = new Map(keys.map((k, i) => [String(k), values[i] as string]));
    if (legacy !== undefined) out.set(LEGACY_STATE_KEY, JSON.stringify(legacy));
    return out;
  }

  /** One readwrite transaction, strict durability: it completes once the batch is on disk, whole. */
  async write(puts: [string, string][], deletes: string[]): Promise<void> {
    const tx = (await this.open()).transaction([LIGHTNINGD_DB.records, LIGHTNINGD_DB.store], 'readwrite', { durability: 'strict' });
    const records = tx.objectStore(LIGHTNINGD_DB.records);
    const requests: Promise<unknown>[] = [];
    for (const k of deletes)
      requests.push(k === LEGACY_STATE_KEY ? tx.objectStore(LIGHTNINGD_DB.store).delete(LIGHTNINGD_DB.key) : records.delete(k));
    for (const [k, v] of puts) requests.push(records.put(v, k));
    await Promise.all([...requests, tx.done]);
  }
}

export class IdbWalletStorage extends LightningdIdb implements WalletStorage {
  async load(): Promise<WalletState | undefined> {
    return (await (await this.open()).get(LIGHTNINGD_DB.store, LIGHTNINGD_DB.walletKey)) as WalletState | undefined;
  }

  /** One put is one IndexedDB transaction: it lands whole or not at all. */
  async save(state: WalletState): Promise<void> {
    await (await this.open()).put(LIGHTNINGD_DB.store, state, LIGHTNINGD_DB.walletKey);
  }
}
