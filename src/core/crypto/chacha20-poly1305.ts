// ChaCha20-Poly1305 (RFC 8439 section 2.8) with an empty AAD, the only form BOLT 8's transport uses
// ("encryptWithAD(k, n, ad, plaintext)" with a zero-length `ad` after the handshake), written for
// many short messages: no allocation per call (state, keystream and Poly1305 limbs are reused, output
// goes into the caller's buffer). @noble/ciphers builds a cipher, a Poly1305 instance and several
// buffers per call, which dominates for gossip-sized messages (a 2-byte length prefix and a ~150–400
// byte body per message). Checked against RFC 8439's vectors and @noble/ciphers in
// test/core/crypto/aead.test.ts.

const SIGMA0 = 0x61707865; // "expa"
const SIGMA1 = 0x3320646e; // "nd 3"
const SIGMA2 = 0x79622d32; // "2-by"
const SIGMA3 = 0x6b206574; // "te k"

/** 2^-13, exact: `(d * INV_2_13) | 0` is floor(d / 2^13) for 0 <= d < 2^44. */
const INV_2_13 = 1 / 8192;

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

function le32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/** RFC 8439 2.3: one 64-byte ChaCha20 block for `counter`, as 16 little-endian words into `out`. */
function chachaBlock(input: Uint32Array, counter: number, out: Uint32Array): void {
  const i4 = input[4]!,
    i5 = input[5]!,
    i6 = input[6]!,
    i7 = input[7]!,
    i8 = input[8]!,
    i9 = input[9]!,
    i10 = input[10]!,
    i11 = input[11]!;
  const i13 = input[13]!,
    i14 = input[14]!,
    i15 = input[15]!;
  let x0 = SIGMA0,
    x1 = SIGMA1,
    x2 = SIGMA2,
    x3 = SIGMA3;
  let x4 = i4,
    x5 = i5,
    x6 = i6,
    x7 = i7,
    x8 = i8,
    x9 = i9,
    x10 = i10,
    x11 = i11;
  let x12 = counter | 0,
    x13 = i13,
    x14 = i14,
    x15 = i15;
  for (let r = 0; r < 10; r++) {
    // column rounds (2.1: QUARTERROUND on columns)
    x0 = (x0 + x4) | 0;
    x12 = rotl(x12 ^ x0, 16);
    x8 = (x8 + x12) | 0;
    x4 = rotl(x4 ^ x8, 12);
    x0 = (x0 + x4) | 0;
    x12 = rotl(x12 ^ x0, 8);
    x8 = (x8 + x12) | 0;
    x4 = rotl(x4 ^ x8, 7);
    x1 = (x1 + x5) | 0;
    x13 = rotl(x13 ^ x1, 16);
    x9 = (x9 + x13) | 0;
    x5 = rotl(x5 ^ x9, 12);
    x1 = (x1 + x5) | 0;
    x13 = rotl(x13 ^ x1, 8);
    x9 = (x9 + x13) | 0;
    x5 = rotl(x5 ^ x9, 7);
    x2 = (x2 + x6) | 0;
    x14 = rotl(x14 ^ x2, 16);
    x10 = (x10 + x14) | 0;
    x6 = rotl(x6 ^ x10, 12);
    x2 = (x2 + x6) | 0;
    x14 = rotl(x14 ^ x2, 8);
    x10 = (x10 + x14) | 0;
    x6 = rotl(x6 ^ x10, 7);
    x3 = (x3 + x7) | 0;
    x15 = rotl(x15 ^ x3, 16);
    x11 = (x11 + x15) | 0;
    x7 = rotl(x7 ^ x11, 12);
    x3 = (x3 + x7) | 0;
    x15 = rotl(x15 ^ x3, 8);
    x11 = (x11 + x15) | 0;
    x7 = rotl(x7 ^ x11, 7);
    // diagonal rounds
    x0 = (x0 + x5) | 0;
    x15 = rotl(x15 ^ x0, 16);
    x10 = (x10 + x15) | 0;
    x5 = rotl(x5 ^ x10, 12);
    x0 = (x0 + x5) | 0;
    x15 = rotl(x15 ^ x0, 8);
    x10 = (x10 + x15) | 0;
    x5 = rotl(x5 ^ x10, 7);
    x1 = (x1 + x6) | 0;
    x12 = rotl(x12 ^ x1, 16);
    x11 = (x11 + x12) | 0;
    x6 = rotl(x6 ^ x11, 12);
    x1 = (x1 + x6) | 0;
    x12 = rotl(x12 ^ x1, 8);
    x11 = (x11 + x12) | 0;
    x6 = rotl(x6 ^ x11, 7);
    x2 = (x2 + x7) | 0;
    x13 = rotl(x13 ^ x2, 16);
    x8 = (x8 + x13) | 0;
    x7 = rotl(x7 ^ x8, 12);
    x2 = (x2 + x7) | 0;
    x13 = rotl(x13 ^ x2, 8);
    x8 = (x8 + x13) | 0;
    x7 = rotl(x7 ^ x8, 7);
    x3 = (x3 + x4) | 0;
    x14 = rotl(x14 ^ x3, 16);
    x9 = (x9 + x14) | 0;
    x4 = rotl(x4 ^ x9, 12);
    x3 = (x3 + x4) | 0;
    x14 = rotl(x14 ^ x3, 8);
    x9 = (x9 + x14) | 0;
    x4 = rotl(x4 ^ x9, 7);
  }
  // 2.3: add the input words back in.
  out[0] = x0 + SIGMA0;
  out[1] = x1 + SIGMA1;
  out[2] = x2 + SIGMA2;
  out[3] = x3 + SIGMA3;
  out[4] = x4 + i4;
  out[5] = x5 + i5;
  out[6] = x6 + i6;
  out[7] = x7 + i7;
  out[8] = x8 + i8;
  out[9] = x9 + i9;
  out[10] = x10 + i10;
  out[11] = x11 + i11;
  out[12] = x12 + counter;
  out[13] = x13 + i13;
  out[14] = x14 + i14;
  out[15] = x15 + i15;
}

/**
 * One ChaCha20-Poly1305 engine with its scratch state; not reentrant (one per thread is enough, as
 * calls never overlap). `seal`/`open` take the 32-byte key and 12-byte nonce on every call.
 */
export class ChaCha20Poly1305 {
  private readonly input = new Uint32Array(16);
  private readonly block = new Uint32Array(16);
  private readonly stream = new Uint8Array(this.block.buffer);
  /** Poly1305 in ten 13-bit limbs (accumulator h, key r, pad s as eight 16-bit words). */
  private readonly h = new Float64Array(10);
  private readonly r = new Float64Array(10);
  private readonly s = new Uint16Array(8);
  private readonly tag = new Uint8Array(16);
  private readonly last = new Uint8Array(16);
  private readonly g = new Float64Array(10);

  /** Ciphertext then its 16-byte tag into `out` (plaintext.length + 16 bytes; may not overlap plaintext except exactly). */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, out: Uint8Array): void {
    const n = plaintext.length;
    if (key.length !== 32 || nonce.length !== 12 || out.length < n + 16)
      throw new RangeError('chacha20-poly1305: bad key, nonce or output size');
    this.setup(key, nonce);
    this.xor(plaintext, out, n);
    this.mac(out, n);
    out.set(this.tag, n);
  }

  /** Checks the tag of `ciphertext` (ciphertext || tag), then decrypts into `out`; false (out untouched) on a bad tag. */
  open(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, out: Uint8Array): boolean {
    const n = ciphertext.length - 16;
    if (key.length !== 32 || nonce.length !== 12 || n < 0 || out.length < n)
      throw new RangeError('chacha20-poly1305: bad key, nonce or size');
    this.setup(key, nonce);
    this.mac(ciphertext, n);
    // Constant time in the tag's contents.
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= this.tag[i]! ^ ciphertext[n + i]!;
    if (diff !== 0) return false;
    this.xor(ciphertext, out, n);
    return true;
  }

  /** Key and nonce into the state; block 0's first 32 bytes become the Poly1305 key (2.6). */
  private setup(key: Uint8Array, nonce: Uint8Array): void {
    const st = this.input;
    for (let i = 0; i < 8; i++) st[4 + i] = le32(key, i * 4);
    st[13] = le32(nonce, 0);
    st[14] = le32(nonce, 4);
    st[15] = le32(nonce, 8);
    chachaBlock(st, 0, this.block);
    this.polyKey(this.stream);
  }

  /** `out[i] = src[i] ^ keystream[i]` for i < n, keystream from counter 1 (2.4). */
  private xor(src: Uint8Array, out: Uint8Array, n: number): void {
    const ks = this.stream;
    let counter = 1;
    for (let at = 0; at < n; at += 64) {
      chachaBlock(this.input, counter++, this.block);
      const end = Math.min(64, n - at);
      for (let i = 0; i < end; i++) out[at + i] = src[at + i]! ^ ks[i]!;
    }
  }

  /** Poly1305 key from the first 32 bytes of `k`: r clamped (2.5), s. */
  private polyKey(k: Uint8Array): void {
    const r = this.r;
    const t0 = k[0]! | (k[1]! << 8);
    r[0] = t0 & 0x1fff;
    const t1 = k[2]! | (k[3]! << 8);
    r[1] = ((t0 >>> 13) | (t1 << 3)) & 0x1fff;
    const t2 = k[4]! | (k[5]! << 8);
    r[2] = ((t1 >>> 10) | (t2 << 6)) & 0x1f03;
    const t3 = k[6]! | (k[7]! << 8);
    r[3] = ((t2 >>> 7) | (t3 << 9)) & 0x1fff;
    const t4 = k[8]! | (k[9]! << 8);
    r[4] = ((t3 >>> 4) | (t4 << 12)) & 0x00ff;
    r[5] = (t4 >>> 1) & 0x1ffe;
    const t5 = k[10]! | (k[11]! << 8);
    r[6] = ((t4 >>> 14) | (t5 << 2)) & 0x1fff;
    const t6 = k[12]! | (k[13]! << 8);
    r[7] = ((t5 >>> 11) | (t6 << 5)) & 0x1f81;
    const t7 = k[14]! | (k[15]! << 8);
    r[8] = ((t6 >>> 8) | (t7 << 8)) & 0x1fff;
    r[9] = (t7 >>> 5) & 0x007f;
    for (let i = 0; i < 8; i++) this.s[i] = k[16 + 2 * i]! | (k[17 + 2 * i]! << 8);
    this.h.fill(0);
  }

  /** The tag over `data[0, n)` as 2.8 lays it out with an empty AAD: pad16(ciphertext) || le64(0) || le64(n). */
  private mac(data: Uint8Array, n: number): void {
    const full = n - (n % 16);
    this.polyBlocks(data, 0, full);
    if (full < n) {
      // Zero-padded to 16 bytes (pad16), a full block.
      const last = this.last;
      last.fill(0);
      for (let i = full; i < n; i++) last[i - full] = data[i]!;
      this.polyBlocks(last, 0, 16);
    }
    const len = this.last;
    len.fill(0);
    // le64(aad length) = 0, then le64(n); n < 2^32 here.
    len[8] = n & 0xff;
    len[9] = (n >>> 8) & 0xff;
    len[10] = (n >>> 16) & 0xff;
    len[11] = (n >>> 24) & 0xff;
    this.polyBlocks(len, 0, 16);
    this.polyFinish();
  }

  /** For each 16-byte block m of `m[at, end)`: h = (h + m + 2^128) * r mod 2^130 - 5 (2.5.1). */
  private polyBlocks(m: Uint8Array, at: number, end: number): void {
    const h = this.h;
    const r = this.r;
    let h0 = h[0]!,
      h1 = h[1]!,
      h2 = h[2]!,
      h3 = h[3]!,
      h4 = h[4]!,
      h5 = h[5]!,
      h6 = h[6]!,
      h7 = h[7]!,
      h8 = h[8]!,
      h9 = h[9]!;
    const r0 = r[0]!,
      r1 = r[1]!,
      r2 = r[2]!,
      r3 = r[3]!,
      r4 = r[4]!,
      r5 = r[5]!,
      r6 = r[6]!,
      r7 = r[7]!,
      r8 = r[8]!,
      r9 = r[9]!;
    // 2^130 = 5 (mod p): a product landing at limb 10 + i wraps to limb i times 5. Products are
    // below 2^30 and ten of them with the carry below 2^34: exact in a double, so no >>> on sums.
    const s1 = 5 * r1,
      s2 = 5 * r2,
      s3 = 5 * r3,
      s4 = 5 * r4,
      s5 = 5 * r5,
      s6 = 5 * r6,
      s7 = 5 * r7,
      s8 = 5 * r8,
      s9 = 5 * r9;
    for (; at < end; at += 16) {
      const t0 = m[at]! | (m[at + 1]! << 8);
      const t1 = m[at + 2]! | (m[at + 3]! << 8);
      const t2 = m[at + 4]! | (m[at + 5]! << 8);
      const t3 = m[at + 6]! | (m[at + 7]! << 8);
      const t4 = m[at + 8]! | (m[at + 9]! << 8);
      const t5 = m[at + 10]! | (m[at + 11]! << 8);
      const t6 = m[at + 12]! | (m[at + 13]! << 8);
      const t7 = m[at + 14]! | (m[at + 15]! << 8);
      h0 += t0 & 0x1fff;
      h1 += ((t0 >>> 13) | (t1 << 3)) & 0x1fff;
      h2 += ((t1 >>> 10) | (t2 << 6)) & 0x1fff;
      h3 += ((t2 >>> 7) | (t3 << 9)) & 0x1fff;
      h4 += ((t3 >>> 4) | (t4 << 12)) & 0x1fff;
      h5 += (t4 >>> 1) & 0x1fff;
      h6 += ((t4 >>> 14) | (t5 << 2)) & 0x1fff;
      h7 += ((t5 >>> 11) | (t6 << 5)) & 0x1fff;
      h8 += ((t6 >>> 8) | (t7 << 8)) & 0x1fff;
      h9 += (t7 >>> 5) | 0x800; // the 2^128 bit of a full block
      let c: number;
      let d0 = h0 * r0 + h1 * s9 + h2 * s8 + h3 * s7 + h4 * s6 + h5 * s5 + h6 * s4 + h7 * s3 + h8 * s2 + h9 * s1;
      c = (d0 * INV_2_13) | 0;
      d0 -= c * 8192;
      let d1 = c + h0 * r1 + h1 * r0 + h2 * s9 + h3 * s8 + h4 * s7 + h5 * s6 + h6 * s5 + h7 * s4 + h8 * s3 + h9 * s2;
      c = (d1 * INV_2_13) | 0;
      d1 -= c * 8192;
      let d2 = c + h0 * r2 + h1 * r1 + h2 * r0 + h3 * s9 + h4 * s8 + h5 * s7 + h6 * s6 + h7 * s5 + h8 * s4 + h9 * s3;
      c = (d2 * INV_2_13) | 0;
      d2 -= c * 8192;
      let d3 = c + h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s9 + h5 * s8 + h6 * s7 + h7 * s6 + h8 * s5 + h9 * s4;
      c = (d3 * INV_2_13) | 0;
      d3 -= c * 8192;
      let d4 = c + h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * s9 + h6 * s8 + h7 * s7 + h8 * s6 + h9 * s5;
      c = (d4 * INV_2_13) | 0;
      d4 -= c * 8192;
      let d5 = c + h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0 + h6 * s9 + h7 * s8 + h8 * s7 + h9 * s6;
      c = (d5 * INV_2_13) | 0;
      d5 -= c * 8192;
      let d6 = c + h0 * r6 + h1 * r5 + h2 * r4 + h3 * r3 + h4 * r2 + h5 * r1 + h6 * r0 + h7 * s9 + h8 * s8 + h9 * s7;
      c = (d6 * INV_2_13) | 0;
      d6 -= c * 8192;
      let d7 = c + h0 * r7 + h1 * r6 + h2 * r5 + h3 * r4 + h4 * r3 + h5 * r2 + h6 * r1 + h7 * r0 + h8 * s9 + h9 * s8;
      c = (d7 * INV_2_13) | 0;
      d7 -= c * 8192;
      let d8 = c + h0 * r8 + h1 * r7 + h2 * r6 + h3 * r5 + h4 * r4 + h5 * r3 + h6 * r2 + h7 * r1 + h8 * r0 + h9 * s9;
      c = (d8 * INV_2_13) | 0;
      d8 -= c * 8192;
      let d9 = c + h0 * r9 + h1 * r8 + h2 * r7 + h3 * r6 + h4 * r5 + h5 * r4 + h6 * r3 + h7 * r2 + h8 * r1 + h9 * r0;
      c = (d9 * INV_2_13) | 0;
      d9 -= c * 8192;
      // The carry out of limb 9 is worth 2^130 = 5.
      d0 += c * 5;
      c = (d0 * INV_2_13) | 0;
      h0 = d0 - c * 8192;
      h1 = d1 + c;
      h2 = d2;
      h3 = d3;
      h4 = d4;
      h5 = d5;
      h6 = d6;
      h7 = d7;
      h8 = d8;
      h9 = d9;
    }
    h[0] = h0;
    h[1] = h1;
    h[2] = h2;
    h[3] = h3;
    h[4] = h4;
    h[5] = h5;
    h[6] = h6;
    h[7] = h7;
    h[8] = h8;
    h[9] = h9;
  }

  /** Full reduction mod 2^130 - 5, then tag = (h + s) mod 2^128 into this.tag (2.5.1). */
  private polyFinish(): void {
    const h = this.h;
    // Propagate carries so that every limb is below 2^13 (limb 9's carry wraps times 5).
    let c = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < 10; i++) {
        const v = h[i]! + c;
        c = Math.floor(v / 8192);
        h[i] = v - c * 8192;
      }
      h[0] = h[0]! + c * 5;
      c = 0;
    }
    // h < 2^130 now (limb 0 may hold one more carry-in but stays far below 2^13 + 5 * small).
    {
      const v = h[0]!;
      c = Math.floor(v / 8192);
      h[0] = v - c * 8192;
      h[1] = h[1]! + c;
    }
    // g = h + 5 - 2^130: if it does not go negative, h >= p and the result is g.
    const g = this.g;
    c = 5;
    for (let i = 0; i < 10; i++) {
      const v = h[i]! + c;
      c = Math.floor(v / 8192);
      g[i] = v - c * 8192;
    }
    // c is now the bit at 2^130 of h + 5: 1 when h >= p, then h - p = g (selected without a branch).
    for (let i = 0; i < 10; i++) h[i] = h[i]! + (g[i]! - h[i]!) * c;
    // h as eight 16-bit words, plus s, mod 2^128.
    const w0 = (h[0]! | (h[1]! << 13)) & 0xffff;
    const w1 = ((h[1]! >>> 3) | (h[2]! << 10)) & 0xffff;
    const w2 = ((h[2]! >>> 6) | (h[3]! << 7)) & 0xffff;
    const w3 = ((h[3]! >>> 9) | (h[4]! << 4)) & 0xffff;
    const w4 = ((h[4]! >>> 12) | (h[5]! << 1) | (h[6]! << 14)) & 0xffff;
    const w5 = ((h[6]! >>> 2) | (h[7]! << 11)) & 0xffff;
    const w6 = ((h[7]! >>> 5) | (h[8]! << 8)) & 0xffff;
    const w7 = ((h[8]! >>> 8) | (h[9]! << 5)) & 0xffff;
    const words = [w0, w1, w2, w3, w4, w5, w6, w7];
    const s = this.s;
    const tag = this.tag;
    let carry = 0;
    for (let i = 0; i < 8; i++) {
      const v = words[i]! + s[i]! + carry;
      carry = v >>> 16;
      tag[2 * i] = v & 0xff;
      tag[2 * i + 1] = (v >>> 8) & 0xff;
    }
  }
}
