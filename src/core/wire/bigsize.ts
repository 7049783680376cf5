// BOLT 1 `bigsize`: CompactSize with big-endian multi-byte values, which readers MUST check is
// minimally encoded ("decoded bigsize is not canonical").
import { Reader, Writer } from '../base/bytes.ts';
import { DecodeError, EncodeError } from '../base/errors.ts';

const MAX_U64 = (1n << 64n) - 1n;

export function writeBigSize(w: Writer, v: bigint | number): void {
  const n = BigInt(v);
  if (n < 0n || n > MAX_U64) throw new EncodeError('bigsize_range', `bigsize out of range: ${n}`);
  if (n < 0xfdn) w.u8(Number(n));
  else if (n < 0x10000n) w.u8(0xfd).u16(Number(n));
  else if (n < 0x100000000n) w.u8(0xfe).u32(Number(n));
  else w.u8(0xff).u64(n);
}

export function encodeBigSize(v: bigint | number): Uint8Array {
  const w = new Writer();
  writeBigSize(w, v);
  return w.finish();
}

export function readBigSize(r: Reader): bigint {
  const first = r.u8('bigsize');
  if (first < 0xfd) return BigInt(first);
  let v: bigint;
  let min: bigint;
  if (first === 0xfd) {
    v = BigInt(r.u16('bigsize'));
    min = 0xfdn;
  } else if (first === 0xfe) {
    v = BigInt(r.u32('bigsize'));
    min = 0x10000n;
  } else {
    v = r.u64('bigsize');
    min = 0x100000000n;
  }
  if (v < min) throw new DecodeError('bigsize_not_canonical', `decoded bigsize is not canonical: ${v}`);
  return v;
}

export function decodeBigSize(b: Uint8Array): bigint {
  return readBigSize(new Reader(b));
}
