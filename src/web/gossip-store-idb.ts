// The gossip store in IndexedDB (browser tab or Worker), through `idb`. One object store per message
// type, keyed by the record's key as a fixed-width string (an IndexedDB key cannot be a bigint):
//   channels: short_channel_id as 16 hex digits | updates: short_channel_id*2+direction as 17 hex
//   digits | nodes: node_id hex | meta: 'schema' → { format, version }.
// A value is the GossipRecord itself (structured clone keeps its bigint key and its bytes).
//
// Each batch is one readwrite transaction over the three stores, resolved by `tx.done`: IndexedDB
// commits it whole or not at all, also when the Worker running it is terminated mid-transaction.
// Deletes are real (no dead records, compact() has nothing to do). Load is one getAll() per store:
// records come grouped by type (256, 257, 258), in key order within a type.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import {
  GossipStoreError,
  checkKey,
  checkRecord,
  copyRecord,
  type GossipKey,
  type GossipKeyRef,
  type GossipLoadResult,
  type GossipRecord,
  type GossipRecordType,
  type GossipStore,
  type GossipStoreStats,
} from '../core/gossip/store.ts';

export const IDB_SCHEMA = { format: 'boltworker-gossip-store', version: 1 } as const;

type StoreName = 'channels' | 'updates' | 'nodes';
const STORES: readonly StoreName[] = ['channels', 'nodes', 'updates']; // load order: 256, 257, 258

interface GossipDB extends DBSchema {
  channels: { key: string; value: GossipRecord };
  updates: { key: string; value: GossipRecord };
  nodes: { key: string; value: GossipRecord };
  meta: { key: string; value: { format: string; version: number } };
}

export interface IdbGossipStoreOptions {
  /** Database name (default 'boltworker-gossip'). */
  name?: string;
  /**
   * 'strict' (default): a batch is acknowledged once on disk, like the file store's fdatasync;
   * 'relaxed': once the browser has it (survives the Worker and the tab, not a power cut).
   */
  durability?: 'strict' | 'relaxed' | 'default';
  /** IndexedDB version to open (default IDB_SCHEMA.version); only tests and future migrations set it. */
  dbVersion?: number;
}

function storeOf(type: GossipRecordType): StoreName {
  return type === 256 ? 'channels' : type === 258 ? 'updates' : 'nodes';
}

function idbKey(type: GossipRecordType, key: GossipKey): string {
  return type === 257 ? (key as string) : (key as bigint).toString(16).padStart(type === 256 ? 16 : 17, '0');
}

/** A DOMException or idb failure as a GossipStoreError: quota, version, blocked, or io. */
export function toStoreError(e: unknown): GossipStoreError {
  if (e instanceof GossipStoreError) return e;
  const name = (e as { name?: unknown })?.name;
  const message = (e as { message?: unknown })?.message;
  const text = `IndexedDB: ${typeof name === 'string' ? name : 'error'}: ${typeof message === 'string' ? message : String(e)}`;
  const code = name === 'QuotaExceededError' ? 'quota_exceeded' : name === 'VersionError' ? 'version' : 'io';
  const err = new GossipStoreError(code, text);
  (err as { cause?: unknown }).cause = e;
  return err;
}

/** Opens (creating if missing) the gossip store database. Call load() next. */
export async function openIdbGossipStore(options: IdbGossipStoreOptions = {}): Promise<IdbGossipStore> {
  const name = options.name ?? 'boltworker-gossip';
  let onBlocked!: (e: GossipStoreError) => void;
  const blocked = new Promise<never>((_, reject) => (onBlocked = reject));
  let store: IdbGossipStore | undefined;
  const opening = openDB<GossipDB>(name, options.dbVersion ?? IDB_SCHEMA.version, {
    upgrade(db, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) {
        db.createObjectStore('channels');
        db.createObjectStore('updates');
        db.createObjectStore('nodes');
        db.createObjectStore('meta');
        void tx.objectStore('meta').put({ ...IDB_SCHEMA }, 'schema');
      }
    },
    // Another connection (an older tab) holds the database open at an older version: rather than
    // wait without end, say so; the caller can ask the user to close the other tab.
    blocked(currentVersion) {
      onBlocked(new GossipStoreError('blocked', `${name}: version ${currentVersion} is open elsewhere and blocks this upgrade`));
    },
    // A newer version wants the database: let it have it, and fail our later calls.
    blocking() {
      if (store) store.lose('version_change', `${name}: another connection upgraded or deleted the database`);
      else void opening.then((db) => db.close());
    },
    terminated() {
      store?.lose('terminated', `${name}: the browser closed the database`);
    },
  });
  let db: IDBPDatabase<GossipDB>;
  try {
    db = await Promise.race([opening, blocked]);
  } catch (e) {
    // An open that was blocked may still succeed later: close that connection when it does.
    opening.then((late) => late.close()).catch(() => undefined);
    throw toStoreError(e);
  }
  try {
    const schema = await db.get('meta', 'schema');
    if (schema?.format !== IDB_SCHEMA.format || schema.version !== IDB_SCHEMA.version) {
      throw new GossipStoreError('version', `${name} holds ${JSON.stringify(schema)}, this code reads ${JSON.stringify(IDB_SCHEMA)}`);
    }
  } catch (e) {
    db.close();
    throw toStoreError(e);
  }
  store = new IdbGossipStore(db, options.durability ?? 'strict');
  return store;
}

export class IdbGossipStore implements GossipStore {
  private queue: Promise<unknown> = Promise.resolve();
  private lost: GossipStoreError | undefined;

  constructor(
    private readonly db: IDBPDatabase<GossipDB>,
    private readonly durability: 'strict' | 'relaxed' | 'default',
  ) {}

  load(onRecord: (record: GossipRecord) => void): Promise<GossipLoadResult> {
    return this.run(async () => {
      const tx = this.db.transaction(STORES, 'readonly');
      const [channels, nodes, updates] = await Promise.all([
        ...STORES.map((s) => tx.objectStore(s).getAll()),
        tx.done,
      ]);
      let live = 0;
      for (const list of [channels, nodes, updates]) {
        for (const r of list!) onRecord(r);
        live += list!.length;
      }
      return { live, dead: 0, bytes: await usage(), discarded: 0 };
    });
  }

  writeBatch(records: readonly GossipRecord[], deletes: readonly GossipKeyRef[] = []): Promise<void> {
    return this.run(async () => {
      for (const d of deletes) checkKey(d.type, d.key);
      for (const r of records) checkRecord(r);
      if (records.length === 0 && deletes.length === 0) return;
      const tx = this.db.transaction(['channels', 'updates', 'nodes'], 'readwrite', { durability: this.durability });
      const pending: Promise<unknown>[] = [];
      try {
        for (const d of deletes) pending.push(tx.objectStore(storeOf(d.type)).delete(idbKey(d.type, d.key)));
        for (const r of records) pending.push(tx.objectStore(storeOf(r.type)).put(stored(r), idbKey(r.type, r.key)));
      } catch (e) {
        // A request that throws (say DataCloneError) must not let the rest auto-commit.
        tx.abort();
        await Promise.allSettled([...pending, tx.done]);
        throw e;
      }
      pending.push(tx.done);
      try {
        await Promise.all(pending);
      } catch (e) {
        // The transaction's own error says why it aborted (QuotaExceededError at commit, say).
        await Promise.allSettled(pending);
        throw toStoreError(tx.error ?? e);
      }
    });
  }

  delete(keys: readonly GossipKeyRef[]): Promise<void> {
    return this.writeBatch([], keys);
  }

  compact(): Promise<void> {
    return this.run(async () => undefined);
  }

  stats(): Promise<GossipStoreStats> {
    return this.run(async () => {
      const tx = this.db.transaction(STORES, 'readonly');
      const counts = await Promise.all(STORES.map((s) => tx.objectStore(s).count()));
      return { live: counts.reduce((a, b) => a + b, 0), dead: 0, bytes: await usage() };
    });
  }

  async close(): Promise<void> {
    if (this.lost?.code === 'closed') return;
    await this.queue.catch(() => undefined);
    this.lose('closed', 'the gossip store is closed');
  }

  /** Marks the store unusable (closed, or taken by a version change) and closes the connection. */
  lose(code: string, message: string): void {
    if (!this.lost || code === 'closed') this.lost = new GossipStoreError(code, message);
    this.db.close();
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(async () => {
      if (this.lost) throw this.lost;
      try {
        return await fn();
      } catch (e) {
        throw toStoreError(e);
      }
    });
    this.queue = p.catch(() => undefined);
    return p;
  }
}

/** The record as stored: raw in an ArrayBuffer of its own (cloning a view stores its whole buffer). */
function stored(r: GossipRecord): GossipRecord {
  const own = r.raw.byteOffset === 0 && r.raw.byteLength === r.raw.buffer.byteLength;
  return copyRecord(r, own ? r.raw : r.raw.slice());
}

async function usage(): Promise<number> {
  try {
    return (await navigator.storage?.estimate?.())?.usage ?? 0;
  } catch {
    return 0;
  }
}
