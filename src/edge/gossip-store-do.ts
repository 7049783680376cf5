// The gossip store in a Durable Object's SQLite storage (`ctx.storage.sql`): the log every
// persistent store shares (src/core/gossip/store-log.ts: entries, batches ended by a commit entry,
// tombstones), kept as a sequence of BLOB rows:
//   gossip_log:  n (0, 1, 2, ...) -> the bytes of one batch (cut into rows of at most ROW_BYTES at
//                entry boundaries), or after compact() about ROW_BYTES of live records each;
//   gossip_meta: 'schema' -> {format, version}, 'x:KEY' -> gossipd's meta values.
// The log is the rows' bytes laid end to end in `n` order (as IndexedDB's values, src/web).
//
// Why SQLite and not the key-value API: the node's class is SQLite-backed already
// (src/edge/wrangler.node.toml, new_sqlite_classes); a row may hold 2 MB where a KV value holds
// 128 KiB, so a mainnet store is ~45 rows read by one SELECT instead of ~360 values; and
// `transactionSync` makes a batch of any size, or a whole compaction, one atomic write, with no
// 128-keys-per-put limit to work around.
//
// Crash safety: each batch (all its rows) is one SQLite transaction, then `storage.sync()` waits
// until Durable Object storage has it durably before writeBatch resolves (the file store's
// fdatasync, IndexedDB's strict durability). An object evicted or reset mid-batch leaves none of
// it: there are no torn rows to detect, so load does not check CRCs and refuses a log that does not
// read to its very end (GossipStoreError('corrupt'), which gossipd answers with clear()).
// compact() deletes and rewrites every row in one transaction: the old log or the new one.
import { concat } from '../core/base/bytes.ts';
import { GossipLog, entryRaw, packParts, partAt, splitEntries } from '../core/gossip/store-log.ts';
import {
  GossipStoreError,
  type GossipKeyRef,
  type GossipLoadResult,
  type GossipRecord,
  type GossipStore,
  type GossipStoreStats,
} from '../core/gossip/store.ts';

export const DO_SCHEMA = { format: 'boltworker-gossip-store', version: 1 } as const;

/** Bytes per row: half the 2 MB SQLite-backed Durable Object row limit. */
export const ROW_BYTES = 1 << 20;
/** A log of at most this many rows and no dead record is left as it is by compact(). */
const PACKED_ROWS = 64;

/** What the store needs of `ctx.storage` (a SQLite-backed Durable Object's). */
export type DoStorage = Pick<DurableObjectStorage, 'sql' | 'transactionSync' | 'sync'>;

export interface DoGossipStoreOptions {
  /** Bytes per row (default ROW_BYTES); tests set it small to cut batches into several rows. */
  rowBytes?: number;
}

/** A storage failure as a GossipStoreError: 'quota_exceeded' when the object is full, else 'io'. */
export function toDoStoreError(e: unknown): GossipStoreError {
  if (e instanceof GossipStoreError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const err = new GossipStoreError(
    /SQLITE_FULL|exceeded|too large|TOOBIG/i.test(message) ? 'quota_exceeded' : 'io',
    `Durable Object storage: ${message}`,
  );
  (err as { cause?: unknown }).cause = e;
  return err;
}

/** The bytes as an ArrayBuffer of exactly their length (what a BLOB binding takes). */
function blob(b: Uint8Array): ArrayBuffer {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : (b.slice().buffer as ArrayBuffer);
}

export class DoGossipStore implements GossipStore {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private broken = false;
  private ready = false;
  private loaded = false;
  private readonly log = new GossipLog(0, 'Durable Object gossip store');
  private readonly rowBytes: number;
  /** The key the next row is written under. */
  private nextRow = 0;
  /** Each row's key and the log position it starts at, in log order (for read()). */
  private rowKeys: number[] = [];
  private rowStarts: number[] = [];

  constructor(
    private readonly storage: DoStorage,
    options: DoGossipStoreOptions = {},
  ) {
    this.rowBytes = options.rowBytes ?? ROW_BYTES;
  }

  load(onRecord: (record: GossipRecord) => void): Promise<GossipLoadResult> {
    return this.run(async () => this.doLoad(onRecord));
  }

  writeBatch(records: readonly GossipRecord[], deletes: readonly GossipKeyRef[] = []): Promise<void> {
    return this.run(async () => {
      this.checkWritable();
      if (!this.loaded) this.doLoad(() => undefined);
      const batch = this.log.encode(records, deletes);
      if (!batch) return;
      const rows = batch.bytes.length <= this.rowBytes ? [batch.bytes] : packParts(splitEntries(batch.bytes), this.rowBytes);
      const first = this.nextRow;
      this.storage.transactionSync(() => {
        for (let i = 0; i < rows.length; i++)
          this.storage.sql.exec('INSERT INTO gossip_log (n, bytes) VALUES (?, ?)', first + i, blob(rows[i]!));
      });
      // SQLite has it: the index follows, then the wait until storage has it durably.
      let at = this.log.end;
      for (let i = 0; i < rows.length; i++) {
        this.rowKeys.push(first + i);
        this.rowStarts.push(at);
        at += rows[i]!.length;
      }
      this.nextRow = first + rows.length;
      batch.committed();
      await this.durable();
    });
  }

  delete(keys: readonly GossipKeyRef[]): Promise<void> {
    return this.writeBatch([], keys);
  }

  /** Each record's bytes read with one `substr` of the row holding it (a copy, never the whole row). */
  read(keys: readonly GossipKeyRef[]): Promise<(Uint8Array | undefined)[]> {
    return this.run(async () => {
      if (!this.loaded) this.doLoad(() => undefined);
      return keys.map(k => {
        const at = this.log.locate(k);
        if (!at) return undefined;
        const r = partAt(this.rowStarts, at.position);
        // SQLite's substr counts BLOB bytes from 1.
        const rows = this.storage.sql
          .exec<{ b: ArrayBuffer }>(
            'SELECT substr(bytes, ?, ?) AS b FROM gossip_log WHERE n = ?',
            at.position - this.rowStarts[r]! + 1,
            at.size,
            this.rowKeys[r]!,
          )
          .toArray();
        const b = rows[0]?.b;
        if (!(b instanceof ArrayBuffer) || b.byteLength !== at.size)
          throw new GossipStoreError('corrupt', `the log row ${this.rowKeys[r]} is not what the index names`);
        return entryRaw(new Uint8Array(b));
      });
    });
  }

  compact(): Promise<void> {
    return this.run(async () => {
      this.checkWritable();
      if (!this.loaded) this.doLoad(() => undefined);
      // Nothing dead and already packed: nothing to give back.
      if (!this.log.hasDead && this.rowKeys.length <= PACKED_ROWS) return;
      const next = this.log.compacted(concat(...this.readRows().map(r => r.bytes)), 0, 0);
      const rows = packParts(next.parts, this.rowBytes);
      this.storage.transactionSync(() => {
        this.storage.sql.exec('DELETE FROM gossip_log');
        for (let i = 0; i < rows.length; i++) this.storage.sql.exec('INSERT INTO gossip_log (n, bytes) VALUES (?, ?)', i, blob(rows[i]!));
      });
      next.done();
      this.setRows(
        rows.map((_, i) => i),
        rows,
      );
      await this.durable();
    });
  }

  getMeta(key: string): Promise<string | undefined> {
    return this.run(async () => {
      const row = this.storage.sql.exec<{ value: string }>('SELECT value FROM gossip_meta WHERE key = ?', `x:${key}`).toArray()[0];
      return typeof row?.value === 'string' ? row.value : undefined;
    });
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.run(async () => {
      this.storage.sql.exec('INSERT OR REPLACE INTO gossip_meta (key, value) VALUES (?, ?)', `x:${key}`, value);
      await this.durable();
    });
  }

  clear(): Promise<void> {
    return this.run(async () => {
      this.checkWritable();
      this.storage.sql.exec('DELETE FROM gossip_log');
      this.log.reset(0);
      this.setRows([], []);
      this.loaded = true;
      await this.durable();
    });
  }

  stats(): Promise<GossipStoreStats> {
    return this.run(async () => {
      if (!this.loaded) this.doLoad(() => undefined);
      return { ...this.log.stats(this.storage.sql.databaseSize), fragments: this.rowKeys.length };
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    this.closed = true;
  }

  // ---- internals ----

  /** Creates the tables on first use; a log of another schema version is dropped (peers send gossip again). */
  private open(): void {
    if (this.ready) return;
    const sql = this.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS gossip_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const want = JSON.stringify(DO_SCHEMA);
    const have = sql.exec<{ value: string }>("SELECT value FROM gossip_meta WHERE key = 'schema'").toArray()[0]?.value;
    if (have !== want) {
      this.storage.transactionSync(() => {
        sql.exec('DROP TABLE IF EXISTS gossip_log');
        sql.exec('CREATE TABLE gossip_log (n INTEGER PRIMARY KEY, bytes BLOB NOT NULL)');
        sql.exec("INSERT OR REPLACE INTO gossip_meta (key, value) VALUES ('schema', ?)", want);
      });
    }
    this.ready = true;
  }

  private doLoad(onRecord: (record: GossipRecord) => void): GossipLoadResult {
    this.loaded = false;
    const rows = this.readRows();
    const parts = rows.map(r => r.bytes);
    // SQLite commits each row whole: no CRC check, and the log must read to its very end.
    this.log.load(parts, 0, onRecord, { crc: false, whole: true });
    this.setRows(
      rows.map(r => r.n),
      parts,
    );
    this.loaded = true;
    return { ...this.log.stats(this.storage.sql.databaseSize), fragments: rows.length, discarded: 0 };
  }

  private readRows(): { n: number; bytes: Uint8Array }[] {
    const out: { n: number; bytes: Uint8Array }[] = [];
    for (const row of this.storage.sql.exec<{ n: number; bytes: ArrayBuffer }>('SELECT n, bytes FROM gossip_log ORDER BY n')) {
      if (!(row.bytes instanceof ArrayBuffer)) throw new GossipStoreError('corrupt', `the log row ${row.n} is not a BLOB`);
      out.push({ n: row.n, bytes: new Uint8Array(row.bytes) });
    }
    return out;
  }

  private setRows(keys: number[], rows: readonly Uint8Array[]): void {
    this.rowKeys = keys;
    this.rowStarts = [];
    for (let i = 0, at = 0; i < rows.length; at += rows[i]!.length, i++) this.rowStarts.push(at);
    this.nextRow = keys.length ? keys[keys.length - 1]! + 1 : 0;
  }

  private checkWritable(): void {
    if (this.broken) throw new GossipStoreError('broken', 'Durable Object storage did not confirm a write; the object must be reset');
  }

  /** Resolves once storage has every write so far durably; a failure leaves the store broken. */
  private async durable(): Promise<void> {
    try {
      await this.storage.sync();
    } catch (e) {
      this.broken = true;
      throw toDoStoreError(e);
    }
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(async () => {
      if (this.closed) throw new GossipStoreError('closed', 'the gossip store is closed');
      try {
        this.open();
        return await fn();
      } catch (e) {
        throw toDoStoreError(e);
      }
    });
    this.queue = p.catch(() => undefined);
    return p;
  }
}
