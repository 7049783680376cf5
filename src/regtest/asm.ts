// Scripts as Esplora prints them in `*_asm` fields (electrs uses rust-bitcoin's Script display):
// `OP_0 OP_PUSHBYTES_20 <hex>`, `OP_PUSHNUM_1 OP_PUSHBYTES_32 <hex>`, `OP_DUP OP_HASH160 ...`.
// Opcode names come from @scure/btc-signer's table, spelled as rust-bitcoin spells them.
import { OP } from '@scure/btc-signer';
import { toHex } from '../core/base/bytes.ts';

const NAMES: string[] = [];
for (const [name, code] of Object.entries(OP)) NAMES[code] = name.startsWith('OP_') ? name : `OP_${name}`;
for (let n = 1; n <= 16; n++) NAMES[0x50 + n] = `OP_PUSHNUM_${n}`;
NAMES[0x4f] = 'OP_PUSHNUM_NEG1';
NAMES[0xb1] = 'OP_CLTV';
NAMES[0xb2] = 'OP_CSV';
for (let c = 0xbb; c <= 0xfe; c++) NAMES[c] = `OP_RETURN_${c}`;
NAMES[0xff] = 'OP_INVALIDOPCODE';

export function scriptAsm(s: Uint8Array): string {
  const out: string[] = [];
  for (let i = 0; i < s.length;) {
    const op = s[i]!;
    let len = -1;
    let head = 1;
    if (op >= 0x01 && op <= 0x4b) len = op;
    else if (op === 0x4c) {
      len = s[i + 1] ?? -1;
      head = 2;
    } else if (op === 0x4d) {
      len = i + 2 < s.length ? s[i + 1]! | (s[i + 2]! << 8) : -1;
      head = 3;
    } else if (op === 0x4e) {
      len = i + 4 < s.length ? (s[i + 1]! | (s[i + 2]! << 8) | (s[i + 3]! << 16)) + s[i + 4]! * 2 ** 24 : -1;
      head = 5;
    }
    if (op >= 0x01 && op <= 0x4e) {
      if (len < 0 || i + head + len > s.length) {
        out.push('<push past end>');
        break;
      }
      const name = op <= 0x4b ? `OP_PUSHBYTES_${op}` : NAMES[op]!;
      out.push(`${name} ${toHex(s.subarray(i + head, i + head + len))}`);
      i += head + len;
    } else {
      out.push(NAMES[op] ?? `OP_UNKNOWN_${op}`);
      i += 1;
    }
  }
  return out.join(' ');
}
