// Signed gossip for fixtures, tests and benchmarks: each message is encoded by the generic codec
// with a blank signature, its digest taken over the raw bytes (peek.ts), and the signatures
// written in. Signing goes through crypto.ts like everything else.
import { compare } from '../base/bytes.ts';
import { getPublicKey, signDigest } from '../crypto/primitives.ts';
import { fieldOffset } from '../wire/layout.ts';
import { encodeMessage } from '../wire/messages.ts';
import { encodeAddresses, type NodeAddress } from './address.ts';
import { gossipDigest } from './peek.ts';

const SIG0 = new Uint8Array(64);
/** Where each signature goes, in the order of the keys that sign (node 1, node 2, bitcoin 1, bitcoin 2). */
const ANNOUNCEMENT_SIGS = (['node_signature_1', 'node_signature_2', 'bitcoin_signature_1', 'bitcoin_signature_2'] as const).map(f =>
  fieldOffset('channel_announcement', f),
);
const UPDATE_SIG = fieldOffset('channel_update', 'signature');
const NODE_SIG = fieldOffset('node_announcement', 'signature');

export interface ChannelParty {
  /** Node secret key: signs node_signature_N and this node's channel_updates. */
  nodeSecret: Uint8Array;
  /** Funding key secret: signs bitcoin_signature_N. */
  bitcoinSecret: Uint8Array;
}

export interface ChannelAnnouncementParams {
  chainHash: Uint8Array;
  short_channel_id: bigint;
  /** The two ends, in any order: they are sorted so node_id_1 is the lesser (BOLT 7). */
  parties: [ChannelParty, ChannelParty];
  features?: Uint8Array;
  /** Keep the parties' order even if it breaks BOLT 7's (for tests of the receiving rule). */
  keepOrder?: boolean;
}

/** A signed channel_announcement (raw bytes, type included). */
export function signChannelAnnouncement(p: ChannelAnnouncementParams): Uint8Array {
  let [a, b] = p.parties;
  if (!p.keepOrder && compare(getPublicKey(a.nodeSecret), getPublicKey(b.nodeSecret)) > 0) [a, b] = [b, a];
  const raw = encodeMessage({
    name: 'channel_announcement',
    node_signature_1: SIG0,
    node_signature_2: SIG0,
    bitcoin_signature_1: SIG0,
    bitcoin_signature_2: SIG0,
    features: p.features ?? new Uint8Array(0),
    chain_hash: p.chainHash,
    short_channel_id: p.short_channel_id,
    node_id_1: getPublicKey(a.nodeSecret),
    node_id_2: getPublicKey(b.nodeSecret),
    bitcoin_key_1: getPublicKey(a.bitcoinSecret),
    bitcoin_key_2: getPublicKey(b.bitcoinSecret),
  });
  const h = gossipDigest(raw);
  [a.nodeSecret, b.nodeSecret, a.bitcoinSecret, b.bitcoinSecret].forEach((k, i) => raw.set(signDigest(h, k), ANNOUNCEMENT_SIGS[i]!));
  return raw;
}

export interface ChannelUpdateParams {
  /** The secret of the node sending the update. */
  secret: Uint8Array;
  chainHash: Uint8Array;
  short_channel_id: bigint;
  timestamp: number;
  /** channel_flags bit 0: 0 from node_id_1, 1 from node_id_2. Computed from `peer` when given. */
  direction?: 0 | 1;
  /** The other end's node id, to work out `direction`. */
  peer?: Uint8Array;
  /** channel_flags bit 1. */
  disabled?: boolean;
  /** Defaults to 1 (`must_be_one`). */
  message_flags?: number;
  cltv_expiry_delta?: number;
  htlc_minimum_msat?: bigint;
  fee_base_msat?: number;
  fee_proportional_millionths?: number;
  htlc_maximum_msat: bigint;
}

/** A signed channel_update (raw bytes, type included). */
export function signChannelUpdate(p: ChannelUpdateParams): Uint8Array {
  const direction = p.direction ?? (p.peer && compare(getPublicKey(p.secret), p.peer) > 0 ? 1 : 0);
  const raw = encodeMessage({
    name: 'channel_update',
    signature: SIG0,
    chain_hash: p.chainHash,
    short_channel_id: p.short_channel_id,
    timestamp: p.timestamp,
    message_flags: p.message_flags ?? 1,
    channel_flags: direction | (p.disabled ? 2 : 0),
    cltv_expiry_delta: p.cltv_expiry_delta ?? 40,
    htlc_minimum_msat: p.htlc_minimum_msat ?? 1000n,
    fee_base_msat: p.fee_base_msat ?? 1000,
    fee_proportional_millionths: p.fee_proportional_millionths ?? 1,
    htlc_maximum_msat: p.htlc_maximum_msat,
  });
  raw.set(signDigest(gossipDigest(raw), p.secret), UPDATE_SIG);
  return raw;
}

export interface NodeAnnouncementParams {
  secret: Uint8Array;
  timestamp: number;
  features?: Uint8Array;
  rgb_color?: Uint8Array;
  /** A string is UTF-8 encoded and zero-padded to 32 bytes. */
  alias?: string | Uint8Array;
  /** Descriptors, or the raw `addresses` field (to build malformed ones). */
  addresses?: readonly NodeAddress[] | Uint8Array;
}

/** A signed node_announcement (raw bytes, type included). */
export function signNodeAnnouncement(p: NodeAnnouncementParams): Uint8Array {
  const alias = new Uint8Array(32);
  alias.set((typeof p.alias === 'string' ? new TextEncoder().encode(p.alias) : (p.alias ?? new Uint8Array(0))).subarray(0, 32));
  const raw = encodeMessage({
    name: 'node_announcement',
    signature: SIG0,
    features: p.features ?? new Uint8Array(0),
    timestamp: p.timestamp,
    node_id: getPublicKey(p.secret),
    rgb_color: p.rgb_color ?? new Uint8Array(3),
    alias,
    addresses: p.addresses instanceof Uint8Array ? p.addresses : encodeAddresses(p.addresses ?? []),
  });
  raw.set(signDigest(gossipDigest(raw), p.secret), NODE_SIG);
  return raw;
}
