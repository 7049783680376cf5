// A funding transaction for interop tests where LDK never sees a chain: a segwit transaction paying
// `value` to `script` from a made-up input (LDK needs witness inputs; nothing checks the input).
import { p2wpkh, Transaction } from '@scure/btc-signer';
import { pubECDSA } from '@scure/btc-signer/utils.js';
import { sha256 } from '../../../src/core/crypto/primitives.ts';

export function fundingTx(script: Uint8Array, value: bigint, label = 'ldk funding input key'): Uint8Array {
  const key = sha256(new TextEncoder().encode(label));
  const pay = p2wpkh(pubECDSA(key));
  const tx = new Transaction();
  tx.addInput({ txid: sha256(key), index: 0, witnessUtxo: { script: pay.script, amount: value + 1_000n } });
  tx.addOutput({ script, amount: value });
  tx.signIdx(key, 0);
  tx.finalize();
  return tx.extract();
}
