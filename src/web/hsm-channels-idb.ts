// hsmd's channel signer state in the browser: one record per channel in hsmd's own IndexedDB
// database, beside hsm_secret (keys `channel/<peer_id>/<dbid>`), which only the hsmd Worker opens.
// Each save is one readwrite transaction with durability 'strict': it resolves once the browser
// has flushed it to disk, not merely handed it to the OS, so a crash or a closed tab right after
// cannot lose a reveal hsmd has answered. The records hold public data only.
import type { IDBPDatabase } from 'idb';
import type { HsmChannelStore, StoredChannelRecord } from '../core/daemons/hsmd/interface.ts';
import { HSM_SECRET_DB, openHsmDb } from './hsm-secret-idb.ts';

export const HSM_CHANNEL_PREFIX = 'channel/';

export class IdbHsmChannelStore implements HsmChannelStore {
  #db: Promise<IDBPDatabase> | undefined;
  constructor(private readonly dataName: string) {}

  #open(): Promise<IDBPDatabase> {
    this.#db ??= openHsmDb(this.dataName);
    return this.#db;
  }

  async load(): Promise<Record<string, StoredChannelRecord>> {
    const tx = (await this.#open()).transaction(HSM_SECRET_DB.store, 'readonly');
    const range = IDBKeyRange.bound(HSM_CHANNEL_PREFIX, `${HSM_CHANNEL_PREFIX}\uffff`);
    const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range)]);
    await tx.done;
    return Object.fromEntries(keys.map((k, i) => [String(k).slice(HSM_CHANNEL_PREFIX.length), values[i] as StoredChannelRecord]));
  }

  async save(key: string, record: StoredChannelRecord): Promise<void> {
    const tx = (await this.#open()).transaction(HSM_SECRET_DB.store, 'readwrite', { durability: 'strict' });
    await tx.store.put(record, HSM_CHANNEL_PREFIX + key);
    await tx.done;
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    if (db) (await db.catch(() => undefined))?.close();
  }
}
