// The initiator of BOLT 8's Noise_XK handshake as a state machine: bytes in, bytes out. It knows the
// responder's static key beforehand (`<- s`), sends Act One, reads Act Two, sends Act Three.
import { ecdh as localEcdh, getPublicKey, isValidPublicKey } from '../crypto/primitives.ts';
import { NoiseError } from '../base/errors.ts';
import { checkLocalKeys, readEphemeralAct, staticEcdh, writeActThree, writeEphemeralAct, type Ecdh } from './act.ts';
import { SymmetricState } from './symmetric.ts';
import { NoiseTransport } from './transport.ts';
import type { TransportAead } from '../crypto/aead.ts';

export interface NoiseInitiatorOptions {
  /** Our node id, `ls.pub` (33-byte compressed). */
  localStatic: Uint8Array;
  /** `ECDH(rk, ls.priv)`, answered by whoever holds the node secret (hsmd). */
  ecdh: Ecdh;
  /** `e.priv`: a fresh random secret per connection (BOLT 8 MUST); injected so vectors reproduce. */
  ephemeralSecret: Uint8Array;
  /** The transport's ChaCha20-Poly1305 engine (crypto/aead.ts); @noble/ciphers when not given. */
  aead?: TransportAead;
  /** The responder's node id, `rs.pub`. */
  remoteStatic: Uint8Array;
}

export interface InitiatorResult {
  /** Act Three, 66 bytes, to send to the responder. */
  act3: Uint8Array;
  transport: NoiseTransport;
}

const EMPTY = new Uint8Array(0);

type State = 'start' | 'act1_sent' | 'busy' | 'done' | 'failed';

export class NoiseInitiator {
  private state: State = 'start';
  private readonly ss: SymmetricState;
  private readonly localStatic: Uint8Array;
  private readonly ecdh: Ecdh;
  private readonly e: Uint8Array;
  private readonly aead: TransportAead | undefined;
  readonly remoteStatic: Uint8Array;

  constructor(opts: NoiseInitiatorOptions) {
    checkLocalKeys(opts.localStatic, opts.ephemeralSecret, opts.ecdh);
    if (!(opts.remoteStatic instanceof Uint8Array) || !isValidPublicKey(opts.remoteStatic)) {
      throw new NoiseError('bad_pubkey', 'remoteStatic must be a valid 33-byte compressed public key');
    }
    this.localStatic = opts.localStatic.slice();
    this.ecdh = opts.ecdh;
    this.e = opts.ephemeralSecret.slice();
    this.aead = opts.aead;
    this.remoteStatic = opts.remoteStatic.slice();
    // "Handshake State Initialization": the initiator mixes in `rs.pub`.
    this.ss = new SymmetricState(this.remoteStatic);
  }

  /** Act One, sender actions (`-> e, es`): returns the 50 bytes to send. */
  act1(): Uint8Array {
    this.expect('start', 'act1');
    return this.guard(() => {
      const ePub = getPublicKey(this.e); //                   1. e = generateKey()
      this.ss.mixHash(ePub); //                               2. h = SHA-256(h || e.pub)
      const ss = localEcdh(this.e, this.remoteStatic); //     3. ss = ECDH(rs, e.priv)
      const tempK1 = this.ss.mixKey(ss); //                    4. ck, temp_k1 = HKDF(ck, ss)
      const c = this.ss.encryptAndHash(tempK1, 0n, EMPTY); // 5–6. c = encryptWithAD(temp_k1, 0, h, zero); h = SHA-256(h || c)
      this.state = 'act1_sent';
      return writeEphemeralAct(ePub, c); //                    7. m = 0 || e.pub || c
    });
  }

  /**
   * Act Two, receiver actions (`<- e, ee`), then Act Three, sender actions (`-> s, se`). On any
   * failure the handshake is over (BOLT 8: the initiator MUST terminate the connection).
   */
  async act2(m: Uint8Array): Promise<InitiatorResult> {
    this.expect('act1_sent', 'act2');
    this.state = 'busy';
    try {
      const { re, c } = readEphemeralAct(m, 'act two'); //     1–3. exactly 50 bytes, v = 0, re a valid point
      this.ss.mixHash(re); //                                  4. h = SHA-256(h || re)
      const ee = localEcdh(this.e, re); //                     5. ss = ECDH(re, e.priv)
      const tempK2 = this.ss.mixKey(ee); //                    6. ck, temp_k2 = HKDF(ck, ss)
      this.ss.decryptAndHash(tempK2, 0n, c); //                7–8. MAC check of c; h = SHA-256(h || c)

      // Act Three, sender actions.
      const c3 = this.ss.encryptAndHash(tempK2, 1n, this.localStatic); // 1–2. c = encryptWithAD(temp_k2, 1, h, s.pub)
      const se = await staticEcdh(this.ecdh, re); //           3. ss = ECDH(re, s.priv) (hsmd)
      const tempK3 = this.ss.mixKey(se); //                    4. ck, temp_k3 = HKDF(ck, ss)
      const t = this.ss.encryptAndHash(tempK3, 0n, EMPTY); //  5. t = encryptWithAD(temp_k3, 0, h, zero)
      const [sk, rk] = this.ss.split(); //                     6. sk, rk = HKDF(ck, zero)
      const transport = new NoiseTransport({ sk, rk, ck: this.ss.ck }, this.aead); // 7. rn = 0, sn = 0
      this.state = 'done';
      return { act3: writeActThree(c3, t), transport }; //     8. m = 0 || c || t
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
  }

  private expect(state: State, call: string): void {
    if (this.state !== state) throw new NoiseError('bad_state', `initiator: ${call}() called in state ${this.state}`);
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
  }
}
