// BOLT 3 "Per-commitment Secret Requirements": the 2^48 secrets of a channel, all derived from one
// seed, handed out from index 2^48 - 1 downwards.
import { sha256 } from '../crypto/primitives.ts';
import { Bolt3Error } from './errors.ts';

/** Up to (2^48 - 1) per-commitment secrets; the first secret used is this index. */
export const FIRST_SECRET_INDEX = 0xffffffffffffn;

export function checkIndex(index: bigint): void {
  if (index < 0n || index > FIRST_SECRET_INDEX) throw new Bolt3Error('bad_index', `per-commitment index ${index} is not 48 bits`);
}

/**
 * BOLT 3 "Efficient Per-commitment Secret Storage", `derive_secret(base, bits, I)`: for B in
 * bits-1 down to 0, if bit B of I is set, flip(B) in P (bit B mod 8 of byte B div 8), P = SHA256(P).
 */
export function deriveSecret(base: Uint8Array, bits: number, index: bigint): Uint8Array {
  let p: Uint8Array = base.slice();
  for (let b = bits - 1; b >= 0; b--) {
    if ((index >> BigInt(b)) & 1n) {
      p[b >> 3]! ^= 1 << (b & 7);
      p = sha256(p);
    }
  }
  return p;
}

/** BOLT 3 `generate_from_seed(seed, I)`: derive_secret over all 48 bits. */
export function generateFromSeed(seed: Uint8Array, index: bigint): Uint8Array {
  if (seed.length !== 32) throw new Bolt3Error('bad_secret', 'the seed must be 32 bytes');
  checkIndex(index);
  return deriveSecret(seed, 48, index);
}

/**
 * The secret for commitment number `n` (0, 1, 2, ...): BOLT 3 says the first secret used is index
 * 2^48 - 1 and the index is decremented from there.
 */
export function commitmentSecret(seed: Uint8Array, commitmentNumber: bigint): Uint8Array {
  return generateFromSeed(seed, FIRST_SECRET_INDEX - commitmentNumber);
}
