// Our ChaCha20-Poly1305 (src/core/crypto/chacha20-poly1305.ts) against @noble/ciphers: the same
// ciphertext and tag for every length around the block edges and beyond, with fresh keys and
// nonces; a flipped bit anywhere is refused with the output untouched; state left by one call never
// leaks into the next. BOLT 8's own vectors run over it in test/core/noise.test.ts.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ChaCha20Poly1305 } from '../../../src/core/crypto/chacha20-poly1305.ts';
import { SMALL_MESSAGE_BYTES, nobleAead, smallMessageAead } from '../../../src/core/crypto/aead.ts';
import { toHex } from '../../../src/core/base/bytes.ts';
import { equal, ok, throws } from '../../support/assert.ts';
import { Rng } from '../../support/fuzz.ts';

describe('ChaCha20Poly1305 (ours) against @noble/ciphers', () => {
  it('seals as noble does for lengths 0–300, block edges up to 1,100 and 65,535 bytes, and opens its own output', () => {
    const rng = new Rng('chacha20-poly1305');
    const ours = new ChaCha20Poly1305();
    const lengths = [...Array.from({ length: 301 }, (_, i) => i), 511, 512, 513, 1023, 1024, 1025, 1100, 65535];
    for (const n of lengths) {
      const key = rng.bytes(32);
      const nonce = rng.bytes(12);
      const msg = rng.bytes(n);
      const sealed = new Uint8Array(n + 16);
      ours.seal(key, nonce, msg, sealed);
      equal(toHex(sealed), toHex(chacha20poly1305(key, nonce).encrypt(msg)), `length ${n}`);
      const opened = new Uint8Array(n);
      ok(ours.open(key, nonce, sealed, opened), `opens length ${n}`);
      equal(toHex(opened), toHex(msg), `round trip ${n}`);
    }
  });

  it('opens what noble sealed, and refuses one flipped bit in any byte (ciphertext or tag) without writing out', () => {
    const rng = new Rng('chacha20-poly1305 tamper');
    const ours = new ChaCha20Poly1305();
    for (const n of [0, 1, 2, 15, 16, 17, 150, 333]) {
      const key = rng.bytes(32);
      const nonce = rng.bytes(12);
      const msg = rng.bytes(n);
      const sealed = chacha20poly1305(key, nonce).encrypt(msg);
      for (let i = 0; i < sealed.length; i++) {
        const bad = sealed.slice();
        bad[i]! ^= 1 << rng.int(8);
        const out = new Uint8Array(n).fill(0xaa);
        equal(ours.open(key, nonce, bad, out), false, `length ${n}, byte ${i}`);
        ok(
          out.every(b => b === 0xaa),
          'nothing written on a bad tag',
        );
      }
      const out = new Uint8Array(n);
      ok(ours.open(key, nonce, sealed, out));
      equal(toHex(out), toHex(msg));
    }
  });

  it('a wrong key or nonce is refused', () => {
    const rng = new Rng('chacha20-poly1305 wrong key');
    const ours = new ChaCha20Poly1305();
    const key = rng.bytes(32);
    const nonce = rng.bytes(12);
    const sealed = chacha20poly1305(key, nonce).encrypt(rng.bytes(40));
    const otherKey = key.slice();
    otherKey[31]! ^= 0x80;
    const otherNonce = nonce.slice();
    otherNonce[0]! ^= 1;
    equal(ours.open(otherKey, nonce, sealed, new Uint8Array(40)), false);
    equal(ours.open(key, otherNonce, sealed, new Uint8Array(40)), false);
  });

  it('bad sizes are a RangeError, not a wrong answer', () => {
    const ours = new ChaCha20Poly1305();
    throws(() => ours.seal(new Uint8Array(31), new Uint8Array(12), new Uint8Array(1), new Uint8Array(17)), RangeError);
    throws(() => ours.seal(new Uint8Array(32), new Uint8Array(11), new Uint8Array(1), new Uint8Array(17)), RangeError);
    throws(() => ours.seal(new Uint8Array(32), new Uint8Array(12), new Uint8Array(2), new Uint8Array(17)), RangeError);
    throws(() => ours.open(new Uint8Array(32), new Uint8Array(12), new Uint8Array(15), new Uint8Array(0)), RangeError);
  });
});

describe('smallMessageAead', () => {
  it(`routes messages up to ${SMALL_MESSAGE_BYTES} bytes to ours and larger ones to the bulk engine`, () => {
    let bulk = 0;
    const counted = {
      name: 'counted',
      seal: (k: Uint8Array, n: Uint8Array, p: Uint8Array, o: Uint8Array) => (bulk++, nobleAead.seal(k, n, p, o)),
      open: (k: Uint8Array, n: Uint8Array, c: Uint8Array, o: Uint8Array) => (bulk++, nobleAead.open(k, n, c, o)),
    };
    const e = smallMessageAead(counted);
    const key = new Uint8Array(32).fill(1);
    const nonce = new Uint8Array(12).fill(2);
    for (const n of [0, SMALL_MESSAGE_BYTES, SMALL_MESSAGE_BYTES + 1]) {
      const msg = new Uint8Array(n).fill(3);
      const sealed = new Uint8Array(n + 16);
      e.seal(key, nonce, msg, sealed);
      equal(toHex(sealed), toHex(chacha20poly1305(key, nonce).encrypt(msg)));
      const out = new Uint8Array(n);
      ok(e.open(key, nonce, sealed, out));
    }
    equal(bulk, 2, 'only the message above the limit went to the bulk engine (seal and open)');
  });
});
