// BOLT 11 `f` (9): "Fallback on-chain address: for Bitcoin, this starts with a 5-bit `version` and
// contains a witness program or P2PKH or P2SH address." Versions 0-16 are witness versions, 17 is
// P2PKH and 18 is P2SH; "MUST skip over `f` fields that use an unknown `version`" (19-31).
import { base58check, bech32, bech32m } from '@scure/base';
import { concat, toHex } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';
import type { Currency } from './hrp.ts';

export interface Fallback {
  version: number;
  /** The 20-byte hash (P2PKH, P2SH) or the witness program. */
  program: Uint8Array;
}

export const P2PKH_VERSION = 17;
export const P2SH_VERSION = 18;

export type FallbackType = 'P2PKH' | 'P2SH' | 'P2WPKH' | 'P2WSH' | 'P2TR';

/** Whether a reader understands this `f` field (BIP-141 program lengths for witness versions). */
export function isKnownFallback(f: Fallback): boolean {
  if (f.version === P2PKH_VERSION || f.version === P2SH_VERSION) return f.program.length === 20;
  if (f.version === 0) return f.program.length === 20 || f.program.length === 32;
  return f.version <= 16 && f.program.length >= 2 && f.program.length <= 40;
}

export function fallbackType(f: Fallback): FallbackType | undefined {
  if (f.version === P2PKH_VERSION) return 'P2PKH';
  if (f.version === P2SH_VERSION) return 'P2SH';
  if (f.version === 0) return f.program.length === 20 ? 'P2WPKH' : 'P2WSH';
  if (f.version === 1 && f.program.length === 32) return 'P2TR';
  return undefined;
}

/** The output script the fallback pays to (BIP-16, BIP-141 / BIP-341 scriptPubKeys). */
export function fallbackScript(f: Fallback): Uint8Array {
  const push = (b: Uint8Array) => concat(new Uint8Array([b.length]), b);
  if (f.version === P2PKH_VERSION) return concat(new Uint8Array([0x76, 0xa9]), push(f.program), new Uint8Array([0x88, 0xac]));
  if (f.version === P2SH_VERSION) return concat(new Uint8Array([0xa9]), push(f.program), new Uint8Array([0x87]));
  return concat(new Uint8Array([f.version === 0 ? 0 : 0x50 + f.version]), push(f.program));
}

// Address encodings per BOLT 11 currency: base58 version bytes and the segwit address prefix.
const ADDRESS = {
  bc: { pkh: 0x00, sh: 0x05, hrp: 'bc' },
  tb: { pkh: 0x6f, sh: 0xc4, hrp: 'tb' },
  tbs: { pkh: 0x6f, sh: 0xc4, hrp: 'tb' },
  bcrt: { pkh: 0x6f, sh: 0xc4, hrp: 'bcrt' },
} as const satisfies Record<Currency, unknown>;

const b58 = base58check(sha256);

/** The address as a wallet shows it (base58check, or bech32 for v0 and bech32m for v1+). */
export function fallbackAddress(f: Fallback, currency: Currency): string {
  const a = ADDRESS[currency];
  if (f.version === P2PKH_VERSION) return b58.encode(concat(new Uint8Array([a.pkh]), f.program));
  if (f.version === P2SH_VERSION) return b58.encode(concat(new Uint8Array([a.sh]), f.program));
  const coder = f.version === 0 ? bech32 : bech32m;
  return coder.encode(a.hrp, [f.version, ...coder.toWords(f.program)]);
}

export function describeFallback(f: Fallback): string {
  return `v${f.version}:${toHex(f.program)}`;
}
