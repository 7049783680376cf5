// lightningd's database in the browser: its whole state (small: peers, addresses, config) as one
// IndexedDB record, replaced in one transaction, in a database of its own per data name (the node
// secret is in another, which only hsmd opens).
import { openDB, type IDBPDatabase } from 'idb';
import type { LightningdState, LightningdStorage } from '../core/daemons/lightningd/db.ts';

export const LIGHTNINGD_DB = Object.freeze({
  name: (dataName: string): string => `boltworker-lightningd:${dataName}`,
  version: 1,
  store: 'state',
  key: 'lightningd',
});

export class IdbLightningdStorage implements LightningdStorage {
  private db: Promise<IDBPDatabase> | undefined;
  constructor(private readonly dataName: string) {}

  private open(): Promise<IDBPDatabase> {
    this.db ??= openDB(LIGHTNINGD_DB.name(this.dataName), LIGHTNINGD_DB.version, {
      upgrade(d) {
        if (!d.objectStoreNames.contains(LIGHTNINGD_DB.store)) d.createObjectStore(LIGHTNINGD_DB.store);
      },
    });
    return this.db;
  }

  async load(): Promise<LightningdState | undefined> {
    return (await (await this.open()).get(LIGHTNINGD_DB.store, LIGHTNINGD_DB.key)) as LightningdState | undefined;
  }

  async save(state: LightningdState): Promise<void> {
    await (await this.open()).put(LIGHTNINGD_DB.store, state, LIGHTNINGD_DB.key);
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) (await db.catch(() => undefined))?.close();
  }
}
