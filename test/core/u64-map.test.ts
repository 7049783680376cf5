// U64Map (src/core/gossip/u64-map.ts), the gossip store index's map of u64 keys, against a Map
// under random inserts, overwrites, deletes and remaps, through growth and tombstone clean-ups.
import { U64Map } from '../../src/core/gossip/u64-map.ts';
import { equal, ok, throws } from '../support/assert.ts';
import { Rng } from '../support/fuzz.ts';

describe('U64Map', () => {
  it('agrees with a Map through 200,000 random operations', () => {
    const rng = new Rng('u64-map');
    const m = new U64Map();
    const ref = new Map<bigint, number>();
    // Keys from a small pool (so deletes and overwrites hit), spread over all 64 bits, edges included.
    const pool = [0n, 1n, (1n << 32n) - 1n, 1n << 32n, (1n << 64n) - 1n];
    while (pool.length < 30_000)
      pool.push(BigInt.asUintN(64, (BigInt(rng.int(2 ** 30)) << 34n) ^ BigInt(rng.int(2 ** 30)) ^ (BigInt(rng.int(4)) << 62n)));
    for (let op = 0; op < 200_000; op++) {
      const k = pool[rng.int(pool.length)]!;
      const r = rng.int(10);
      if (r < 6) {
        const v = rng.int(0x7fffffff);
        m.set(k, v);
        ref.set(k, v);
      } else if (r < 9) {
        equal(m.delete(k), ref.delete(k));
      } else {
        equal(m.get(k), ref.get(k));
        equal(m.has(k), ref.has(k));
      }
      if (op % 50_000 === 0) {
        m.remap(v => v ^ 1);
        for (const [key, v] of ref) ref.set(key, v ^ 1);
      }
    }
    equal(m.size, ref.size);
    for (const k of pool) equal(m.get(k), ref.get(k));
    ok(ref.size > 1000);
  });

  it('refuses keys outside u64 and values outside int32', () => {
    const m = new U64Map();
    throws(() => m.set(-1n, 1), RangeError);
    throws(() => m.get(1n << 64n), RangeError);
    throws(() => m.set(5n, -1), RangeError);
    throws(() => m.set(5n, 2 ** 31), RangeError);
    equal(m.size, 0);
  });
});
