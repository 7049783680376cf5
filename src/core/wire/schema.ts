// How messages are declared: as data, the way the BOLTs list them. A field is a tuple
//   [name, type]              one value of a fundamental type (fields.ts) or of a struct
//   [name, 'bytes', 32]       that many bytes
//   [name, 'bytes', 'u16']    a u16 length, then that many bytes (the length is implied)
//   [name, 'bytes', '...']    the rest of the message or TLV record
//   [name, type, 'u16']       a u16 count, then that many values
//   [name, type, '...']       values up to the end of the message or TLV record
// and a message is its type number, its fields and, optionally, its TLV stream.
import type { PrimitiveName, PrimitiveValue } from './fields.ts';

export type Repeat = number | 'u16' | '...';

export interface StructDecl {
  readonly struct: readonly FieldDecl[];
}

export type FieldDecl =
  | readonly [name: string, type: PrimitiveName | StructDecl]
  | readonly [name: string, type: 'bytes', len: Repeat]
  | readonly [name: string, type: PrimitiveName | StructDecl, count: 'u16' | '...'];

/** A TLV stream: record type number → [record name, the record's fields]. */
export type TlvStreamDecl = { readonly [type: number]: readonly [name: string, fields: readonly FieldDecl[]] };

export interface MessageDecl {
  readonly type: number;
  readonly fields: readonly FieldDecl[];
  readonly tlvs?: TlvStreamDecl;
}

export function struct<const F extends readonly FieldDecl[]>(fields: F): { readonly struct: F } {
  return { struct: fields };
}

export function message<const N extends number, const F extends readonly FieldDecl[], const T extends TlvStreamDecl = {}>(
  type: N,
  fields: F,
  tlvs?: T,
): { readonly type: N; readonly fields: F; readonly tlvs: T } {
  return { type, fields, tlvs: (tlvs ?? {}) as T };
}

// ---- The TypeScript shapes that the declarations imply ----

type ValueOfType<T> = T extends PrimitiveName ? PrimitiveValue<T> : T extends StructDecl ? Fields<T['struct']> : never;

type FieldValue<F> = F extends readonly [string, 'bytes', Repeat]
  ? Uint8Array
  : F extends readonly [string, infer T, 'u16' | '...']
    ? ValueOfType<T>[]
    : F extends readonly [string, infer T]
      ? ValueOfType<T>
      : never;

export type Fields<Fs extends readonly FieldDecl[]> = { -readonly [F in Fs[number] as F[0]]: FieldValue<F> };

/** Decoded records by name (all optional), plus the unknown odd records kept as they came. */
export type TlvValues<T extends TlvStreamDecl> = {
  -readonly [K in keyof T as T[K] extends readonly [infer N extends string, unknown] ? N : never]?: T[K] extends readonly [
    string,
    infer Fs extends readonly FieldDecl[],
  ]
    ? Fields<Fs>
    : never;
} & { unknown?: UnknownTlv[] };

export interface UnknownTlv {
  type: bigint;
  value: Uint8Array;
}

export type MessageValue<M extends MessageDecl> = Fields<M['fields']> &
  (M['tlvs'] extends TlvStreamDecl ? (keyof M['tlvs'] extends never ? {} : { tlvs?: TlvValues<M['tlvs']> }) : {});
