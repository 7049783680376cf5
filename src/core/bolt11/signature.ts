// BOLT 11 "Data Part": `signature` is a compact ECDSA/secp256k1 signature (64 bytes R || S and a
// 1-byte recovery id in {0,1,2,3}) over SHA-256 of the human-readable part as UTF-8 bytes and
// the data part without the signature, "with 0 bits appended to pad to a byte boundary".
import * as secp from '@noble/secp256k1';
import { concat } from '../base/bytes.ts';
import { isValidPublicKey, sha256, verifyDigest } from '../crypto/primitives.ts';
import { Bolt11Error } from './errors.ts';
import { wordsToBytes } from './words.ts';

const HALF_N = secp.Point.CURVE().n >> 1n;

/** The bytes signed: the human-readable part as UTF-8, then the data part padded to a byte. */
export function signingData(hrp: string, dataWords: readonly number[]): Uint8Array {
  return concat(new TextEncoder().encode(hrp), wordsToBytes(dataWords, true));
}

export function signingHash(hrp: string, dataWords: readonly number[]): Uint8Array {
  return sha256(signingData(hrp, dataWords));
}

/** 65 bytes: R || S (low-S, RFC 6979) and the recovery id, as the invoice carries them. */
export function signInvoiceHash(hash: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const rec = secp.sign(hash, secretKey, { prehash: false, lowS: true, format: 'recovered' });
  // noble's recovered format puts the recovery id first; BOLT 11 puts it last.
  return concat(rec.subarray(1), rec.subarray(0, 1));
}

function isHighS(sig64: Uint8Array): boolean {
  let s = 0n;
  for (const b of sig64.subarray(32)) s = (s << 8n) | BigInt(b);
  return s > HALF_N;
}

/** The payee's key: checked against `n` when given, else recovered from the signature. */
export function payeeOf(hash: Uint8Array, sig65: Uint8Array, n: Uint8Array | undefined): Uint8Array {
  const sig64 = sig65.subarray(0, 64);
  const recovery = sig65[64]!;
  if (n) {
    // BOLT 11: "if a valid `n` field is provided: MUST use the `n` field to validate the
    // signature instead of performing public-key recovery. If the signature is not compliant
    // with the low-S standard rule: MUST fail the payment".
    if (!isValidPublicKey(n)) throw new Bolt11Error('bad_field', 'n field is not a valid public key');
    if (isHighS(sig64)) throw new Bolt11Error('high_s', 'signature is not low-S and an n field is given');
    if (!verifyDigest(sig64, hash, n)) throw new Bolt11Error('bad_signature', 'signature does not verify against the n field');
    return n;
  }
  // "otherwise: MUST perform ECDSA public-key recovery and accept both high-S and low-S signatures."
  if (recovery > 3) throw new Bolt11Error('unrecoverable_signature', `recovery id ${recovery} is not in 0..3`);
  let pub: Uint8Array;
  try {
    pub = secp.recoverPublicKey(concat(new Uint8Array([recovery]), sig64), hash, { prehash: false });
  } catch {
    throw new Bolt11Error('unrecoverable_signature', 'no public key recovers from this signature');
  }
  return pub;
}
