// Chain hashes: which blockchain a message is about. BOLT 0 (Glossary, `chain_hash`): "the hash
// of the target chain's genesis block", and for Bitcoin "the chain_hash value MUST be (encoded in
// hex): 6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000", i.e. the genesis block
// hash in its internal byte order: the reverse of the hex block explorers show.
import { equal, fromHex, toHex } from '../base/bytes.ts';
import { DecodeError } from '../base/errors.ts';
import type { NetworkName } from '../net/address.ts';

export type { NetworkName };

/** The genesis block hash of each network, as block explorers display it (big-endian hex). */
const GENESIS_DISPLAYED: Readonly<Record<NetworkName, string>> = Object.freeze({
  bitcoin: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
  testnet: '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943',
  testnet4: '00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043',
  signet: '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6',
  regtest: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
});

export const NETWORKS: readonly NetworkName[] = Object.freeze(Object.keys(GENESIS_DISPLAYED) as NetworkName[]);

const CHAIN_HASHES = new Map<NetworkName, Uint8Array>(NETWORKS.map(n => [n, fromHex(GENESIS_DISPLAYED[n]).reverse()]));

export function isNetwork(name: string): name is NetworkName {
  return Object.prototype.hasOwnProperty.call(GENESIS_DISPLAYED, name);
}

/** The 32-byte `chain_hash` of a network (a fresh copy: callers may keep or change it). */
export function chainHash(network: string): Uint8Array {
  if (!isNetwork(network)) {
    throw new DecodeError('unknown_network', `unknown network '${network}' (known: ${NETWORKS.join(', ')})`);
  }
  return CHAIN_HASHES.get(network)!.slice();
}

/** The network a `chain_hash` names, or undefined for a chain we don't know. */
export function networkOfChainHash(hash: Uint8Array): NetworkName | undefined {
  for (const [n, h] of CHAIN_HASHES) if (equal(h, hash)) return n;
  return undefined;
}

/** A chain hash for logs: the network's name when known, else the hex. */
export function describeChain(hash: Uint8Array): string {
  return networkOfChainHash(hash) ?? toHex(hash);
}

/** Bitcoin Core's name for a network (getblockchaininfo `chain`, Core Lightning's getchaininfo `chain`). */
const CORE_CHAIN: Readonly<Record<NetworkName, string>> = Object.freeze({
  bitcoin: 'main',
  testnet: 'test',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
});

export function bitcoindChainName(network: NetworkName): string {
  return CORE_CHAIN[network];
}

/** The network whose genesis block has this hash (display order hex, as Esplora prints it), if known. */
export function networkOfGenesis(displayedHash: string): NetworkName | undefined {
  for (const n of NETWORKS) if (GENESIS_DISPLAYED[n] === displayedHash) return n;
  return undefined;
}
