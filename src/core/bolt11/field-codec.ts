// Reading and writing one BOLT 11 tagged field, by the kind TAGGED_FIELDS declares for its type.
import { Reader, Writer } from '../base/bytes.ts';
import { FeatureVector } from '../features/index.ts';
import { Bolt11Error } from './errors.ts';
import { isKnownFallback } from './fallback.ts';
import { ROUTE_HOP_BYTES, TAGGED_FIELDS, type KnownTag, type RouteHop, type TaggedField } from './fields.ts';
import { bytesToWords, uintToWords, wordsToBytes, wordsToUint } from './words.ts';

const BY_TYPE = new Map<number, KnownTag>(Object.entries(TAGGED_FIELDS).map(([tag, [type]]) => [type, tag as KnownTag]));
// Both fields named: workers-types requires ignoreBOM beside fatal.
const STRICT_UTF8 = { fatal: true, ignoreBOM: false };
const UTF8 = new TextDecoder('utf-8', STRICT_UTF8);
const UTF8_ENCODER = new TextEncoder();

/** BOLT 11: `c`, `x` or `9` "which has a non-minimal `data_length` (i.e. begins with 0 field
 * elements): SHOULD treat the invoice as invalid." */
function minimal(tag: string, words: readonly number[]): void {
  if (words.length > 0 && words[0] === 0) throw new Bolt11Error('not_minimal', `field ${tag} begins with a 0 field element`);
}

function readRoute(bytes: Uint8Array): RouteHop[] {
  if (bytes.length === 0 || bytes.length % ROUTE_HOP_BYTES !== 0) {
    throw new Bolt11Error('bad_field', `r field of ${bytes.length} bytes is not a whole number of ${ROUTE_HOP_BYTES}-byte hops`);
  }
  const r = new Reader(bytes);
  const hops: RouteHop[] = [];
  while (r.remaining > 0) {
    hops.push({
      pubkey: r.bytes(33, 'pubkey').slice(),
      shortChannelId: r.u64('short_channel_id'),
      feeBaseMsat: r.u32('fee_base_msat'),
      feeProportionalMillionths: r.u32('fee_proportional_millionths'),
      cltvExpiryDelta: r.u16('cltv_expiry_delta'),
    });
  }
  return hops;
}

/** BOLT 11 "Feature Bits": "The field is big-endian. The least-significant bit is numbered 0". */
function readFeatures(words: readonly number[]): FeatureVector {
  const bits: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[words.length - 1 - i]!;
    for (let b = 0; b < 5; b++) if (w & (1 << b)) bits.push(i * 5 + b);
  }
  return FeatureVector.fromBits(bits);
}

function writeFeatures(fv: FeatureVector): number[] {
  const bits = fv.bits();
  const top = bits.length ? Math.max(...bits) : -1;
  const words = new Array<number>(Math.floor(top / 5) + 1).fill(0);
  for (const bit of bits) words[words.length - 1 - Math.floor(bit / 5)]! |= 1 << (bit % 5);
  return words;
}

/** One field from its type and data words. A field a reader must skip comes back as `unknown`. */
export function readField(type: number, words: number[]): TaggedField {
  const tag = BY_TYPE.get(type);
  const skip: TaggedField = { tag: 'unknown', type, words };
  if (!tag) return skip;
  const [, kind, fixed] = TAGGED_FIELDS[tag];
  // BOLT 11 requires `p`, `h`, `s`, `n` of `data_length` 52, 52, 52, 53; the spec's example
  // "including fields which must be ignored" carries such fields of other lengths in a valid
  // invoice, so, as that example demands, they are skipped (and then `p`/`s` may be missing).
  if (fixed !== undefined && words.length !== fixed) return skip;
  switch (kind) {
    case 'hash':
      return { tag: tag as 'p' | 's' | 'h', value: wordsToBytes(words) };
    case 'pubkey':
      return { tag: 'n', value: wordsToBytes(words) };
    case 'utf8':
      try {
        return { tag: 'd', value: UTF8.decode(wordsToBytes(words)) };
      } catch {
        throw new Bolt11Error('bad_utf8', 'd field is not valid UTF-8');
      }
    case 'bytes':
      return { tag: 'm', value: wordsToBytes(words) };
    case 'uint': {
      minimal(tag, words);
      if (words.length > 10) throw new Bolt11Error('bad_field', `${tag} field of ${words.length} words is too large`);
      return { tag: tag as 'x' | 'c', value: wordsToUint(words) };
    }
    case 'fallback': {
      if (words.length === 0) return skip;
      const f = { version: words[0]!, program: wordsToBytes(words.slice(1)) };
      // "MUST skip over `f` fields that use an unknown `version`."
      return isKnownFallback(f) ? { tag: 'f', value: f } : skip;
    }
    case 'route':
      return { tag: 'r', value: readRoute(wordsToBytes(words)) };
    case 'features':
      minimal(tag, words);
      return { tag: '9', value: readFeatures(words) };
  }
}

function dataWords(f: TaggedField): number[] {
  switch (f.tag) {
    case 'unknown':
      return f.words;
    case 'p':
    case 's':
    case 'h':
    case 'n':
    case 'm':
      return bytesToWords(f.value);
    case 'd':
      return bytesToWords(UTF8_ENCODER.encode(f.value));
    case 'x':
    case 'c':
      // BOLT 11: `x` "MUST use the minimum `data_length` possible"
      if (!Number.isSafeInteger(f.value) || f.value < 0) throw new Bolt11Error('bad_invoice', `${f.tag} out of range: ${f.value}`);
      return uintToWords(f.value);
    case 'f':
      return [f.value.version, ...bytesToWords(f.value.program)];
    case 'r': {
      const w = new Writer();
      for (const h of f.value) {
        w.bytes(h.pubkey).u64(h.shortChannelId).u32(h.feeBaseMsat).u32(h.feeProportionalMillionths).u16(h.cltvExpiryDelta);
      }
      return bytesToWords(w.finish());
    }
    case '9':
      // "MUST use the minimum `data_length` possible to encode the non-zero bits"
      return writeFeatures(f.value);
  }
}

/** `type`, `data_length`, `data` as words. */
export function writeField(f: TaggedField): number[] {
  const type = f.tag === 'unknown' ? f.type : TAGGED_FIELDS[f.tag][0];
  const data = dataWords(f);
  // "the maximum length of a Tagged Field's `data` is ... 1023 x 5 bits, or 639 bytes."
  if (data.length > 1023) throw new Bolt11Error('bad_invoice', `field ${f.tag} is ${data.length} words, over 1023`);
  return [type, data.length >> 5, data.length & 31, ...data];
}
