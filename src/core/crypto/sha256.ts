// SHA-256 (FIPS 180-4) for the one hot path that hashes many short messages: the double SHA-256
// every gossip signature signs (BOLT 7), about 170,000 of them for the mainnet graph. Written for
// that load: one preallocated message schedule, blocks read straight from the input, no object
// made per call but the 32-byte result. Everything else hashes through crypto.ts (@noble/hashes);
// test/core/sha256.test.ts holds this to the FIPS 180-2 examples and to @noble/hashes.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const H0 = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

const W = new Int32Array(64);
const H = new Int32Array(8);
/** The last one or two blocks: the input's tail, the 0x80 byte, zeros and the bit length. */
const tail = new Uint8Array(128);

/** One 64-byte block at `buf[at..]` into H. */
function block(buf: Uint8Array, at: number): void {
  for (let t = 0; t < 16; t++, at += 4) W[t] = (buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15]!;
    const w2 = W[t - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
  }
  let a = H[0]!,
    b = H[1]!,
    c = H[2]!,
    d = H[3]!,
    e = H[4]!,
    f = H[5]!,
    g = H[6]!,
    h = H[7]!;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t]! + W[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
  H[5] = (H[5]! + f) | 0;
  H[6] = (H[6]! + g) | 0;
  H[7] = (H[7]! + h) | 0;
}

/** SHA-256 of `data` into H (FIPS 180-4 5.1.1 padding: 0x80, zeros, the length in bits, big-endian). */
function hashInto(data: Uint8Array): void {
  H.set(H0);
  const n = data.length;
  const whole = n - (n % 64);
  for (let at = 0; at < whole; at += 64) block(data, at);
  const rest = n - whole;
  const blocks = rest < 56 ? 1 : 2;
  tail.fill(0, 0, 64 * blocks);
  tail.set(data.subarray(whole), 0);
  tail[rest] = 0x80;
  const end = 64 * blocks;
  // Bit length as a 64-bit big-endian number (inputs here are far below 2^53 bits).
  const bits = n * 8;
  const hi = Math.floor(bits / 0x100000000);
  tail[end - 8] = hi >>> 24;
  tail[end - 7] = hi >>> 16;
  tail[end - 6] = hi >>> 8;
  tail[end - 5] = hi;
  tail[end - 4] = bits >>> 24;
  tail[end - 3] = bits >>> 16;
  tail[end - 2] = bits >>> 8;
  tail[end - 1] = bits;
  block(tail, 0);
  if (blocks === 2) block(tail, 64);
}

/** The digest in H, big-endian, into `to[0..32]`. */
function digestInto(to: Uint8Array): Uint8Array {
  for (let i = 0; i < 8; i++) {
    const v = H[i]!;
    to[4 * i] = v >>> 24;
    to[4 * i + 1] = v >>> 16;
    to[4 * i + 2] = v >>> 8;
    to[4 * i + 3] = v;
  }
  return to;
}

export function sha256Fast(data: Uint8Array): Uint8Array {
  hashInto(data);
  return digestInto(new Uint8Array(32));
}

/** SHA256(SHA256(x)): the digest BOLT 7 signs ("the double-SHA256 of the entire remaining packet"). */
export function sha256dFast(data: Uint8Array): Uint8Array {
  hashInto(data);
  // The first digest, padded, is exactly one block: hash it from `tail` without a copy out.
  digestInto(tail);
  tail.fill(0, 32, 64);
  tail[32] = 0x80;
  tail[62] = 0x01; // 256 bits
  H.set(H0);
  block(tail, 0);
  return digestInto(new Uint8Array(32));
}
