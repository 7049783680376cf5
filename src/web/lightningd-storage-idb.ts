// lightningd's database in the browser: its whole state (small: peers, addresses, config) as one
// IndexedDB record, and the on-chain wallet's as another, each replaced in one transaction, in a
// database of its own per data name (the node secret is in another, which only hsmd opens).
import { openDB, type IDBPDatabase } from 'idb';
import type { LightningdState, LightningdStorage } from '../core/daemons/lightningd/db.ts';
import type { WalletState, WalletStorage } from '../core/wallet/state.ts';

export const LIGHTNINGD_DB = Object.freeze({
  name: (dataName: string): string => `boltworker-lightningd:${dataName}`,
  version: 1,
  store: 'state',
  key: 'lightningd',
  walletKey: 'wallet',
});

/** One record of lightningd's database, read and replaced whole. */
class IdbRecord<T> {
  private db: Promise<IDBPDatabase> | undefined;
  constructor(
    private readonly dataName: string,
    private readonly key: string,
  ) {}

  private open(): Promise<IDBPDatabase> {
    this.db ??= openDB(LIGHTNINGD_DB.name(this.dataName), LIGHTNINGD_DB.version, {
      upgrade(d) {
        if (!d.objectStoreNames.contains(LIGHTNINGD_DB.store)) d.createObjectStore(LIGHTNINGD_DB.store);
      },
    });
    return this.db;
  }

  async load(): Promise<T | undefined> {
    return (await (await this.open()).get(LIGHTNINGD_DB.store, this.key)) as T | undefined;
  }

  /** One put is one IndexedDB transaction: it lands whole or not at all. */
  async save(state: T): Promise<void> {
    await (await this.open()).put(LIGHTNINGD_DB.store, state, this.key);
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) (await db.catch(() => undefined))?.close();
  }
}

export class IdbLightningdStorage extends IdbRecord<LightningdState> implements LightningdStorage {
  constructor(dataName: string) {
    super(dataName, LIGHTNINGD_DB.key);
  }
}

export class IdbWalletStorage extends IdbRecord<WalletState> implements WalletStorage {
  constructor(dataName: string) {
    super(dataName, LIGHTNINGD_DB.walletKey);
  }
}
