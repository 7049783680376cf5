// BOLT 1 "The init Message": the one we send, and the checks on the one we receive.
import { describeChain } from '../../chain/chains.ts';
import { equal } from '../../base/bytes.ts';
import { ProtocolError } from '../../base/errors.ts';
import { checkInitFeatures, FeatureVector, initFeatures } from '../../features/index.ts';
import type { NetAddress } from '../../net/transport.ts';
import { encodeMessage, type MessageOf } from '../../wire/messages.ts';
import { decodeAddressDescriptor, encodeAddressDescriptor, isPublicIp } from './netaddr.ts';

/** Feature bits that may also go in `globalfeatures` (BOLT 1: "SHOULD NOT set features greater than 13"). */
const MAX_GLOBAL_FEATURE_BIT = 13;

/**
 * Our `init`. BOLT 1 sending node: feature bits as BOLT 9 defines them (`features`; the low bits
 * also in `globalfeatures`, as Core Lightning does for peers that still read only those),
 * "SHOULD set `networks` to all chains it will gossip or open channels for", and "SHOULD set
 * `remote_addr` to reflect the remote IP address (and port) of an incoming connection" — but
 * "SHOULD NOT set private addresses as `remote_addr`".
 */
export function buildInit(ours: FeatureVector, chainHash: Uint8Array, incomingFrom?: NetAddress): Uint8Array {
  const globalfeatures = FeatureVector.fromBits(ours.bits().filter(b => b <= MAX_GLOBAL_FEATURE_BIT)).toBytes();
  const remote = incomingFrom && isPublicIp(incomingFrom) ? encodeAddressDescriptor(incomingFrom) : undefined;
  const init: MessageOf<'init'> = {
    name: 'init',
    globalfeatures,
    features: ours.toBytes(),
    tlvs: remote ? { networks: { chains: [chainHash] }, remote_addr: { data: remote } } : { networks: { chains: [chainHash] } },
  };
  return encodeMessage(init);
}

export interface PeerInit {
  /** BOLT 1: "MUST combine (logical OR) the two feature bitmaps into one logical `features` map". */
  features: FeatureVector;
  /** Their `remote_addr`, when it is a descriptor we can read. */
  remoteAddr?: NetAddress;
}

/**
 * BOLT 1 receiving node. Throws FeatureError (unknown or unsupported required bits, missing
 * dependencies: "MUST close the connection") or ProtocolError('no_common_chain') ("upon receiving
 * `networks` containing no common chains: MAY close the connection" — we do: we serve one chain).
 */
export function readPeerInit(init: MessageOf<'init'>, ours: FeatureVector, chainHash: Uint8Array): PeerInit {
  const features = initFeatures(init.globalfeatures, init.features);
  checkInitFeatures(features, ours);
  const networks = init.tlvs?.networks;
  if (networks && !networks.chains.some(c => equal(c, chainHash))) {
    const theirs = networks.chains.length ? networks.chains.slice(0, 4).map(describeChain).join(', ') : 'none';
    throw new ProtocolError('no_common_chain', `no common chain: we serve ${describeChain(chainHash)}, peer offers ${theirs}`);
  }
  const data = init.tlvs?.remote_addr?.data;
  const remoteAddr = data ? decodeAddressDescriptor(data) : undefined;
  return remoteAddr ? { features, remoteAddr } : { features };
}
