// The gossip store in IndexedDB (browser tab or Worker), through `idb`: the log every persistent
// store shares (src/core/gossip/store-log.ts: CRC-sealed entries, batches ended by a commit entry,
// tombstones), kept as a sequence of ArrayBuffer values:
//   log: key n (0, 1, 2, ...) -> the bytes of one batch (or, after compact(), about 1 MiB of live
//        records each, the last ending with the one commit) | meta: 'schema' -> { format, version }.
// The log is the values' bytes laid end to end in key order.
//
// Each batch is one `put` in one readwrite transaction, resolved by `tx.done`: IndexedDB commits it
// whole or not at all, also when the Worker running it is terminated mid-transaction. Load is one
// getAll() of a few hundred large values (not one value per record, which made loading a mainnet
// store take seconds), and compact() rewrites the live records in one transaction, so a crash leaves
// the old log or the new one. Records come in write order. read() finds a record's value by its
// log position and cuts the record out of it; the last few values read stay cached.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { concat } from '../core/base/bytes.ts';
import { GossipLog, entryRaw, packParts, partAt } from '../core/gossip/store-log.ts';
import {
  GossipStoreError,
  type GossipKeyRef,
  type GossipLoadResult,
  type GossipRecord,
  type GossipStore,
  type GossipStoreStats,
} from '../core/gossip/store.ts';

export const IDB_SCHEMA = { format: 'boltworker-gossip-store', version: 2 } as const;

/** compact() packs the live records into values of about this size. */
const COMPACT_VALUE_BYTES = 1 << 20;
/** A log of at most this many values and no dead record is left as it is by compact(). */
const PACKED_VALUES = 64;
/** read() keeps the values it read last, this many (a batch or about 1 MiB each). */
const READ_CACHE_VALUES = 4;

interface GossipDB extends DBSchema {
  log: { key: number; value: ArrayBuffer };
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
      const names = db.objectStoreNames as DOMStringList;
      const v1 = oldVersion === 1 && ['channels', 'updates', 'nodes', 'meta'].every(n => names.contains(n));
      if (oldVersion === 0 || v1) {
        // Version 1 kept one value per record: its gossip is dropped (peers send it again), not
        // migrated. A database of another shape is left alone, and the schema check refuses it.
        for (const old of ['channels', 'updates', 'nodes']) if (names.contains(old)) db.deleteObjectStore(old as never);
        if (!names.contains('meta')) db.createObjectStore('meta');
        db.createObjectStore('log');
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
      else void opening.then(db => db.close());
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
    opening.then(late => late.close()).catch(() => undefined);
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
  store = new IdbGossipStore(db, options.durability ?? 'strict', name);
  return store;
}

/**
 * openIdbGossipStore, except that a database this code cannot read (another schema, or a newer
 * version left by a later release) is deleted and made again: it only holds gossip, which peers
 * send again, and a node must not be kept from starting by it. 'blocked' and the rest still throw.
 */
export async function openOrRecreateIdbGossipStore(
  options: IdbGossipStoreOptions = {},
  onRecreate?: (why: GossipStoreError) => void,
): Promise<IdbGossipStore> {
  try {
    return await openIdbGossipStore(options);
  } catch (e) {
    if (!(e instanceof GossipStoreError) || e.code !== 'version') throw e;
    onRecreate?.(e);
    await deleteDatabase(options.name ?? 'boltworker-gossip');
    return openIdbGossipStore(options);
  }
}

/** Deletes the database; connections still open elsewhere get BLOCKED_WAIT_MS to close. */
function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    let timer: ReturnType<typeof setTimeout> | undefined;
    req.onsuccess = () => {
      clearTimeout(timer);
      resolve();
    };
    req.onerror = () => {
      clearTimeout(timer);
      reject(toStoreError(req.error));
    };
    // "blocked" only says another connection has not closed yet: the delete still goes ahead when it does.
    req.onblocked = () => {
      timer ??= setTimeout(
        () => reject(new GossipStoreError('blocked', `${name}: open elsewhere, it cannot be deleted now`)),
        BLOCKED_WAIT_MS,
      );
    };
  });
}

const BLOCKED_WAIT_MS = 5_000;

export class IdbGossipStore implements GossipStore {
  private queue: Promise<unknown> = Promise.resolve();
  private lost: GossipStoreError | undefined;
  private readonly log: GossipLog;
  private loaded = false;
  /** The key the next batch is put under. */
  private nextKey = 0;
  /** Values in the log store. */
  private values = 0;
  /** Each value's key and the log position it starts at, in log order (for read()). */
  private valueKeys: number[] = [];
  private valueStarts: number[] = [];
  /** The values read() fetched last, by key, oldest first. */
  private cache = new Map<number, Uint8Array>();

  constructor(
    private readonly db: IDBPDatabase<GossipDB>,
    private readonly durability: 'strict' | 'relaxed' | 'default',
    name = 'gossip store',
  ) {
    this.log = new GossipLog(0, name);
  }

  load(onRecord: (record: GossipRecord) => void): Promise<GossipLoadResult> {
    return this.run(() => this.doLoad(onRecord));
  }

  writeBatch(records: readonly GossipRecord[], deletes: readonly GossipKeyRef[] = []): Promise<void> {
    return this.run(async () => {
      // The log's index must know what is live before it can write tombstones.
      if (!this.loaded) await this.doLoad(() => undefined);
      const batch = this.log.encode(records, deletes);
      if (!batch) return;
      const tx = this.db.transaction('log', 'readwrite', { durability: this.durability });
      const put = tx.store.put(batch.bytes.buffer as ArrayBuffer, this.nextKey);
      try {
        await Promise.all([put, tx.done]);
      } catch (e) {
        // The transaction's own error says why it aborted (QuotaExceededError at commit, say).
        await Promise.allSettled([put, tx.done]);
        throw toStoreError(tx.error ?? e);
      }
      this.valueKeys.push(this.nextKey);
      this.valueStarts.push(this.log.end);
      this.nextKey++;
      this.values++;
      batch.committed();
    });
  }

  delete(keys: readonly GossipKeyRef[]): Promise<void> {
    return this.writeBatch([], keys);
  }

  /**
   * Each record cut out of the value holding it (a copy, so no value stays alive through it), one
   * `get` per value not among the few read last.
   */
  read(keys: readonly GossipKeyRef[]): Promise<(Uint8Array | undefined)[]> {
    return this.run(async () => {
      if (!this.loaded) await this.doLoad(() => undefined);
      const out: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(keys.length).fill(undefined);
      const byValue = new Map<number, { i: number; position: number; size: number }[]>();
      keys.forEach((k, i) => {
        const at = this.log.locate(k);
        if (!at) return;
        const v = partAt(this.valueStarts, at.position);
        const list = byValue.get(v);
        if (list) list.push({ i, ...at });
        else byValue.set(v, [{ i, ...at }]);
      });
      for (const [v, spots] of byValue) {
        const value = await this.value(v);
        for (const sp of spots) {
          const at = sp.position - this.valueStarts[v]!;
          out[sp.i] = entryRaw(value.subarray(at, at + sp.size)).slice();
        }
      }
      return out;
    });
  }

  compact(): Promise<void> {
    return this.run(async () => {
      if (!this.loaded) await this.doLoad(() => undefined);
      // Nothing dead and already packed: nothing to give back.
      if (!this.log.hasDead && this.values <= PACKED_VALUES) return;
      const tx = this.db.transaction('log', 'readwrite', { durability: this.durability });
      const values = await tx.store.getAll();
      const next = this.log.compacted(concat(...values.map(v => new Uint8Array(v))), 0, 0);
      const pending: Promise<unknown>[] = [tx.store.clear()];
      let key = 0;
      const packed = packParts(next.parts, COMPACT_VALUE_BYTES).map(v => v.buffer as ArrayBuffer);
      for (const value of packed) pending.push(tx.store.put(value, key++));
      pending.push(tx.done);
      try {
        await Promise.all(pending);
      } catch (e) {
        await Promise.allSettled(pending);
        throw toStoreError(tx.error ?? e);
      }
      next.done();
      this.nextKey = key;
      this.values = key;
      this.cache.clear();
      this.valueKeys = [];
      this.valueStarts = [];
      for (let k = 0, at = 0; k < packed.length; at += packed[k]!.byteLength, k++) {
        this.valueKeys.push(k);
        this.valueStarts.push(at);
      }
    });
  }

  getMeta(key: string): Promise<string | undefined> {
    return this.run(async () => {
      const v = key === 'schema' ? undefined : ((await this.db.get('meta', `x:${key}`)) as unknown);
      return typeof v === 'string' ? v : undefined;
    });
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.run(async () => {
      const tx = this.db.transaction('meta', 'readwrite', { durability: this.durability });
      await Promise.all([tx.store.put(value as never, `x:${key}`), tx.done]);
    });
  }

  clear(): Promise<void> {
    return this.run(async () => {
      const tx = this.db.transaction('log', 'readwrite', { durability: this.durability });
      await Promise.all([tx.store.clear(), tx.done]);
      this.log.reset(0);
      this.nextKey = 0;
      this.values = 0;
      this.valueKeys = [];
      this.valueStarts = [];
      this.cache.clear();
      this.loaded = true;
    });
  }

  stats(): Promise<GossipStoreStats> {
    return this.run(async () => {
      if (!this.loaded) await this.doLoad(() => undefined);
      return { ...this.log.stats(await usage()), fragments: this.values };
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

  private async doLoad(onRecord: (record: GossipRecord) => void): Promise<GossipLoadResult> {
    this.loaded = false;
    const tx = this.db.transaction('log', 'readonly');
    const [values, keys] = await Promise.all([tx.store.getAll(), tx.store.getAllKeys(), tx.done]);
    // IndexedDB commits each value whole (no torn writes to detect), so the CRCs are not checked
    // here, and the log must read to its very end.
    const parts = values.map(v => new Uint8Array(v));
    this.log.load(parts, 0, onRecord, { crc: false, whole: true });
    this.nextKey = keys.length ? keys[keys.length - 1]! + 1 : 0;
    this.values = keys.length;
    this.valueKeys = keys;
    this.valueStarts = [];
    for (let k = 0, at = 0; k < parts.length; at += parts[k]!.length, k++) this.valueStarts.push(at);
    this.cache.clear();
    this.loaded = true;
    return { ...this.log.stats(await usage()), fragments: this.values, discarded: 0 };
  }

  /** Value number `v` of the log, from the cache or IndexedDB. */
  private async value(v: number): Promise<Uint8Array> {
    const key = this.valueKeys[v]!;
    let got = this.cache.get(key);
    if (got) {
      this.cache.delete(key);
    } else {
      // Its own transaction, awaited to its end: close() after a read leaves none running.
      const tx = this.db.transaction('log', 'readonly');
      const [buf] = await Promise.all([tx.store.get(key), tx.done]);
      if (!buf) throw new GossipStoreError('corrupt', `the log value ${key} is gone`);
      got = new Uint8Array(buf);
      if (this.cache.size >= READ_CACHE_VALUES) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, got);
    return got;
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

async function usage(): Promise<number> {
  try {
    return (await navigator.storage?.estimate?.())?.usage ?? 0;
  } catch {
    return 0;
  }
}
