// A serialized transaction read as far as the wallet needs: its txid, the outpoints it spends and
// its outputs. @scure/btc-signer's codec, permissive (any version, script or input), since the
// wallet reads every transaction of every block.
import { Transaction } from '@scure/btc-signer';
import { toHex } from '../base/bytes.ts';
import { WalletError } from './errors.ts';

export interface ParsedTx {
  txid: string;
  version: number;
  locktime: number;
  coinbase: boolean;
  inputs: { txid: string; index: number; sequence: number }[];
  outputs: { amount_sat: number; script: Uint8Array }[];
}

export const READ_OPTS = Object.freeze({
  allowUnknownOutputs: true,
  allowUnknownInputs: true,
  allowUnknownVersion: true,
  disableScriptCheck: true,
  allowLegacyWitnessUtxo: true,
});

const NULL_TXID = '0'.repeat(64);

export function parseTx(raw: Uint8Array): ParsedTx {
  let tx: Transaction;
  try {
    tx = Transaction.fromRaw(raw, READ_OPTS);
  } catch (e) {
    throw new WalletError('bad_params', `undecodable transaction: ${(e as Error).message}`);
  }
  const inputs = [];
  for (let i = 0; i < tx.inputsLength; i++) {
    const inp = tx.getInput(i);
    inputs.push({ txid: toHex(inp.txid!), index: inp.index!, sequence: inp.sequence ?? 0xffffffff });
  }
  const outputs = [];
  for (let i = 0; i < tx.outputsLength; i++) {
    const out = tx.getOutput(i);
    outputs.push({ amount_sat: Number(out.amount!), script: out.script! });
  }
  const coinbase = inputs.length === 1 && inputs[0]!.txid === NULL_TXID && inputs[0]!.index === 0xffffffff;
  return { txid: tx.id, version: tx.version, locktime: tx.lockTime, coinbase, inputs, outputs };
}
