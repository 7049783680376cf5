// BOLT 1 "Fundamental Types": one codec per type name. Messages and TLV records name these types
// in their declarations; the generic codec (codec.ts) looks them up here.
import { Reader, Writer } from '../base/bytes.ts';
import { DecodeError, EncodeError } from '../base/errors.ts';
import { readBigSize, writeBigSize } from './bigsize.ts';

export interface FieldCodec<T> {
  /** Encoded size when fixed; undefined for variable-size types. */
  readonly size?: number;
  read(r: Reader): T;
  write(w: Writer, v: T): void;
}

function fixedBytes(size: number, name: string, check?: (b: Uint8Array) => void): FieldCodec<Uint8Array> {
  return {
    size,
    read(r) {
      const b = r.bytes(size, name);
      check?.(b);
      return b;
    },
    write(w, v) {
      if (!(v instanceof Uint8Array) || v.length !== size) {
        throw new EncodeError('bad_length', `${name} must be ${size} bytes`);
      }
      w.bytes(v);
    },
  };
}

function uint(size: 1 | 2 | 4, name: string): FieldCodec<number> {
  const max = 2 ** (8 * size) - 1;
  return {
    size,
    read: r => (size === 1 ? r.u8(name) : size === 2 ? r.u16(name) : r.u32(name)),
    write(w, v) {
      if (!Number.isInteger(v) || v < 0 || v > max) throw new EncodeError('int_range', `${name} out of range: ${v}`);
      if (size === 1) w.u8(v);
      else if (size === 2) w.u16(v);
      else w.u32(v);
    },
  };
}

const U64_MAX = (1n << 64n) - 1n;
function u64Codec(name: string): FieldCodec<bigint> {
  return {
    size: 8,
    read: r => r.u64(name),
    write(w, v) {
      if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw new EncodeError('int_range', `${name} out of range: ${v}`);
      w.u64(v);
    },
  };
}

/**
 * Truncated integers (tu16/tu32/tu64) take the rest of their TLV record: "Leading zeros in
 * truncated integers MUST be omitted" and readers MUST fail on non-minimal encodings (BOLT 1).
 */
function truncated(maxBytes: 2 | 4 | 8, name: string): FieldCodec<bigint> {
  return {
    read(r) {
      const n = r.remaining;
      if (n > maxBytes) throw new DecodeError('tlv_bad_length', `${name} longer than ${maxBytes} bytes`);
      const b = r.bytes(n, name);
      if (n > 0 && b[0] === 0) throw new DecodeError('not_minimal', `${name} is not minimally encoded`);
      let v = 0n;
      for (const x of b) v = (v << 8n) | BigInt(x);
      return v;
    },
    write(w, v) {
      if (typeof v !== 'bigint' || v < 0n || v >= 1n << BigInt(8 * maxBytes)) {
        throw new EncodeError('int_range', `${name} out of range: ${v}`);
      }
      const out: number[] = [];
      for (let x = v; x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn));
      w.bytes(new Uint8Array(out));
    },
  };
}

function asNumber(c: FieldCodec<bigint>): FieldCodec<number> {
  return { read: r => Number(c.read(r)), write: (w, v) => c.write(w, BigInt(v)) };
}

/**
 * `point`: a 33-byte compressed SEC1 point. The prefix is checked here (0x02 or 0x03); whether the
 * x coordinate is on the curve is left to where the key is used (signature checks, ECDH), since a
 * full check costs a square root on every gossip message.
 */
function checkPoint(b: Uint8Array): void {
  if (b[0] !== 2 && b[0] !== 3) throw new DecodeError('bad_point', 'point is not a compressed SEC1 key');
}

export const FIELDS = {
  byte: uint(1, 'byte'),
  u8: uint(1, 'u8'),
  u16: uint(2, 'u16'),
  u32: uint(4, 'u32'),
  u64: u64Codec('u64'),
  tu16: asNumber(truncated(2, 'tu16')),
  tu32: asNumber(truncated(4, 'tu32')),
  tu64: truncated(8, 'tu64'),
  bigsize: { read: readBigSize, write: writeBigSize } as FieldCodec<bigint>,
  point: fixedBytes(33, 'point', checkPoint),
  signature: fixedBytes(64, 'signature'),
  chain_hash: fixedBytes(32, 'chain_hash'),
  channel_id: fixedBytes(32, 'channel_id'),
  sha256: fixedBytes(32, 'sha256'),
  short_channel_id: u64Codec('short_channel_id'),
} satisfies Record<string, FieldCodec<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type PrimitiveName = keyof typeof FIELDS;
export type PrimitiveValue<N extends PrimitiveName> = (typeof FIELDS)[N] extends FieldCodec<infer T> ? T : never;
