// The responder of BOLT 8's Noise_XK handshake as a state machine: bytes in, bytes out. It reads
// Act One, sends Act Two, reads Act Three and so learns the initiator's node id.
import { ecdh as localEcdh, getPublicKey, isValidPublicKey } from '../crypto/primitives.ts';
import { NoiseError } from '../base/errors.ts';
import { checkLocalKeys, readActThree, readEphemeralAct, staticEcdh, writeEphemeralAct, type Ecdh } from './act.ts';
import { SymmetricState } from './symmetric.ts';
import { NoiseTransport } from './transport.ts';
import type { TransportAead } from '../crypto/aead.ts';

export interface NoiseResponderOptions {
  /** Our node id, `ls.pub` (33-byte compressed). */
  localStatic: Uint8Array;
  /** `ECDH(rk, ls.priv)`, answered by whoever holds the node secret (hsmd). */
  ecdh: Ecdh;
  /** `e.priv`: a fresh random secret per connection (BOLT 8 MUST); injected so vectors reproduce. */
  ephemeralSecret: Uint8Array;
  /** The transport's ChaCha20-Poly1305 engine (crypto/aead.ts); @noble/ciphers when not given. */
  aead?: TransportAead;
}

export interface ResponderResult {
  /** The initiator's node id, `rs`, recovered from Act Three. */
  remoteStatic: Uint8Array;
  transport: NoiseTransport;
}

const EMPTY = new Uint8Array(0);

type State = 'start' | 'busy' | 'act2_sent' | 'done' | 'failed';

export class NoiseResponder {
  private state: State = 'start';
  private readonly ss: SymmetricState;
  private readonly ecdh: Ecdh;
  private readonly e: Uint8Array;
  private readonly aead: TransportAead | undefined;
  private tempK2: Uint8Array | undefined;

  constructor(opts: NoiseResponderOptions) {
    checkLocalKeys(opts.localStatic, opts.ephemeralSecret, opts.ecdh);
    this.ecdh = opts.ecdh;
    this.e = opts.ephemeralSecret.slice();
    this.aead = opts.aead;
    // "Handshake State Initialization": the responder mixes in its own `ls.pub`.
    this.ss = new SymmetricState(opts.localStatic);
  }

  /**
   * Act One, receiver actions (`-> e, es`), then Act Two, sender actions (`<- e, ee`): returns the
   * 50 bytes of Act Two. On any failure the responder MUST terminate the connection without any
   * further messages, and this handshake is over.
   */
  async act1(m: Uint8Array): Promise<Uint8Array> {
    this.expect('start', 'act1');
    this.state = 'busy';
    try {
      const { re, c } = readEphemeralAct(m, 'act one'); //      1–3. exactly 50 bytes, v = 0, re a valid point
      this.ss.mixHash(re); //                                   4. h = SHA-256(h || re)
      const es = await staticEcdh(this.ecdh, re); //            5. ss = ECDH(re, s.priv) (hsmd)
      const tempK1 = this.ss.mixKey(es); //                     6. ck, temp_k1 = HKDF(ck, ss)
      this.ss.decryptAndHash(tempK1, 0n, c); //                 7–8. MAC check of c; h = SHA-256(h || c)

      // Act Two, sender actions.
      const ePub = getPublicKey(this.e); //                     1. e = generateKey()
      this.ss.mixHash(ePub); //                                 2. h = SHA-256(h || e.pub)
      const ee = localEcdh(this.e, re); //                      3. ss = ECDH(re, e.priv)
      this.tempK2 = this.ss.mixKey(ee); //                      4. ck, temp_k2 = HKDF(ck, ss)
      const c2 = this.ss.encryptAndHash(this.tempK2, 0n, EMPTY); // 5–6. c = encryptWithAD(temp_k2, 0, h, zero)
      this.state = 'act2_sent';
      return writeEphemeralAct(ePub, c2); //                    7. m = 0 || e.pub || c
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
  }

  /**
   * Act Three, receiver actions (`-> s, se`). Synchronous: only the responder's ephemeral key is
   * used. Returns the initiator's node id and the transport.
   */
  act3(m: Uint8Array): ResponderResult {
    this.expect('act2_sent', 'act3');
    try {
      const { c, t } = readActThree(m); //                      1–3. exactly 66 bytes, v = 0
      const rs = this.ss.decryptAndHash(this.tempK2!, 1n, c); // 4–5. rs = decryptWithAD(temp_k2, 1, h, c); h = SHA-256(h || c)
      if (!isValidPublicKey(rs)) throw new NoiseError('bad_pubkey', 'act three: initiator static key is not a valid compressed point');
      const se = localEcdh(this.e, rs); //                      6. ss = ECDH(rs, e.priv)
      const tempK3 = this.ss.mixKey(se); //                     7. ck, temp_k3 = HKDF(ck, ss)
      this.ss.decryptAndHash(tempK3, 0n, t); //                 8. p = decryptWithAD(temp_k3, 0, h, t)
      const [rk, sk] = this.ss.split(); //                      9. rk, sk = HKDF(ck, zero)
      const transport = new NoiseTransport({ sk, rk, ck: this.ss.ck }, this.aead); // 10. rn = 0, sn = 0
      this.state = 'done';
      this.tempK2 = undefined;
      return { remoteStatic: rs, transport };
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
  }

  private expect(state: State, call: string): void {
    if (this.state !== state) throw new NoiseError('bad_state', `responder: ${call}() called in state ${this.state}`);
  }
}
