// Reading and feeding LDK's NetworkGraph (lightning/src/routing/gossip.rs) with raw BOLT 7 messages,
// so a test can make LDK hold gossip and later serve it to our node.
import * as ldk from 'lightningdevkit';
import { toHex } from '../../../src/core/base/bytes.ts';

/** BOLT 7 message types the graph takes. */
export const CHANNEL_ANNOUNCEMENT = 256;
export const NODE_ANNOUNCEMENT = 257;
export const CHANNEL_UPDATE = 258;

export interface LdkChannelUpdateInfo {
  timestamp: number;
  enabled: boolean;
  cltvExpiryDelta: number;
  htlcMinimumMsat: bigint;
  htlcMaximumMsat: bigint;
  feeBaseMsat: number;
  feeProportionalMillionths: number;
}

export interface LdkChannel {
  shortChannelId: bigint;
  /** `block x tx x output`, as Core Lightning prints it. */
  scid: string;
  node1: string;
  node2: string;
  capacitySats?: bigint;
  /** Direction 0 (channel_flags bit 0 = 0: from node_1) and direction 1. */
  oneToTwo?: LdkChannelUpdateInfo;
  twoToOne?: LdkChannelUpdateInfo;
  /** Whether LDK kept the signed announcement (it serves only those in a sync). */
  hasAnnouncement: boolean;
}

export interface LdkNode {
  nodeId: string;
  channels: bigint[];
  /** last_update of the node_announcement LDK holds, if any. */
  announcementTimestamp?: number;
  alias?: string;
}

export interface LdkGraphSnapshot {
  channels: LdkChannel[];
  nodes: LdkNode[];
}

export function scidString(scid: bigint): string {
  return `${scid >> 40n}x${(scid >> 16n) & 0xffffffn}x${scid & 0xffffn}`;
}

function updateInfo(u: ldk.ChannelUpdateInfo | null): LdkChannelUpdateInfo | undefined {
  if (!u) return undefined;
  const fees = u.get_fees();
  return {
    timestamp: u.get_last_update(),
    enabled: u.get_enabled(),
    cltvExpiryDelta: u.get_cltv_expiry_delta(),
    htlcMinimumMsat: u.get_htlc_minimum_msat(),
    htlcMaximumMsat: u.get_htlc_maximum_msat(),
    feeBaseMsat: fees.get_base_msat(),
    feeProportionalMillionths: fees.get_proportional_millionths(),
  };
}

function aliasString(a: Uint8Array): string {
  let end = a.length;
  while (end > 0 && a[end - 1] === 0) end--;
  return new TextDecoder().decode(a.subarray(0, end));
}

/** Everything LDK's graph holds, copied out; the graph's read lock is released before returning. */
export function snapshotGraph(graph: ldk.NetworkGraph): LdkGraphSnapshot {
  const ro = graph.read_only();
  try {
    const channels: LdkChannel[] = [];
    for (const scid of ro.list_channels()) {
      const c = ro.channel(scid);
      if (!c) continue;
      const cap = c.get_capacity_sats();
      const ch: LdkChannel = {
        shortChannelId: scid,
        scid: scidString(scid),
        node1: toHex(c.get_node_one().as_slice()),
        node2: toHex(c.get_node_two().as_slice()),
        hasAnnouncement: c.get_announcement_message() != null,
      };
      if (cap instanceof ldk.Option_u64Z_Some) ch.capacitySats = cap.some;
      const a = updateInfo(c.get_one_to_two());
      const b = updateInfo(c.get_two_to_one());
      if (a) ch.oneToTwo = a;
      if (b) ch.twoToOne = b;
      channels.push(ch);
    }
    channels.sort((x, y) => (x.shortChannelId < y.shortChannelId ? -1 : x.shortChannelId > y.shortChannelId ? 1 : 0));
    const nodes: LdkNode[] = [];
    for (const id of ro.list_nodes()) {
      const n = ro.node(id);
      if (!n) continue;
      const node: LdkNode = { nodeId: toHex(id.as_slice()), channels: n.get_channels() };
      const info = n.get_announcement_info();
      if (info instanceof ldk.Option_NodeAnnouncementInfoZ_Some) {
        node.announcementTimestamp = info.some.last_update();
        node.alias = aliasString(info.some.alias().get_a());
      }
      nodes.push(node);
    }
    nodes.sort((x, y) => (x.nodeId < y.nodeId ? -1 : x.nodeId > y.nodeId ? 1 : 0));
    return { channels, nodes };
  } finally {
    ro.free();
  }
}

function lightningErr(r: ldk.Result_NoneLightningErrorZ, what: string): void {
  if (r instanceof ldk.Result_NoneLightningErrorZ_Err) throw new Error(`LDK rejected ${what}: ${r.err.get_err()}`);
}

function decodeErr(what: string, err: unknown): never {
  const name = err && typeof err === 'object' ? err.constructor.name : String(err);
  throw new Error(`LDK could not decode ${what}: ${name}`);
}

/**
 * Puts one signed gossip message (a whole wire message: u16 type, then the body) into LDK's graph,
 * as if it had passed LDK's own validation. Signatures are checked; the funding output is not
 * (no UTXO lookup: `update_channel_from_announcement_no_lookup`). A channel_update needs its
 * channel first. Throws with LDK's reason when LDK refuses the message.
 */
export function addGossip(graph: ldk.NetworkGraph, wire: Uint8Array): void {
  if (wire.length < 2) throw new Error('gossip message shorter than its type');
  const type = (wire[0]! << 8) | wire[1]!;
  const body = wire.subarray(2);
  switch (type) {
    case CHANNEL_ANNOUNCEMENT: {
      const r = ldk.ChannelAnnouncement.constructor_read(body);
      if (!(r instanceof ldk.Result_ChannelAnnouncementDecodeErrorZ_OK))
        return decodeErr('channel_announcement', (r as ldk.Result_ChannelAnnouncementDecodeErrorZ_Err).err);
      return lightningErr(graph.update_channel_from_announcement_no_lookup(r.res), 'channel_announcement');
    }
    case NODE_ANNOUNCEMENT: {
      const r = ldk.NodeAnnouncement.constructor_read(body);
      if (!(r instanceof ldk.Result_NodeAnnouncementDecodeErrorZ_OK))
        return decodeErr('node_announcement', (r as ldk.Result_NodeAnnouncementDecodeErrorZ_Err).err);
      return lightningErr(graph.update_node_from_announcement(r.res), 'node_announcement');
    }
    case CHANNEL_UPDATE: {
      const r = ldk.ChannelUpdate.constructor_read(body);
      if (!(r instanceof ldk.Result_ChannelUpdateDecodeErrorZ_OK))
        return decodeErr('channel_update', (r as ldk.Result_ChannelUpdateDecodeErrorZ_Err).err);
      return lightningErr(graph.update_channel(r.res), 'channel_update');
    }
    default:
      throw new Error(`not a gossip message LDK's graph takes: type ${type}`);
  }
}

/** The signed channel_announcement LDK holds for `scid`, as a wire message (with its type). */
export function channelAnnouncementWire(graph: ldk.NetworkGraph, scid: bigint): Uint8Array | undefined {
  const ro = graph.read_only();
  try {
    const msg = ro.channel(scid)?.get_announcement_message();
    if (!msg) return undefined;
    const body = msg.write();
    const out = new Uint8Array(2 + body.length);
    out[0] = CHANNEL_ANNOUNCEMENT >> 8;
    out[1] = CHANNEL_ANNOUNCEMENT & 0xff;
    out.set(body, 2);
    return out;
  } finally {
    ro.free();
  }
}
