// Address encodings per network, as @scure/btc-signer takes them (bech32 HRP and base58 prefixes,
// BIP 173 / BIP 350). Names follow src/core/chain/chains.ts (Core Lightning's network names).
import { Address, NETWORK, OutScript, TEST_NETWORK } from '@scure/btc-signer';

export type BtcNetwork = typeof NETWORK;

const REGTEST: BtcNetwork = Object.freeze({ bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef });

export function btcNetwork(name: string): BtcNetwork {
  switch (name) {
    case 'bitcoin':
      return NETWORK;
    case 'testnet':
    case 'testnet4':
    case 'signet':
      return TEST_NETWORK;
    case 'regtest':
      return REGTEST;
    default:
      throw new Error(`unknown network ${name}`);
  }
}

/** The output script an address pays (BIP 173/350 segwit, or base58 P2PKH/P2SH); throws on anything else. */
export function addressScript(address: string, net: BtcNetwork): Uint8Array {
  return OutScript.encode(Address(net).decode(address));
}

/** The address of a standard output script, or undefined (bare multisig, OP_RETURN, unknown). */
export function scriptAddress(script: Uint8Array, net: BtcNetwork): string | undefined {
  try {
    return Address(net).encode(OutScript.decode(script));
  } catch {
    return undefined;
  }
}
