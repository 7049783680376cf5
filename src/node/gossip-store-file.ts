// The gossip store as one append-only file, in the spirit of Core Lightning's gossip_store: an
// 8-byte header, then the log that every persistent store shares (src/core/gossip/store-log.ts:
// CRC32C-sealed entries, batches ended by a commit entry, tombstones for deletes).
//
//   file    = header log
//   header  = "BWGS" u8:version(1) u8[3]:zero                               (8 bytes)
//
// A batch is appended with one write and made durable by one fdatasync before writeBatch resolves.
// Load reads the file in large chunks and scans it; it stops at the first entry that is cut short
// or fails its CRC, and also drops every entry after the last commit: that tail was never
// acknowledged, so the file is truncated there. A batch is therefore all or nothing.
//
// Deletion appends tombstones rather than flipping a deleted bit in place (as Core Lightning does):
// nothing is ever written before the end of the file, so a crash can only tear the tail, which the
// CRC and the commit entry detect; a delete is atomic with the rest of its batch; and superseding
// needs no write at all (the later record for a key wins). compact() rewrites the live records,
// verbatim and in write order, into a new file that is fsynced and then renamed over the old one
// (a crash leaves the old file or the new one).
//
// read() finds a live record through the log's index (its position and length) and reads it back
// with pread; records close together in the file share one read.
//
// One process may have a store open at a time (lightningd starts one gossipd).
import { crc32cRange } from '../core/gossip/checksum.ts';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDir } from './fs-sync.ts';
import { GossipLog, entryRaw } from '../core/gossip/store-log.ts';
import {
  GossipStoreError,
  type GossipKeyRef,
  type GossipLoadResult,
  type GossipRecord,
  type GossipStore,
  type GossipStoreStats,
} from '../core/gossip/store.ts';

/** The log's layout (extra TLV 2, funding_txid, is additive: readers skip TLV types they do not know). */
export const FILE_STORE_VERSION = 1;
const MAGIC = [0x42, 0x57, 0x47, 0x53]; // "BWGS"
const HEADER_LEN = 8;
const READ_CHUNK = 16 << 20;
const WRITE_CHUNK = 8 << 20;
/** read(): records this close in the file are read with one pread, up to this many bytes at once. */
const READ_GAP = 16 << 10;
const READ_SPAN = 1 << 20;

// CRC32C of each entry: the one in src/core/gossip/checksum.ts (slicing-by-8, no views made).
export { crc32cRange };

function header(): Uint8Array {
  const h = new Uint8Array(HEADER_LEN);
  h.set(MAGIC);
  h[4] = FILE_STORE_VERSION;
  return h;
}

export interface FileGossipStoreOptions {
  /** fdatasync after each batch (default true). Only tests that measure something else turn it off. */
  sync?: boolean;
}

export class FileGossipStore implements GossipStore {
  private fh: FileHandle | undefined;
  private closing: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private loaded = false;
  private broken = false;
  private readonly log: GossipLog;

  private constructor(
    readonly path: string,
    fh: FileHandle,
    private readonly sync: boolean,
  ) {
    this.fh = fh;
    this.log = new GossipLog(HEADER_LEN, path);
  }

  /** Opens (creating if missing) the store at `path`. Call load() next. */
  static async open(path: string, options: FileGossipStoreOptions = {}): Promise<FileGossipStore> {
    // A compaction that never reached its rename left this behind; the store itself is whole.
    await rm(compactPath(path), { force: true });
    let fh: FileHandle;
    try {
      fh = await open(path, 'r+');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('open', e);
      try {
        fh = await open(path, 'wx+');
        await syncDir(dirname(path));
      } catch (e2) {
        throw ioError('create', e2);
      }
    }
    return new FileGossipStore(path, fh, options.sync ?? true);
  }

  load(onRecord: (record: GossipRecord) => void): Promise<GossipLoadResult> {
    return this.run(() => this.doLoad(onRecord));
  }

  writeBatch(records: readonly GossipRecord[], deletes: readonly GossipKeyRef[] = []): Promise<void> {
    return this.run(() => this.doWrite(records, deletes));
  }

  delete(keys: readonly GossipKeyRef[]): Promise<void> {
    return this.writeBatch([], keys);
  }

  /** Each record's entry read back with pread; records near one another in the file share a read. */
  read(keys: readonly GossipKeyRef[]): Promise<(Uint8Array | undefined)[]> {
    return this.run(async () => {
      if (!this.loaded) throw new GossipStoreError('not_loaded', 'load() the gossip store before reading from it');
      const out: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(keys.length).fill(undefined);
      const spots: { i: number; position: number; size: number }[] = [];
      keys.forEach((k, i) => {
        const at = this.log.locate(k);
        if (at) spots.push({ i, ...at });
      });
      spots.sort((a, b) => a.position - b.position);
      for (let s = 0; s < spots.length;) {
        const from = spots[s]!.position;
        let end = from + spots[s]!.size;
        let e = s + 1;
        for (; e < spots.length; e++) {
          const next = spots[e]!;
          if (next.position - end > READ_GAP || next.position + next.size - from > READ_SPAN) break;
          end = Math.max(end, next.position + next.size);
        }
        const buf = await readAt(this.fh!, from, end - from);
        for (let j = s; j < e; j++) {
          const at = spots[j]!.position - from;
          out[spots[j]!.i] = entryRaw(buf.subarray(at, at + spots[j]!.size));
        }
        s = e;
      }
      return out;
    });
  }

  compact(): Promise<void> {
    return this.run(() => this.doCompact());
  }

  /** Meta values live in a small JSON file beside the store (`PATH.meta`), replaced by rename. */
  getMeta(key: string): Promise<string | undefined> {
    return this.run(async () => {
      const v = (await readMeta(this.path))[key];
      return typeof v === 'string' ? v : undefined;
    });
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.run(async () => {
      const meta = await readMeta(this.path);
      meta[key] = value;
      const tmp = `${this.path}.meta.tmp`;
      try {
        const fh = await open(tmp, 'w');
        try {
          await writeFully(fh, new TextEncoder().encode(JSON.stringify(meta)), 0);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, `${this.path}.meta`);
        await syncDir(dirname(this.path));
      } catch (e) {
        throw ioError('meta write', e);
      }
    });
  }

  clear(): Promise<void> {
    return this.run(async () => {
      if (this.broken) throw new GossipStoreError('broken', 'an earlier write failed and could not be undone; reopen the store');
      // One truncate to the header: the file is whole before it (old store) and after it (empty).
      await this.rewrite(0, header());
      this.log.reset(HEADER_LEN);
      this.loaded = true;
    });
  }

  stats(): Promise<GossipStoreStats> {
    return this.run(async () => this.log.stats(this.log.end));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.queue.catch(() => undefined);
      const fh = this.fh;
      this.fh = undefined;
      await fh?.close();
    })();
    return this.closing;
  }

  // ---- internals ----

  private run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(() => {
      if (!this.fh) throw new GossipStoreError('closed', 'the gossip store is closed');
      return fn();
    });
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async doLoad(onRecord: (record: GossipRecord) => void): Promise<GossipLoadResult> {
    this.loaded = false;
    const fh = this.fh!;
    const buf = await readAll(fh);
    const size = buf.length;
    const h = header();
    if (size < HEADER_LEN || (size === HEADER_LEN && buf.every(b => b === 0))) {
      // A new file, or one whose creation was cut short (part of the header, or space allocated
      // and never written) before anything could be committed.
      for (let i = 0; i < size; i++) {
        if (buf[i] !== h[i] && buf[i] !== 0) throw new GossipStoreError('bad_header', `${this.path} is not a gossip store`);
      }
      await this.rewrite(0, h);
      this.log.reset(HEADER_LEN);
      this.loaded = true;
      return { ...this.log.stats(HEADER_LEN), discarded: 0 };
    }
    for (let i = 0; i < 4; i++) {
      if (buf[i] !== MAGIC[i]) throw new GossipStoreError('bad_header', `${this.path} is not a gossip store`);
    }
    if (buf[4] !== FILE_STORE_VERSION) {
      throw new GossipStoreError('version', `${this.path} is gossip store version ${buf[4]}, this code reads ${FILE_STORE_VERSION}`);
    }
    const { committed } = this.log.load(buf, HEADER_LEN, onRecord);
    const discarded = size - committed;
    // What follows the last commit was never acknowledged: cut it off so new batches follow a whole one.
    if (discarded > 0) await this.truncate(committed);
    this.loaded = true;
    return { ...this.log.stats(committed), discarded };
  }

  private checkWritable(): void {
    if (this.broken) throw new GossipStoreError('broken', 'an earlier write failed and could not be undone; reopen the store');
    if (!this.loaded) throw new GossipStoreError('not_loaded', 'load() the gossip store before writing to it');
  }

  private async doWrite(records: readonly GossipRecord[], deletes: readonly GossipKeyRef[]): Promise<void> {
    this.checkWritable();
    const batch = this.log.encode(records, deletes);
    if (!batch) return;
    await this.appendDurably(batch.bytes);
    // Only now, with the batch on disk, does the index learn of it.
    batch.committed();
  }

  /** Appends at the committed end; on failure cuts the file back there so no half batch is left before later ones. */
  private async appendDurably(out: Uint8Array): Promise<void> {
    const fh = this.fh!;
    const end = this.log.end;
    try {
      await writeFully(fh, out, end);
      if (this.sync) await fh.datasync();
    } catch (e) {
      try {
        await fh.truncate(end);
        if (this.sync) await fh.datasync();
      } catch {
        this.broken = true;
      }
      throw ioError('write', e);
    }
  }

  private async rewrite(at: number, bytes: Uint8Array): Promise<void> {
    const fh = this.fh!;
    try {
      await fh.truncate(at);
      await writeFully(fh, bytes, at);
      await fh.sync();
    } catch (e) {
      throw ioError('write', e);
    }
  }

  private async truncate(at: number): Promise<void> {
    try {
      await this.fh!.truncate(at);
      await this.fh!.sync();
    } catch (e) {
      throw ioError('truncate', e);
    }
  }

  private async doCompact(): Promise<void> {
    this.checkWritable();
    if (!this.log.hasDead) return;
    const src = await readAll(this.fh!, this.log.end);
    const next = this.log.compacted(src, 0, HEADER_LEN);
    const tmp = compactPath(this.path);
    let out: FileHandle | undefined;
    try {
      out = await open(tmp, 'w+');
      let chunk = new Uint8Array(WRITE_CHUNK);
      let fill = 0;
      let filePos = 0;
      const flush = async (): Promise<void> => {
        await writeFully(out!, chunk.subarray(0, fill), filePos);
        filePos += fill;
        fill = 0;
      };
      const put = async (bytes: Uint8Array): Promise<void> => {
        if (fill + bytes.length > chunk.length) await flush();
        if (bytes.length > chunk.length) chunk = new Uint8Array(bytes.length);
        chunk.set(bytes, fill);
        fill += bytes.length;
      };
      await put(header());
      for (const part of next.parts) await put(part);
      await flush();
      await out.sync();
      // The switch: before the rename the old file is the store, after it the new one; both whole.
      // `out` is then the store's handle (same inode), so nothing can fail between the two.
      await rename(tmp, this.path);
      const old = this.fh!;
      this.fh = out;
      out = undefined;
      await old.close().catch(() => undefined);
      next.done();
      await syncDir(dirname(this.path)); // makes the rename itself durable
    } catch (e) {
      if (out) await out.close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
      throw e instanceof GossipStoreError ? e : ioError('compact', e);
    }
  }
}

/** The meta file's values; a missing or unreadable file reads as none (they are hints, not gossip). */
async function readMeta(path: string): Promise<Record<string, unknown>> {
  try {
    const fh = await open(`${path}.meta`, 'r');
    try {
      const parsed = JSON.parse(new TextDecoder().decode(await readAll(fh))) as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    } finally {
      await fh.close();
    }
  } catch {
    return {};
  }
}

function compactPath(path: string): string {
  return `${path}.compact`;
}

/** The whole file (or its first `limit` bytes) in one buffer, read in large chunks. */
async function readAll(fh: FileHandle, limit?: number): Promise<Uint8Array> {
  let size: number;
  try {
    size = limit ?? (await fh.stat()).size;
  } catch (e) {
    throw ioError('stat', e);
  }
  const buf = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    let n: number;
    try {
      ({ bytesRead: n } = await fh.read(buf, got, Math.min(READ_CHUNK, size - got), got));
    } catch (e) {
      throw ioError('read', e);
    }
    if (n === 0) return buf.subarray(0, got);
    got += n;
  }
  return buf;
}

/** `length` bytes at `position`; fewer is damage (the index names bytes the file no longer has). */
async function readAt(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    let n: number;
    try {
      ({ bytesRead: n } = await fh.read(buf, got, length - got, position + got));
    } catch (e) {
      throw ioError('read', e);
    }
    if (n === 0) throw new GossipStoreError('corrupt', `gossip store read at ${position}: the file ends early`);
    got += n;
  }
  return buf;
}

async function writeFully(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

function ioError(what: string, e: unknown): GossipStoreError {
  const err = new GossipStoreError('io', `gossip store ${what} failed: ${(e as Error)?.message ?? String(e)}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}
