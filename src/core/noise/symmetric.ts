// BOLT 8 "Handshake State" (`h`, `ck`) and the steps both sides apply to it. Pure: SHA-256, HKDF
// and ChaCha20-Poly1305 through src/core/crypto/primitives.ts; no ECDH here (the acts decide whose key).
import { concat } from '../base/bytes.ts';
import { decryptWithAD, encryptWithAD, hkdf2, sha256 } from '../crypto/primitives.ts';

/** BOLT 8 "Noise Protocol Instantiation": the protocol name hashed into the first `h`. */
export const PROTOCOL_NAME = 'Noise_XK_secp256k1_ChaChaPoly_SHA256';
/** BOLT 8 "Handshake State Initialization" step 3: the prologue. */
export const PROLOGUE = 'lightning';

const EMPTY = new Uint8Array(0);

let initial: { h: Uint8Array; ck: Uint8Array } | undefined;

/** Steps 1–3 of "Handshake State Initialization", the same for every handshake (computed once). */
function initialState(): { h: Uint8Array; ck: Uint8Array } {
  if (!initial) {
    const enc = new TextEncoder();
    const h0 = sha256(enc.encode(PROTOCOL_NAME)); // 1. h = SHA-256(protocolName)
    const ck = h0; //                                 2. ck = h
    const h = sha256(concat(h0, enc.encode(PROLOGUE))); // 3. h = SHA-256(h || prologue)
    initial = { h, ck };
  }
  return initial;
}

export class SymmetricState {
  /** The handshake hash. */
  h: Uint8Array;
  /** The chaining key. */
  ck: Uint8Array;

  /**
   * Initializes `h` and `ck`, then mixes in the responder's static key: the initiator passes
   * `rs.pub`, the responder its own `ls.pub` (BOLT 8 "Handshake State Initialization").
   */
  constructor(responderStatic: Uint8Array) {
    const { h, ck } = initialState();
    this.h = h;
    this.ck = ck;
    this.mixHash(responderStatic);
  }

  /** `h = SHA-256(h || data)`. */
  mixHash(data: Uint8Array): void {
    this.h = sha256(concat(this.h, data));
  }

  /** `ck, temp_k = HKDF(ck, ss)`; returns `temp_k`. */
  mixKey(ss: Uint8Array): Uint8Array {
    const [ck, tempK] = hkdf2(this.ck, ss);
    this.ck = ck;
    return tempK;
  }

  /** `c = encryptWithAD(temp_k, n, h, plaintext)` then `h = SHA-256(h || c)`. */
  encryptAndHash(tempK: Uint8Array, n: bigint, plaintext: Uint8Array): Uint8Array {
    const c = encryptWithAD(tempK, n, this.h, plaintext);
    this.mixHash(c);
    return c;
  }

  /** `p = decryptWithAD(temp_k, n, h, c)` (a MAC failure throws NoiseError 'bad_mac'), then `h = SHA-256(h || c)`. */
  decryptAndHash(tempK: Uint8Array, n: bigint, c: Uint8Array): Uint8Array {
    const p = decryptWithAD(tempK, n, this.h, c);
    this.mixHash(c);
    return p;
  }

  /** Act Three step 6 (initiator) / step 9 (responder): `HKDF(ck, zero)` gives the two transport keys. */
  split(): [Uint8Array, Uint8Array] {
    return hkdf2(this.ck, EMPTY);
  }
}
