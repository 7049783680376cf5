// The raw gossip behind the graph: every message exactly as it was signed, for answering
// query_short_channel_ids, gossip_timestamp_filter and relaying (BOLT 7 "Rebroadcasting": "store
// the signature associated with the announcement ... this will later allow the node to rebuild
// the announcement for its peers"). The bytes stay in the gossip store and are read back when a
// peer asks (GossipStore.read); what is kept here is what answering a range query needs without
// reading anything: each channel_update's checksum (BOLT 7 checksums_tlv), 4 bytes per direction in
// a typed array beside the graph's own (timestamps come from the graph). Nothing here holds a
// message, so a mainnet graph costs its graph and 0.8 MB more, not the 50 MB of its messages.
import { channelUpdateChecksum } from '../../gossip/checksum.ts';
import type { Graph } from '../../gossip/graph.ts';
import { announcementKeys, keyDigest } from '../../gossip/validate.ts';
import {
  channelUpdateKey,
  STORE_CHANNEL_ANNOUNCEMENT,
  STORE_CHANNEL_UPDATE,
  STORE_NODE_ANNOUNCEMENT,
  type GossipKeyRef,
} from '../../gossip/store.ts';

/** Reads raw messages back by key (gossipd: the store, behind the writes queued before). */
export type RawReader = (keys: readonly GossipKeyRef[]) => Promise<(Uint8Array | undefined)[]>;

/** Our channel_update for one direction, as answering and syncing compare it. */
export interface UpdateInfo {
  timestamp: number;
  checksum: number;
}

export const channelRef = (short_channel_id: bigint): GossipKeyRef => ({ type: STORE_CHANNEL_ANNOUNCEMENT, key: short_channel_id });
export const updateRef = (short_channel_id: bigint, direction: 0 | 1): GossipKeyRef => ({
  type: STORE_CHANNEL_UPDATE,
  key: channelUpdateKey(short_channel_id, direction),
});
export const nodeRef = (node_id_hex: string): GossipKeyRef => ({ type: STORE_NODE_ANNOUNCEMENT, key: node_id_hex });

export class RawGossip {
  /** channel_update checksums by graph channel slot * 2 + direction (valid where the graph holds an update). */
  private checksums = new Uint32Array(0);

  constructor(
    private readonly graph: Graph,
    /** Reads messages back; the store's read, behind queued writes. */
    readonly read: RawReader,
  ) {}

  /** Key digests (validate.ts keyDigest) by graph channel slot, 16 bytes each: a second announcement with other keys is a conflict, not a duplicate. */
  private keys = new Uint8Array(0);

  /** The graph just added this channel (`raw`, its channel_announcement): keep its key digest. */
  setChannelKeys(short_channel_id: bigint, raw: Uint8Array, peek?: { features: Uint8Array }): void {
    const c = this.graph.findChannel(short_channel_id);
    if (c < 0) return;
    if (16 * (c + 1) > this.keys.length) {
      const grown = new Uint8Array(16 * Math.max(1024, this.graph.channelSlots + 1, (this.keys.length / 16) * 2));
      grown.set(this.keys);
      this.keys = grown;
    }
    this.keys.set(keyDigest(announcementKeys(raw, peek)), 16 * c);
  }

  /** The key digest of the channel's announcement, or undefined when the graph does not hold the channel. */
  channelKeys(short_channel_id: bigint): Uint8Array | undefined {
    const c = this.graph.findChannel(short_channel_id);
    if (c < 0 || 16 * (c + 1) > this.keys.length) return undefined;
    return this.keys.subarray(16 * c, 16 * (c + 1));
  }

  /** The graph just applied this channel_update (`raw`): keep what range replies need of it. */
  setUpdate(short_channel_id: bigint, direction: 0 | 1, raw: Uint8Array): void {
    const c = this.graph.findChannel(short_channel_id);
    if (c < 0) return;
    if (2 * c + 1 >= this.checksums.length) {
      const grown = new Uint32Array(Math.max(1024, 2 * this.graph.channelSlots + 2, this.checksums.length * 2));
      grown.set(this.checksums);
      this.checksums = grown;
    }
    this.checksums[2 * c + direction] = channelUpdateChecksum(raw);
  }

  /** Whether the graph holds a channel_update for that direction (no allocation: on the path of every update). */
  hasUpdate(short_channel_id: bigint, direction: 0 | 1): boolean {
    const c = this.graph.findChannel(short_channel_id);
    return c >= 0 && this.graph.updateTimestampAt(c, direction) >= 0;
  }

  /** Our latest channel_update for that direction: its timestamp (from the graph) and checksum, or undefined. */
  update(short_channel_id: bigint, direction: 0 | 1): UpdateInfo | undefined {
    const c = this.graph.findChannel(short_channel_id);
    if (c < 0) return undefined;
    const t = this.graph.updateTimestampAt(c, direction);
    return t < 0 ? undefined : { timestamp: t, checksum: this.checksums[2 * c + direction] ?? 0 };
  }

  /**
   * A channel's two ends as the sync asks for their node_announcements: each node id (hex), or
   * undefined where we hold that node's node_announcement; undefined while the graph lacks the channel.
   */
  unannouncedEnds(short_channel_id: bigint): [string | undefined, string | undefined] | undefined {
    const c = this.graph.findChannel(short_channel_id);
    if (c < 0) return undefined;
    const [n1, n2] = this.graph.nodesAt(c);
    const unannounced = (n: number) => (this.graph.nodeTimestampAt(n) >= 0 ? undefined : this.graph.nodeHex(n));
    return [unannounced(n1), unannounced(n2)];
  }
}
