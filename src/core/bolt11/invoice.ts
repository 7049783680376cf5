// BOLT 11 invoices: decode (check everything a reader MUST) and encode (sign as a writer MUST).
import { bech32 } from '@scure/base';
import { checkFeatures, type FeatureVector } from '../features/index.ts';
import { equal } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';
import { Bolt11Error } from './errors.ts';
import type { Fallback } from './fallback.ts';
import { readField, writeField } from './field-codec.ts';
import { BECH32_CHARSET, DEFAULT_EXPIRY, DEFAULT_MIN_FINAL_CLTV_EXPIRY, type RouteHop, type TaggedField } from './fields.ts';
import { formatHrp, parseHrp, type Currency } from './hrp.ts';
import { payeeOf, signingHash, signInvoiceHash } from './signature.ts';
import { uintToWords, wordsToUint } from './words.ts';

const TIMESTAMP_WORDS = 7; // "seconds-since-1970 (35 bits, big-endian)"
const SIGNATURE_WORDS = 104; // 520 bits: 64-byte R || S + 1-byte recovery id

/** What a writer puts in an invoice; `fields` in the order they are written. */
export interface InvoiceContent {
  currency: Currency;
  amountMsat?: bigint;
  timestamp: number;
  fields: TaggedField[];
}

export interface Invoice extends InvoiceContent {
  /** The string as given (lower case). */
  bolt11: string;
  payee: Uint8Array;
  /** 64 bytes R || S and the recovery id. */
  signature: Uint8Array;
  recoveryId: number;
  /** The first `p` field ("SHOULD use the first `p` field as the payment hash"). */
  paymentHash: Uint8Array;
  paymentSecret: Uint8Array;
  description?: string;
  descriptionHash?: Uint8Array;
  metadata?: Uint8Array;
  expiry: number;
  minFinalCltvExpiry: number;
  fallbacks: Fallback[];
  routes: RouteHop[][];
  features?: FeatureVector;
  unknown: { type: number; words: number[] }[];
}

export interface DecodeOptions {
  /** The description an `h` field commits to: "MUST check that the SHA2 256-bit hash in the `h`
   * field exactly matches the hashed description." */
  description?: string;
}

/** The member of TaggedField whose `tag` admits T. */
type FieldOf<T extends TaggedField['tag']> = TaggedField extends infer F
  ? F extends { tag: infer U }
    ? T extends U
      ? F
      : never
    : never
  : never;

function first<T extends TaggedField['tag']>(fields: TaggedField[], tag: T): FieldOf<T> | undefined {
  return fields.find(f => f.tag === tag) as FieldOf<T> | undefined;
}

function bech32Words(s: string): { prefix: string; words: number[] } {
  // BOLT 11: "MUST parse the address as Bech32, as specified in BIP-0173 (also without the
  // character limit)"; upper case is BIP-0173 upper case, mixed case is refused.
  if (s !== s.toLowerCase() && s !== s.toUpperCase()) throw new Bolt11Error('mixed_case', 'invoice mixes upper and lower case');
  const lower = s.toLowerCase();
  const sep = lower.lastIndexOf('1');
  if (sep < 1) throw new Bolt11Error('bad_bech32', 'no Bech32 separator 1');
  if (!/^[!-~]+$/.test(lower) || [...lower.slice(sep + 1)].some(c => !BECH32_CHARSET.includes(c))) {
    throw new Bolt11Error('bad_bech32', 'character outside the Bech32 alphabet');
  }
  if (lower.length - sep - 1 < 6) throw new Bolt11Error('bad_bech32', 'no room for the Bech32 checksum');
  try {
    const { prefix, words } = bech32.decode(lower as `${string}1${string}`, false);
    return { prefix, words: [...words] };
  } catch {
    throw new Bolt11Error('bad_checksum', 'Bech32 checksum is incorrect');
  }
}

/** Decodes and checks a BOLT 11 invoice; any refusal is a Bolt11Error naming why. */
export function decodeInvoice(invoice: string, opts: DecodeOptions = {}): Invoice {
  if (typeof invoice !== 'string') throw new Bolt11Error('bad_bech32', 'an invoice is a string');
  const { prefix, words } = bech32Words(invoice.trim());
  const hrp = parseHrp(prefix);
  if (words.length < TIMESTAMP_WORDS + SIGNATURE_WORDS) {
    throw new Bolt11Error('too_short', `data part of ${words.length} words has no room for timestamp and signature`);
  }
  const data = words.slice(0, words.length - SIGNATURE_WORDS);
  const timestamp = wordsToUint(data.slice(0, TIMESTAMP_WORDS));
  const fields: TaggedField[] = [];
  for (let i = TIMESTAMP_WORDS; i < data.length;) {
    if (i + 3 > data.length) throw new Bolt11Error('bad_field', 'tagged field header runs past the data part');
    const type = data[i]!;
    const len = data[i + 1]! * 32 + data[i + 2]!;
    if (i + 3 + len > data.length) throw new Bolt11Error('bad_field', `tagged field of type ${type} runs past the data part`);
    fields.push(readField(type, data.slice(i + 3, i + 3 + len)));
    i += 3 + len;
  }
  const sig65 = wordsToSig(words.slice(-SIGNATURE_WORDS));
  const n = first(fields, 'n')?.value;
  const payee = payeeOf(signingHash(prefix, data), sig65, n);

  const p = first(fields, 'p');
  if (!p) throw new Bolt11Error('missing_payment_hash', 'no valid p (payment_hash) field');
  const s = first(fields, 's');
  if (!s) throw new Bolt11Error('missing_payment_secret', 'no valid s (payment_secret) field');
  const d = first(fields, 'd');
  const h = first(fields, 'h');
  if (!d && !h) throw new Bolt11Error('missing_description', 'neither a d nor an h field');
  if (d && h) throw new Bolt11Error('both_descriptions', 'both a d and an h field');
  if (h && opts.description !== undefined && !equal(sha256(new TextEncoder().encode(opts.description)), h.value)) {
    throw new Bolt11Error('description_mismatch', 'the h field does not hash the given description');
  }
  const features = first(fields, '9')?.value;
  if (features) checkInvoiceFeatures(features);
  return {
    bolt11: invoice.trim().toLowerCase(),
    currency: hrp.currency,
    ...(hrp.amountMsat !== undefined ? { amountMsat: hrp.amountMsat } : {}),
    timestamp,
    fields,
    payee,
    signature: sig65.slice(0, 64),
    recoveryId: sig65[64]!,
    paymentHash: p.value,
    paymentSecret: s.value,
    ...(d ? { description: d.value } : {}),
    ...(h ? { descriptionHash: h.value } : {}),
    ...(first(fields, 'm') ? { metadata: first(fields, 'm')!.value } : {}),
    expiry: first(fields, 'x')?.value ?? DEFAULT_EXPIRY,
    minFinalCltvExpiry: first(fields, 'c')?.value ?? DEFAULT_MIN_FINAL_CLTV_EXPIRY,
    fallbacks: fields.flatMap(f => (f.tag === 'f' ? [f.value] : [])),
    routes: fields.flatMap(f => (f.tag === 'r' ? [f.value] : [])),
    ...(features ? { features } : {}),
    unknown: fields.flatMap(f => (f.tag === 'unknown' ? [{ type: f.type, words: f.words }] : [])),
  };
}

function wordsToSig(words: number[]): Uint8Array {
  const out = new Uint8Array(65);
  let acc = 0n;
  for (const w of words) acc = (acc << 5n) | BigInt(w);
  for (let i = 64; i >= 0; i--, acc >>= 8n) out[i] = Number(acc & 0xffn);
  return out;
}

/** BOLT 11 "Feature Bits": unknown even bits fail the payment (odd ones are ignored), and a
 * reader "MUST NOT attempt the payment" without all known transitive dependencies. */
function checkInvoiceFeatures(fv: FeatureVector): void {
  const report = checkFeatures(fv, '9');
  if (report.unknownRequired.length > 0) {
    throw new Bolt11Error('unknown_required_feature', `unknown required feature bit(s) ${report.unknownRequired.join(', ')}`);
  }
  const missing = report.missingDependencies.filter(m => !m.assumed);
  if (missing.length > 0) {
    throw new Bolt11Error('missing_feature_dependency', missing.map(m => `${m.feature} needs ${m.missing}`).join('; '));
  }
}

/** The data part before the signature: timestamp and tagged fields, as words. */
function dataWords(c: InvoiceContent): number[] {
  if (!Number.isSafeInteger(c.timestamp) || c.timestamp < 0 || c.timestamp >= 2 ** 35) {
    throw new Bolt11Error('bad_invoice', `timestamp out of range: ${c.timestamp}`);
  }
  return [...uintToWords(c.timestamp, TIMESTAMP_WORDS), ...c.fields.flatMap(writeField)];
}

/** Signs and encodes an invoice (lower case, without the 90-character limit). The caller keeps
 * the writer rules on which fields to include; `buildInvoiceFields` does so. */
export function encodeInvoice(c: InvoiceContent, secretKey: Uint8Array): string {
  const { hrp, data } = invoiceToSign(c);
  return signedInvoice(hrp, data, signInvoiceHash(signingHash(hrp, data), secretKey));
}

/** The parts a signer signs (signature.ts signingData): the human-readable part and the data words. */
export function invoiceToSign(c: InvoiceContent): { hrp: string; data: number[] } {
  return { hrp: formatHrp(c), data: dataWords(c) };
}

/** The invoice string from its parts and the 65-byte signature (R || S, recovery id) a signer made over them. */
export function signedInvoice(hrp: string, data: readonly number[], sig65: Uint8Array): string {
  if (sig65.length !== 65) throw new Bolt11Error('bad_invoice', 'an invoice signature is 65 bytes');
  return bech32.encode(hrp, [...data, ...sigToWords(sig65)], false);
}

function sigToWords(sig65: Uint8Array): number[] {
  let acc = 0n;
  for (const b of sig65) acc = (acc << 8n) | BigInt(b);
  const out = new Array<number>(SIGNATURE_WORDS);
  for (let i = SIGNATURE_WORDS - 1; i >= 0; i--, acc >>= 5n) out[i] = Number(acc & 31n);
  return out;
}
