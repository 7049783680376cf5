// The one module through which src/core reaches cryptography, so that an engine can be swapped
// after measuring (see bench/). Engines: secp256k1 through ec-engine.ts (libsecp256k1 in WASM where
// the runtime installs it, else @noble/secp256k1, whose hashes ec-engine.ts sets), @noble/hashes,
// @noble/ciphers.
import * as secp from '@noble/secp256k1';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { concat, u64le } from '../base/bytes.ts';
import { NoiseError } from '../base/errors.ts';
import { sha256dFast } from './sha256.ts';
import { ecEngine } from './ec-engine.ts';

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** SHA256(SHA256(x)): the digest BOLT 7 signs (sha256.ts: about 170,000 of them per mainnet sync). */
export function sha256d(data: Uint8Array): Uint8Array {
  return sha256dFast(data);
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(nobleSha256, key, data);
}

/** BOLT 8 `HKDF(salt, ikm)`: HKDF-SHA256 with an empty info, 64 bytes split into two keys. */
export function hkdf2(salt: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const out = hkdf(nobleSha256, ikm, salt, new Uint8Array(0), 64);
  return [out.slice(0, 32), out.slice(32, 64)];
}

/** RFC 5869 HKDF-SHA256 (Core Lightning's `hkdf_sha256(out, len, salt, ikm, info)`, in that order). */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdf(nobleSha256, ikm, salt, info, length);
}

/** BOLT 8 nonce: 32 zero bits then the little-endian 64-bit counter. */
function nonce(n: bigint): Uint8Array {
  return concat(new Uint8Array(4), u64le(n));
}

/** ChaCha20-Poly1305 (IETF) as BOLT 8's `encryptWithAD(k, n, ad, plaintext)`. */
export function encryptWithAD(k: Uint8Array, n: bigint, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return chacha20poly1305(k, nonce(n), ad).encrypt(plaintext);
}

/** BOLT 8's `decryptWithAD`; a MAC failure is a NoiseError('bad_mac'). */
export function decryptWithAD(k: Uint8Array, n: bigint, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  try {
    return chacha20poly1305(k, nonce(n), ad).decrypt(ciphertext);
  } catch {
    throw new NoiseError('bad_mac', 'ChaCha20-Poly1305 MAC check failed');
  }
}

/** The raw cipher, for benchmarks to compare against. */
export const rawChacha20Poly1305 = chacha20poly1305;

export function getPublicKey(secretKey: Uint8Array): Uint8Array {
  const pub = ecEngine().publicKey(secretKey);
  if (!pub) throw new NoiseError('bad_secret', 'not a secret key');
  return pub;
}

export function isValidSecretKey(secretKey: Uint8Array): boolean {
  return secp.utils.isValidSecretKey(secretKey);
}

export function isValidPublicKey(pub: Uint8Array): boolean {
  return pub.length === 33 && ecEngine().isPoint(pub);
}

/** BOLT 8 `ECDH(k, rk)`: SHA256 of the compressed shared point. Throws on an invalid point. */
export function ecdh(secretKey: Uint8Array, pub: Uint8Array): Uint8Array {
  const shared = ecEngine().pointMultiply(pub, secretKey);
  if (!shared) throw new NoiseError('bad_pubkey', 'ECDH with an invalid public key');
  return nobleSha256(shared);
}

/** ECDSA over a 32-byte digest, 64-byte compact low-S signature (BOLT 1 `signature`). */
export function signDigest(digest: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const sig = ecEngine().sign(digest, secretKey);
  if (!sig) throw new NoiseError('bad_secret', 'cannot sign with this secret key');
  return sig;
}

/** Verifies a compact signature over a 32-byte digest; false (never throws) on any bad input. */
export function verifyDigest(sig: Uint8Array, digest: Uint8Array, pub: Uint8Array): boolean {
  return ecEngine().verify(sig, digest, pub);
}

export function randomSecretKey(seed?: Uint8Array): Uint8Array {
  return secp.utils.randomSecretKey(seed);
}
