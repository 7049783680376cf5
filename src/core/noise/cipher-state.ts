// One direction of a BOLT 8 transport: a key, its nonce and its own chaining key, rotated every
// 1000 uses ("Lightning Message Key Rotation"). The hot path: no bigint, the 12-byte nonce is one
// buffer rewritten in place, and the AEAD writes straight into the caller's output.
import { hkdf2 } from '../crypto/primitives.ts';
import { nobleAead, type TransportAead } from '../crypto/aead.ts';
import { NoiseError } from '../base/errors.ts';

/** BOLT 8: "A key is to be rotated after a party sends or decrypts 1000 messages with it". */
export const KEY_ROTATION_INTERVAL = 1000;

export class CipherState {
  private k: Uint8Array;
  private ck: Uint8Array;
  private n = 0;
  /** BOLT 8 nonce: 32 zero bits then the little-endian 64-bit `n` (n < 1000 fits in bytes 4–5). */
  private readonly nonce = new Uint8Array(12);

  constructor(
    k: Uint8Array,
    ck: Uint8Array,
    private readonly aead: TransportAead = nobleAead,
  ) {
    this.k = k.slice();
    this.ck = ck.slice();
  }

  /** `encryptWithAD(k, n, zero-length AD, plaintext)` into `out` (plaintext.length + 16 bytes). */
  seal(plaintext: Uint8Array, out: Uint8Array): void {
    this.aead.seal(this.k, this.nonce, plaintext, out);
    this.advance();
  }

  /** `decryptWithAD(k, n, zero-length AD, ciphertext)` into `out`; a bad MAC is NoiseError 'bad_mac'. */
  open(ciphertext: Uint8Array, out: Uint8Array): void {
    let ok: boolean;
    try {
      ok = this.aead.open(this.k, this.nonce, ciphertext, out);
    } catch {
      ok = false;
    }
    if (!ok) throw new NoiseError('bad_mac', 'transport message MAC check failed');
    this.advance();
  }

  /** Every use increments the nonce; at 1000: `ck', k' = HKDF(ck, k)`, `n = 0`, `k = k'`, `ck = ck'`. */
  private advance(): void {
    let n = this.n + 1;
    if (n === KEY_ROTATION_INTERVAL) {
      const [ck, k] = hkdf2(this.ck, this.k);
      this.ck = ck;
      this.k = k;
      n = 0;
    }
    this.n = n;
    this.nonce[4] = n & 0xff;
    this.nonce[5] = (n >>> 8) & 0xff;
  }
}
