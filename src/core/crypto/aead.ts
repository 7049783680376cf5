// The AEAD behind BOLT 8's transport (ChaCha20-Poly1305, RFC 8439, with the zero-length `ad` the
// transport uses), injectable so that each runtime can supply its fastest: connectd decrypts every
// message a peer sends (two calls per message: the 2-byte length, then the body), about 340,000 calls
// in a mainnet gossip sync. Engines: @noble/ciphers (the default), chacha20-poly1305.ts (our own,
// with reused state: several times faster per call on gossip-sized messages, slower in bulk), and
// whatever a runtime adds (src/node/aead.ts: Node's built-in cipher). Each engine must pass BOLT 8's
// test vectors (test/core/noise.test.ts runs them for every engine).
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ChaCha20Poly1305 } from './chacha20-poly1305.ts';

export interface TransportAead {
  readonly name: string;
  /** `encryptWithAD(key, nonce, zero-length AD, plaintext)` into `out` (exactly plaintext.length + 16 bytes). */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, out: Uint8Array): void;
  /** `decryptWithAD` of ciphertext || tag into `out` (exactly ciphertext.length - 16 bytes); false on a bad tag. */
  open(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, out: Uint8Array): boolean;
}

export const nobleAead: TransportAead = {
  name: 'noble',
  seal(key, nonce, plaintext, out) {
    chacha20poly1305(key, nonce).encrypt(plaintext, out);
  },
  open(key, nonce, ciphertext, out) {
    try {
      chacha20poly1305(key, nonce).decrypt(ciphertext, out);
      return true;
    } catch {
      return false;
    }
  },
};

/**
 * Messages up to this many bytes go to our ChaCha20Poly1305; larger ones to the bulk engine (where
 * per-call overhead no longer matters and @noble/ciphers or a native cipher is faster per byte).
 */
export const SMALL_MESSAGE_BYTES = 1024;

/**
 * Our ChaCha20Poly1305 (one instance, its state reused: calls never overlap in one thread) for
 * messages up to SMALL_MESSAGE_BYTES, `bulk` above. The gossip path's messages are nearly all small.
 */
export function smallMessageAead(bulk: TransportAead = nobleAead): TransportAead {
  const small = new ChaCha20Poly1305();
  return {
    name: `small+${bulk.name}`,
    seal(key, nonce, plaintext, out) {
      if (plaintext.length <= SMALL_MESSAGE_BYTES) small.seal(key, nonce, plaintext, out);
      else bulk.seal(key, nonce, plaintext, out);
    },
    open(key, nonce, ciphertext, out) {
      return ciphertext.length - 16 <= SMALL_MESSAGE_BYTES
        ? small.open(key, nonce, ciphertext, out)
        : bulk.open(key, nonce, ciphertext, out);
    },
  };
}
