// BOLT 3 "Efficient Per-commitment Secret Storage": the receiver of per-commitment secrets keeps
// at most 49 (index, secret) pairs, one per count of trailing zero bits, and derives every older
// secret from them. A secret that does not derive the ones already held was not generated from the
// same seed and is refused.
import { equal } from '../base/bytes.ts';
import { Bolt3Error } from './errors.ts';
import { FIRST_SECRET_INDEX, checkIndex, deriveSecret } from './per-commitment.ts';

export interface KnownSecret {
  readonly index: bigint;
  readonly secret: Uint8Array;
}

/** BOLT 3 `where_to_put_secret(I)`: the count of trailing zeros of I (48 for I = 0, the seed). */
export function whereToPutSecret(index: bigint): number {
  for (let b = 0; b < 48; b++) if ((index >> BigInt(b)) & 1n) return b;
  return 48;
}

export class Shachain {
  readonly #known: (KnownSecret | undefined)[] = new Array(49);
  /** The index the next secret must have (secrets arrive in descending order from 2^48 - 1). */
  #next = FIRST_SECRET_INDEX;

  /** A store rebuilt from `entries()` of an earlier one (each checked as on insert). */
  static from(entries: readonly KnownSecret[]): Shachain {
    const s = new Shachain();
    const sorted = [...entries].sort((a, b) => (a.index > b.index ? -1 : 1));
    for (const e of sorted) {
      s.#next = e.index;
      s.insert(e.index, e.secret);
    }
    return s;
  }

  /** The next index `insert` accepts. */
  get nextIndex(): bigint {
    return this.#next;
  }

  /** The pairs held (at most 49), for persistence. */
  entries(): KnownSecret[] {
    return this.#known.filter((e): e is KnownSecret => e !== undefined).map(e => ({ index: e.index, secret: e.secret.slice() }));
  }

  /**
   * BOLT 3 `insert_secret(secret, I)`: every secret held in a bucket below B must derive from the
   * new one, else "The secret for I is incorrect". Secrets must arrive in order (BOLT 3: "secrets
   * are always received in descending order starting at 0xFFFFFFFFFFFF").
   */
  insert(index: bigint, secret: Uint8Array): void {
    checkIndex(index);
    if (secret.length !== 32) throw new Bolt3Error('bad_secret', 'a per-commitment secret is 32 bytes');
    if (index !== this.#next) throw new Bolt3Error('bad_index', `expected the secret for index ${this.#next}, got ${index}`);
    const bucket = whereToPutSecret(index);
    for (let b = 0; b < bucket; b++) {
      const known = this.#known[b];
      if (known && !equal(deriveSecret(secret, bucket, known.index), known.secret)) {
        throw new Bolt3Error('bad_secret', `the secret for index ${index} does not derive the one held for ${known.index}`);
      }
    }
    this.#known[bucket] = { index, secret: secret.slice() };
    this.#next = index - 1n;
  }

  /** BOLT 3 `derive_old_secret(I)`: from the bucket whose index is a prefix of I; refused if I was not received yet. */
  derive(index: bigint): Uint8Array {
    checkIndex(index);
    for (let b = 0; b < this.#known.length; b++) {
      const known = this.#known[b];
      if (!known) continue;
      const mask = ~((1n << BigInt(b)) - 1n);
      if ((index & mask) === known.index) return deriveSecret(known.secret, b, index);
    }
    throw new Bolt3Error('unknown_secret', `index ${index} has not been received yet`);
  }
}
