// BOLT 11 "Tagged Fields", declared as data: each field's letter, its 5-bit `type`, and how its
// `data` reads (a fixed `data_length` where the spec gives one). Each field is
// `type` (5 bits), `data_length` (10 bits, big-endian), `data` (`data_length` x 5 bits).
import type { Fallback } from './fallback.ts';

export type FieldKind = 'hash' | 'pubkey' | 'utf8' | 'bytes' | 'uint' | 'fallback' | 'route' | 'features';

/** BOLT 11: letter → [type, kind, fixed data_length in words (undefined: variable)]. */
export const TAGGED_FIELDS = Object.freeze({
  p: [1, 'hash', 52], // `p` (1): `data_length` 52. 256-bit SHA256 payment_hash
  s: [16, 'hash', 52], // `s` (16): `data_length` 52. payment secret
  d: [13, 'utf8', undefined], // `d` (13): short description (UTF-8)
  m: [27, 'bytes', undefined], // `m` (27): payment metadata
  n: [19, 'pubkey', 53], // `n` (19): `data_length` 53. 33-byte public key of the payee node
  h: [23, 'hash', 52], // `h` (23): `data_length` 52. SHA256 of the description
  x: [6, 'uint', undefined], // `x` (6): `expiry` time in seconds (big-endian)
  c: [24, 'uint', undefined], // `c` (24): `min_final_cltv_expiry_delta`
  f: [9, 'fallback', undefined], // `f` (9): fallback on-chain address
  r: [3, 'route', undefined], // `r` (3): one or more private route hops
  '9': [5, 'features', undefined], // `9` (5): feature bits
} as const);

export type KnownTag = keyof typeof TAGGED_FIELDS;

/** The Bech32 alphabet: a field's letter is the character of its 5-bit type. */
export const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/** BOLT 11 `x`: "Default is 3600 (1 hour) if not specified." */
export const DEFAULT_EXPIRY = 3600;
/** BOLT 11 `c`: "Default is 18 if not specified." */
export const DEFAULT_MIN_FINAL_CLTV_EXPIRY = 18;

/** One `r` entry (BOLT 11): pubkey (264 bits), short_channel_id (64), fee_base_msat (32),
 * fee_proportional_millionths (32), cltv_expiry_delta (16). */
export interface RouteHop {
  pubkey: Uint8Array;
  shortChannelId: bigint;
  feeBaseMsat: number;
  feeProportionalMillionths: number;
  cltvExpiryDelta: number;
}
export const ROUTE_HOP_BYTES = 33 + 8 + 4 + 4 + 2;

/** A tagged field as read, in invoice order. `unknown` holds any field a reader skips (an unknown
 * type, a fixed-length field of another length, an `f` of unknown version), kept as words so the
 * invoice re-encodes to the same string. */
export type TaggedField =
  | { tag: 'p' | 's' | 'h'; value: Uint8Array }
  | { tag: 'n'; value: Uint8Array }
  | { tag: 'd'; value: string }
  | { tag: 'm'; value: Uint8Array }
  | { tag: 'x' | 'c'; value: number }
  | { tag: 'f'; value: Fallback }
  | { tag: 'r'; value: RouteHop[] }
  | { tag: '9'; value: import('../features/index.ts').FeatureVector }
  | { tag: 'unknown'; type: number; words: number[] };
