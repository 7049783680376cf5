// Our SHA-256 (src/core/crypto/sha256.ts, the gossip digests' hot path) against the FIPS 180-2 appendix
// examples and against @noble/hashes at every length around the block and padding boundaries.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { sha256Fast, sha256dFast } from '../../../src/core/crypto/sha256.ts';
import { fromHex, toHex } from '../../../src/core/base/bytes.ts';
import { equal } from '../../support/assert.ts';

const text = (s: string) => new TextEncoder().encode(s);

describe('sha256 (src/core/crypto/sha256.ts)', () => {
  it('gives the FIPS 180-2 example digests', () => {
    equal(toHex(sha256Fast(text('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    equal(toHex(sha256Fast(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    equal(
      toHex(sha256Fast(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    equal(toHex(sha256Fast(new Uint8Array(1_000_000).fill(0x61))), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('agrees with @noble/hashes at every length from 0 to 300 bytes, once and twice', () => {
    let seed = 7;
    for (let n = 0; n <= 300; n++) {
      const data = new Uint8Array(n).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      equal(toHex(sha256Fast(data)), toHex(nobleSha256(data)), `length ${n}`);
      equal(toHex(sha256dFast(data)), toHex(nobleSha256(nobleSha256(data))), `double, length ${n}`);
    }
  });

  it('reads a view at its own offset and leaves the input alone', () => {
    const buf = fromHex('ff'.repeat(10) + toHex(text('abc')) + 'ee'.repeat(10));
    const before = buf.slice();
    equal(toHex(sha256Fast(buf.subarray(10, 13))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    equal(toHex(buf), toHex(before));
  });
});
