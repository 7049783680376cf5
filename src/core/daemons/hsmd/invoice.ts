// What hsmd checks before it signs an invoice (Core Lightning's hsmd_sign_invoice): the
// human-readable part is BOLT 11's, and the data part is a timestamp and whole tagged fields with
// one payment_hash, so a caller gets invoice signatures only, never one over a digest it chose.
import { parseHrp } from '../../bolt11/hrp.ts';
import { TAGGED_FIELDS } from '../../bolt11/fields.ts';
import { HsmError } from './secret.ts';

/** BOLT 11: the timestamp is 35 bits, 7 words; `p` is a 52-word tagged field of type 1. */
const TIMESTAMP_WORDS = 7;
const HASH_WORDS = 52;
/** More than any invoice we make (the `decode` RPC reads at most 8,192 characters). */
const MAX_DATA_WORDS = 8192;

export function checkInvoiceToSign(hrp: unknown, data: unknown): void {
  const bad = (why: string) => new HsmError('bad_request', `signInvoice: ${why}`);
  if (typeof hrp !== 'string') throw bad('the hrp must be a string');
  try {
    parseHrp(hrp);
  } catch {
    throw bad('not a BOLT 11 human-readable part');
  }
  if (!Array.isArray(data) || data.length > MAX_DATA_WORDS || data.some(w => !Number.isInteger(w) || w < 0 || w > 31))
    throw bad('the data part must be at most 8192 words of 5 bits');
  if (data.length < TIMESTAMP_WORDS) throw bad('no timestamp');
  let paymentHashes = 0;
  for (let i = TIMESTAMP_WORDS; i < data.length;) {
    if (i + 3 > data.length) throw bad('a tagged field header runs past the data part');
    const len = data[i + 1] * 32 + data[i + 2];
    if (i + 3 + len > data.length) throw bad('a tagged field runs past the data part');
    if (data[i] === TAGGED_FIELDS.p[0] && len === HASH_WORDS) paymentHashes++;
    i += 3 + len;
  }
  if (paymentHashes !== 1) throw bad('an invoice has exactly one payment_hash');
}
