// BOLT 11 data is a sequence of 5-bit words (Bech32, BIP-0173). Fields are big-endian bit strings
// over those words; bytes in a field are padded "to a multiple of 5 bits, using 0s" (BOLT 11
// "Tagged Fields"), and the signed data is "padded to a byte boundary" with 0 bits ("Data Part").
export function wordsToBytes(words: readonly number[], pad = false): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const w of words) {
    acc = ((acc << 5) | w) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (pad && bits > 0) out.push((acc << (8 - bits)) & 0xff);
  return new Uint8Array(out);
}

/** Bytes to words, the last word padded with 0 bits. */
export function bytesToWords(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push((acc >> bits) & 31);
    }
  }
  if (bits > 0) out.push((acc << (5 - bits)) & 31);
  return out;
}

/** A big-endian unsigned integer in words (timestamp, `x`, `c`). */
export function wordsToUint(words: readonly number[]): number {
  let v = 0;
  for (const w of words) v = v * 32 + w;
  return v;
}

/** The minimal words for an unsigned integer (no leading 0 words; 0 is no words), or `len` words. */
export function uintToWords(v: number, len?: number): number[] {
  const out: number[] = [];
  for (let x = v; x > 0; x = Math.floor(x / 32)) out.unshift(x % 32);
  if (len !== undefined) while (out.length < len) out.unshift(0);
  return out;
}
