// Keys, outputs and signed spends for the regtest chain's tests, built with @scure/btc-signer.
import { p2pk, p2tr, p2tr_pk, p2wpkh, p2wsh, Script, SigHash, Transaction } from '@scure/btc-signer';
import { pubECDSA, pubSchnorr, signECDSA } from '@scure/btc-signer/utils.js';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { REGTEST_NETWORK } from '../../src/regtest/params.ts';
import type { RegtestChain } from '../../src/regtest/chain.ts';
import { decodeTx, makeTx, type Tx } from '../../src/regtest/tx.ts';

export const key = (label: string) => sha256(new TextEncoder().encode(label));
export const KEY_A = key('regtest test key a');
export const KEY_B = key('regtest test key b');

export type Kind = 'wpkh' | 'wsh' | 'tr-key' | 'tr-script';

/** An output kind paid to KEY_A (the script path's leaf is KEY_B's key). */
export function payment(kind: Kind): { script: Uint8Array; address: string; input: Record<string, unknown>; signer: Uint8Array } {
  switch (kind) {
    case 'wpkh': {
      const p = p2wpkh(pubECDSA(KEY_A), REGTEST_NETWORK);
      return { script: p.script, address: p.address!, input: {}, signer: KEY_A };
    }
    case 'wsh': {
      const p = p2wsh(p2pk(pubECDSA(KEY_A)), REGTEST_NETWORK);
      return { script: p.script, address: p.address!, input: { witnessScript: p.witnessScript }, signer: KEY_A };
    }
    case 'tr-key': {
      const p = p2tr(pubSchnorr(KEY_A), undefined, REGTEST_NETWORK);
      return { script: p.script, address: p.address!, input: { tapInternalKey: p.tapInternalKey }, signer: KEY_A };
    }
    case 'tr-script': {
      const p = p2tr(pubSchnorr(KEY_A), { script: p2tr_pk(pubSchnorr(KEY_B)).script }, REGTEST_NETWORK, true);
      return {
        script: p.script,
        address: p.address!,
        input: { tapInternalKey: p.tapInternalKey, tapLeafScript: p.tapLeafScript },
        signer: KEY_B,
      };
    }
  }
}

export interface Coin {
  txid: string;
  vout: number;
  value: bigint;
  kind: Kind;
}

/** Sends `value` from the chain's coins to a `kind` output and confirms it in one block. */
export function fund(chain: RegtestChain, kind: Kind, value: bigint, confirm = true): Coin {
  const pay = payment(kind);
  const txid = chain.wallet.send(pay.address, value);
  if (confirm) chain.mine(1);
  const tx = chain.findTx(txid)!.tx;
  const vout = tx.outputs.findIndex(o => o.value === value && o.script.every((b, i) => b === pay.script[i]));
  return { txid, vout, value, kind };
}

export interface SpendOptions {
  version?: number;
  lockTime?: number;
  sequence?: number;
  /** Flip one bit of the first witness element (the signature) after signing. */
  badSig?: boolean;
}

/** A signed transaction spending `coins` to `outputs`. */
export function spend(coins: Coin[], outputs: { script: Uint8Array; value: bigint }[], o: SpendOptions = {}): Uint8Array {
  const tx = new Transaction({ version: o.version ?? 2, lockTime: o.lockTime ?? 0, allowUnknownOutputs: true, allowUnknownVersion: true });
  for (const c of coins) {
    const pay = payment(c.kind);
    tx.addInput({
      txid: c.txid,
      index: c.vout,
      sequence: o.sequence ?? 0xfffffffd,
      witnessUtxo: { script: pay.script, amount: c.value },
      ...pay.input,
    });
  }
  for (const out of outputs) tx.addOutput({ script: out.script, amount: out.value });
  coins.forEach((c, i) => tx.signIdx(payment(c.kind).signer, i));
  tx.finalize();
  const raw = tx.extract();
  if (!o.badSig) return raw;
  // Re-serialize with one signature bit flipped (the codec's own structures, copied).
  const t = decodeTx(raw);
  const sig = t.inputs[0]!.witness[0]!.slice();
  sig[10] = sig[10]! ^ 1;
  t.inputs[0]!.witness[0] = sig;
  return rebuild(t);
}

export function rebuild(t: Tx): Uint8Array {
  return makeTx(t).raw;
}

/** A P2WPKH script to pay in tests (KEY_B's). */
export const SINK = p2wpkh(pubECDSA(KEY_B), REGTEST_NETWORK);

/** A P2WSH output of `<lock> OP_CHECKLOCKTIMEVERIFY|OP_CHECKSEQUENCEVERIFY OP_DROP <KEY_A> OP_CHECKSIG`. */
export function lockScript(
  op: 'CHECKLOCKTIMEVERIFY' | 'CHECKSEQUENCEVERIFY',
  lock: number,
): { witnessScript: Uint8Array; script: Uint8Array; address: string } {
  const witnessScript = Script.encode([lock, op, 'DROP', pubECDSA(KEY_A), 'CHECKSIG']);
  const p = p2wsh({ type: 'unknown', script: witnessScript } as never, REGTEST_NETWORK);
  return { witnessScript, script: p.script, address: p.address! };
}

/** Spends a lockScript output (signed by KEY_A over BIP 143's digest). */
export function spendLocked(
  coin: { txid: string; vout: number; value: bigint },
  witnessScript: Uint8Array,
  outputs: { script: Uint8Array; value: bigint }[],
  o: { lockTime?: number; sequence?: number },
): Uint8Array {
  const tx = new Transaction({
    version: 2,
    lockTime: o.lockTime ?? 0,
    allowUnknownOutputs: true,
    allowUnknownInputs: true,
    disableScriptCheck: true,
  });
  const p2wshScript = Uint8Array.of(0x00, 0x20, ...sha256(witnessScript));
  tx.addInput({
    txid: coin.txid,
    index: coin.vout,
    sequence: o.sequence ?? 0xfffffffd,
    witnessUtxo: { script: p2wshScript, amount: coin.value },
  });
  for (const out of outputs) tx.addOutput({ script: out.script, amount: out.value });
  const digest = tx.preimageWitnessV0(0, witnessScript, SigHash.ALL, coin.value);
  const sig = Uint8Array.of(...signECDSA(digest, KEY_A), SigHash.ALL);
  tx.updateInput(0, { finalScriptWitness: [sig, witnessScript] }, true);
  return tx.extract();
}
