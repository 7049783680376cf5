// The key cache of the libsecp256k1 engine (src/core/crypto/point-cache.ts): least-recently-used eviction
// at capacity, exact-bytes keys, and the check that a 65-byte form belongs to a 33-byte key.
import { deepEqual, equal, ok } from '../../support/assert.ts';
import { PointCache, isUncompressedOf } from '../../../src/core/crypto/point-cache.ts';

function key(n: number, prefix = 0x02): Uint8Array {
  const k = new Uint8Array(33);
  k[0] = prefix;
  k[32] = n;
  return k;
}
function point(n: number, odd = false): Uint8Array {
  const p = new Uint8Array(65).fill(n);
  p[0] = 0x04;
  p[64] = odd ? 1 : 2;
  return p;
}

describe('PointCache', () => {
  it('returns what was stored for exactly those bytes', () => {
    const c = new PointCache(4);
    c.set(key(1), point(1));
    deepEqual(c.get(key(1)), point(1));
    equal(c.get(key(1, 0x03)), undefined, 'same x, other parity is another key');
    equal(c.get(key(2)), undefined);
    equal(c.size, 1);
  });

  it('evicts the least recently used entry at capacity; a read counts as a use', () => {
    const c = new PointCache(3);
    for (const n of [1, 2, 3]) c.set(key(n), point(n));
    ok(c.get(key(1)));
    c.set(key(4), point(4));
    equal(c.has(key(2)), false, '2 was the least recently used');
    ok(c.has(key(1)) && c.has(key(3)) && c.has(key(4)));
    equal(c.size, 3);
    // The freed slot now holds key 4's point, and the others are intact.
    deepEqual(c.get(key(4)), point(4));
    deepEqual(c.get(key(1)), point(1));
    deepEqual(c.get(key(3)), point(3));
    c.set(key(3), point(9));
    deepEqual(c.get(key(3)), point(9), 'set again replaces');
    equal(c.size, 3);
  });

  it('a capacity of one holds the last key only', () => {
    const c = new PointCache(0);
    equal(c.capacity, 1);
    c.set(key(1), point(1));
    c.set(key(2), point(2));
    equal(c.get(key(1)), undefined);
    deepEqual(c.get(key(2)), point(2));
  });
});

describe('isUncompressedOf', () => {
  it('matches x and the parity of y to the prefix', () => {
    const k = key(7);
    k.fill(7, 1);
    const even = point(7);
    ok(isUncompressedOf(even, k));
    ok(
      !isUncompressedOf(
        even,
        Uint8Array.from(k, (b, i) => (i === 0 ? 0x03 : b)),
      ),
      'odd prefix, even y',
    );
    ok(
      isUncompressedOf(
        point(7, true),
        Uint8Array.from(k, (b, i) => (i === 0 ? 0x03 : b)),
      ),
    );
    ok(!isUncompressedOf(point(8), k), 'other x');
    const bad = even.slice();
    bad[0] = 0x06;
    ok(!isUncompressedOf(bad, k), 'not 0x04');
    ok(
      !isUncompressedOf(
        even,
        Uint8Array.from(k, (b, i) => (i === 0 ? 0x04 : b)),
      ),
      'not a compressed key',
    );
    ok(!isUncompressedOf(even.subarray(0, 64), k), 'short');
  });
});
