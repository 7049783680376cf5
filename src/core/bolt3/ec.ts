// The secp256k1 arithmetic BOLT 3's key derivation needs (point addition, scalar multiplication,
// scalars mod n) and Bitcoin's DER signatures, over @noble/secp256k1 as crypto/primitives.ts
// configures it (its import sets the library's hashes, which deterministic signing uses).
import * as secp from '@noble/secp256k1';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '../crypto/primitives.ts';
import { Bolt3Error } from './errors.ts';
import { compactFromDer, derFromCompact } from './der.ts';

const N = secp.Point.CURVE().n;

export function bytesToScalar(b: Uint8Array): bigint {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
}

export function scalarToBytes(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}

/** A secret key as a scalar in [1, n), or a Bolt3Error. */
export function secretScalar(secret: Uint8Array): bigint {
  const x = bytesToScalar(secret);
  if (secret.length !== 32 || x === 0n || x >= N) throw new Bolt3Error('bad_scalar', 'secret key out of range');
  return x;
}

/** A SHA256 output as a tweak scalar; one not below n is refused, as libsecp256k1's tweak functions refuse it. */
export function hashScalar(h: Uint8Array): bigint {
  const x = bytesToScalar(h);
  if (x >= N) throw new Bolt3Error('bad_scalar', 'tweak out of range');
  return x;
}

export function point(pub: Uint8Array): secp.Point {
  if (pub.length !== 33) throw new Bolt3Error('bad_point', 'a point must be 33 bytes compressed');
  try {
    return secp.Point.fromBytes(pub);
  } catch {
    throw new Bolt3Error('bad_point', 'not a point on secp256k1');
  }
}

export const G = secp.Point.BASE;

export function compressed(p: secp.Point): Uint8Array {
  if (p.equals(secp.Point.ZERO)) throw new Bolt3Error('bad_point', 'derived key is the point at infinity');
  return p.toBytes(true);
}

export function modN(x: bigint): bigint {
  const r = x % N;
  return r < 0n ? r + N : r;
}

/** A derived secret as 32 bytes, refusing zero. */
export function scalarSecret(x: bigint): Uint8Array {
  const r = modN(x);
  if (r === 0n) throw new Bolt3Error('bad_scalar', 'derived secret key is zero');
  return scalarToBytes(r);
}

/** RIPEMD160(SHA256(x)), Bitcoin's HASH160. */
export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data));
}

export { ripemd160 };

/** Deterministic (RFC 6979) low-S ECDSA over a 32-byte digest, DER-encoded (no sighash byte). */
export function signDer(digest: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return derFromCompact(secp.sign(digest, secretKey, { prehash: false, lowS: true, format: 'compact' }));
}

/** Verifies a DER signature (no sighash byte) over a 32-byte digest; false on any bad input. */
export function verifyDer(sig: Uint8Array, digest: Uint8Array, pub: Uint8Array): boolean {
  try {
    return secp.verify(compactFromDer(sig), digest, pub, { prehash: false, lowS: true, format: 'compact' });
  } catch {
    return false;
  }
}
