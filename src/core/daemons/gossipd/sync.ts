// Syncing the graph from peers (BOLT 7 "Query Messages"). With each peer that offers
// `gossip_queries` (up to `syncPeers` at a time):
//   1. query_channel_range for the whole chain (first_blocknum 0, number_of_blocks 0xffffffff);
//      collect reply_channel_range until the replies cover the range;
//   2. query_short_channel_ids for the channels we lack, `scidsPerQuery` per query, one
//      outstanding at a time ("MUST NOT send query_short_channel_ids if it has sent a previous
//      query_short_channel_ids to this peer and not received reply_short_channel_ids_end");
//   3. gossip_timestamp_filter from now on, so the peer relays new gossip to us.
// Several peers: every peer lists its channels (8 bytes each, cheap), but each missing channel is
// asked of one peer only, the first that listed it: asking all would download the graph once per
// peer and leave the duplicate checks to throw the copies away. When that peer fails (a timeout,
// full_information 0, a disconnect), its channels go to another peer that listed them.
// LDK 0.1 never answers query_short_channel_ids: the query times out, and that peer gets
// gossip_timestamp_filter with first_timestamp 0, which makes it send everything (it sends all
// gossip on any filter anyway); the duplicate checks keep that cheap.
import { equal } from '../../bytes.ts';
import { BoltError, ProtocolError } from '../../errors.ts';
import { decodeShortChannelIdsAsync, encodeShortChannelIds, type InflateAsync } from '../../gossip/encoding.ts';
import type { Message, MessageOf } from '../../wire/messages.ts';
import type { Clock, GossipdConfig, Log } from './types.ts';

const U32_MAX = 0xffffffff;

export type PeerSyncState = 'range' | 'scids' | 'done';

export interface SyncHost {
  send(id: string, m: Message): void;
  /** The graph has this channel, or its announcement is being verified. */
  known(short_channel_id: bigint): boolean;
  /** UNIX seconds. */
  now(): number;
  bad(id: string, err: BoltError): void;
  changed(): void;
}

interface PeerSync {
  id: string;
  state: PeerSyncState;
  /** Every short_channel_id this peer listed. */
  offered: Set<bigint>;
  /** Highest first_blocknum + number_of_blocks seen in its replies. */
  rangeEnd: number;
  /** Channels assigned to this peer, not yet asked for. */
  queue: bigint[];
  outstanding: bigint[] | undefined;
  timer: unknown;
  /** Gave up on queries: asked for everything with a timestamp filter from 0. */
  fallback: boolean;
  filterSent: boolean;
}

export class Syncer {
  private readonly peers = new Map<string, PeerSync>();
  /** short_channel_id → the peer asked for it. */
  private readonly owner = new Map<bigint, string>();
  /** Every channel some peer listed. */
  readonly expected = new Set<bigint>();
  /** Peers that finished a sync (or gave up on one). */
  completed = 0;

  constructor(
    private readonly chainHash: Uint8Array,
    private readonly host: SyncHost,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly config: GossipdConfig,
    private readonly inflate: InflateAsync | undefined,
  ) {}

  get syncing(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.state !== 'done') n++;
    return n;
  }

  stateOf(id: string): PeerSyncState | undefined {
    return this.peers.get(id)?.state;
  }

  /** A new peer: sync from it if it offers gossip_queries and we are not syncing from enough peers already. */
  start(id: string, offersQueries: boolean): void {
    if (!offersQueries) {
      // BOLT 7 gossip_timestamp_filter: "If the receiver does not offer gossip_queries: SHOULD set
      // first_timestamp to 0xFFFFFFFF and timestamp_range to 0."
      this.sendFilter(id, U32_MAX, 0);
      return;
    }
    const p: PeerSync = { id, state: 'done', offered: new Set(), rangeEnd: 0, queue: [], outstanding: undefined, timer: undefined, fallback: false, filterSent: false };
    this.peers.set(id, p);
    if (this.syncing >= this.config.syncPeers) {
      this.finish(p);
      return;
    }
    p.state = 'range';
    this.host.send(id, { name: 'query_channel_range', chain_hash: this.chainHash, first_blocknum: 0, number_of_blocks: U32_MAX });
    this.arm(p, this.config.rangeTimeoutMs);
    this.host.changed();
  }

  gone(id: string): void {
    const p = this.peers.get(id);
    if (!p) return;
    this.disarm(p);
    this.peers.delete(id);
    this.reassign([...p.queue, ...(p.outstanding ?? [])], id);
    this.host.changed();
  }

  /** Any gossip from a peer we are waiting on: it is answering, not stalled. */
  heard(id: string): void {
    const p = this.peers.get(id);
    if (p?.state === 'scids' && p.outstanding) this.arm(p, this.config.scidTimeoutMs);
  }

  async replyChannelRange(id: string, m: MessageOf<'reply_channel_range'>): Promise<void> {
    const p = this.peers.get(id);
    if (!equal(m.chain_hash, this.chainHash)) throw new ProtocolError('wrong_chain', 'reply_channel_range for another chain');
    if (!p || p.state !== 'range') throw new ProtocolError('unexpected_reply', 'reply_channel_range without query_channel_range');
    const scids = await decodeShortChannelIdsAsync(m.encoded_short_ids, this.inflate);
    if (this.peers.get(id) !== p || p.state !== 'range') return;
    for (const s of scids) {
      p.offered.add(s);
      this.expected.add(s);
    }
    p.rangeEnd = Math.max(p.rangeEnd, m.first_blocknum + m.number_of_blocks);
    // BOLT 7: "the final reply_channel_range message: MUST have first_blocknum plus
    // number_of_blocks equal or greater than the query_channel_range first_blocknum plus
    // number_of_blocks". sync_complete is not relied on: older peers set it on every reply.
    if (p.rangeEnd >= U32_MAX) {
      p.state = 'scids';
      for (const s of [...p.offered].sort(cmp)) {
        if (this.owner.has(s) || this.host.known(s)) continue;
        this.owner.set(s, id);
        p.queue.push(s);
      }
      this.next(p);
    } else {
      this.arm(p, this.config.rangeTimeoutMs);
    }
    this.host.changed();
  }

  replyShortChannelIdsEnd(id: string, m: MessageOf<'reply_short_channel_ids_end'>): void {
    const p = this.peers.get(id);
    if (!equal(m.chain_hash, this.chainHash)) throw new ProtocolError('wrong_chain', 'reply_short_channel_ids_end for another chain');
    if (!p?.outstanding) throw new ProtocolError('unexpected_reply', 'reply_short_channel_ids_end without query_short_channel_ids');
    const asked = p.outstanding;
    p.outstanding = undefined;
    this.disarm(p);
    for (const s of asked) if (this.owner.get(s) === id) this.owner.delete(s);
    // "full_information ... 0 ... does not maintain up-to-date channel information": ask someone else.
    if (m.full_information === 0) this.reassign(asked, id);
    this.next(p);
    this.host.changed();
  }

  /** The next query_short_channel_ids for this peer, or the end of its sync. */
  private next(p: PeerSync): void {
    const chunk: bigint[] = [];
    p.queue.sort(cmp);
    while (p.queue.length && chunk.length < this.config.scidsPerQuery) {
      const s = p.queue.shift()!;
      if (this.host.known(s)) {
        if (this.owner.get(s) === p.id) this.owner.delete(s);
        continue;
      }
      chunk.push(s);
    }
    if (!chunk.length) {
      this.finish(p);
      return;
    }
    p.state = 'scids';
    p.outstanding = chunk;
    this.host.send(p.id, { name: 'query_short_channel_ids', chain_hash: this.chainHash, encoded_short_ids: encodeShortChannelIds(chunk) });
    this.arm(p, this.config.scidTimeoutMs);
  }

  private finish(p: PeerSync): void {
    this.disarm(p);
    if (p.state !== 'done') this.completed++;
    p.state = 'done';
    if (!p.filterSent) {
      p.filterSent = true;
      // From now: new gossip only. After a fallback: everything (LDK sends it all on any filter).
      this.sendFilter(p.id, p.fallback ? 0 : this.host.now(), U32_MAX);
    }
    this.host.changed();
  }

  private sendFilter(id: string, first_timestamp: number, timestamp_range: number): void {
    this.host.send(id, { name: 'gossip_timestamp_filter', chain_hash: this.chainHash, first_timestamp, timestamp_range });
  }

  private timeout(p: PeerSync): void {
    p.timer = undefined;
    if (this.peers.get(p.id) !== p || p.state === 'done') return;
    this.log.info(`gossipd: ${p.id} did not answer ${p.state === 'range' ? 'query_channel_range' : 'query_short_channel_ids'}; asking for everything with gossip_timestamp_filter`);
    const left = [...p.queue, ...(p.outstanding ?? [])];
    p.queue = [];
    p.outstanding = undefined;
    p.fallback = true;
    this.reassign(left, p.id);
    this.finish(p);
  }

  /** Hands channels a peer could not deliver to another peer that listed them. */
  private reassign(scids: readonly bigint[], from: string): void {
    const kick = new Set<PeerSync>();
    for (const s of scids) {
      if (this.owner.get(s) === from) this.owner.delete(s);
      if (this.owner.has(s) || this.host.known(s)) continue;
      for (const q of this.peers.values()) {
        if (q.id === from || q.fallback || q.state === 'range' || !q.offered.has(s)) continue;
        this.owner.set(s, q.id);
        q.queue.push(s);
        kick.add(q);
        break;
      }
    }
    for (const q of kick) if (!q.outstanding) this.next(q);
  }

  private arm(p: PeerSync, ms: number): void {
    this.disarm(p);
    p.timer = this.clock.setTimeout(() => this.timeout(p), ms);
  }

  private disarm(p: PeerSync): void {
    if (p.timer !== undefined) this.clock.clearTimeout(p.timer);
    p.timer = undefined;
  }

  close(): void {
    for (const p of this.peers.values()) this.disarm(p);
  }
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
