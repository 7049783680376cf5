// BOLT 7 "Query Messages" encoded arrays: `encoded_short_ids`, `encoded_timestamps` and
// `encoded_query_flags`. Encoding 0 is the uncompressed array; encoding 1 was zlib ("Previously
// used for zlib compression, this encoding MUST NOT be used"), so we never write it but can still
// read it from older peers. The core has no zlib: the runtime passes an `Inflate` (Node:
// `(b, max) => zlib.inflateSync(b, { maxOutputLength: max })`; browsers:
// `new DecompressionStream('deflate')`, which is async, hence the async decoders).
import { Reader, Writer } from '../base/bytes.ts';
import { DecodeError, EncodeError } from '../base/errors.ts';
import { readBigSize, writeBigSize } from '../wire/bigsize.ts';

export const ENCODING_UNCOMPRESSED = 0;
export const ENCODING_ZLIB = 1;

/**
 * Inflates a zlib stream (RFC 1950) and must refuse to produce more than `maxLength` bytes (a
 * small message can inflate to gigabytes). May throw anything: callers get a DecodeError.
 */
export type Inflate = (zlib: Uint8Array, maxLength: number) => Uint8Array;
export type InflateAsync = (zlib: Uint8Array, maxLength: number) => Uint8Array | Promise<Uint8Array>;

/** Cap on an inflated array: 4 MiB is 524,288 short_channel_ids, ten times the mainnet graph. */
export const MAX_INFLATED = 4 << 20;

/** `channel_update_timestamps` (BOLT 7): 0 when there was no channel_update from that node. */
export interface ChannelUpdateTimestamps {
  timestamp_node_id_1: number;
  timestamp_node_id_2: number;
}

// ---- Encoding (always encoding 0) ----

/** `encoded_short_ids`: encoding byte 0 then the ids ("uncompressed ... in ascending order"). */
export function encodeShortChannelIds(scids: readonly bigint[]): Uint8Array {
  const w = new Writer().u8(ENCODING_UNCOMPRESSED);
  let prev = -1n;
  for (const s of scids) {
    if (typeof s !== 'bigint' || s < 0n || s >= 1n << 64n) throw new EncodeError('int_range', `bad short_channel_id ${String(s)}`);
    if (s <= prev) throw new EncodeError('not_ascending', 'short_channel_ids must be in strictly ascending order');
    prev = s;
    w.u64(s);
  }
  return w.finish();
}

/** The `timestamps_tlv` record of reply_channel_range. */
export function encodeTimestamps(ts: readonly ChannelUpdateTimestamps[]): { encoding_type: number; encoded_timestamps: Uint8Array } {
  const w = new Writer();
  for (const t of ts) {
    for (const v of [t.timestamp_node_id_1, t.timestamp_node_id_2]) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EncodeError('int_range', `bad timestamp ${v}`);
      w.u32(v);
    }
  }
  return { encoding_type: ENCODING_UNCOMPRESSED, encoded_timestamps: w.finish() };
}

/** The `query_flags` record of query_short_channel_ids: one minimally encoded bigsize per id. */
export function encodeQueryFlags(flags: readonly (number | bigint)[]): { encoding_type: number; encoded_query_flags: Uint8Array } {
  const w = new Writer();
  for (const f of flags) writeBigSize(w, BigInt(f));
  return { encoding_type: ENCODING_UNCOMPRESSED, encoded_query_flags: w.finish() };
}

// ---- Decoding ----

function unwrap(
  encodingType: number,
  data: Uint8Array,
  inflate: InflateAsync | undefined,
  maxLength: number,
): Uint8Array | Promise<Uint8Array> {
  if (encodingType === ENCODING_UNCOMPRESSED) return data;
  if (encodingType !== ENCODING_ZLIB) throw new DecodeError('unknown_encoding', `unknown encoding type ${encodingType}`);
  if (!inflate) throw new DecodeError('zlib_unsupported', 'zlib-encoded array and no inflate was given');
  const fail = (e: unknown) => {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError('bad_zlib', `zlib-encoded array did not inflate: ${e instanceof Error ? e.message : String(e)}`);
  };
  const check = (out: Uint8Array) => {
    if (!(out instanceof Uint8Array)) throw new DecodeError('bad_zlib', 'inflate returned no bytes');
    if (out.length > maxLength) throw new DecodeError('too_long', `inflated array is over ${maxLength} bytes`);
    return out;
  };
  let r: Uint8Array | Promise<Uint8Array>;
  try {
    r = inflate(data, maxLength);
  } catch (e) {
    return fail(e);
  }
  return r instanceof Promise ? r.then(check, fail) : check(r);
}

function sync(p: Uint8Array | Promise<Uint8Array>): Uint8Array {
  if (p instanceof Promise) throw new DecodeError('zlib_async', 'inflate returned a Promise: use the async decoder');
  return p;
}

function parseScids(b: Uint8Array): bigint[] {
  // "if `encoded_short_ids` does not decode into a whole number of `short_channel_id`: MAY send a warning"
  if (b.length % 8 !== 0)
    throw new DecodeError('bad_encoded_length', `encoded_short_ids: ${b.length} bytes is not a whole number of short_channel_ids`);
  const r = new Reader(b);
  const out: bigint[] = new Array(b.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = r.u64();
  return out;
}

function parseTimestamps(b: Uint8Array): ChannelUpdateTimestamps[] {
  if (b.length % 8 !== 0)
    throw new DecodeError('bad_encoded_length', `encoded_timestamps: ${b.length} bytes is not a whole number of timestamp pairs`);
  const r = new Reader(b);
  const out: ChannelUpdateTimestamps[] = [];
  while (r.remaining > 0) out.push({ timestamp_node_id_1: r.u32(), timestamp_node_id_2: r.u32() });
  return out;
}

function parseQueryFlags(b: Uint8Array): bigint[] {
  const r = new Reader(b);
  const out: bigint[] = [];
  while (r.remaining > 0) out.push(readBigSize(r));
  return out;
}

function splitEncoded(encoded: Uint8Array): [number, Uint8Array] {
  if (encoded.length === 0) throw new DecodeError('short_read', 'encoded_short_ids has no encoding byte');
  return [encoded[0]!, encoded.subarray(1)];
}

/** Decodes `encoded_short_ids` (encoding byte first). Encoding 1 needs a synchronous `inflate`. */
export function decodeShortChannelIds(encoded: Uint8Array, inflate?: Inflate, maxLength = MAX_INFLATED): bigint[] {
  const [t, data] = splitEncoded(encoded);
  return parseScids(sync(unwrap(t, data, inflate, maxLength)));
}

export async function decodeShortChannelIdsAsync(encoded: Uint8Array, inflate?: InflateAsync, maxLength = MAX_INFLATED): Promise<bigint[]> {
  const [t, data] = splitEncoded(encoded);
  return parseScids(await unwrap(t, data, inflate, maxLength));
}

export function decodeTimestamps(
  tlv: { encoding_type: number; encoded_timestamps: Uint8Array },
  inflate?: Inflate,
  maxLength = MAX_INFLATED,
): ChannelUpdateTimestamps[] {
  return parseTimestamps(sync(unwrap(tlv.encoding_type, tlv.encoded_timestamps, inflate, maxLength)));
}

export async function decodeTimestampsAsync(
  tlv: { encoding_type: number; encoded_timestamps: Uint8Array },
  inflate?: InflateAsync,
  maxLength = MAX_INFLATED,
): Promise<ChannelUpdateTimestamps[]> {
  return parseTimestamps(await unwrap(tlv.encoding_type, tlv.encoded_timestamps, inflate, maxLength));
}

export function decodeQueryFlags(
  tlv: { encoding_type: number; encoded_query_flags: Uint8Array },
  inflate?: Inflate,
  maxLength = MAX_INFLATED,
): bigint[] {
  return parseQueryFlags(sync(unwrap(tlv.encoding_type, tlv.encoded_query_flags, inflate, maxLength)));
}

export async function decodeQueryFlagsAsync(
  tlv: { encoding_type: number; encoded_query_flags: Uint8Array },
  inflate?: InflateAsync,
  maxLength = MAX_INFLATED,
): Promise<bigint[]> {
  return parseQueryFlags(await unwrap(tlv.encoding_type, tlv.encoded_query_flags, inflate, maxLength));
}

/** BOLT 7 `query_flags` bits. */
export const QUERY_FLAG = {
  channel_announcement: 1,
  channel_update_node_1: 2,
  channel_update_node_2: 4,
  node_announcement_node_1: 8,
  node_announcement_node_2: 16,
} as const;

/** Every `query_flags` bit: what a query without query_flags gets (BOLT 7). */
export const QUERY_FLAG_ALL = 31;

/** BOLT 7 `query_option_flags` bits. */
export const QUERY_OPTION = { timestamps: 1, checksums: 2 } as const;
