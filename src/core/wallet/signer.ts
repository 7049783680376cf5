// What the wallet asks of the key holder (hsmd, design.md "Chain, keys and state"): the extended
// public keys it derives addresses from, and signatures on a withdrawal it built. The wallet never
// sees a private key. hsmd implements this; lightningd reaches it through a Comlink proxy, hence
// every answer may be a promise.

/** The wallet's two output types: BIP 84 style P2WPKH and BIP 86 P2TR key-path. */
export type WalletKeyType = 'p2wpkh' | 'p2tr';

export const WALLET_KEY_TYPES: readonly WalletKeyType[] = Object.freeze(['p2wpkh', 'p2tr']);

export interface WalletInputKey {
  /** The key index k: address k of `type` is child k of that type's extended public key. */
  index: number;
  type: WalletKeyType;
}

export interface WalletSigner {
  /**
   * A BIP 32 extended public key (xpub or tpub). Address k of `type` is its non-hardened child k;
   * for P2TR that child's x-only key is the BIP 86 internal key (tweaked with no script tree).
   */
  walletXpub(type: WalletKeyType): string | Promise<string>;
  /**
   * Signs every input of `psbt` (a serialized BIP 174 PSBT, each input carrying its witnessUtxo);
   * `inputs[i]` names the key of PSBT input i (`null`: not the wallet's, left unsigned). Returns the signed PSBT (finalized or not).
   */
  signWithdrawal(psbt: Uint8Array, inputs: (WalletInputKey | null)[]): Uint8Array | Promise<Uint8Array>;
}
