// BOLT 4 "Failure Messages", declared as data the way src/core/wire declares messages: the
// `failure_code` (flags in the top byte) and its fields. "The message data is followed by an
// optional TLV stream", kept as unknown records when present.
import { Reader, Writer } from '../base/bytes.ts';
import { DecodeError } from '../base/errors.ts';
import { readFields, readTlvStream, writeFields, writeTlvStream } from '../wire/codec.ts';
import { message, type MessageDecl, type MessageValue } from '../wire/schema.ts';
import { OnionError } from './errors.ts';

/** "The top byte of `failure_code` can be read as a set of flags". */
export const BADONION = 0x8000; // unparsable onion encrypted by sending peer
export const PERM = 0x4000; // permanent failure (otherwise transient)
export const NODE = 0x2000; // node failure (otherwise channel)
export const UPDATE = 0x1000; // channel forwarding parameter was violated

const sha256OfOnion = [['sha256_of_onion', 'sha256']] as const;
const channelUpdate = ['channel_update', 'bytes', 'u16'] as const; // [u16:len][len*byte:channel_update]

export const FAILURES = {
  temporary_node_failure: message(NODE | 2, []),
  permanent_node_failure: message(PERM | NODE | 2, []),
  required_node_feature_missing: message(PERM | NODE | 3, []),
  invalid_onion_version: message(BADONION | PERM | 4, sha256OfOnion),
  invalid_onion_hmac: message(BADONION | PERM | 5, sha256OfOnion),
  invalid_onion_key: message(BADONION | PERM | 6, sha256OfOnion),
  temporary_channel_failure: message(UPDATE | 7, [channelUpdate]),
  permanent_channel_failure: message(PERM | 8, []),
  required_channel_feature_missing: message(PERM | 9, []),
  unknown_next_peer: message(PERM | 10, []),
  amount_below_minimum: message(UPDATE | 11, [['htlc_msat', 'u64'], channelUpdate]),
  fee_insufficient: message(UPDATE | 12, [['htlc_msat', 'u64'], channelUpdate]),
  incorrect_cltv_expiry: message(UPDATE | 13, [['cltv_expiry', 'u32'], channelUpdate]),
  expiry_too_soon: message(UPDATE | 14, [channelUpdate]),
  incorrect_or_unknown_payment_details: message(PERM | 15, [
    ['htlc_msat', 'u64'],
    ['height', 'u32'],
  ]),
  final_incorrect_cltv_expiry: message(18, [['cltv_expiry', 'u32']]),
  final_incorrect_htlc_amount: message(19, [['incoming_htlc_amt', 'u64']]),
  channel_disabled: message(UPDATE | 20, [['disabled_flags', 'u16'], channelUpdate]),
  expiry_too_far: message(21, []),
  invalid_onion_payload: message(PERM | 22, [
    ['type', 'bigsize'],
    ['offset', 'u16'],
  ]),
  mpp_timeout: message(23, []),
  invalid_onion_blinding: message(BADONION | PERM | 24, sha256OfOnion),
} as const;

export type FailureName = keyof typeof FAILURES;
export type FailureOf<N extends FailureName> = { name: N } & MessageValue<(typeof FAILURES)[N]> & {
    /** The optional TLV stream after the data, as unknown records. */
    tlvs?: { unknown?: { type: bigint; value: Uint8Array }[] };
  };
export type Failure = { [N in FailureName]: FailureOf<N> }[FailureName];
/** A failure code we do not know: read by its flags alone. */
export interface UnknownFailure {
  name: 'unknown';
  code: number;
  data: Uint8Array;
}

const BY_CODE = new Map<number, FailureName>(Object.entries(FAILURES).map(([n, d]) => [d.type, n as FailureName]));

export function failureCode(name: FailureName): number {
  return FAILURES[name].type;
}

export function encodeFailure(f: Failure): Uint8Array {
  const decl: MessageDecl = FAILURES[f.name];
  const w = new Writer();
  w.u16(decl.type);
  writeFields(w, decl.fields, f as unknown as Record<string, unknown>);
  writeTlvStream(w, {}, f.tlvs);
  return w.finish();
}

export function decodeFailure(bytes: Uint8Array): Failure | UnknownFailure {
  const r = new Reader(bytes);
  try {
    const code = r.u16('failure_code');
    const name = BY_CODE.get(code);
    if (!name) return { name: 'unknown', code, data: r.rest().slice() };
    const out: Record<string, unknown> = { name, ...readFields(r, FAILURES[name].fields) };
    if (r.remaining > 0) out.tlvs = readTlvStream(r, {});
    return out as Failure;
  } catch (e) {
    if (e instanceof DecodeError) throw new OnionError('bad_failure_message', `failure message: ${e.message}`);
    throw e;
  }
}
