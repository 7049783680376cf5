// Where each field of a declared message sits in its raw bytes, worked out once from the
// declarations (bolt1.ts, bolt7.ts, ...) when this module loads, so that code reading a field
// straight from the bytes (the duplicate check, checksums, signing) never counts offsets by hand.
// Offsets count the 2-byte type. A field after one variable-size field (`[name, 'bytes', 'u16']`,
// as channel_announcement's `features`) has its offset relative to that field's length: read the
// u16 at `lenAt` and add it to `at` (placeIn).
import { FIELDS } from './fields.ts';
import { MESSAGES, type MessageName } from './messages.ts';
import type { FieldDecl } from './schema.ts';

/** The names of a message's fields, as declared. */
export type FieldName<N extends MessageName> = (typeof MESSAGES)[N]['fields'][number][0];

export interface FieldPlace {
  /** The offset, when `lenAt` is -1; otherwise the offset less the bytes of the variable field before it. */
  readonly at: number;
  /** -1, or where the u16 length of the one variable-size field before this one sits. */
  readonly lenAt: number;
  /** The field's own size in bytes, or -1 when it has none fixed. */
  readonly size: number;
}

/** A field's fixed size in bytes, or -1 (a u16-prefixed or trailing field, or a variable struct). */
function sizeOf(f: FieldDecl): number {
  const [, type] = f;
  const rep = f[2];
  if (type === 'bytes') return typeof rep === 'number' ? rep : -1;
  if (rep !== undefined) return -1;
  if (typeof type === 'string') return FIELDS[type].size ?? -1;
  let sum = 0;
  for (const g of type.struct) {
    const n = sizeOf(g);
    if (n < 0) return -1;
    sum += n;
  }
  return sum;
}

function layOut(fields: readonly FieldDecl[]): Map<string, FieldPlace> {
  const out = new Map<string, FieldPlace>();
  let at = 2;
  let lenAt = -1;
  let open = false; // past a field whose size the layout cannot express
  for (const f of fields) {
    if (open) break;
    const size = sizeOf(f);
    out.set(f[0], { at, lenAt, size });
    if (size >= 0) at += size;
    else if (f[1] === 'bytes' && f[2] === 'u16' && lenAt < 0) {
      lenAt = at;
      at += 2;
    } else open = true;
  }
  return out;
}

const PLACES = new Map<string, Map<string, FieldPlace>>();
for (const [name, decl] of Object.entries(MESSAGES)) PLACES.set(name, layOut(decl.fields));

/**
 * Where `field` of message `name` starts. Throws at the call (module load, where callers keep the
 * result) when the declarations give it no place: after a second variable-size field.
 */
export function fieldPlace<N extends MessageName>(name: N, field: FieldName<N>): FieldPlace {
  const p = PLACES.get(name)?.get(field);
  if (!p) throw new Error(`${name}.${field} has no place computable from its declaration`);
  return p;
}

/** The offset of a field that has a fixed one (no variable-size field before it). */
export function fieldOffset<N extends MessageName>(name: N, field: FieldName<N>): number {
  const p = fieldPlace(name, field);
  if (p.lenAt >= 0) throw new Error(`${name}.${field} follows a variable-size field`);
  return p.at;
}

/** A field's offset in `raw`, or -1 when `raw` is too short to hold the length it depends on. */
export function placeIn(raw: Uint8Array, p: FieldPlace): number {
  if (p.lenAt < 0) return p.at;
  return raw.length < p.lenAt + 2 ? -1 : p.at + ((raw[p.lenAt]! << 8) | raw[p.lenAt + 1]!);
}
