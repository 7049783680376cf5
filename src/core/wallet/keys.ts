// The wallet's scripts, derived from the signer's extended public keys alone (BIP 32 public
// derivation): P2WPKH of child k's key (BIP 141), and P2TR whose internal key is child k's x-only
// key with no script tree (BIP 86: the output key is that key tweaked by its own TapTweak hash).
// The wallet watches every key below the highest used index plus a gap (BIP 44's gap limit), so
// a wallet restored from the seed finds its coins by rescanning the chain.
import { HDKey } from '@scure/bip32';
import { createBase58check } from '@scure/base';
import { p2tr, p2wpkh } from '@scure/btc-signer';
import { toHex } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';
import type { BtcNetwork } from './network.ts';
import type { WalletKeyType } from './signer.ts';

/** BIP 44's address gap limit: keys watched beyond the highest one used. */
export const ADDRESS_GAP = 20;

export interface KeyRef {
  type: WalletKeyType;
  index: number;
}

export interface DerivedKey extends KeyRef {
  script: Uint8Array;
  address: string;
  /** P2TR: the BIP 86 internal key (x-only), which a PSBT input carries as tapInternalKey. */
  internalKey?: Uint8Array;
}

const base58check = createBase58check(sha256);

/** Parses any BIP 32 extended public key (xpub, tpub, ...), whatever its version bytes. */
export function parseXpub(xpub: string): HDKey {
  let raw: Uint8Array;
  try {
    raw = base58check.decode(xpub);
  } catch (e) {
    throw new Error(`not an extended public key: ${(e as Error).message}`);
  }
  if (raw.length !== 78) throw new Error(`not an extended public key: ${raw.length} bytes, want 78`);
  const version = ((raw[0]! << 24) | (raw[1]! << 16) | (raw[2]! << 8) | raw[3]!) >>> 0;
  const hd = HDKey.fromExtendedKey(xpub, { public: version, private: (version + 1) >>> 0 });
  if (hd.privateKey) throw new Error('the wallet takes public keys only');
  return hd;
}

export class WalletKeys {
  private readonly roots: Record<WalletKeyType, HDKey>;
  private readonly derived: Record<WalletKeyType, DerivedKey[]> = { p2wpkh: [], p2tr: [] };
  private readonly byScript = new Map<string, DerivedKey>();

  constructor(
    xpubs: Record<WalletKeyType, string>,
    private readonly network: BtcNetwork,
  ) {
    this.roots = { p2wpkh: parseXpub(xpubs.p2wpkh), p2tr: parseXpub(xpubs.p2tr) };
  }

  key(type: WalletKeyType, index: number): DerivedKey {
    const list = this.derived[type];
    while (list.length <= index) list.push(this.derive(type, list.length));
    return list[index]!;
  }

  /** Derives (and so watches) every key of `type` below `count`. */
  watchBelow(type: WalletKeyType, count: number): void {
    if (count > 0) this.key(type, count - 1);
  }

  /** The key paying to `script`, if it is one we watch. */
  owner(script: Uint8Array): DerivedKey | undefined {
    return this.byScript.get(toHex(script));
  }

  private derive(type: WalletKeyType, index: number): DerivedKey {
    const pub = this.roots[type].deriveChild(index).publicKey;
    if (!pub) throw new Error('extended key without a public key');
    let k: DerivedKey;
    if (type === 'p2wpkh') {
      const p = p2wpkh(pub, this.network);
      k = { type, index, script: p.script, address: p.address! };
    } else {
      const internalKey = pub.slice(1);
      const p = p2tr(internalKey, undefined, this.network);
      k = { type, index, script: p.script, address: p.address!, internalKey };
    }
    this.byScript.set(toHex(k.script), k);
    return k;
  }
}
