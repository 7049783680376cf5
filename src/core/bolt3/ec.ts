// The secp256k1 arithmetic BOLT 3's key derivation needs (point addition, scalar multiplication,
// scalars mod n) and Bitcoin's DER signatures, through the thread's secp256k1 engine
// (crypto/ec-engine.ts: libsecp256k1 in WASM where the runtime loads it, else @noble/secp256k1).
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '../crypto/primitives.ts';
import { CURVE_N as N, ecEngine } from '../crypto/ec-engine.ts';
import { Bolt3Error } from './errors.ts';
import { compactFromDer, derFromCompact } from './der.ts';

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

/** `pub` itself once it is known to be a compressed point on secp256k1, else a Bolt3Error. */
export function point(pub: Uint8Array): Uint8Array {
  if (pub.length !== 33) throw new Bolt3Error('bad_point', 'a point must be 33 bytes compressed');
  if (!ecEngine().isPoint(pub)) throw new Bolt3Error('bad_point', 'not a point on secp256k1');
  return pub;
}

function derived(p: Uint8Array | null): Uint8Array {
  if (!p) throw new Bolt3Error('bad_point', 'derived key is the point at infinity');
  return p;
}

/** x*G for a scalar x in [1, n). */
export function mulG(x: bigint): Uint8Array {
  const p = ecEngine().publicKey(scalarToBytes(x));
  if (!p) throw new Bolt3Error('bad_scalar', 'secret key out of range');
  return p;
}

/** pub + t*G for a tweak t in [0, n). */
export function addTweak(pub: Uint8Array, t: bigint): Uint8Array {
  return derived(ecEngine().pointAddScalar(point(pub), scalarToBytes(t)));
}

/** x*pub for x in [1, n). */
export function mulPoint(pub: Uint8Array, x: bigint): Uint8Array {
  const p = ecEngine().pointMultiply(point(pub), scalarToBytes(modN(x)));
  if (!p) throw new Bolt3Error('bad_scalar', 'multiplier is zero');
  return p;
}

export function addPoints(a: Uint8Array, b: Uint8Array): Uint8Array {
  return derived(ecEngine().pointAdd(point(a), point(b)));
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
  const sig = ecEngine().sign(digest, secretKey);
  if (!sig) throw new Bolt3Error('bad_scalar', 'cannot sign with this secret key');
  return derFromCompact(sig);
}

/** Verifies a DER signature (no sighash byte) over a 32-byte digest; false on any bad input. */
export function verifyDer(sig: Uint8Array, digest: Uint8Array, pub: Uint8Array): boolean {
  let compact: Uint8Array;
  try {
    compact = compactFromDer(sig);
  } catch {
    return false;
  }
  return ecEngine().verify(compact, digest, pub);
}
