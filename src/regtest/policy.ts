// Output scripts: their kind (Esplora's `scriptpubkey_type` names), their regtest address, whether
// Bitcoin Core relays them (IsStandard, src/policy/policy.cpp) and their dust threshold
// (GetDustThreshold at the 3 sat/vB dust relay fee).
import { Address, OutScript } from '@scure/btc-signer';
import { CompactSizeLen } from '@scure/btc-signer/script.js';
import { DUST_RELAY_SAT_PER_KVB, MAX_OP_RETURN_RELAY, REGTEST_NETWORK } from './params.ts';

export type ScriptKind =
  | 'p2pk'
  | 'p2pkh'
  | 'p2sh'
  | 'v0_p2wpkh'
  | 'v0_p2wsh'
  | 'v1_p2tr'
  | 'anchor'
  | 'op_return'
  | 'multisig'
  | 'witness_unknown'
  | 'empty'
  | 'nonstandard';

const OP_RETURN = 0x6a;

/** IsPushOnly: every opcode from `from` on is a push (OP_0..OP_16, OP_1NEGATE, data pushes). */
export function isPushOnly(s: Uint8Array, from = 0): boolean {
  for (let i = from; i < s.length;) {
    const op = s[i]!;
    if (op > 0x60) return false; // beyond OP_16: not a push
    if (op >= 0x01 && op <= 0x4b) i += 1 + op;
    else if (op === 0x4c) i += 2 + (s[i + 1] ?? 0);
    else if (op === 0x4d) i += 3 + ((s[i + 1] ?? 0) | ((s[i + 2] ?? 0) << 8));
    else if (op === 0x4e) i += 5 + ((s[i + 1] ?? 0) | ((s[i + 2] ?? 0) << 8) | ((s[i + 3] ?? 0) << 16)) + (s[i + 4] ?? 0) * 2 ** 24;
    else i += 1;
    if (i > s.length) return false;
  }
  return true;
}

/** Solver's template match (src/script/solver.cpp), enough for relay policy and Esplora's type names. */
export function scriptKind(s: Uint8Array): ScriptKind {
  const n = s.length;
  if (n === 0) return 'empty';
  if (s[0] === OP_RETURN) return isPushOnly(s, 1) ? 'op_return' : 'nonstandard';
  if (n === 25 && s[0] === 0x76 && s[1] === 0xa9 && s[2] === 0x14 && s[23] === 0x88 && s[24] === 0xac) return 'p2pkh';
  if (n === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87) return 'p2sh';
  if (n === 22 && s[0] === 0x00 && s[1] === 0x14) return 'v0_p2wpkh';
  if (n === 34 && s[0] === 0x00 && s[1] === 0x20) return 'v0_p2wsh';
  if (n === 34 && s[0] === 0x51 && s[1] === 0x20) return 'v1_p2tr';
  if (n === 4 && s[0] === 0x51 && s[1] === 0x02 && s[2] === 0x4e && s[3] === 0x73) return 'anchor';
  // Any other witness program (BIP 141: version byte then one push of 2..40 bytes).
  if (n >= 4 && n <= 42 && (s[0] === 0x00 || (s[0]! >= 0x51 && s[0]! <= 0x60)) && s[1] === n - 2)
    return s[0] === 0x00 ? 'nonstandard' : 'witness_unknown';
  if ((n === 35 && s[0] === 0x21 && s[34] === 0xac) || (n === 67 && s[0] === 0x41 && s[66] === 0xac)) return 'p2pk';
  if (isBareMultisig(s)) return 'multisig';
  return 'nonstandard';
}

/** m-of-n bare multisig with n ≤ 3 (the standard limit), compressed or uncompressed keys. */
function isBareMultisig(s: Uint8Array): boolean {
  const m = s[0]! - 0x50;
  const last = s[s.length - 1];
  const nOp = s[s.length - 2]! - 0x50;
  if (last !== 0xae || m < 1 || m > 3 || nOp < m || nOp > 3) return false;
  let i = 1;
  for (let k = 0; k < nOp; k++) {
    const len = s[i];
    if (len !== 33 && len !== 65) return false;
    i += 1 + len;
  }
  return i === s.length - 2;
}

/** IsStandard for an output: the templates Bitcoin Core relays ("scriptpubkey" otherwise). */
export function isStandardOutput(s: Uint8Array): boolean {
  const k = scriptKind(s);
  if (k === 'op_return') return s.length <= MAX_OP_RETURN_RELAY;
  return k !== 'nonstandard' && k !== 'empty';
}

/**
 * GetDustThreshold: what spending the output would cost at 3 sat/vB, counting the output's
 * own size and a typical spending input (148 bytes, or 67 vbytes for a witness program).
 * Unspendable (OP_RETURN) outputs are never dust.
 */
export function dustThreshold(s: Uint8Array): bigint {
  const k = scriptKind(s);
  if (k === 'op_return') return 0n;
  const witness = k === 'v0_p2wpkh' || k === 'v0_p2wsh' || k === 'v1_p2tr' || k === 'anchor' || k === 'witness_unknown';
  const size = 8 + CompactSizeLen.encode(s.length).length + s.length + (witness ? 32 + 4 + 1 + 26 + 4 : 32 + 4 + 1 + 107 + 4);
  return (BigInt(size) * DUST_RELAY_SAT_PER_KVB) / 1000n;
}

const address = Address(REGTEST_NETWORK);

/** The regtest address of an output script, when it has one. */
export function scriptAddress(s: Uint8Array): string | undefined {
  const k = scriptKind(s);
  if (k !== 'p2pkh' && k !== 'p2sh' && k !== 'v0_p2wpkh' && k !== 'v0_p2wsh' && k !== 'v1_p2tr') return undefined;
  try {
    return address.encode(OutScript.decode(s));
  } catch {
    return undefined;
  }
}

/** The output script of a regtest address; throws on anything else (a mainnet address included). */
export function addressScript(addr: string): Uint8Array {
  return OutScript.encode(address.decode(addr));
}
