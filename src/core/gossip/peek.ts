// Cheap reads of the three gossip messages straight from their raw bytes (2-byte type included),
// for the "is it already known?" check that runs before any decode or signature check (most real
// gossip is duplicates), and the digests their signatures sign.
import { Reader } from '../base/bytes.ts';
import { sha256d } from '../crypto/primitives.ts';
import { DecodeError } from '../base/errors.ts';
import { fieldOffset } from '../wire/layout.ts';
import { readType, TYPE } from '../wire/messages.ts';

export const CHANNEL_ANNOUNCEMENT = TYPE.channel_announcement;
export const NODE_ANNOUNCEMENT = TYPE.node_announcement;
export const CHANNEL_UPDATE = TYPE.channel_update;

export type GossipType = 'channel_announcement' | 'node_announcement' | 'channel_update';

/**
 * Where the signed part starts, counting the 2-byte type. BOLT 7: channel_announcement "the
 * double-SHA256 hash h of the message, beginning at offset 256" (after the four signatures);
 * node_announcement and channel_update: "the entire remaining packet after signature".
 */
export const SIGNED_FROM: Readonly<Record<GossipType, number>> = {
  channel_announcement: fieldOffset('channel_announcement', 'features'),
  node_announcement: fieldOffset('node_announcement', 'features'),
  channel_update: fieldOffset('channel_update', 'chain_hash'),
};

export function gossipType(raw: Uint8Array): GossipType | undefined {
  const t = readType(raw);
  return t === CHANNEL_ANNOUNCEMENT
    ? 'channel_announcement'
    : t === NODE_ANNOUNCEMENT
      ? 'node_announcement'
      : t === CHANNEL_UPDATE
        ? 'channel_update'
        : undefined;
}

/** The digest a gossip message's signatures sign: sha256d of the raw bytes after the signatures. */
export function gossipDigest(raw: Uint8Array): Uint8Array {
  const type = gossipType(raw);
  if (!type) throw new DecodeError('not_gossip', 'not a channel_announcement, node_announcement or channel_update');
  const from = SIGNED_FROM[type];
  if (raw.length < from) throw new DecodeError('short_read', `${type} shorter than its signatures`);
  return sha256d(raw.subarray(from));
}

/** The fields of the channel_update held for one direction. */
export interface KnownUpdate {
  timestamp: number;
  message_flags: number;
  channel_flags: number;
  cltv_expiry_delta: number;
  htlc_minimum_msat: bigint;
  fee_base_msat: number;
  fee_proportional_millionths: number;
  htlc_maximum_msat: bigint;
}

export interface ChannelAnnouncementPeek {
  type: 'channel_announcement';
  features: Uint8Array;
  chain_hash: Uint8Array;
  short_channel_id: bigint;
  node_id_1: Uint8Array;
  node_id_2: Uint8Array;
}

/** Every fixed field of a channel_update: the message is fixed-size, so this is a full read. */
export interface ChannelUpdatePeek extends Omit<KnownUpdate, 'htlc_maximum_msat'> {
  type: 'channel_update';
  chain_hash: Uint8Array;
  short_channel_id: bigint;
  /** Absent only in a pre-2022 update too short to carry it (BOLT 7 now makes it mandatory). */
  htlc_maximum_msat: bigint | undefined;
}

export interface NodeAnnouncementPeek {
  type: 'node_announcement';
  features: Uint8Array;
  node_id: Uint8Array;
  timestamp: number;
  rgb_color: Uint8Array;
  alias: Uint8Array;
  /** The raw `addresses` field (address.ts parses it). */
  addresses: Uint8Array;
}

export type GossipPeek = ChannelAnnouncementPeek | ChannelUpdatePeek | NodeAnnouncementPeek;

/**
 * Reads the fields the graph keeps (for channel_update all fixed fields) without decoding the
 * whole message: the duplicate check before any signature check, and loading the store (whose
 * records all passed validation once). Throws DecodeError if the bytes are not a gossip message or
 * are too short. Returned byte fields are views into `raw`.
 */
export function peekGossip(raw: Uint8Array): GossipPeek {
  const type = gossipType(raw);
  if (!type) throw new DecodeError('not_gossip', 'not a channel_announcement, node_announcement or channel_update');
  const r = new Reader(raw);
  r.pos = SIGNED_FROM[type];
  try {
    if (type === 'channel_announcement') {
      const features = r.bytes(r.u16('features length'), 'features');
      const chain_hash = r.bytes(32, 'chain_hash');
      const short_channel_id = r.u64('short_channel_id');
      const node_id_1 = r.bytes(33, 'node_id_1');
      const node_id_2 = r.bytes(33, 'node_id_2');
      return { type, features, chain_hash, short_channel_id, node_id_1, node_id_2 };
    }
    if (type === 'node_announcement') {
      const features = r.bytes(r.u16('features length'), 'features');
      const timestamp = r.u32('timestamp');
      const node_id = r.bytes(33, 'node_id');
      const rgb_color = r.bytes(3, 'rgb_color');
      const alias = r.bytes(32, 'alias');
      const addresses = r.bytes(r.u16('addrlen'), 'addresses');
      return { type, features, node_id, timestamp, rgb_color, alias, addresses };
    }
    const chain_hash = r.bytes(32, 'chain_hash');
    const short_channel_id = r.u64('short_channel_id');
    const timestamp = r.u32('timestamp');
    const message_flags = r.u8('message_flags');
    const channel_flags = r.u8('channel_flags');
    const cltv_expiry_delta = r.u16('cltv_expiry_delta');
    const htlc_minimum_msat = r.u64('htlc_minimum_msat');
    const fee_base_msat = r.u32('fee_base_msat');
    const fee_proportional_millionths = r.u32('fee_proportional_millionths');
    const htlc_maximum_msat = r.remaining >= 8 ? r.u64('htlc_maximum_msat') : undefined;
    return {
      type,
      chain_hash,
      short_channel_id,
      timestamp,
      message_flags,
      channel_flags,
      cltv_expiry_delta,
      htlc_minimum_msat,
      fee_base_msat,
      fee_proportional_millionths,
      htlc_maximum_msat,
    };
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(e.code, `${type}: ${e.message}`);
    throw e;
  }
}
