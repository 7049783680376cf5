// Loading the gossip store into the graph on start (design.md "start"): the store is trusted, it
// only ever holds what passed validation, so no signature is checked and only the fields the graph
// keeps are read (peek.ts). No message is kept: answers read them back (raw.ts); only each
// channel_update's checksum is kept beside the graph. Also the conflicted short_channel_ids of
// earlier runs, kept beside the store.
import { BoltError, DecodeError } from '../../base/errors.ts';
import type { ChannelUpdateFields, Graph } from '../../gossip/graph.ts';
import { peekGossip } from '../../gossip/peek.ts';
import { GossipStoreError, type GossipRecord, type GossipStore } from '../../gossip/store.ts';
import type { FundingIndex } from './maintain.ts';
import type { RawGossip } from './raw.ts';
import type { GossipdStats, Log } from './types.ts';

/** Store meta key of the short_channel_ids announced with two key sets (comma-separated). */
export const CONFLICTS_META = 'conflicted_scids';

export interface LoadTarget {
  graph: Graph;
  raw: RawGossip;
  funding: FundingIndex;
  store: GossipStore;
  log: Log;
  stats: GossipdStats;
}

/** Fills the graph from the store; returns the number of records read. */
export async function loadStore(t: LoadTarget): Promise<number> {
  let records = 0;
  const g = t.graph;
  // A channel_announcement rewritten later in the log (with its spent_height) comes after its
  // channel_updates: what finds no channel or node yet is applied once the rest is in.
  let later: GossipRecord[] = [];
  const apply = (r: GossipRecord, last: boolean): void => {
    try {
      const m = peekGossip(r.raw);
      switch (m.type) {
        case 'channel_announcement':
          if (g.addChannel(m, r.extra?.amount_sat)) t.raw.setChannelKeys(m.short_channel_id, r.raw, m);
          if (r.extra?.funding_txid) t.funding.add(m.short_channel_id, r.extra.funding_txid);
          // Seen spent before the restart: still forgotten 12 blocks after the spend.
          if (r.extra?.spent_height) g.markSpent(m.short_channel_id, r.extra.spent_height);
          return;
        case 'channel_update':
          if (m.htlc_maximum_msat === undefined) throw new DecodeError('short_read', 'channel_update without htlc_maximum_msat');
          if (!last && g.findChannel(m.short_channel_id) < 0) return void later.push(r);
          if (g.applyChannelUpdate(m as ChannelUpdateFields)) t.raw.setUpdate(m.short_channel_id, (m.channel_flags & 1) as 0 | 1, r.raw);
          return;
        case 'node_announcement':
          if (!last && g.findNode(m.node_id) < 0) return void later.push(r);
          g.applyNodeAnnouncement(m);
          return;
      }
    } catch (e) {
      if (!(e instanceof BoltError)) throw e;
      t.stats.load_errors++;
    }
  };
  const load = t.store.load(r => {
    records++;
    apply(r, false);
  });
  try {
    const result = await load;
    // Updates first, then node_announcements (a node needs its channel, not its updates).
    const held = later.sort((a, b) => b.type - a.type);
    later = [];
    for (const r of held) apply(r, true);
    // A torn tail (a batch never acknowledged) is normal after a crash; more is worth a line.
    if (result.discarded > 0) t.log.info(`gossipd: the gossip store dropped ${result.discarded} bytes after its last whole batch`);
  } catch (e) {
    // A store that cannot be read (damaged, or written by something else) must not keep the
    // node from starting: gossip can be fetched from peers again. The stores read the whole log
    // before handing out a record, so nothing of it reached the graph.
    if (!(e instanceof GossipStoreError) || e.code !== 'corrupt' || records > 0) throw e;
    t.log.warn(`gossipd: the gossip store is unreadable (${e.message}); starting again from an empty one`);
    t.stats.load_errors++;
    await t.store.clear();
  }
  return records;
}

/** The conflicted short_channel_ids an earlier run saved (CONFLICTS_META), malformed entries left out. */
export async function savedConflicts(store: GossipStore): Promise<bigint[]> {
  const saved = store.getMeta ? await store.getMeta(CONFLICTS_META).catch(() => undefined) : undefined;
  if (!saved) return [];
  return saved
    .split(',')
    .filter(t => /^[0-9]{1,20}$/.test(t))
    .map(t => BigInt(t));
}
