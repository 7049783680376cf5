// The gossip store's log: the one byte format and index that every persistent store shares (the
// file store appends it to a file, src/node/gossip-store-file.ts; the IndexedDB store keeps it as a
// sequence of values, src/web/gossip-store-idb.ts, and the Durable Object store as a sequence of
// SQLite rows, src/edge/gossip-store-do.ts). In the spirit of Core Lightning's gossip_store
// (common/gossip_store.h: records of flags, length, CRC32C, timestamp, message):
//
//   log     = entry*
//   entry   = u32:crc  u8:kind  u8:flags(0)  u16:msg_type  u32:len  u32:timestamp  body[len]
//             crc is CRC32C (RFC 3720) of every byte of the entry after the crc field itself.
//   kind 1  record:    body = key  u8:extra_len  extra[extra_len]  raw
//   kind 2  tombstone: body = key                 (the live record with that key is deleted)
//   kind 3  commit:    body = u64:seq  u32:count  (count = entries of this batch before it)
//   key     = 256: u64 short_channel_id | 258: u64 short_channel_id u8 direction | 257: node_id[33]
//   extra   = TLV (u8 type, u8 len, value); 1: u64 amount_sat, 2: funding_txid[32], 3: u32
//             spent_height. Unknown types are skipped.
//
// A batch is its entries followed by one commit entry; a reader applies a batch only when it reaches
// that commit, so a batch is all or nothing. Superseding needs no write (the later record for a key
// wins) and deletes are tombstones, so nothing is ever rewritten in place. `GossipLog` tracks, by
// position in the log, which records are live and how many entries are dead, so a store can report
// `shouldCompact`, rewrite only the live records, and read one record back (`locate`, `entryRaw`).
// Pure: bytes in, bytes out.
import { concat, fromHex, toHex } from '../base/bytes.ts';
import { crc32cRange } from './checksum.ts';
import { U64Map } from './u64-map.ts';
import {
  GossipStoreError,
  STORE_CHANNEL_ANNOUNCEMENT,
  STORE_CHANNEL_UPDATE,
  STORE_NODE_ANNOUNCEMENT,
  checkKey,
  checkRecord,
  keyId,
  type GossipKey,
  type GossipKeyRef,
  type GossipRecord,
  type GossipRecordExtra,
  type GossipRecordType,
  type GossipStoreStats,
} from './store.ts';

export const ENTRY_HEAD = 16;
const KIND_RECORD = 1;
const KIND_TOMBSTONE = 2;
const KIND_COMMIT = 3;
const COMMIT_BODY = 12;
const TLV_AMOUNT_SAT = 1;
const TLV_FUNDING_TXID = 2;
const TLV_SPENT_HEIGHT = 3;
/** Largest body a valid entry can have: key, extra, a 65535-byte message. */
const MAX_BODY = 33 + 1 + 255 + 65535;

function keyLength(type: number): number {
  return type === STORE_CHANNEL_ANNOUNCEMENT ? 8 : type === STORE_CHANNEL_UPDATE ? 9 : type === STORE_NODE_ANNOUNCEMENT ? 33 : -1;
}

function writeKey(dv: DataView, out: Uint8Array, at: number, type: GossipRecordType, key: GossipKey): void {
  if (type === STORE_NODE_ANNOUNCEMENT) out.set(fromHex(key as string), at);
  else if (type === STORE_CHANNEL_ANNOUNCEMENT) dv.setBigUint64(at, key as bigint);
  else {
    dv.setBigUint64(at, (key as bigint) >> 1n);
    out[at + 8] = Number((key as bigint) & 1n);
  }
}

function readKey(dv: DataView, buf: Uint8Array, at: number, type: number): GossipKey {
  if (type === STORE_NODE_ANNOUNCEMENT) return toHex(buf.subarray(at, at + 33));
  if (type === STORE_CHANNEL_ANNOUNCEMENT) return dv.getBigUint64(at);
  return (dv.getBigUint64(at) << 1n) | BigInt(buf[at + 8]! & 1);
}

function extraLength(r: GossipRecord): number {
  const x = r.extra;
  return x ? (x.amount_sat !== undefined ? 10 : 0) + (x.funding_txid !== undefined ? 34 : 0) + (x.spent_height !== undefined ? 6 : 0) : 0;
}

/** Where the live record of a key is: its ordinal in `offsets`. */
interface OrdMap<K extends GossipKey> {
  readonly size: number;
  get(key: K): number | undefined;
  has(key: K): boolean;
  set(key: K, ord: number): void;
  delete(key: K): boolean;
  /** Replaces every ordinal `o` with `f(o)` (compaction). */
  remap(f: (ord: number) => number): void;
}

/** channel_updates by short_channel_id, one typed map per direction (keys are scid * 2 + direction, above u64). */
class UpdateIndex implements OrdMap<bigint> {
  private readonly dirs = [new U64Map(), new U64Map()] as const;
  get size(): number {
    return this.dirs[0].size + this.dirs[1].size;
  }
  get(key: bigint): number | undefined {
    return this.dirs[Number(key & 1n)]!.get(key >> 1n);
  }
  has(key: bigint): boolean {
    return this.get(key) !== undefined;
  }
  set(key: bigint, ord: number): void {
    this.dirs[Number(key & 1n)]!.set(key >> 1n, ord);
  }
  delete(key: bigint): boolean {
    return this.dirs[Number(key & 1n)]!.delete(key >> 1n);
  }
  remap(f: (ord: number) => number): void {
    for (const d of this.dirs) d.remap(f);
  }
}

/** node_announcements by node_id hex: few enough for a Map. */
class NodeIndex extends Map<string, number> implements OrdMap<string> {
  remap(f: (ord: number) => number): void {
    for (const [k, ord] of this) this.set(k, f(ord));
  }
}

/** The live record of every key, one map per type: typed arrays for the channels and their updates (most of the log). */
interface Index {
  channels: OrdMap<bigint>;
  updates: OrdMap<bigint>;
  nodes: OrdMap<string>;
}

function newIndex(): Index {
  return { channels: new U64Map(), updates: new UpdateIndex(), nodes: new NodeIndex() };
}

/** A batch encoded and not yet durable: write `bytes` at the log's end, then call `committed()`. */
export interface PendingBatch {
  bytes: Uint8Array;
  committed(): void;
}

export interface ScanResult {
  /** Position just after the last whole, committed batch. */
  committed: number;
  /** Position where the scan stopped: an entry cut short or failing its CRC (or the end). */
  stopped: number;
}

/**
 * The index of a log: every key's live record by position, and the dead-entry count. Positions are
 * offsets in the log as the store lays it out (the file store starts after its 8-byte header).
 */
export class GossipLog {
  /** Position after the last committed batch: where the next batch goes. */
  end: number;
  seq = 0n;
  private index: Index = newIndex();
  /** Position of every record entry since the last compaction, in write order, and its length (head included). */
  private offsets: number[] = [];
  private sizes: number[] = [];
  private dead = new Uint8Array(1024);
  private deadCount = 0;
  private loadKeys: GossipKey[] | undefined;

  constructor(
    start: number,
    private readonly label: string,
  ) {
    this.end = start;
  }

  stats(bytes: number): GossipStoreStats {
    return { live: this.index.channels.size + this.index.updates.size + this.index.nodes.size, dead: this.deadCount, bytes };
  }

  /** Forgets everything: the log is empty and starts at `start`. */
  reset(start: number): void {
    this.index = newIndex();
    this.offsets = [];
    this.sizes = [];
    this.dead = new Uint8Array(1024);
    this.deadCount = 0;
    this.end = start;
  }

  /**
   * Where the live record of a key is in the log (its entry: position and length), or undefined.
   * A store reads those bytes back and hands out `entryRaw` of them (GossipStore.read).
   */
  locate(ref: GossipKeyRef): { position: number; size: number } | undefined {
    checkKey(ref.type, ref.key);
    const ord = mapFor(this.index, ref.type).get(ref.key);
    return ord === undefined ? undefined : { position: this.offsets[ord]!, size: this.sizes[ord]! };
  }

  /**
   * Reads the log from position `start`, applying each batch at its commit. The log is `parts`
   * laid end to end (one buffer for a file; one per value for IndexedDB, whose values each hold
   * whole entries). Stops at the first entry that is cut short or fails its CRC (`crc: false` skips
   * that check where the backend itself commits whole values, and `whole: true` makes anything
   * short of the end GossipStoreError('corrupt')); an entry whose CRC holds but which cannot be
   * read is GossipStoreError('corrupt'). No record is handed out before the whole log is read. Then calls `onRecord` for each live record in
   * write order, its `raw` a view into its part (which must not change afterwards).
   */
  load(
    parts: Uint8Array | readonly Uint8Array[],
    start: number,
    onRecord: (record: GossipRecord) => void,
    opts: { crc?: boolean; whole?: boolean } = {},
  ): ScanResult {
    this.reset(start);
    const list = parts instanceof Uint8Array ? [parts] : parts;
    const checkCrc = opts.crc ?? true;
    const views = list.map(b => new DataView(b.buffer, b.byteOffset, b.byteLength));
    // A single buffer holds the log at its own indices (a file: the header comes first); parts
    // follow one another from `start`.
    const base: number[] = [];
    for (let p = 0, at = list.length === 1 ? 0 : start; p < list.length; p++) {
      base.push(at);
      at += list[p]!.length;
    }
    // Entries of the batch being read, and every record entry by ordinal: part and offset in it.
    const pendingPart: number[] = [];
    const pendingAt: number[] = [];
    const recPart: number[] = [];
    const recAt: number[] = [];
    const keys: GossipKey[] = (this.loadKeys = []);
    let committed = start;
    let stopped = -1;
    try {
      for (let p = 0; p < list.length && stopped < 0; p++) {
        const buf = list[p]!;
        const dv = views[p]!;
        const size = buf.length;
        let pos = list.length === 1 ? start : 0;
        for (;;) {
          if (pos === size) break;
          const len = pos + ENTRY_HEAD <= size ? dv.getUint32(pos + 8) : 0;
          if (
            pos + ENTRY_HEAD > size ||
            len > MAX_BODY ||
            pos + ENTRY_HEAD + len > size ||
            (checkCrc && crc32cRange(buf, pos + 4, pos + ENTRY_HEAD + len) !== dv.getUint32(pos))
          ) {
            stopped = base[p]! + pos;
            break;
          }
          const kind = buf[pos + 4];
          if (kind === KIND_COMMIT) {
            if (len !== COMMIT_BODY || dv.getUint32(pos + ENTRY_HEAD + 8) !== pendingAt.length) {
              throw new GossipStoreError('corrupt', `${this.label}: commit at ${base[p]! + pos} does not match its batch`);
            }
            for (let i = 0; i < pendingAt.length; i++) {
              const q = pendingPart[i]!;
              const at = pendingAt[i]!;
              const ord = this.applyEntry(views[q]!, list[q]!, at, base[q]! + at);
              if (ord >= 0) {
                recPart[ord] = q;
                recAt[ord] = at;
              }
            }
            pendingPart.length = 0;
            pendingAt.length = 0;
            this.seq = dv.getBigUint64(pos + ENTRY_HEAD);
            committed = base[p]! + pos + ENTRY_HEAD + len;
          } else {
            this.checkEntry(dv, buf, pos, kind, len);
            pendingPart.push(p);
            pendingAt.push(pos);
          }
          pos += ENTRY_HEAD + len;
        }
      }
    } finally {
      this.loadKeys = undefined;
    }
    const total = list.length ? base[list.length - 1]! + list[list.length - 1]!.length : start;
    // `whole`: the backend commits whole values, so anything short of the end is damage, found
    // before a single record is handed out.
    if (opts.whole && committed !== total) {
      this.reset(start);
      throw new GossipStoreError('corrupt', `${this.label}: the log is unreadable after byte ${committed} of ${total}`);
    }
    this.end = committed;
    for (let i = 0; i < this.offsets.length; i++) {
      if (!this.dead[i]) onRecord(decodeRecord(views[recPart[i]!]!, list[recPart[i]!]!, recAt[i]!, keys[i]!));
    }
    return { committed, stopped: stopped < 0 ? total : stopped };
  }

  /**
   * Checks and encodes one batch (deletes first, then records; tombstones only for keys live now),
   * or returns undefined when it changes nothing. The index learns of it in `committed()`, which
   * the store calls once the bytes are durable at `end`.
   */
  encode(records: readonly GossipRecord[], deletes: readonly GossipKeyRef[]): PendingBatch | undefined {
    for (const d of deletes) checkKey(d.type, d.key);
    for (const r of records) checkRecord(r);
    const seen = new Set<string>();
    const tombs = deletes.filter(d => {
      const id = keyId(d.type, d.key);
      if (seen.has(id) || !mapFor(this.index, d.type).has(d.key)) return false;
      seen.add(id);
      return true;
    });
    if (tombs.length === 0 && records.length === 0) return undefined;
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
      if (r.extra?.amount_sat !== undefined) {
        out[b] = TLV_AMOUNT_SAT;
        out[b + 1] = 8;
        dv.setBigUint64(b + 2, BigInt(r.extra.amount_sat));
        b += 10;
      }
      if (r.extra?.funding_txid !== undefined) {
        out[b] = TLV_FUNDING_TXID;
        out[b + 1] = 32;
        out.set(fromHex(r.extra.funding_txid), b + 2);
        b += 34;
      }
      if (r.extra?.spent_height !== undefined) {
        out[b] = TLV_SPENT_HEIGHT;
        out[b + 1] = 4;
        dv.setUint32(b + 2, r.extra.spent_height);
        b += 6;
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
    return {
      bytes: out,
      committed: () => {
        this.seq = seq;
        const base = this.end;
        for (let i = 0; i < count; i++) this.applyEntry(dv, out, starts[i]!, base + starts[i]!);
        this.end += total;
      },
    };
  }

  /** True when a compaction would give something back. */
  get hasDead(): boolean {
    return this.deadCount > 0;
  }

  /**
   * The compacted log: the live records of `src` (the log's bytes from position `srcStart`),
   * verbatim and in write order (their CRCs still hold), then one commit, laid out from position
   * `start`. `done()` switches the index over once the store has made the new log durable.
   */
  compacted(src: Uint8Array, srcStart: number, start: number): { parts: Uint8Array[]; done(): void } {
    const sdv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const parts: Uint8Array[] = [];
    const newOffsets: number[] = [];
    const newSizes: number[] = [];
    let at = start;
    for (let i = 0; i < this.offsets.length; i++) {
      if (this.dead[i]) continue;
      const from = this.offsets[i]! - srcStart;
      const len = ENTRY_HEAD + sdv.getUint32(from + 8);
      newOffsets.push(at);
      newSizes.push(len);
      parts.push(src.subarray(from, from + len));
      at += len;
    }
    const commit = new Uint8Array(ENTRY_HEAD + COMMIT_BODY);
    const cdv = new DataView(commit.buffer);
    commit[4] = KIND_COMMIT;
    cdv.setUint32(8, COMMIT_BODY);
    cdv.setBigUint64(ENTRY_HEAD, this.seq + 1n);
    cdv.setUint32(ENTRY_HEAD + 8, newOffsets.length);
    cdv.setUint32(0, crc32cRange(commit, 4, commit.length));
    parts.push(commit);
    const end = at + commit.length;
    return {
      parts,
      done: () => {
        // Same keys, ordinals renumbered over the new positions.
        const renumber = new Int32Array(this.offsets.length);
        let n = 0;
        for (let i = 0; i < this.offsets.length; i++) if (!this.dead[i]) renumber[i] = n++;
        for (const m of [this.index.channels, this.index.updates, this.index.nodes]) m.remap(ord => renumber[ord]!);
        this.offsets = newOffsets;
        this.sizes = newSizes;
        this.dead = new Uint8Array(Math.max(1024, newOffsets.length * 2));
        this.deadCount = 0;
        this.seq += 1n;
        this.end = end;
      },
    };
  }

  /** A CRC-valid record or tombstone must parse; if not, the log is not ours to cut. */
  private checkEntry(dv: DataView, buf: Uint8Array, at: number, kind: number | undefined, len: number): void {
    const type = dv.getUint16(at + 6);
    const kl = keyLength(type);
    const ok =
      kl > 0 && ((kind === KIND_TOMBSTONE && len === kl) || (kind === KIND_RECORD && len >= kl + 1 + buf[at + ENTRY_HEAD + kl]! + 2));
    if (!ok) throw new GossipStoreError('corrupt', `${this.label}: unreadable entry at ${at}`);
  }

  /** Applies the entry at `at` in `buf`, which lives at log position `position`. */
  private applyEntry(dv: DataView, buf: Uint8Array, at: number, position: number): number {
    const type = dv.getUint16(at + 6);
    const key = readKey(dv, buf, at + ENTRY_HEAD, type);
    const map = mapFor(this.index, type);
    const old = map.get(key);
    if (buf[at + 4] !== KIND_RECORD) {
      if (old !== undefined) {
        this.markDead(old);
        map.delete(key);
      }
      this.deadCount++; // the tombstone itself
      return -1;
    }
    if (old !== undefined) this.markDead(old);
    const ord = this.offsets.length;
    this.offsets.push(position);
    this.sizes.push(ENTRY_HEAD + dv.getUint32(at + 8));
    if (ord >= this.dead.length) {
      const grown = new Uint8Array(this.dead.length * 2);
      grown.set(this.dead);
      this.dead = grown;
    }
    map.set(key, ord);
    if (this.loadKeys) this.loadKeys[ord] = key;
    return ord;
  }

  private markDead(ord: number): void {
    this.dead[ord] = 1;
    this.deadCount++;
  }
}

function mapFor(index: Index, type: number): OrdMap<GossipKey> {
  return (
    type === STORE_CHANNEL_ANNOUNCEMENT ? index.channels : type === STORE_CHANNEL_UPDATE ? index.updates : index.nodes
  ) as OrdMap<GossipKey>;
}

/** The wire message in a record entry's bytes (as `locate` places them): a view, no copy. */
export function entryRaw(entry: Uint8Array): Uint8Array {
  const dv = new DataView(entry.buffer, entry.byteOffset, entry.byteLength);
  const len = entry.length >= ENTRY_HEAD ? dv.getUint32(8) : -1;
  const kl = len >= 0 ? keyLength(dv.getUint16(6)) : -1;
  if (len < 0 || entry[4] !== KIND_RECORD || kl < 0 || ENTRY_HEAD + len > entry.length || kl + 1 + entry[ENTRY_HEAD + kl]! > len) {
    throw new GossipStoreError('corrupt', 'a record read back from the log is not the record its index names');
  }
  return entry.subarray(ENTRY_HEAD + kl + 1 + entry[ENTRY_HEAD + kl]!, ENTRY_HEAD + len);
}

function decodeRecord(dv: DataView, buf: Uint8Array, at: number, key: GossipKey): GossipRecord {
  const type = dv.getUint16(at + 6) as GossipRecordType;
  const timestamp = dv.getUint32(at + 12);
  const bodyEnd = at + ENTRY_HEAD + dv.getUint32(at + 8);
  let b = at + ENTRY_HEAD + keyLength(type);
  const xl = buf[b++]!;
  const xEnd = b + xl;
  const r: GossipRecord = { type, key, timestamp, raw: buf.subarray(xEnd, bodyEnd) };
  let extra: GossipRecordExtra | undefined;
  while (b + 2 <= xEnd) {
    const t = buf[b]!;
    const l = buf[b + 1]!;
    if (t === TLV_AMOUNT_SAT && l === 8 && b + 10 <= xEnd) (extra ??= {}).amount_sat = Number(dv.getBigUint64(b + 2));
    else if (t === TLV_FUNDING_TXID && l === 32 && b + 34 <= xEnd) (extra ??= {}).funding_txid = toHex(buf.subarray(b + 2, b + 34));
    else if (t === TLV_SPENT_HEIGHT && l === 4 && b + 6 <= xEnd) (extra ??= {}).spent_height = dv.getUint32(b + 2);
    b += 2 + l;
  }
  if (extra) r.extra = extra;
  return r;
}

/** The entries of a log's bytes (whole entries, as `encode` makes them), as views. */
export function splitEntries(bytes: Uint8Array): Uint8Array[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const end = at + ENTRY_HEAD + dv.getUint32(at + 8);
    out.push(bytes.subarray(at, end));
    at = end;
  }
  return out;
}

/**
 * `parts` laid end to end and cut into pieces of about `size` bytes, each in a buffer of its own
 * (a part is never split, so a piece of whole entries stays whole): how the stores that keep the
 * log as values (IndexedDB, Durable Object rows) pack it.
 */
export function packParts(parts: readonly Uint8Array[], size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let bytes = 0;
  const flush = (): void => {
    out.push(concat(...group));
    group = [];
    bytes = 0;
  };
  for (const p of parts) {
    if (bytes > 0 && bytes + p.length > size) flush();
    group.push(p);
    bytes += p.length;
  }
  if (bytes > 0) flush();
  return out;
}

/** The index of the part holding log position `position`, given where each part starts (ascending, the first at 0 or below). */
export function partAt(starts: readonly number[], position: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= position) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
