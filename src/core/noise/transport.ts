// BOLT 8 "Lightning Message Specification": framing of encrypted messages and a streaming decoder
// that takes the peer's bytes in chunks of any size and gives back whole plaintext messages in order.
import { EncodeError, NoiseError } from '../base/errors.ts';
import { CipherState } from './cipher-state.ts';
import type { TransportAead } from '../crypto/aead.ts';

/** BOLT 8: "The *maximum* size of _any_ Lightning message MUST NOT exceed `65535` bytes." */
export const MAX_MESSAGE_SIZE = 65535;
/** The encrypted length prefix: 2 bytes and its 16-byte MAC. */
export const LENGTH_HEADER_SIZE = 18;
export const MAC_SIZE = 16;
const FRAME_OFFSET = 2;

export interface TransportKeys {
  /** The key this side encrypts with (`sk`). */
  sk: Uint8Array;
  /** The key this side decrypts with (`rk`). */
  rk: Uint8Array;
  /** The chaining key at the end of Act Three; each direction starts its own copy from it. */
  ck: Uint8Array;
}

export class NoiseTransport {
  private readonly send: CipherState;
  private readonly recv: CipherState;
  private readonly lenPlain = new Uint8Array(2);
  private readonly lenOut = new Uint8Array(2);

  // Decoder state: fed chunks (by reference) not yet consumed, and a staging buffer for a frame
  // part that spans chunks.
  private chunks: Uint8Array[] = [];
  private head = 0;
  private off = 0;
  private stage = new Uint8Array(0);
  private staged = 0;
  private readingLength = true;
  private need = LENGTH_HEADER_SIZE;
  private failed: NoiseError | undefined;

  /** `aead`: the ChaCha20-Poly1305 engine (crypto/aead.ts), @noble/ciphers when not given. */
  constructor(keys: TransportKeys, aead?: TransportAead) {
    this.send = new CipherState(keys.sk, keys.ck, aead);
    this.recv = new CipherState(keys.rk, keys.ck, aead);
  }

  /**
   * BOLT 8 "Encrypting and Sending Messages": `lc || c`, where `lc` is the encrypted 2-byte
   * big-endian length with its MAC (18 bytes) and `c` the encrypted message with its MAC. The
   * frame is a view at byteOffset 2 of a buffer of its own: send or transfer the view, not `.buffer`
   * from 0.
   */
  encrypt(msg: Uint8Array): Uint8Array<ArrayBuffer> {
    if (!(msg instanceof Uint8Array)) throw new EncodeError('bad_input', 'a message must be bytes');
    const l = msg.length;
    if (l > MAX_MESSAGE_SIZE) {
      throw new EncodeError('message_too_long', `a Lightning message is at most ${MAX_MESSAGE_SIZE} bytes, got ${l}`);
    }
    // The frame starts 2 bytes into its own buffer so that the body (at 18) is 4-byte aligned: the
    // cipher XORs whole words only into aligned output (about 25% faster for large messages).
    const frame = new Uint8Array(new ArrayBuffer(FRAME_OFFSET + LENGTH_HEADER_SIZE + l + MAC_SIZE), FRAME_OFFSET);
    this.lenPlain[0] = l >>> 8;
    this.lenPlain[1] = l & 0xff;
    this.send.seal(this.lenPlain, frame.subarray(0, LENGTH_HEADER_SIZE)); // steps 1–3, sn += 1
    this.send.seal(msg, frame.subarray(LENGTH_HEADER_SIZE)); //               step 4, sn += 1
    return frame;
  }

  /**
   * Decrypts every complete message in the bytes received so far plus `chunk` and returns them in
   * order; a partial frame waits for the next chunk (copied, so `chunk` may be reused afterwards).
   * A bad MAC throws NoiseError 'bad_mac', and the connection MUST then be dropped: every later call
   * throws the same error. To keep messages that came before a bad frame in the same chunk, use
   * `feed` and `next` instead.
   */
  push(chunk: Uint8Array): Uint8Array<ArrayBuffer>[] {
    this.feed(chunk);
    const out: Uint8Array<ArrayBuffer>[] = [];
    for (let m = this.next(); m !== undefined; m = this.next()) out.push(m);
    return out;
  }

  /** Queues received bytes without decoding them; `chunk` is held by reference until `next` has consumed it. */
  feed(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    if (!(chunk instanceof Uint8Array)) throw new NoiseError('bad_input', 'transport input must be bytes');
    if (chunk.length > 0) this.chunks.push(chunk);
  }

  /** The next complete message, or undefined when more bytes are needed (then nothing fed is still referenced). */
  next(): Uint8Array<ArrayBuffer> | undefined {
    if (this.failed) throw this.failed;
    for (;;) {
      const frame = this.take(this.need);
      if (frame === undefined) return undefined;
      try {
        if (this.readingLength) {
          // "Receiving and Decrypting Messages" steps 1–3: decrypt `lc` to get `l`; rn += 1.
          this.recv.open(frame, this.lenOut);
          this.need = ((this.lenOut[0]! << 8) | this.lenOut[1]!) + MAC_SIZE;
          this.readingLength = false;
          continue;
        }
        // Steps 4–5: read exactly `l + 16` bytes and decrypt them; rn += 1.
        const msg = new Uint8Array(this.need - MAC_SIZE);
        this.recv.open(frame, msg);
        this.need = LENGTH_HEADER_SIZE;
        this.readingLength = true;
        return msg;
      } catch (e) {
        // The stream is unusable after a bad frame: later calls throw the same error.
        this.failed = e instanceof NoiseError ? e : new NoiseError('transport_failed', `decoder failed: ${String(e)}`);
        this.chunks = [];
        this.head = 0;
        this.stage = new Uint8Array(0);
        throw e;
      }
    }
  }

  /** Bytes received and not yet returned as a message (a partial frame, its decrypted header included). */
  get buffered(): number {
    let n = this.staged + (this.readingLength ? 0 : LENGTH_HEADER_SIZE);
    for (let i = this.head; i < this.chunks.length; i++) n += this.chunks[i]!.length - (i === this.head ? this.off : 0);
    return n;
  }

  /** `n` contiguous bytes: a view into a fed chunk when one holds them all, else gathered in `stage`. */
  private take(n: number): Uint8Array | undefined {
    const chunks = this.chunks;
    if (this.staged === 0 && this.head < chunks.length) {
      const c = chunks[this.head]!;
      if (c.length - this.off >= n) {
        const v = c.subarray(this.off, this.off + n);
        this.off += n;
        if (this.off === c.length) this.advanceChunk();
        return v;
      }
    }
    if (this.stage.length < n) {
      const bigger = new Uint8Array(Math.max(n, LENGTH_HEADER_SIZE));
      bigger.set(this.stage.subarray(0, this.staged));
      this.stage = bigger;
    }
    while (this.staged < n && this.head < chunks.length) {
      const c = chunks[this.head]!;
      const k = Math.min(n - this.staged, c.length - this.off);
      this.stage.set(c.subarray(this.off, this.off + k), this.staged);
      this.staged += k;
      this.off += k;
      if (this.off === c.length) this.advanceChunk();
    }
    if (this.staged < n) return undefined;
    this.staged = 0;
    return this.stage.subarray(0, n);
  }

  private advanceChunk(): void {
    this.off = 0;
    this.head++;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    }
  }
}
