// Signed messages as Core Lightning (signmessage/checkmessage) and LND (signmessage/verifymessage)
// make them: zbase32(recid + 31 || R || S), a recoverable ECDSA signature over
// SHA-256(SHA-256("Lightning Signed Message:" || message)) by the node key. Not a BOLT: the
// format is the two implementations' (lightningd/signmessage.c). zbase32 is Zooko's
// human-oriented base 32 (https://philzimmermann.com/docs/human-oriented-base-32-encoding.txt).
import * as secp from '@noble/secp256k1';
import { concat } from '../base/bytes.ts';
import { sha256d } from './primitives.ts';
import { bytesToWords, wordsToBytes } from '../bolt11/words.ts';

export const SIGNED_MESSAGE_PREFIX = 'Lightning Signed Message:';
/** Core Lightning: "Message must be < 64k" (bytes of UTF-8). */
export const MAX_SIGNED_MESSAGE_BYTES = 65535;
const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** The message's UTF-8 bytes, or undefined when it is not a string or is too long. */
export function signedMessageBytes(message: unknown): Uint8Array | undefined {
  if (typeof message !== 'string') return undefined;
  const bytes = new TextEncoder().encode(message);
  return bytes.length > MAX_SIGNED_MESSAGE_BYTES ? undefined : bytes;
}

/** The digest signed: SHA-256d of the prefix and the message. */
export function signedMessageHash(message: Uint8Array): Uint8Array {
  return sha256d(concat(new TextEncoder().encode(SIGNED_MESSAGE_PREFIX), message));
}

/** 65 bytes: the recovery id (0..3), then R || S (low-S, RFC 6979), as noble's recovered format. */
export function signMessageHash(hash: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return secp.sign(hash, secretKey, { prehash: false, lowS: true, format: 'recovered' });
}

/** zbase32 of bytes, as Core Lightning's to_zbase32: 8-bit groups to 5-bit ones, the last padded with zeros. */
export function toZbase32(bytes: Uint8Array): string {
  return bytesToWords(bytes)
    .map(w => ZBASE32[w])
    .join('');
}

/**
 * Bytes of a zbase32 string, or undefined when a character is outside the alphabet or the string
 * is not a whole number of bytes (Core Lightning's from_zbase32 takes no padding bits).
 */
export function fromZbase32(s: string): Uint8Array | undefined {
  if ((s.length * 5) % 8 !== 0) return undefined;
  const words = [...s].map(c => ZBASE32.indexOf(c));
  return words.some(w => w < 0) ? undefined : wordsToBytes(words);
}

/** The zbase string of a 65-byte recovered signature (recid first): its first byte is 31 + recid. */
export function zbaseOfSignature(sig65: Uint8Array): string {
  return toZbase32(concat(new Uint8Array([31 + sig65[0]!]), sig65.subarray(1)));
}

/**
 * Whether a 65-byte zbase signature parses as libsecp256k1's recoverable_signature_parse_compact
 * takes it: a first byte of 31 + recid (0..3), and R and S each below the curve order.
 */
export function parsesAsRecoverable(sig: Uint8Array): boolean {
  const recid = sig[0]! - 31;
  if (sig.length !== 65 || recid < 0 || recid > 3) return false;
  const n = secp.Point.CURVE().n;
  const num = (b: Uint8Array) => b.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
  return num(sig.subarray(1, 33)) < n && num(sig.subarray(33)) < n;
}

/** The signer's compressed key recovered from a zbase signature of `message`, or undefined when none recovers. */
export function recoverMessageSigner(message: Uint8Array, sig: Uint8Array): Uint8Array | undefined {
  if (!parsesAsRecoverable(sig)) return undefined;
  const recid = sig[0]! - 31;
  try {
    return secp.recoverPublicKey(concat(new Uint8Array([recid]), sig.subarray(1)), signedMessageHash(message), { prehash: false });
  } catch {
    return undefined;
  }
}
