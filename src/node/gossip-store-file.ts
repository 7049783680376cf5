// The gossip store as one append-only file, in the spirit of Core Lightning's gossip_store
// (common/gossip_store.h: a version byte, then records of flags, length, CRC32C of timestamp and
// message, timestamp, message). Ours differs where crash safety asks it to:
//
//   file    = header entry*
//   header  = "BWGS" u8:version(1) u8[3]:zero                               (8 bytes)
//   entry   = u32:crc  u8:kind  u8:flags(0)  u16:msg_type  u32:len  u32:timestamp  body[len]
//             crc is CRC32C (RFC 3720) of every byte of the entry after the crc field itself.
//   kind 1  record:    body = key  u8:extra_len  extra[extra_len]  raw
//   kind 2  tombstone: body = key                 (the live record with that key is deleted)
//   kind 3  commit:    body = u64:seq  u32:count  (count = entries of this batch before it)
//   key     = 256: u64 short_channel_id | 258: u64 short_channel_id u8 direction | 257: node_id[33]
//   extra   = TLV (u8 type, u8 len, value); 1: u64 amount_sat. Unknown types are skipped.
//
// A batch is its entries followed by one commit entry, appended with one write and made durable by
// one fdatasync before writeBatch resolves. Load reads the file in large chunks and scans it; it
// stops at the first entry that is cut short or fails its CRC, and also drops every entry after
// the last commit: that tail was never acknowledged, so the file is truncated there. A batch is
// therefore all or nothing.
//
// Deletion appends tombstones rather than flipping a deleted bit in place (as Core Lightning does):
// nothing is ever written before the end of the file, so a crash can only tear the tail, which the
// CRC and the commit entry detect; a delete is atomic with the rest of its batch; and superseding
// needs no write at all (the later record for a key wins). Dead entries are counted in memory and
// compact() rewrites the live records, verbatim and in write order, into a new file that is
// fsynced and then renamed over the old one (a crash leaves the old file or the new one).
//
// One process may have a store open at a time (lightningd starts one gossipd).
import { crc32cRange } from '../core/gossip/checksum.ts';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { toHex } from '../core/bytes.ts';
import {
  GossipStoreError,
  checkKey,
  checkRecord,
  keyId,
  type GossipKey,
  type GossipKeyRef,
  type GossipLoadResult,
  type GossipRecord,
  type GossipRecordType,
  type GossipStore,
  type GossipStoreStats,
} from '../core/gossip/store.ts';

export const FILE_STORE_VERSION = 1;
const MAGIC = [0x42, 0x57, 0x47, 0x53]; // "BWGS"
const HEADER_LEN = 8;
const ENTRY_HEAD = 16;
const KIND_RECORD = 1;
const KIND_TOMBSTONE = 2;
const KIND_COMMIT = 3;
const COMMIT_BODY = 12;
const TLV_AMOUNT_SAT = 1;
/** Largest body a valid entry can have: key, extra, a 65535-byte message. */
const MAX_BODY = 33 + 1 + 255 + 65535;
const READ_CHUNK = 16 << 20;
const WRITE_CHUNK = 8 << 20;

// CRC32C of each entry: the one in src/core/gossip/checksum.ts (slicing-by-8, no views made).
export { crc32cRange };

function header(): Uint8Array {
  const h = new Uint8Array(HEADER_LEN);
  h.set(MAGIC);
  h[4] = FILE_STORE_VERSION;
  return h;
}

function keyLength(type: number): number {
  return type === 256 ? 8 : type === 258 ? 9 : type === 257 ? 33 : -1;
}

function writeKey(dv: DataView, out: Uint8Array, at: number, type: GossipRecordType, key: GossipKey): void {
  if (type === 257) {
    const hex = key as string;
    for (let i = 0; i < 33; i++) out[at + i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  } else if (type === 256) {
    dv.setBigUint64(at, key as bigint);
  } else {
    dv.setBigUint64(at, (key as bigint) >> 1n);
    out[at + 8] = Number((key as bigint) & 1n);
  }
}

function readKey(dv: DataView, buf: Uint8Array, at: number, type: number): GossipKey {
  if (type === 257) return toHex(buf.subarray(at, at + 33));
  if (type === 256) return dv.getBigUint64(at);
  return (dv.getBigUint64(at) << 1n) | BigInt(buf[at + 8]! & 1);
}

function extraLength(r: GossipRecord): number {
  return r.extra?.amount_sat !== undefined ? 10 : 0;
}

/** Where the live record of each key is: its ordinal in `offsets`. One map per type. */
interface Index {
  channels: Map<bigint, number>;
  updates: Map<bigint, number>;
  nodes: Map<string, number>;
}

function mapFor(index: Index, type: number): Map<GossipKey, number> {
  return (type === 256 ? index.channels : type === 258 ? index.updates : index.nodes) as Map<GossipKey, number>;
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
  /** End of the last committed batch: the file's length. */
  private end = HEADER_LEN;
  private seq = 0n;
  private index: Index = { channels: new Map(), updates: new Map(), nodes: new Map() };
  /** File offset of every record entry since the last compaction, in write order. */
  private offsets: number[] = [];
  private dead = new Uint8Array(1024);
  private deadCount = 0;
  /** During a load: the key of each record ordinal, so the second pass need not decode it again. */
  private loadKeys: GossipKey[] | undefined;

  private constructor(
    readonly path: string,
    fh: FileHandle,
    private readonly sync: boolean,
  ) {
    this.fh = fh;
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
        await syncDir(path);
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

  compact(): Promise<void> {
    return this.run(() => this.doCompact());
  }

  stats(): Promise<GossipStoreStats> {
    return this.run(async () => this.snapshot());
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

  private snapshot(): GossipStoreStats {
    return { live: this.index.channels.size + this.index.updates.size + this.index.nodes.size, dead: this.deadCount, bytes: this.end };
  }

  private async doLoad(onRecord: (record: GossipRecord) => void): Promise<GossipLoadResult> {
    this.loaded = false;
    const fh = this.fh!;
    const buf = await readAll(fh);
    const size = buf.length;
    const h = header();
    if (size < HEADER_LEN || (size === HEADER_LEN && buf.every((b) => b === 0))) {
      // A new file, or one whose creation was cut short (part of the header, or space allocated
      // and never written) before anything could be committed.
      for (let i = 0; i < size; i++) {
        if (buf[i] !== h[i] && buf[i] !== 0) throw new GossipStoreError('bad_header', `${this.path} is not a gossip store`);
      }
      await this.rewrite(0, h);
      this.resetIndex();
      this.end = HEADER_LEN;
      this.loaded = true;
      return { ...this.snapshot(), discarded: 0 };
    }
    for (let i = 0; i < 4; i++) {
      if (buf[i] !== MAGIC[i]) throw new GossipStoreError('bad_header', `${this.path} is not a gossip store`);
    }
    if (buf[4] !== FILE_STORE_VERSION) {
      throw new GossipStoreError('version', `${this.path} is gossip store version ${buf[4]}, this code reads ${FILE_STORE_VERSION}`);
    }

    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.resetIndex();
    const pending: number[] = [];
    const keys: GossipKey[] = (this.loadKeys = []);
    let pos = HEADER_LEN;
    let committed = HEADER_LEN;
    try {
      for (;;) {
        if (pos + ENTRY_HEAD > size) break;
        const len = dv.getUint32(pos + 8);
        if (len > MAX_BODY || pos + ENTRY_HEAD + len > size) break;
        if (crc32cRange(buf, pos + 4, pos + ENTRY_HEAD + len) !== dv.getUint32(pos)) break;
        const kind = buf[pos + 4];
        if (kind === KIND_COMMIT) {
          if (len !== COMMIT_BODY || dv.getUint32(pos + ENTRY_HEAD + 8) !== pending.length) {
            throw new GossipStoreError('corrupt', `${this.path}: commit at ${pos} does not match its batch`);
          }
          for (const at of pending) this.applyEntry(dv, buf, at);
          pending.length = 0;
          this.seq = dv.getBigUint64(pos + ENTRY_HEAD);
          committed = pos + ENTRY_HEAD + len;
        } else {
          this.checkEntry(dv, buf, pos, kind, len);
          pending.push(pos);
        }
        pos += ENTRY_HEAD + len;
      }
    } finally {
      this.loadKeys = undefined;
    }
    const discarded = size - committed;
    // What follows the last commit was never acknowledged: cut it off so new batches follow a whole one.
    if (discarded > 0) await this.truncate(committed);
    this.end = committed;
    this.loaded = true;

    for (let i = 0; i < this.offsets.length; i++) {
      if (this.dead[i]) continue;
      onRecord(decodeRecord(dv, buf, this.offsets[i]!, keys[i]!));
    }
    return { ...this.snapshot(), discarded };
  }

  /** A CRC-valid record or tombstone must parse; if not, the file is not ours to truncate. */
  private checkEntry(dv: DataView, buf: Uint8Array, at: number, kind: number | undefined, len: number): void {
    const type = dv.getUint16(at + 6);
    const kl = keyLength(type);
    const ok =
      kl > 0 &&
      ((kind === KIND_TOMBSTONE && len === kl) ||
        (kind === KIND_RECORD && len >= kl + 1 + buf[at + ENTRY_HEAD + kl]! + 2));
    if (!ok) throw new GossipStoreError('corrupt', `${this.path}: unreadable entry at ${at}`);
  }

  private applyEntry(dv: DataView, buf: Uint8Array, at: number): void {
    const type = dv.getUint16(at + 6);
    const key = readKey(dv, buf, at + ENTRY_HEAD, type);
    if (buf[at + 4] === KIND_RECORD) this.applyPut(type, key, at);
    else this.applyDelete(type, key);
  }

  private applyPut(type: number, key: GossipKey, at: number): void {
    const map = mapFor(this.index, type);
    const old = map.get(key);
    if (old !== undefined) this.markDead(old);
    const ord = this.offsets.length;
    this.offsets.push(at);
    if (ord >= this.dead.length) {
      const grown = new Uint8Array(this.dead.length * 2);
      grown.set(this.dead);
      this.dead = grown;
    }
    map.set(key, ord);
    if (this.loadKeys) this.loadKeys[ord] = key;
  }

  private applyDelete(type: number, key: GossipKey): void {
    const map = mapFor(this.index, type);
    const old = map.get(key);
    if (old !== undefined) {
      this.markDead(old);
      map.delete(key);
    }
    this.deadCount++; // the tombstone itself
  }

  private markDead(ord: number): void {
    this.dead[ord] = 1;
    this.deadCount++;
  }

  private resetIndex(): void {
    this.index = { channels: new Map(), updates: new Map(), nodes: new Map() };
    this.offsets = [];
    this.dead = new Uint8Array(1024);
    this.deadCount = 0;
  }

  private checkWritable(): void {
    if (this.broken) throw new GossipStoreError('broken', 'an earlier write failed and could not be undone; reopen the store');
    if (!this.loaded) throw new GossipStoreError('not_loaded', 'load() the gossip store before writing to it');
  }

  private async doWrite(records: readonly GossipRecord[], deletes: readonly GossipKeyRef[]): Promise<void> {
    this.checkWritable();
    for (const d of deletes) checkKey(d.type, d.key);
    for (const r of records) checkRecord(r);

    // Tombstones only for keys that are live now, once each (deletes apply before the records).
    const seen = new Set<string>();
    const tombs = deletes.filter((d) => {
      const id = keyId(d.type, d.key);
      if (seen.has(id) || !mapFor(this.index, d.type).has(d.key)) return false;
      seen.add(id);
      return true;
    });
    if (tombs.length === 0 && records.length === 0) return;
    let total = ENTRY_HEAD + COMMIT_BODY;
    for (const d of tombs) total += ENTRY_HEAD + keyLength(d.type);
    for (const r of records) total += ENTRY_HEAD + keyLength(r.type) + 1 + extraLength(r) + r.raw.length;

    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    const starts: number[] = [];
    let pos = 0;
    const entry = (kind: number, type: number, timestamp: number, len: number): number => {
      starts.push(pos);
      out[pos + 4] = kind;
      dv.setUint16(pos + 6, type);
      dv.setUint32(pos + 8, len);
      dv.setUint32(pos + 12, timestamp);
      return pos + ENTRY_HEAD;
    };
    const seal = (len: number): void => {
      const at = starts[starts.length - 1]!;
      dv.setUint32(at, crc32cRange(out, at + 4, at + ENTRY_HEAD + len));
      pos = at + ENTRY_HEAD + len;
    };
    for (const d of tombs) {
      const kl = keyLength(d.type);
      writeKey(dv, out, entry(KIND_TOMBSTONE, d.type, 0, kl), d.type, d.key);
      seal(kl);
    }
    for (const r of records) {
      const kl = keyLength(r.type);
      const xl = extraLength(r);
      const len = kl + 1 + xl + r.raw.length;
      let b = entry(KIND_RECORD, r.type, r.timestamp, len);
      writeKey(dv, out, b, r.type, r.key);
      b += kl;
      out[b++] = xl;
      if (xl) {
        out[b] = TLV_AMOUNT_SAT;
        out[b + 1] = 8;
        dv.setBigUint64(b + 2, BigInt(r.extra!.amount_sat!));
        b += xl;
      }
      out.set(r.raw, b);
      seal(len);
    }
    const count = starts.length;
    const seq = this.seq + 1n;
    const c = entry(KIND_COMMIT, 0, 0, COMMIT_BODY);
    dv.setBigUint64(c, seq);
    dv.setUint32(c + 8, count);
    seal(COMMIT_BODY);

    await this.appendDurably(out);
    // Only now, with the batch on disk, does the index learn of it.
    this.seq = seq;
    for (let i = 0; i < count; i++) {
      const at = starts[i]!;
      const type = dv.getUint16(at + 6);
      const key = readKey(dv, out, at + ENTRY_HEAD, type);
      if (out[at + 4] === KIND_RECORD) this.applyPut(type, key, this.end + at);
      else this.applyDelete(type, key);
    }
    this.end += total;
  }

  /** Appends at the committed end; on failure cuts the file back there so no half batch is left before later ones. */
  private async appendDurably(out: Uint8Array): Promise<void> {
    const fh = this.fh!;
    try {
      await writeFully(fh, out, this.end);
      if (this.sync) await fh.datasync();
    } catch (e) {
      try {
        await fh.truncate(this.end);
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
    if (this.deadCount === 0) return;
    const src = await readAll(this.fh!, this.end);
    const sdv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const tmp = compactPath(this.path);
    const newOffsets: number[] = [];
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
      // The live records, byte for byte (their CRCs still hold), in write order, then one commit.
      for (let i = 0; i < this.offsets.length; i++) {
        if (this.dead[i]) continue;
        const at = this.offsets[i]!;
        const len = ENTRY_HEAD + sdv.getUint32(at + 8);
        newOffsets.push(filePos + fill);
        await put(src.subarray(at, at + len));
      }
      const commit = new Uint8Array(ENTRY_HEAD + COMMIT_BODY);
      const cdv = new DataView(commit.buffer);
      commit[4] = KIND_COMMIT;
      cdv.setUint32(8, COMMIT_BODY);
      cdv.setBigUint64(ENTRY_HEAD, this.seq + 1n);
      cdv.setUint32(ENTRY_HEAD + 8, newOffsets.length);
      cdv.setUint32(0, crc32cRange(commit, 4, commit.length));
      await put(commit);
      await flush();
      await out.sync();
      // The switch: before the rename the old file is the store, after it the new one; both whole.
      // `out` is then the store's handle (same inode), so nothing can fail between the two.
      await rename(tmp, this.path);
      const old = this.fh!;
      this.fh = out;
      out = undefined;
      await old.close().catch(() => undefined);
      // Rebuild the index over the new offsets: same keys, ordinals renumbered.
      const renumber = new Int32Array(this.offsets.length);
      let n = 0;
      for (let i = 0; i < this.offsets.length; i++) if (!this.dead[i]) renumber[i] = n++;
      for (const m of [this.index.channels, this.index.updates, this.index.nodes] as Map<GossipKey, number>[]) {
        for (const [k, ord] of m) m.set(k, renumber[ord]!);
      }
      this.offsets = newOffsets;
      this.dead = new Uint8Array(Math.max(1024, newOffsets.length * 2));
      this.deadCount = 0;
      this.seq += 1n;
      this.end = filePos;
      await syncDir(this.path); // makes the rename itself durable
    } catch (e) {
      if (out) await out.close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
      throw e instanceof GossipStoreError ? e : ioError('compact', e);
    }
  }
}

function decodeRecord(dv: DataView, buf: Uint8Array, at: number, key: GossipKey): GossipRecord {
  const type = dv.getUint16(at + 6) as GossipRecordType;
  const timestamp = dv.getUint32(at + 12);
  const bodyEnd = at + ENTRY_HEAD + dv.getUint32(at + 8);
  let b = at + ENTRY_HEAD + keyLength(type);
  const xl = buf[b++]!;
  const xEnd = b + xl;
  const r: GossipRecord = { type, key, timestamp, raw: buf.slice(xEnd, bodyEnd) };
  while (b + 2 <= xEnd) {
    const t = buf[b]!;
    const l = buf[b + 1]!;
    if (t === TLV_AMOUNT_SAT && l === 8 && b + 10 <= xEnd) r.extra = { amount_sat: Number(dv.getBigUint64(b + 2)) };
    b += 2 + l;
  }
  return r;
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

async function writeFully(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/** Makes a create or rename in the store's directory durable (fsync of the directory, POSIX). */
async function syncDir(path: string): Promise<void> {
  let dh: FileHandle | undefined;
  try {
    dh = await open(dirname(path), 'r');
    await dh.sync();
  } catch (e) {
    // Some platforms cannot fsync a directory (Windows: EPERM/EISDIR); nothing more can be done there.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EBADF') throw e;
  } finally {
    await dh?.close();
  }
}

function ioError(what: string, e: unknown): GossipStoreError {
  const err = new GossipStoreError('io', `gossip store ${what} failed: ${(e as Error)?.message ?? String(e)}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}
