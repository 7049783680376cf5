// BOLT 3 "Commitment Transaction": the 48-bit commitment number, obscured, in locktime and sequence.
import { concat } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';
import { Bolt3Error } from './errors.ts';
import { point } from './ec.ts';

const MASK48 = 0xffffffffffffn;

/** The lower 48 bits of SHA256(payment_basepoint from open_channel || payment_basepoint from accept_channel). */
export function obscuringFactor(openerPaymentBasepoint: Uint8Array, accepterPaymentBasepoint: Uint8Array): bigint {
  point(openerPaymentBasepoint);
  point(accepterPaymentBasepoint);
  const h = sha256(concat(openerPaymentBasepoint, accepterPaymentBasepoint));
  let x = 0n;
  for (let i = 26; i < 32; i++) x = (x << 8n) | BigInt(h[i]!);
  return x;
}

/**
 * locktime: upper 8 bits 0x20, lower 24 bits the lower 24 bits of the obscured commitment number;
 * sequence: upper 8 bits 0x80, lower 24 bits the upper 24 bits of it.
 */
export function obscuredLocktimeSequence(commitmentNumber: bigint, factor: bigint): { lockTime: number; sequence: number } {
  if (commitmentNumber < 0n || commitmentNumber > MASK48)
    throw new Bolt3Error('bad_index', `commitment number ${commitmentNumber} is not 48 bits`);
  const obscured = (commitmentNumber ^ factor) & MASK48;
  return {
    lockTime: (0x20 * 2 ** 24 + Number(obscured & 0xffffffn)) >>> 0,
    sequence: (0x80 * 2 ** 24 + Number(obscured >> 24n)) >>> 0,
  };
}

/** The commitment number back from a commitment transaction's locktime and sequence (for onchaind). */
export function commitmentNumberOf(lockTime: number, sequence: number, factor: bigint): bigint | undefined {
  if (lockTime >>> 24 !== 0x20 || sequence >>> 24 !== 0x80) return undefined;
  const obscured = (BigInt(sequence & 0xffffff) << 24n) | BigInt(lockTime & 0xffffff);
  return obscured ^ (factor & MASK48);
}
