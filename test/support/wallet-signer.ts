// A test-only WalletSigner (src/core/wallet/signer.ts) from a BIP 32 seed: P2WPKH keys at
// m/84'/1'/0'/0/k, P2TR keys at m/86'/1'/0'/0/k (BIP 84 / BIP 86, testnet coin type). hsmd's own
// signer replaces it in the node; this one exists so the wallet's tests sign real transactions.
import { HDKey } from '@scure/bip32';
import { Transaction } from '@scure/btc-signer';
import type { WalletInputKey, WalletKeyType, WalletSigner } from '../../src/core/wallet/signer.ts';

const ACCOUNT: Record<WalletKeyType, string> = { p2wpkh: "m/84'/1'/0'/0", p2tr: "m/86'/1'/0'/0" };

export class TestWalletSigner implements WalletSigner {
  private readonly roots: Record<WalletKeyType, HDKey>;
  /** Every PSBT asked to sign, as given. */
  readonly asked: { psbt: Uint8Array; inputs: WalletInputKey[] }[] = [];

  /** `oneChain`: both types from the BIP 86 chain (address k of either type is the same key, as hsmd derives them). */
  constructor(seed: Uint8Array, o: { oneChain?: boolean } = {}) {
    const master = HDKey.fromMasterSeed(seed);
    const tr = master.derive(ACCOUNT.p2tr);
    this.roots = { p2wpkh: o.oneChain ? tr : master.derive(ACCOUNT.p2wpkh), p2tr: tr };
  }

  walletXpub(type: WalletKeyType): string {
    return this.roots[type].publicExtendedKey;
  }

  signWithdrawal(psbt: Uint8Array, inputs: WalletInputKey[]): Uint8Array {
    this.asked.push({ psbt, inputs });
    const tx = Transaction.fromPSBT(psbt);
    if (inputs.length !== tx.inputsLength) throw new Error(`${inputs.length} keys for ${tx.inputsLength} inputs`);
    inputs.forEach((k, i) => {
      const key = this.roots[k.type].deriveChild(k.index).privateKey!;
      if (!tx.signIdx(key, i)) throw new Error(`input ${i}: key ${k.type}/${k.index} signs nothing`);
    });
    return tx.toPSBT();
  }
}

/** A 32-byte test seed from a label. */
export function testSeed(label: string): Uint8Array {
  const out = new Uint8Array(32);
  const b = new TextEncoder().encode(label);
  for (let i = 0; i < b.length; i++) out[i % 32] = (out[i % 32]! * 31 + b[i]!) & 0xff;
  return out;
}
