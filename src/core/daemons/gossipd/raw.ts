// The raw bytes of every gossip message the graph holds, so gossipd can answer
// query_short_channel_ids and gossip_timestamp_filter with the messages exactly as they were
// signed (BOLT 7 "Rebroadcasting": "store the signature associated with the announcement ... this
// will later allow the node to rebuild the announcement for its peers"). The graph (graph.ts)
// keeps only the parsed fields; this keeps the bytes beside it, keyed as the store keys them.

export class RawGossip {
  /** short_channel_id → channel_announcement. */
  readonly channels = new Map<bigint, Uint8Array>();
  /** short_channel_id*2 + direction → channel_update. */
  readonly updates = new Map<bigint, Uint8Array>();
  /** node_id hex → node_announcement. */
  readonly nodes = new Map<string, Uint8Array>();

  update(short_channel_id: bigint, direction: 0 | 1): Uint8Array | undefined {
    return this.updates.get((short_channel_id << 1n) | BigInt(direction));
  }

  setUpdate(short_channel_id: bigint, direction: 0 | 1, raw: Uint8Array): void {
    this.updates.set((short_channel_id << 1n) | BigInt(direction), raw);
  }

  /** Forgets a channel and its updates (the graph removed it). */
  dropChannel(short_channel_id: bigint): void {
    this.channels.delete(short_channel_id);
    this.updates.delete(short_channel_id << 1n);
    this.updates.delete((short_channel_id << 1n) | 1n);
  }
}
