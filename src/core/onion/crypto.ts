// The Sphinx primitives of BOLT 4 "Packet Construction": key generation from a shared secret,
// the ChaCha20 pseudo-random stream, ECDH and the blinding of ephemeral keys.
import { chacha20 } from '@noble/ciphers/chacha.js';
import { concat } from '../base/bytes.ts';
import { bytesToScalar, compressed, modN, point, scalarSecret } from '../bolt3/ec.ts';
import { ecdh, hmacSha256, isValidPublicKey, sha256 } from '../crypto/primitives.ts';
import { OnionError } from './errors.ts';

const ENCODER = new TextEncoder();

/** BOLT 4 "Key Generation": `HMAC256(key_type as ASCII, secret)`, key types `rho`, `mu`, `um`,
 * `pad`, `ammag` (and route blinding's `blinded_node_id`, attribution data's `ammagext`). */
export function generateKey(
  keyType: 'rho' | 'mu' | 'um' | 'pad' | 'ammag' | 'ammagext' | 'blinded_node_id',
  secret: Uint8Array,
): Uint8Array {
  return hmacSha256(ENCODER.encode(keyType), secret);
}

const ZERO_NONCE = new Uint8Array(12);

/** BOLT 4 "Pseudo Random Byte Stream": ChaCha20 with the key, a 96-bit zero nonce and counter 0. */
export function generateCipherStream(key: Uint8Array, length: number): Uint8Array {
  return chacha20(key, ZERO_NONCE, new Uint8Array(length));
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** BOLT 4 "Shared Secret": SHA256 of the compressed ECDH point. A bad key is `invalid_onion_key`. */
export function sharedSecret(secretKey: Uint8Array, pub: Uint8Array): Uint8Array {
  if (!isValidPublicKey(pub)) throw new OnionError('bad_ephemeral_key', 'not a valid public key', 'invalid_onion_key');
  return ecdh(secretKey, pub);
}

/** BOLT 4 "Blinding Ephemeral Onion Keys": the blinding factor `SHA256(ephemeral_pubkey || shared_secret)`. */
export function blindingFactor(pub: Uint8Array, secret: Uint8Array): Uint8Array {
  return sha256(concat(pub, secret));
}

/** A public key times a 32-byte scalar. */
export function multiplyPoint(pub: Uint8Array, scalar: Uint8Array): Uint8Array {
  return compressed(point(pub).multiply(modN(bytesToScalar(scalar))));
}

/** A secret key times a 32-byte scalar, mod n. */
export function multiplySecret(secret: Uint8Array, scalar: Uint8Array): Uint8Array {
  return scalarSecret(bytesToScalar(secret) * bytesToScalar(scalar));
}
