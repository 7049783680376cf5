// Forgetting channels (BOLT 7 "Pruning the Network View", "Recommendation on Pruning Stale
// Entries"): stale ones on the maintenance timer (maintain.ts), spent ones once the chain says so,
// conflicted ones at once; each out of the graph, the raw index, the funding watch and the store,
// with the nodes left without a channel. Also the store's compaction, on the same timer.
import { toHex } from '../../base/bytes.ts';
import { BoltError } from '../../base/errors.ts';
import type { Graph } from '../../gossip/graph.ts';
import { peekGossip } from '../../gossip/peek.ts';
import {
  channelUpdateKey,
  shouldCompact,
  STORE_CHANNEL_ANNOUNCEMENT,
  STORE_CHANNEL_UPDATE,
  STORE_NODE_ANNOUNCEMENT,
  type GossipKeyRef,
} from '../../gossip/store.ts';
import type { FundingIndex } from './maintain.ts';
import { channelRef, type RawGossip } from './raw.ts';
import type { GossipdStats } from './types.ts';
import type { StoreWriter } from './writer.ts';

export interface PruneDeps {
  graph: Graph;
  raw: RawGossip;
  writer: () => StoreWriter;
  funding: FundingIndex;
  stats: GossipdStats;
  /** UNIX seconds. */
  now(): number;
  /** Waits for the gossip received so far to be applied (ingest.ts drain). */
  drain(): Promise<void>;
  /** A channel is gone (its short_channel_id), or with `undefined`, some nodes: drop what waits to be relayed of them. */
  dropped(short_channel_id: bigint | undefined): void;
  changed(): void;
}

export class Pruning {
  constructor(private readonly d: PruneDeps) {}

  /**
   * BOLT 7 "Recommendation on Pruning Stale Entries": forgets channels whose channel_updates are
   * all older than two weeks (graph.ts pruneStale), and nodes left without a channel ("MAY purge
   * the origin node"), in the graph, the raw index and the store.
   */
  async prune(): Promise<bigint[]> {
    await this.d.drain();
    const gone = this.d.graph.pruneStale(this.d.now());
    this.d.stats.pruned_stale += gone.length;
    await this.forget(gone);
    return gone;
  }

  /** The maintenance timer's run: prune stale channels, then compact the store when most of it is dead records (store.ts `shouldCompact`). */
  async maintain(): Promise<void> {
    await this.prune();
    const ok = await this.d.writer().after('compacting the gossip store', async store => {
      if (!shouldCompact(await store.stats())) return;
      await store.compact();
      this.d.stats.compactions++;
    });
    if (!ok) this.d.stats.maintenance_errors++;
  }

  /** Channels the graph just removed: out of the funding watch and the store, with the nodes left without a channel. */
  async forget(gone: readonly bigint[]): Promise<void> {
    const { graph, raw, funding } = this.d;
    const deletes: GossipKeyRef[] = [];
    // Their ends, from their announcements (still in the store): the nodes the graph dropped with them.
    const anns = gone.length ? await raw.read(gone.map(channelRef)) : [];
    const nodes = new Set<string>();
    for (const a of anns) {
      try {
        const p = a && peekGossip(a);
        if (p?.type !== 'channel_announcement') continue;
        for (const id of [toHex(p.node_id_1), toHex(p.node_id_2)]) if (graph.findNode(id) < 0) nodes.add(id);
      } catch (e) {
        if (!(e instanceof BoltError)) throw e;
      }
    }
    for (const s of gone) {
      this.d.dropped(s);
      deletes.push(
        { type: STORE_CHANNEL_ANNOUNCEMENT, key: s },
        { type: STORE_CHANNEL_UPDATE, key: channelUpdateKey(s, 0) },
        { type: STORE_CHANNEL_UPDATE, key: channelUpdateKey(s, 1) },
      );
    }
    this.d.dropped(undefined);
    for (const id of nodes) deletes.push({ type: STORE_NODE_ANNOUNCEMENT, key: id });
    if (deletes.length) {
      await this.d.writer().after('pruning the store', store => store.delete(deletes));
    }
    if (gone.length) {
      funding.retain(s => graph.findChannel(s) >= 0);
      this.d.changed();
    }
  }
}
