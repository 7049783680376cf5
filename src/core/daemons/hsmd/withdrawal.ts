// hsmd signs the wallet's own inputs of a PSBT (Core Lightning's hsmd_sign_withdrawal), and nothing
// else: each input it signs must name the wallet key it spends (an input named `null` is not the
// wallet's and is left unsigned: onchaind's HTLC transaction that the wallet pays the fee of) (index k, address type), carry its
// witnessUtxo, and that output's script must be exactly the wallet's script for key k of that
// type. A script-path taproot input, another internal key, or a non-default sighash is refused.
// PSBT parsing and sighashes come from @scure/btc-signer (BIP174, BIP143, BIP341).
import type { HDKey } from '@scure/bip32';
import { p2tr, p2wpkh, Transaction } from '@scure/btc-signer';
import { equal } from '../../base/bytes.ts';
import type { WalletAddressType } from '../../keys/derive.ts';
import { HsmError } from './secret.ts';

export interface WithdrawalInput {
  /** The wallet key's index k: child k of walletXpub(type). */
  index: number;
  type: WalletAddressType;
}

const TYPES: readonly string[] = ['p2wpkh', 'p2tr'];
/** BIP32: indexes from 2^31 are hardened; the wallet's keys are not. */
const MAX_INDEX = 0x7fffffff;

/** The output script of wallet key `pub` (33 bytes) for `type`: P2WPKH, or BIP86 key-path P2TR. */
export function walletScript(pub: Uint8Array, type: WalletAddressType): Uint8Array {
  return type === 'p2wpkh' ? p2wpkh(pub).script : p2tr(pub.subarray(1)).script;
}

function checkInputs(inputs: unknown, count: number): (WithdrawalInput | null)[] {
  if (!Array.isArray(inputs)) throw new HsmError('bad_inputs', 'signWithdrawal: inputs must be an array');
  if (inputs.length !== count) {
    throw new HsmError('bad_inputs', `signWithdrawal: the PSBT has ${count} inputs but ${inputs.length} were named`);
  }
  if (inputs.every(x => x === null)) throw new HsmError('bad_inputs', "signWithdrawal: no input is named as the wallet's");
  return inputs.map((x: unknown, i) => (x === null ? null : walletKeyOf(x, `signWithdrawal: input ${i}`, 'bad_inputs')));
}

/** A wallet key named by index and type (a WithdrawalInput), checked; `code` names the refusal. */
export function walletKeyOf(x: unknown, what: string, code = 'bad_request'): WithdrawalInput {
  const { index, type } = (x ?? {}) as Partial<WithdrawalInput>;
  if (!Number.isInteger(index) || index! < 0 || index! > MAX_INDEX) {
    throw new HsmError(code, `${what}: index must be an integer in [0, 2^31)`);
  }
  if (!TYPES.includes(type as string)) throw new HsmError(code, `${what}: type must be p2wpkh or p2tr`);
  return { index: index!, type: type! };
}

/** Signs each input of `psbt` with the wallet key `inputs[i]` names (none for `null`); returns the PSBT with the signatures. */
export function signWithdrawal(chain: HDKey, psbt: unknown, inputs: unknown): Uint8Array {
  if (!(psbt instanceof Uint8Array)) throw new HsmError('bad_psbt', 'signWithdrawal: the PSBT must be a Uint8Array');
  let tx: Transaction;
  try {
    tx = Transaction.fromPSBT(psbt);
  } catch (e) {
    throw new HsmError('bad_psbt', `signWithdrawal: not a valid PSBT (${(e as Error).message})`);
  }
  if (tx.inputsLength === 0) throw new HsmError('bad_psbt', 'signWithdrawal: the PSBT has no inputs');
  const named = checkInputs(inputs, tx.inputsLength);
  // Every check first, for every input: nothing is signed unless all of them are ours.
  for (let i = 0; i < named.length; i++) {
    const input = tx.getInput(i);
    if (!input.witnessUtxo) throw new HsmError('no_witness_utxo', `signWithdrawal: input ${i} has no witnessUtxo`);
    if (named[i] === null) continue;
    const { index, type } = named[i]!;
    const pub = chain.deriveChild(index).publicKey!;
    if (!equal(input.witnessUtxo.script, walletScript(pub, type))) {
      throw new HsmError('not_ours', `signWithdrawal: input ${i} does not spend wallet key ${index} (${type})`);
    }
    if (type === 'p2tr') {
      if (input.tapLeafScript?.length || input.tapMerkleRoot) {
        throw new HsmError('not_ours', `signWithdrawal: input ${i} is a script-path spend; the wallet spends by key path only`);
      }
      if (input.tapInternalKey && !equal(input.tapInternalKey, pub.subarray(1))) {
        throw new HsmError('not_ours', `signWithdrawal: input ${i}'s tapInternalKey is not wallet key ${index}`);
      }
    }
  }
  for (let i = 0; i < named.length; i++) {
    if (named[i] === null) continue;
    const { index, type } = named[i]!;
    const key = chain.deriveChild(index);
    try {
      if (type === 'p2tr') tx.updateInput(i, { tapInternalKey: key.publicKey!.subarray(1) });
      // Only the default sighash (ALL for segwit v0, DEFAULT for taproot): btc-signer refuses others.
      tx.signIdx(key.privateKey!, i);
    } catch (e) {
      throw new HsmError('cannot_sign', `signWithdrawal: input ${i}: ${(e as Error).message}`);
    } finally {
      key.wipePrivateData();
    }
  }
  return tx.toPSBT();
}
