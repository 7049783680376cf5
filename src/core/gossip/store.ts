// The gossip store: every gossip message that passed validation, kept so that gossipd can rebuild
// its graph on start without checking a signature twice (design.md "start": the store is trusted on
// load, it only ever holds what passed). One interface, one implementation per runtime:
// store-memory.ts (tests), src/node/gossip-store-file.ts (an append-only file in the spirit of
// Core Lightning's gossip_store), src/web/gossip-store-idb.ts (IndexedDB), src/edge/gossip-store-do.ts
// (a Durable Object's SQLite storage). Pure: types and checks.
import { BoltError } from '../base/errors.ts';
import { TYPE } from '../wire/messages.ts';

export const STORE_CHANNEL_ANNOUNCEMENT = TYPE.channel_announcement;
export const STORE_NODE_ANNOUNCEMENT = TYPE.node_announcement;
export const STORE_CHANNEL_UPDATE = TYPE.channel_update;
/** BOLT 7 message types the store holds. */
export type GossipRecordType = typeof STORE_CHANNEL_ANNOUNCEMENT | typeof STORE_NODE_ANNOUNCEMENT | typeof STORE_CHANNEL_UPDATE;

/**
 * What a record is filed under, by type:
 * - 256 channel_announcement: its `short_channel_id` (bigint, < 2^64);
 * - 258 channel_update: `short_channel_id * 2 + direction` (bigint, < 2^65), direction being bit 0
 *   of `channel_flags` (BOLT 7: "direction ... 0 if the origin node is node_id_1, 1 otherwise");
 * - 257 node_announcement: its `node_id` as 66 lowercase hex characters.
 */
export type GossipKey = bigint | string;

/** Small facts learnt while validating that are not in the message (e.g. from the chain backend). */
export interface GossipRecordExtra {
  /** channel_announcement: the funding output's value in satoshis. */
  amount_sat?: number;
  /**
   * channel_announcement: the funding transaction's txid, 64 lowercase hex digits in the order
   * Esplora and bitcoind print it (so spends of the output can be recognised in later blocks; the
   * output index is the short_channel_id's). Absent when announcements are trusted.
   */
  funding_txid?: string;
  /**
   * channel_announcement: the block height at which its funding output was spent, once seen (the
   * channel is forgotten 12 blocks later, BOLT 7 "Pruning the Network View"; kept so a restart in
   * between does not bring it back to life).
   */
  spent_height?: number;
}

export interface GossipRecord {
  type: GossipRecordType;
  key: GossipKey;
  /** The message's `timestamp` (channel_update, node_announcement); 0 or the time received for a channel_announcement. u32. */
  timestamp: number;
  /** The whole wire message, 2-byte type included (at most 65535 bytes, BOLT 1). */
  raw: Uint8Array;
  extra?: GossipRecordExtra;
}

export interface GossipKeyRef {
  type: GossipRecordType;
  key: GossipKey;
}

export interface GossipStoreStats {
  /** Records a load would return. */
  live: number;
  /** Space a compaction would give back, in records: superseded or deleted records and tombstones (0 where the backend deletes for real). */
  dead: number;
  /** Bytes used: the file size; for IndexedDB the origin's usage estimate (0 when unknown). */
  bytes: number;
  /** Pieces a load has to read one by one (IndexedDB: values, one per batch until compacted); absent where a load reads one file. */
  fragments?: number;
}

export interface GossipLoadResult extends GossipStoreStats {
  /** Bytes of an unfinished tail (a batch never acknowledged as committed) cut off by this load. */
  discarded: number;
}

/**
 * A gossip store. Writes are batches, each all or nothing: once `writeBatch` resolves the batch is
 * durable (it survives a crash of the process or the Worker), and a crash before then leaves none of
 * it. Calls are queued: each runs after the previous one finished.
 *
 * Keys: a record replaces the live record of the same `type` and `key` (last write wins: gossipd
 * decides what is newer, BOLT 7 "if the `timestamp` is not greater than that of the last-received
 * ... for this `short_channel_id` and for `node_id`: SHOULD ignore the message"); the store never
 * compares timestamps.
 */
export interface GossipStore {
  /**
   * Calls `onRecord` once for every live record and resolves with the counts. Call it once after
   * opening and before any write: the file store recovers from a crash here. Order: either write
   * order or grouped by type (256, then 257, then 258); either way every channel_announcement
   * comes before the channel_updates and node_announcements written after it (a record rewritten
   * later, such as an announcement with its spent_height, comes where it was rewritten). Records
   * are the caller's to keep: no buffer is shared with the store or a later load, but `raw` may be
   * a view into a buffer holding this load's other records (copy it before posting it to another
   * realm, which would clone that whole buffer).
   */
  load(onRecord: (record: GossipRecord) => void): Promise<GossipLoadResult>;
  /** One atomic batch: `deletes` apply first, then `records` in order. Deleting a key that is not live does nothing. */
  writeBatch(records: readonly GossipRecord[], deletes?: readonly GossipKeyRef[]): Promise<void>;
  /** `writeBatch([], keys)`. */
  delete(keys: readonly GossipKeyRef[]): Promise<void>;
  /**
   * The `raw` messages of the live records with these keys, in the order asked (undefined for a
   * key with no live record). Queued like every call, so it sees each batch written before it.
   * gossipd answers its peers with these instead of holding every message in memory (BOLT 7
   * "Rebroadcasting": the messages are sent again exactly as they were signed). A result may be a
   * view into a buffer holding other records: copy it before posting it to another realm, and
   * do not change it.
   */
  read(keys: readonly GossipKeyRef[]): Promise<(Uint8Array | undefined)[]>;
  /** Gives back the space of dead records (see `shouldCompact`); a crash during it leaves the old or the new store, both whole. */
  compact(): Promise<void>;
  /**
   * Forgets every record, atomically (a crash leaves all or none), and leaves the store loaded and
   * empty. gossipd calls it when the store cannot be read ('corrupt'): gossip can be fetched again
   * from peers, a node that will not start cannot.
   */
  clear(): Promise<void>;
  /**
   * A few small values gossipd keeps beside its gossip (the last block its spend watch read), or
   * undefined. Not part of the log: `clear()` and `compact()` leave them be. Optional.
   */
  getMeta?(key: string): Promise<string | undefined>;
  /** Durable once resolved. */
  setMeta?(key: string, value: string): Promise<void>;
  stats(): Promise<GossipStoreStats>;
  /** Waits for queued calls, then releases the backend; later calls fail with GossipStoreError('closed'). */
  close(): Promise<void>;
}

/**
 * A store failure. Codes: 'bad_record' (a record or key that breaks the rules above), 'closed',
 * 'not_loaded' (a write before load), 'bad_header' (not a gossip store), 'version' (a store written
 * by another version), 'corrupt' (a committed record that cannot be read), 'io', 'broken' (an
 * earlier write failed and could not be undone), 'quota_exceeded', 'blocked', 'version_change',
 * 'terminated' (IndexedDB).
 */
export class GossipStoreError extends BoltError {}

const NODE_ID_HEX = /^(02|03)[0-9a-f]{64}$/;
const TXID_HEX = /^[0-9a-f]{64}$/;
const U64 = 1n << 64n;
export const MAX_RAW = 65535;

/** The key of a channel_update: `short_channel_id * 2 + direction`. */
export function channelUpdateKey(short_channel_id: bigint, direction: 0 | 1): bigint {
  return (short_channel_id << 1n) | BigInt(direction);
}

/** Throws GossipStoreError('bad_record') unless `type` and `key` fit together (see GossipKey). */
export function checkKey(type: number, key: unknown): asserts key is GossipKey {
  if (type === STORE_CHANNEL_ANNOUNCEMENT || type === STORE_CHANNEL_UPDATE) {
    const max = type === STORE_CHANNEL_ANNOUNCEMENT ? U64 : U64 << 1n;
    if (typeof key !== 'bigint' || key < 0n || key >= max) {
      throw new GossipStoreError('bad_record', `type ${type} needs a bigint key below 2^${type === STORE_CHANNEL_ANNOUNCEMENT ? 64 : 65}`);
    }
  } else if (type === STORE_NODE_ANNOUNCEMENT) {
    if (typeof key !== 'string' || !NODE_ID_HEX.test(key)) {
      throw new GossipStoreError('bad_record', 'node_announcement needs a node_id key in lowercase hex');
    }
  } else {
    throw new GossipStoreError('bad_record', `not a gossip record type: ${String(type)}`);
  }
}

/** Throws GossipStoreError('bad_record') unless the record can be stored. */
export function checkRecord(r: GossipRecord): void {
  if (typeof r !== 'object' || r === null) throw new GossipStoreError('bad_record', 'not a record');
  checkKey(r.type, r.key);
  if (!Number.isInteger(r.timestamp) || r.timestamp < 0 || r.timestamp > 0xffffffff) {
    throw new GossipStoreError('bad_record', `timestamp is not a u32: ${String(r.timestamp)}`);
  }
  if (!(r.raw instanceof Uint8Array) || r.raw.length < 2 || r.raw.length > MAX_RAW) {
    throw new GossipStoreError('bad_record', 'raw must be a whole wire message (2 to 65535 bytes)');
  }
  const a = r.extra?.amount_sat;
  if (a !== undefined && (!Number.isSafeInteger(a) || a < 0)) {
    throw new GossipStoreError('bad_record', `amount_sat is not a whole number of satoshis: ${String(a)}`);
  }
  const h = r.extra?.spent_height;
  if (h !== undefined && (!Number.isInteger(h) || h < 1 || h > 0xffffffff)) {
    throw new GossipStoreError('bad_record', `spent_height is not a block height: ${String(h)}`);
  }
  const t = r.extra?.funding_txid;
  if (t !== undefined && (typeof t !== 'string' || !TXID_HEX.test(t))) {
    throw new GossipStoreError('bad_record', `funding_txid is not 64 lowercase hex digits: ${String(t)}`);
  }
}

/** A string naming type and key together, for maps that hold every type. */
export function keyId(type: GossipRecordType, key: GossipKey): string {
  return `${type}:${key}`;
}

/**
 * Compact when dead records outnumber live ones (and there is enough to be worth a rewrite), or when
 * a load would read more than `maxFragments` pieces (a steady trickle of small batches into
 * IndexedDB: compaction packs them into a few large values, keeping the cold start fast).
 */
export function shouldCompact(s: GossipStoreStats, minDead = 10_000, maxFragments = 1_000): boolean {
  return (s.dead >= minDead && s.dead > s.live) || (s.fragments ?? 0) > maxFragments;
}

/** The record as every store keeps it: raw in a buffer of its own, `extra` only with known fields. */
export function copyRecord(r: GossipRecord, raw: Uint8Array = r.raw.slice()): GossipRecord {
  const out: GossipRecord = { type: r.type, key: r.key, timestamp: r.timestamp, raw };
  const extra: GossipRecordExtra = {};
  if (r.extra?.amount_sat !== undefined) extra.amount_sat = r.extra.amount_sat;
  if (r.extra?.funding_txid !== undefined) extra.funding_txid = r.extra.funding_txid;
  if (r.extra?.spent_height !== undefined) extra.spent_height = r.extra.spent_height;
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}
