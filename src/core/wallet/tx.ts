// A serialized transaction read as far as the wallet needs: the outpoints it spends, its outputs,
// and (computed only when asked: most transactions of a block are not ours) its txid, the double
// SHA-256 of its serialization without witnesses (BIP 144). @scure/btc-signer's raw codec reads
// it; its PSBT-level Transaction is twenty times slower, too slow for every transaction of a block.
import { RawTx } from '@scure/btc-signer/script.js';
import { toHex } from '../base/bytes.ts';
import { sha256d } from '../crypto/primitives.ts';
import { WalletError } from './errors.ts';

type Raw = ReturnType<typeof RawTx.decode>;

/** Options for reading a PSBT or transaction of any shape with @scure/btc-signer's Transaction. */
export const READ_OPTS = Object.freeze({
  allowUnknownOutputs: true,
  allowUnknownInputs: true,
  allowUnknownVersion: true,
  disableScriptCheck: true,
  allowLegacyWitnessUtxo: true,
});

const NULL_TXID = '0'.repeat(64);

export class ParsedTx {
  readonly inputs: { txid: string; index: number; sequence: number }[];
  readonly outputs: { amount_sat: number; script: Uint8Array }[];
  private id: string | undefined;

  constructor(private readonly raw: Raw) {
    // The codec gives txids in display order (byte-reversed), as Esplora and listfunds show them.
    this.inputs = raw.inputs.map(i => ({ txid: toHex(i.txid), index: i.index, sequence: i.sequence }));
    this.outputs = raw.outputs.map(o => ({ amount_sat: Number(o.amount), script: o.script }));
  }

  get txid(): string {
    this.id ??= toHex(sha256d(RawTx.encode({ ...this.raw, segwitFlag: false, witnesses: undefined })).reverse());
    return this.id;
  }
  get version(): number {
    return this.raw.version;
  }
  get locktime(): number {
    return this.raw.lockTime;
  }
  get coinbase(): boolean {
    return this.inputs.length === 1 && this.inputs[0]!.txid === NULL_TXID && this.inputs[0]!.index === 0xffffffff;
  }
}

export function parseTx(raw: Uint8Array): ParsedTx {
  try {
    return new ParsedTx(RawTx.decode(raw));
  } catch (e) {
    throw new WalletError('bad_params', `undecodable transaction: ${(e as Error).message}`);
  }
}
