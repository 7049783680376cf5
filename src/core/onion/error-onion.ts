// BOLT 4 "Returning Errors": the erring node builds the return packet (HMAC with `um`, then
// obfuscation with `ammag`), each node back obfuscates it again with its `ammag`, and the
// origin peels the layers with each hop's keys until an HMAC matches: that hop failed.
import { Reader, Writer, concat } from '../base/bytes.ts';
import { hmacSha256 } from '../crypto/primitives.ts';
import { generateCipherStream, generateKey, xor } from './crypto.ts';
import { OnionError } from './errors.ts';
import { decodeFailure, type Failure, type UnknownFailure } from './failures.ts';

/** "SHOULD set `pad` such that the `failure_len` plus `pad_len` is equal to 256." */
export const FAILURE_PAD_TO = 256;
/** The origin "SHOULD continue decrypting, until the loop has been repeated 27 times". */
export const MAX_ERROR_HOPS = 27;

/** The erring node's packet before obfuscation: hmac, failure_len, failuremsg, pad_len, pad. */
export function buildErrorPayload(sharedSecret: Uint8Array, failureMessage: Uint8Array, padTo = FAILURE_PAD_TO): Uint8Array {
  if (failureMessage.length > 0xffff) throw new OnionError('failure_too_long', 'failure message over 65535 bytes');
  // "MUST set `pad` such that the `failure_len` plus `pad_len` is at least 256."
  const padLen = Math.max(0, Math.max(padTo, FAILURE_PAD_TO) - failureMessage.length);
  const body = new Writer().u16(failureMessage.length).bytes(failureMessage).u16(padLen).bytes(new Uint8Array(padLen)).finish();
  return concat(hmacSha256(generateKey('um', sharedSecret), body), body);
}

/** One layer of obfuscation with the node's `ammag` key (the erring node and every node back). */
export function obfuscateError(sharedSecret: Uint8Array, packet: Uint8Array): Uint8Array {
  return xor(packet, generateCipherStream(generateKey('ammag', sharedSecret), packet.length));
}

/** At the failing hop: the packet it puts in `update_fail_htlc`'s `reason`. */
export function createErrorPacket(sharedSecret: Uint8Array, failureMessage: Uint8Array, padTo = FAILURE_PAD_TO): Uint8Array {
  return obfuscateError(sharedSecret, buildErrorPayload(sharedSecret, failureMessage, padTo));
}

export interface DecodedError {
  /** Index in the route of the node that failed (0 = first hop). */
  hop: number;
  failure: Failure | UnknownFailure;
  /** The raw `failuremsg`. */
  message: Uint8Array;
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let d = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * At the origin: the failing hop and its message, from the shared secrets of the route. The loop
 * runs MAX_ERROR_HOPS times whatever the route length ("SHOULD continue decrypting"), so the
 * time taken does not tell the erring node its position.
 */
export function decodeErrorPacket(sharedSecrets: readonly Uint8Array[], packet: Uint8Array): DecodedError {
  if (packet.length < 32 + 4) throw new OnionError('error_too_short', `error packet of ${packet.length} bytes`);
  let p = packet;
  let found: { hop: number; body: Uint8Array } | undefined;
  const dummy = sharedSecrets[sharedSecrets.length - 1] ?? new Uint8Array(32);
  for (let i = 0; i < MAX_ERROR_HOPS; i++) {
    const ss = i < sharedSecrets.length && !found ? sharedSecrets[i]! : dummy;
    p = obfuscateError(ss, p);
    const hmac = hmacSha256(generateKey('um', ss), p.subarray(32));
    if (!found && i < sharedSecrets.length && constantTimeEqual(hmac, p.subarray(0, 32))) found = { hop: i, body: p.subarray(32) };
  }
  if (!found) throw new OnionError('error_unattributable', 'no hop of the route produced this error packet');
  const r = new Reader(found.body);
  let message: Uint8Array;
  try {
    message = r.bytes(r.u16('failure_len'), 'failuremsg').slice();
  } catch {
    throw new OnionError('bad_error_packet', `hop ${found.hop} sent a failure_len past the packet`);
  }
  return { hop: found.hop, failure: decodeFailure(message), message };
}
