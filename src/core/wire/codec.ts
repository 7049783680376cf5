// The one generic codec: it encodes and decodes every declared message, struct and TLV stream.
// Hand-written per-message encoders drift; declarations (bolt1.ts, bolt7.ts) do not.
import { Reader, Writer } from '../base/bytes.ts';
import { DecodeError, EncodeError } from '../base/errors.ts';
import { readBigSize, writeBigSize } from './bigsize.ts';
import { FIELDS, type FieldCodec, type PrimitiveName } from './fields.ts';
import type { FieldDecl, StructDecl, TlvStreamDecl, UnknownTlv } from './schema.ts';

type Obj = Record<string, unknown>;

function codecOf(type: PrimitiveName | StructDecl): FieldCodec<unknown> {
  if (typeof type === 'string') {
    const c = FIELDS[type] as FieldCodec<unknown> | undefined;
    if (!c) throw new EncodeError('bad_schema', `unknown field type ${type}`);
    return c;
  }
  return { read: r => readFields(r, type.struct), write: (w, v) => writeFields(w, type.struct, v as Obj) };
}

export function readFields(r: Reader, fields: readonly FieldDecl[]): Obj {
  const out: Obj = {};
  for (const f of fields) {
    const [name, type] = f;
    const rep = f[2];
    if (type === 'bytes') {
      const n = rep === 'u16' ? r.u16(`${name} length`) : rep === '...' ? r.remaining : (rep as number);
      out[name] = r.bytes(n, name);
    } else if (rep === undefined) {
      out[name] = codecOf(type).read(r);
    } else {
      const c = codecOf(type);
      const items: unknown[] = [];
      if (rep === 'u16') {
        const count = r.u16(`${name} count`);
        for (let i = 0; i < count; i++) items.push(c.read(r));
      } else {
        while (r.remaining > 0) items.push(c.read(r));
      }
      out[name] = items;
    }
  }
  return out;
}

export function writeFields(w: Writer, fields: readonly FieldDecl[], v: Obj): void {
  if (typeof v !== 'object' || v === null) throw new EncodeError('bad_value', 'expected an object of fields');
  for (const f of fields) {
    const [name, type] = f;
    const rep = f[2];
    const x = v[name];
    if (x === undefined) throw new EncodeError('missing_field', `missing field ${name}`);
    if (type === 'bytes') {
      if (!(x instanceof Uint8Array)) throw new EncodeError('bad_value', `${name} must be bytes`);
      if (rep === 'u16') {
        if (x.length > 0xffff) throw new EncodeError('too_long', `${name} longer than 65535 bytes`);
        w.u16(x.length);
      } else if (typeof rep === 'number' && x.length !== rep) {
        throw new EncodeError('bad_length', `${name} must be ${rep} bytes`);
      }
      w.bytes(x);
    } else if (rep === undefined) {
      codecOf(type).write(w, x);
    } else {
      if (!Array.isArray(x)) throw new EncodeError('bad_value', `${name} must be an array`);
      if (rep === 'u16') {
        if (x.length > 0xffff) throw new EncodeError('too_long', `${name} has more than 65535 items`);
        w.u16(x.length);
      }
      const c = codecOf(type);
      for (const item of x) c.write(w, item);
    }
  }
}

/**
 * BOLT 1 tlv_stream reading rules: stop at zero bytes left; type and length minimally encoded;
 * strictly increasing types; length within the message; a known type's value decoded exactly
 * (no bytes short or left over); an unknown even type fails; an unknown odd type is skipped
 * (and kept, so the caller can re-encode or re-sign the same bytes).
 */
export function readTlvStream(r: Reader, decl: TlvStreamDecl): Obj {
  const out: Obj = {};
  const unknown: UnknownTlv[] = [];
  let last = -1n;
  while (r.remaining > 0) {
    const type = readBigSize(r);
    if (type <= last) throw new DecodeError('tlv_not_increasing', `TLV type ${type} after ${last}`);
    last = type;
    const len = readBigSize(r);
    if (len > BigInt(r.remaining)) throw new DecodeError('tlv_too_long', `TLV ${type} length ${len} exceeds the ${r.remaining} bytes left`);
    const value = r.bytes(Number(len), 'tlv value');
    const known = type <= BigInt(Number.MAX_SAFE_INTEGER) ? decl[Number(type)] : undefined; // keysend is 5482373484
    if (known) {
      const [name, fields] = known;
      const vr = new Reader(value);
      let rec: Obj;
      try {
        rec = readFields(vr, fields);
      } catch (e) {
        if (e instanceof DecodeError && e.code === 'short_read') {
          throw new DecodeError('tlv_bad_length', `TLV ${name}: length ${len} shorter than its encoding`);
        }
        throw e;
      }
      if (vr.remaining !== 0) throw new DecodeError('tlv_bad_length', `TLV ${name}: length ${len} longer than its encoding`);
      out[name] = rec;
    } else if (type % 2n === 0n) {
      throw new DecodeError('tlv_unknown_even', `unknown even TLV type ${type}`);
    } else {
      unknown.push({ type, value });
    }
  }
  if (unknown.length) out.unknown = unknown;
  return out;
}

export function decodeTlvStream(decl: TlvStreamDecl, bytes: Uint8Array): Obj {
  return readTlvStream(new Reader(bytes), decl);
}

/** Writes the known records present in `v` and any `unknown` ones, in increasing type order. */
export function writeTlvStream(w: Writer, decl: TlvStreamDecl, v: Obj | undefined): void {
  if (!v) return;
  const records: { type: bigint; value: Uint8Array }[] = [];
  for (const [t, [name, fields]] of Object.entries(decl)) {
    const rec = v[name];
    if (rec === undefined) continue;
    const rw = new Writer();
    writeFields(rw, fields, rec as Obj);
    records.push({ type: BigInt(t), value: rw.finish() });
  }
  for (const u of (v.unknown as UnknownTlv[] | undefined) ?? []) records.push(u);
  records.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  for (let i = 1; i < records.length; i++) {
    if (records[i]!.type === records[i - 1]!.type) throw new EncodeError('tlv_duplicate', `duplicate TLV type ${records[i]!.type}`);
  }
  for (const rec of records) {
    writeBigSize(w, rec.type);
    writeBigSize(w, rec.value.length);
    w.bytes(rec.value);
  }
}

export function encodeTlvStream(decl: TlvStreamDecl, v: Obj | undefined): Uint8Array {
  const w = new Writer();
  writeTlvStream(w, decl, v);
  return w.finish();
}
