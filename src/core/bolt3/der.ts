// Bitcoin's DER signature encoding (BIP 66 strict form) to and from BOLT 1's 64-byte compact
// `signature` (BOLT 2 sends compact signatures; scripts take DER plus a sighash byte).
import { Bolt3Error } from './errors.ts';

function derInt(x: Uint8Array): Uint8Array {
  let i = 0;
  while (i < x.length - 1 && x[i] === 0) i++;
  const v = x.subarray(i);
  const pad = v[0]! & 0x80 ? 1 : 0;
  const out = new Uint8Array(2 + pad + v.length);
  out[0] = 0x02;
  out[1] = pad + v.length;
  out.set(v, 2 + pad);
  return out;
}

/** DER from a compact (r || s) signature. */
export function derFromCompact(compact: Uint8Array): Uint8Array {
  if (compact.length !== 64) throw new Bolt3Error('bad_signature', 'a compact signature is 64 bytes');
  const r = derInt(compact.subarray(0, 32));
  const s = derInt(compact.subarray(32, 64));
  const out = new Uint8Array(2 + r.length + s.length);
  out[0] = 0x30;
  out[1] = r.length + s.length;
  out.set(r, 2);
  out.set(s, 2 + r.length);
  return out;
}

function readInt(der: Uint8Array, at: number): [Uint8Array, number] {
  if (der[at] !== 0x02) throw new Bolt3Error('bad_signature', 'DER integer expected');
  const len = der[at + 1];
  if (len === undefined || len === 0 || len > 33 || at + 2 + len > der.length)
    throw new Bolt3Error('bad_signature', 'bad DER integer length');
  const v = der.subarray(at + 2, at + 2 + len);
  if (v[0]! & 0x80) throw new Bolt3Error('bad_signature', 'negative DER integer');
  if (len > 1 && v[0] === 0 && !(v[1]! & 0x80)) throw new Bolt3Error('bad_signature', 'DER integer not minimal');
  const body = v[0] === 0 && len > 1 ? v.subarray(1) : v;
  if (body.length > 32) throw new Bolt3Error('bad_signature', 'DER integer over 32 bytes');
  const out = new Uint8Array(32);
  out.set(body, 32 - body.length);
  return [out, at + 2 + len];
}

/** The compact (r || s) form of a strict DER signature (no sighash byte). */
export function compactFromDer(der: Uint8Array): Uint8Array {
  if (der.length < 8 || der.length > 72 || der[0] !== 0x30 || der[1] !== der.length - 2) {
    throw new Bolt3Error('bad_signature', 'not a DER signature');
  }
  const [r, next] = readInt(der, 2);
  const [s, end] = readInt(der, next);
  if (end !== der.length) throw new Bolt3Error('bad_signature', 'trailing bytes after DER signature');
  const out = new Uint8Array(64);
  out.set(r);
  out.set(s, 32);
  return out;
}
