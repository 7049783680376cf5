// BIP 143 signature hashes and signatures for BOLT 3's segwit v0 inputs.
import type { Transaction } from '@scure/btc-signer';
import { compactFromDer } from './der.ts';
import { signDer, verifyDer } from './ec.ts';
import { scriptSig } from './witness.ts';

/** The BIP 143 digest input `index` of `tx` signs, spending `amount` satoshis locked by `witnessScript`. */
export function sighash(tx: Transaction, index: number, witnessScript: Uint8Array, amount: bigint, type: number): Uint8Array {
  return tx.preimageWitnessV0(index, witnessScript, type, amount);
}

/** A signature for input `index` as a witness item (DER plus the sighash byte). */
export function signInput(
  tx: Transaction,
  index: number,
  witnessScript: Uint8Array,
  amount: bigint,
  secretKey: Uint8Array,
  type: number,
): Uint8Array {
  return scriptSig(signDer(sighash(tx, index, witnessScript, amount, type), secretKey), type);
}

/** The same signature in BOLT 2's compact form (64 bytes: r and s), as commitment_signed carries it. */
export function signCompact(...a: Parameters<typeof signInput>): Uint8Array {
  // signInput's witness item is the DER signature and one sighash byte.
  return compactFromDer(signInput(...a).subarray(0, -1));
}

/** Whether `sig` (DER, no sighash byte: BOLT 2 sends the compact form) signs input `index` for `pubkey`. */
export function verifyInput(
  tx: Transaction,
  index: number,
  witnessScript: Uint8Array,
  amount: bigint,
  pubkey: Uint8Array,
  derSig: Uint8Array,
  type: number,
): boolean {
  return verifyDer(derSig, sighash(tx, index, witnessScript, amount, type), pubkey);
}

/** Installs a complete witness on input `index`. */
export function setWitness(tx: Transaction, index: number, witness: Uint8Array[]): void {
  tx.updateInput(index, { finalScriptWitness: witness }, true);
}
