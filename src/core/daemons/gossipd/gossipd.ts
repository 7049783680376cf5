// gossipd: owns BOLT 7 validation, the gossip store, the graph, gossip queries and sync with peers,
// and answers listnodes/listchannels/getroute (design.md). It holds no socket: connectd hands it
// each gossip message as the peer sent it (GossipLink) and sends what it answers (PeerLink);
// lightningd asks it what it knows (GossipdApi). Its pieces:
//   ingest.ts  gossip in: cheap checks, batched signature checks, applied in order
//   sync.ts    our queries: query_channel_range, query_short_channel_ids, gossip_timestamp_filter
//   answer.ts  their queries: reply_channel_range, the gossip for query_short_channel_ids
//   outbox.ts  answers and backfill to one peer, as its transport takes them
//   raw.ts     the raw gossip, read back from the store; update checksums beside the graph
//   relay.ts   passing accepted gossip on, staggered, within each peer's timestamp filter
//   rpc.ts     listnodes, listchannels, getroute parameters
//   maintain.ts  timers for pruning (stale, spent), compaction; the funding outpoints watched
// The store is trusted on load: it only ever holds what passed validation, so `load()` checks no
// signature (design.md "start").
import { equal, fromHex, toHex } from '../../base/bytes.ts';
import { BoltError, DecodeError } from '../../base/errors.ts';
import { FeatureVector } from '../../features/index.ts';
import { decodeQueryFlagsAsync, decodeShortChannelIdsAsync } from '../../gossip/encoding.ts';
import { fundingScriptPubKey } from '../../gossip/funding.ts';
import { Graph, type ChannelUpdateFields } from '../../gossip/graph.ts';
import { peekGossip } from '../../gossip/peek.ts';
import { parseAddresses } from '../../gossip/address.ts';
import {
  channelUpdateKey,
  STORE_CHANNEL_ANNOUNCEMENT,
  STORE_CHANNEL_UPDATE,
  STORE_NODE_ANNOUNCEMENT,
  shouldCompact,
  GossipStoreError,
  type GossipKeyRef,
  type GossipRecord,
  type GossipRecordExtra,
} from '../../gossip/store.ts';
import {
  announcementKeys,
  keyDigest,
  KEY_DIGEST_HALF,
  type Accepted,
  type GossipMessage,
  type GossipRules,
} from '../../gossip/validate.ts';
import { decodeMessage, encodeMessage, type Message, type MessageOf } from '../../wire/messages.ts';
import type { NetAddress } from '../../net/transport.ts';
import type { GossipLink } from '../connectd/types.ts';
import { unpackGossipBatch } from '../connectd/batch.ts';
import type { GossipdApi } from './interface.ts';
import {
  channelRangeReplies,
  filteredGossip,
  nodeForwardable,
  offeredChannels,
  offeredEnds,
  scidReplies,
  unknownChainReply,
} from './answer.ts';
import { Ingest } from './ingest.ts';
import { FundingIndex, Maintenance } from './maintain.ts';
import { Outbox } from './outbox.ts';
import { channelRef, RawGossip } from './raw.ts';
import { PeerScore } from './score.ts';
import { Relay, type TimestampFilter } from './relay.ts';
import { gossipRpc, type GossipRpcMethod } from './rpc.ts';
import { Syncer } from './sync.ts';
import { StoreWriter } from './writer.ts';
import {
  DEFAULT_GOSSIPD_CONFIG,
  type ChainSource,
  type GossipdConfig,
  type GossipdOptions,
  type GossipdStats,
  type SyncProgress,
} from './types.ts';

const PROGRESS_MS = 250;
/** The store's meta key for the last block the spend watch read. */
const SPEND_HEIGHT_META = 'spent_check_height';
/** The store's meta key for the conflicted short_channel_ids (decimal, comma-separated), so a restart keeps refusing them. */
const CONFLICTS_META = 'conflicted_scids';
/** At most this many conflicted short_channel_ids are remembered (the oldest are forgotten first). */
const MAX_CONFLICTS = 20_000;
/** At most this many disconnected peers are remembered for `banMs`. */
const MAX_BANS = 1_000;

interface PeerState {
  id: string;
  /** Its recent gossip, good and bad (score.ts). */
  score: PeerScore;
  /** When it was last warned (clock ms), and the warnings left out since (rate limit). */
  lastWarnAt: number;
  suppressed: number;
  /** Disconnected for misbehaving (or back before its ban ended): what it still sends is dropped. */
  banned: boolean;
  /** Its queries are answered one after another (BOLT 7 lets a peer have one of each kind unanswered). */
  answering: Promise<void>;
  /** Queries received and not fully answered yet (the one being answered included). */
  queries: number;
  /** Times it sent a query with `maxQueuedQueries` waiting already: warned once, disconnected the next time. */
  overruns: number;
  /** Answers and backfill to it, paced by its transport. */
  outbox: Outbox;
  /** The latest gossip_timestamp_filter, bumped `filterSeq` each time: the backfill of an older one stops. */
  filter: TimestampFilter | undefined;
  filterSeq: number;
  /** Its backfill is being sent (one at a time, whatever number of filters it sends). */
  backfilling: boolean;
}

/** At most this many channel_announcements accepted since the start wait in memory for their first channel_update (to relay them with it); older ones are read back. */
const FRESH_ANNOUNCEMENTS_MAX = 10_000;

/**
 * Gossip read back from the store may be a view into a buffer holding other records: posting a
 * view to another realm would clone that whole buffer, so a message goes in a buffer of its own.
 */
function ownBuffer(raw: Uint8Array): Uint8Array {
  return raw.byteOffset !== 0 || raw.byteLength !== raw.buffer.byteLength ? raw.slice() : raw;
}

export class Gossipd implements GossipLink, GossipdApi {
  readonly graph = new Graph();
  /** The raw gossip behind the graph: read back from the store (through the writer, so what is queued is found too). */
  readonly raw = new RawGossip(this.graph, keys => this.writer.read(keys));
  readonly config: GossipdConfig;
  readonly stats: GossipdStats = {
    received: 0,
    accepted: 0,
    duplicates: 0,
    ignored: 0,
    rejected: 0,
    verify_batches: 0,
    signatures_checked: 0,
    held: 0,
    relayed: 0,
    stored: 0,
    load_errors: 0,
    pruned_stale: 0,
    marked_spent: 0,
    pruned_spent: 0,
    compactions: 0,
    maintenance_errors: 0,
    held_bytes: 0,
    held_dropped: 0,
    conflicts: 0,
    unattributed: 0,
    warnings_suppressed: 0,
    peers_disconnected: 0,
  };
  private readonly rules: GossipRules;
  private readonly ingest: Ingest;
  private readonly syncer: Syncer;
  private readonly relay: Relay;
  private readonly peers = new Map<string, PeerState>();
  private readonly writer: StoreWriter;
  private relayTimer: unknown;
  /** channel_announcements accepted since the start that have no channel_update yet: relayed with their first one. */
  private readonly freshAnnouncements = new Map<bigint, Uint8Array>();
  private readonly nowSeconds: () => number;
  private closed = false;
  private lastProgress: { at: number; state: string } | undefined;
  /**
   * Channels some peer listed (the syncer's `expected`) that the graph does not hold, kept as they
   * come and go (graph.onChannel, the syncer's `listed`): progress() is asked for on every getinfo
   * and every PROGRESS_MS, and walking every listed channel each time cost more than a fifth of a
   * mainnet sync in Chromium (bench/wire-profile.ts).
   */
  private expectedMissing = 0;
  /** reply_short_channel_ids_end received whose answers are not all applied yet: not `synced` before. */
  private unapplied = 0;
  private progressTimer: unknown;
  /** Funding outpoints of the channels checked against the chain source, watched for spends. */
  private readonly funding = new FundingIndex();
  private readonly maintenance: Maintenance;
  /** The last block the chain source's spend watch read. */
  private chainHeight: number | undefined;
  /** Funding output checks started early (Ingest prefetch), by short_channel_id, taken by accept(). */
  private readonly lookups = new Map<bigint, ReturnType<ChainSource['fundingOutput']>>();
  /** Peers disconnected for bad gossip → until when (clock ms) they are not served again. */
  private readonly bans = new Map<string, number>();
  /** node_announcements waiting for one of their node's channel_announcements to be relayed first (hex node id). */
  private readonly nodesAwaitingRelay = new Map<string, { raw: Uint8Array; timestamp: number; origin: string }>();
  private conflictsSaving = false;

  constructor(private readonly o: GossipdOptions) {
    this.config = { ...DEFAULT_GOSSIPD_CONFIG, ...o.config };
    this.nowSeconds = o.now ?? (() => Math.floor(o.clock.now() / 1000));
    this.writer = new StoreWriter({
      store: o.store,
      clock: o.clock,
      log: o.log,
      batchMax: this.config.storeBatchMax,
      flushMs: this.config.storeFlushMs,
      stored: n => void (this.stats.stored += n),
    });
    this.rules = {
      chainHash: o.chainHash,
      now: this.nowSeconds,
      ...(o.nodeId && /^0[23][0-9a-fA-F]{64}$/.test(o.nodeId) ? { ownNodeId: fromHex(o.nodeId) } : {}),
      channelKeys: s => this.raw.channelKeys(s),
      fundingChecked: !!o.chainSource,
    };
    this.ingest = new Ingest(
      this.graph,
      this.rules,
      o.verifier,
      { accept: (a, peer) => this.accept(a, peer), bad: (peer, e, checked) => this.bad(peer, e, checked), prefetch: a => this.prefetch(a) },
      o.clock,
      o.log,
      this.config,
      this.stats,
    );
    this.graph.onChannel = (s, present) => {
      if (this.syncer.expected.has(s)) this.expectedMissing += present ? -1 : 1;
    };
    this.syncer = new Syncer(
      o.chainHash,
      {
        send: (id, m) => this.send(id, m),
        known: s => this.graph.findChannel(s) >= 0 || this.ingest.announcementInFlight(s),
        listed: s => {
          if (this.graph.findChannel(s) < 0) this.expectedMissing++;
        },
        // Still taking in what a peer sent: its silence meanwhile is ours (we do not read it), not its.
        busy: () => this.ingest.pending > 0,
        now: this.nowSeconds,
        bad: (id, e) => this.bad(id, e),
        changed: () => this.progressChanged(),
        // Our channel_updates and node_announcements, for the query_flags of a sync (sync.ts).
        raw: () => this.raw,
      },
      o.clock,
      o.log,
      this.config,
      o.inflate,
    );
    this.relay = new Relay(this.config.relayPerTick);
    const spends = !!o.chainSource?.newSpends;
    this.maintenance = new Maintenance(
      o.clock,
      o.log,
      [
        {
          name: 'maintenance',
          everyMs: this.config.maintenanceIntervalMs,
          firstMs: this.config.maintenanceFirstMs,
          run: () => this.maintain(),
        },
        {
          name: 'spend check',
          everyMs: spends ? this.config.spendCheckIntervalMs : 0,
          firstMs: this.config.maintenanceFirstMs,
          run: async () => void (await this.checkSpends()),
        },
      ],
      () => this.stats.maintenance_errors++,
    );
  }

  // ------------------------------------------------------------------ start and stop

  /**
   * Fills the graph from the store, checking no signature (the store holds only what passed) and
   * decoding only the fields the graph keeps (peek.ts). No message is kept: the store holds them
   * and answers read them back (raw.ts); only each channel_update's checksum is kept beside the graph.
   */
  async load(): Promise<{ channels: number; nodes: number; records: number }> {
    let records = 0;
    const g = this.graph;
    // A channel_announcement rewritten later in the log (with its spent_height) comes after its
    // channel_updates: what finds no channel or node yet is applied once the rest is in.
    let later: GossipRecord[] = [];
    const apply = (r: GossipRecord, last: boolean): void => {
      try {
        const m = peekGossip(r.raw);
        switch (m.type) {
          case 'channel_announcement':
            if (g.addChannel(m, r.extra?.amount_sat)) this.raw.setChannelKeys(m.short_channel_id, r.raw, m);
            if (r.extra?.funding_txid) this.funding.add(m.short_channel_id, r.extra.funding_txid);
            // Seen spent before the restart: still forgotten 12 blocks after the spend.
            if (r.extra?.spent_height) g.markSpent(m.short_channel_id, r.extra.spent_height);
            return;
          case 'channel_update':
            if (m.htlc_maximum_msat === undefined) throw new DecodeError('short_read', 'channel_update without htlc_maximum_msat');
            if (!last && g.findChannel(m.short_channel_id) < 0) return void later.push(r);
            if (g.applyChannelUpdate(m as ChannelUpdateFields))
              this.raw.setUpdate(m.short_channel_id, (m.channel_flags & 1) as 0 | 1, r.raw);
            return;
          case 'node_announcement':
            if (!last && g.findNode(m.node_id) < 0) return void later.push(r);
            g.applyNodeAnnouncement(m);
            return;
        }
      } catch (e) {
        if (!(e instanceof BoltError)) throw e;
        this.stats.load_errors++;
      }
    };
    const load = this.o.store.load(r => {
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
      if (result.discarded > 0) this.o.log.info(`gossipd: the gossip store dropped ${result.discarded} bytes after its last whole batch`);
    } catch (e) {
      // A store that cannot be read (damaged, or written by something else) must not keep the
      // node from starting: gossip can be fetched from peers again. The stores read the whole log
      // before handing out a record, so nothing of it reached the graph.
      if (!(e instanceof GossipStoreError) || e.code !== 'corrupt' || records > 0) throw e;
      this.o.log.warn(`gossipd: the gossip store is unreadable (${e.message}); starting again from an empty one`);
      this.stats.load_errors++;
      await this.o.store.clear();
    }
    await this.loadConflicts();
    this.progressChanged();
    return { channels: this.graph.channelCount, nodes: this.graph.nodeCount, records };
  }

  /** Verifies and applies everything received so far and writes it to the store. */
  async flush(): Promise<void> {
    await this.ingest.drain();
    await this.writer.flush();
  }

  /** Stops timers after a flush. The store and verifier stay the caller's to close. */
  async close(): Promise<void> {
    await this.maintenance.close();
    await this.flush();
    this.closed = true;
    this.lookups.clear();
    this.ingest.close();
    this.syncer.close();
    if (this.relayTimer !== undefined) this.o.clock.clearTimeout(this.relayTimer);
    this.writer.stopTimer();
    if (this.progressTimer !== undefined) this.o.clock.clearTimeout(this.progressTimer);
    this.relayTimer = this.progressTimer = undefined;
    for (const p of this.peers.values()) p.outbox.close();
  }

  /**
   * BOLT 7 "Recommendation on Pruning Stale Entries": forgets channels whose channel_updates are
   * all older than two weeks (graph.ts pruneStale), and nodes left without a channel ("MAY purge
   * the origin node"), in the graph, the raw index and the store. The maintenance timer calls it
   * every `maintenanceIntervalMs` (Core Lightning: every hour or so).
   */
  async prune(): Promise<bigint[]> {
    await this.ingest.drain();
    const gone = this.graph.pruneStale(this.nowSeconds());
    this.stats.pruned_stale += gone.length;
    await this.forget(gone);
    return gone;
  }

  /**
   * The maintenance timer's run (maintain.ts): prune stale channels, then compact the store when
   * most of it is dead records (store.ts `shouldCompact`).
   */
  async maintain(): Promise<void> {
    await this.prune();
    const ok = await this.writer.after('compacting the gossip store', async store => {
      if (!shouldCompact(await store.stats())) return;
      await store.compact();
      this.stats.compactions++;
    });
    if (!ok) this.stats.maintenance_errors++;
  }

  /**
   * BOLT 7 "Pruning the Network View": "once its funding output has been spent OR reorganized out:
   * SHOULD forget a channel after a 12-block delay". Asks the chain source which watched funding
   * outputs the new blocks spend, marks those channels spent at that height (no longer routed
   * through, relayed or answered with, their updates ignored), and forgets the channels spent 12
   * blocks ago or more (graph.ts pruneSpent). Does nothing without a chain source that reports
   * spends ("trust announcements").
   */
  async checkSpends(): Promise<bigint[]> {
    const source = this.o.chainSource;
    if (!source?.newSpends) return [];
    await this.ingest.drain();
    // The first check of a run goes on from the last block the previous run read (kept beside the
    // store), so spends mined while the node was down are seen too.
    let after = this.chainHeight;
    if (after === undefined && this.o.store.getMeta) {
      const saved = Number(await this.o.store.getMeta(SPEND_HEIGHT_META).catch(() => undefined));
      if (Number.isSafeInteger(saved) && saved >= 0) after = saved;
    }
    const r = await source.newSpends((txid, vout) => this.funding.match(txid, vout) !== undefined, after);
    if (r.error) this.o.log.warn(`gossipd: reading blocks for spent channels stopped at ${r.height}: ${r.error.message}`);
    // Channels closed in those blocks stay until their updates go stale (two weeks).
    if (r.skipped) this.o.log.warn(`gossipd: ${r.skipped} blocks passed over unread for spent channels (too far behind the tip)`);
    // A reorganisation replaced the block of an earlier spend: the channel is open again (the new
    // branch's spend, if any, follows in `spent`).
    for (const sp of r.unspent ?? []) {
      const s = this.funding.match(sp.txid, sp.vout);
      if (s !== undefined && this.graph.unmarkSpent(s, sp.blockheight)) {
        await this.storeSpent(s, sp.txid, undefined);
      }
    }
    for (const sp of r.spent) {
      const s = this.funding.match(sp.txid, sp.vout);
      if (s !== undefined && this.graph.markSpent(s, sp.blockheight)) {
        this.stats.marked_spent++;
        await this.storeSpent(s, sp.txid, sp.blockheight);
      }
    }
    const advanced = r.height >= 0 && r.height !== this.chainHeight;
    if (r.height >= 0) this.chainHeight = r.height;
    const gone = this.chainHeight === undefined ? [] : this.graph.pruneSpent(this.chainHeight);
    this.stats.pruned_spent += gone.length;
    await this.forget(gone);
    // Saved after the spends it found are in the store (the writer keeps that order).
    if (advanced && this.o.store.setMeta) {
      const height = String(r.height);
      await this.writer.after('saving the spend watch height', store => store.setMeta!(SPEND_HEIGHT_META, height));
    }
    if (r.spent.length) this.progressChanged();
    return gone;
  }

  /** Channels the graph just removed: out of the funding watch and the store, with the nodes left without a channel. */
  private async forget(gone: readonly bigint[]): Promise<void> {
    const deletes: GossipKeyRef[] = [];
    // Their ends, from their announcements (still in the store): the nodes the graph dropped with them.
    const anns = gone.length ? await this.raw.read(gone.map(channelRef)) : [];
    const nodes = new Set<string>();
    for (const a of anns) {
      try {
        const p = a && peekGossip(a);
        if (p?.type !== 'channel_announcement') continue;
        for (const id of [toHex(p.node_id_1), toHex(p.node_id_2)]) if (this.graph.findNode(id) < 0) nodes.add(id);
      } catch (e) {
        if (!(e instanceof BoltError)) throw e;
      }
    }
    for (const s of gone) {
      this.freshAnnouncements.delete(s);
      deletes.push(
        { type: STORE_CHANNEL_ANNOUNCEMENT, key: s },
        { type: STORE_CHANNEL_UPDATE, key: channelUpdateKey(s, 0) },
        { type: STORE_CHANNEL_UPDATE, key: channelUpdateKey(s, 1) },
      );
    }
    for (const id of this.nodesAwaitingRelay.keys()) if (this.graph.findNode(id) < 0) this.nodesAwaitingRelay.delete(id);
    for (const id of nodes) deletes.push({ type: STORE_NODE_ANNOUNCEMENT, key: id });
    if (deletes.length) {
      await this.writer.after('pruning the store', store => store.delete(deletes));
    }
    if (gone.length) {
      this.funding.retain(s => this.graph.findChannel(s) >= 0);
      this.progressChanged();
    }
  }

  // ------------------------------------------------------------------ GossipLink (from connectd)

  newPeer(id: string, features: string): void {
    if (this.closed) return;
    // A replacement connection from the same node: start again with it.
    if (this.peers.has(id)) this.peerGone(id);
    let offers = false;
    try {
      offers = FeatureVector.fromBytes(fromHex(features)).has('gossip_queries');
    } catch {
      offers = false;
    }
    const now = this.o.clock.now();
    const until = this.bans.get(id);
    const banned = until !== undefined && until > now;
    if (!banned) this.bans.delete(id);
    const outbox = new Outbox(
      raw => this.o.peers.send(id, ownBuffer(raw)),
      this.config.answerWindowBytes,
      e => this.o.log.debug(`gossipd: send to ${id} failed: ${(e as Error)?.message ?? e}`),
    );
    this.peers.set(id, {
      id,
      score: this.newScore(now),
      lastWarnAt: -Infinity,
      suppressed: 0,
      banned,
      answering: Promise.resolve(),
      queries: 0,
      overruns: 0,
      outbox,
      filter: undefined,
      filterSeq: 0,
      backfilling: false,
    });
    // Disconnected for bad gossip not long ago (it dialled us): nothing is asked of it, sent to it or taken from it.
    if (banned) return;
    this.relay.addPeer(id);
    this.syncer.start(id, offers);
  }

  peerGone(id: string): void {
    this.peers.get(id)?.outbox.close();
    this.peers.delete(id);
    this.relay.removePeer(id);
    // After close() the syncer is stopped: nothing may arm its timers again.
    if (!this.closed) this.syncer.gone(id);
  }

  /**
   * GossipLink: a batch of gossip from connectd (batch.ts). Resolves at once while ingest has room;
   * otherwise once it is back under `ingestMax`, and connectd reads no more of this peer until then.
   */
  gossipBatch(id: string, batch: Uint8Array): Promise<void> | undefined {
    unpackGossipBatch(batch, m => this.gossip(id, m));
    return this.ingest.pending > this.config.ingestMax ? this.ingest.below(this.config.ingestMax) : undefined;
  }

  /** One gossip message (type included) from a peer. */
  gossip(id: string, msg: Uint8Array): void {
    const peer = this.peers.get(id);
    if (!peer || peer.banned || this.closed) return;
    this.stats.received++;
    peer.score.seen(this.o.clock.now());
    if (msg.length < 2) return this.bad(id, new DecodeError('short_read', 'message shorter than its type'));
    const type = (msg[0]! << 8) | msg[1]!;
    if (type === 256 || type === 257 || type === 258) {
      this.syncer.heard(id, msg);
      this.ingest.submit(id, msg);
      return;
    }
    let m: Message | { name: 'unknown' };
    try {
      m = decodeMessage(msg);
    } catch (e) {
      if (e instanceof BoltError) return this.bad(id, e);
      throw e;
    }
    switch (m.name) {
      case 'query_channel_range':
      case 'query_short_channel_ids':
        this.query(peer, m);
        return;
      case 'reply_channel_range':
        this.syncer.replyChannelRange(id, m).catch(e => (e instanceof BoltError ? this.bad(id, e) : this.o.log.warn(`gossipd: ${e}`)));
        return;
      case 'reply_short_channel_ids_end':
        try {
          this.syncer.replyShortChannelIdsEnd(id, m);
        } catch (e) {
          if (e instanceof BoltError) return this.bad(id, e);
          throw e;
        }
        // The answer is all here; `synced` waits until it is all applied too (the next query is
        // already on its way: the peer sends while we check).
        this.unapplied++;
        void this.ingest.below(0).then(() => {
          this.unapplied--;
          this.progressChanged();
        });
        return;
      case 'gossip_timestamp_filter':
        this.timestampFilter(id, m);
        return;
      default:
        // announcement_signatures and the rest are not gossipd's (connectd routes them elsewhere).
        return;
    }
  }

  // ------------------------------------------------------------------ GossipdApi (from lightningd)

  nodeAddresses(id: string): NetAddress[] {
    const n = this.graph.findNode(id);
    if (n < 0) return [];
    try {
      return parseAddresses(this.graph.nodeAddresses[n] ?? new Uint8Array(0)).addresses.map(a => ({ ...a }));
    } catch {
      return [];
    }
  }

  async rpc(method: GossipRpcMethod, params: Record<string, unknown>): Promise<unknown> {
    return gossipRpc(this.graph, this.o.nodeId, method, params ?? {});
  }

  info(): Record<string, unknown> {
    return {
      chain_source: this.o.chainSource
        ? ((this.o.chainSource as { description?: string }).description ?? 'chain backend')
        : 'trust announcements',
      // BOLT 7 "Pruning the Network View" needs to see funding outputs spent: only with a chain
      // source that reports spends; otherwise closed channels go when stale (two weeks).
      spent_pruning: this.o.chainSource?.newSpends
        ? this.config.spendCheckIntervalMs > 0
          ? 'on'
          : 'off (spendCheckIntervalMs 0)'
        : this.o.chainSource
          ? 'off (the chain source reports no spends)'
          : 'off (trust announcements)',
      ...(this.chainHeight !== undefined ? { spent_check_height: this.chainHeight } : {}),
      funding_outputs_watched: this.funding.size,
      // Trust mode: short_channel_ids announced with two key sets, refused (this run and earlier ones).
      conflicted_channels: this.graph.conflicts.size,
      ...this.progress(),
      sync_fallbacks: { ...this.syncer.fallbacks },
      peers: this.peers.size,
      pending: this.ingest.pending,
      stats: { ...this.stats, relayed: this.relay.relayed },
    };
  }

  progress(): SyncProgress {
    const syncing = this.syncer.syncing;
    const expected = this.graph.channelCount + this.expectedMissing;
    return {
      state: this.progressState(),
      peers_syncing: syncing,
      channels_known: this.graph.channelCount,
      channels_expected: expected,
      nodes_known: this.graph.nodeCount,
    };
  }

  /** `synced` only once every query's answer has come (the syncer is done) and been applied. */
  private progressState(): SyncProgress['state'] {
    return this.syncer.syncing > 0 || this.unapplied > 0 ? 'syncing' : this.syncer.completed > 0 ? 'synced' : 'idle';
  }

  /** A peer's sync state ('range', 'scids', 'done'), for tests and the UI. */
  peerSyncState(id: string): string | undefined {
    return this.syncer.stateOf(id);
  }

  // ------------------------------------------------------------------ internals

  private send(id: string, m: Message): void {
    this.sendRaw(id, encodeMessage(m));
  }

  private sendRaw(id: string, raw: Uint8Array): void {
    raw = ownBuffer(raw);
    Promise.resolve()
      .then(() => this.o.peers.send(id, raw))
      .catch(e => this.o.log.debug(`gossipd: send to ${id} failed: ${(e as Error)?.message ?? e}`));
  }

  private newScore(now: number): PeerScore {
    const c = this.config;
    return new PeerScore({ windowMs: c.badWindowMs, ratio: c.badRatio, minBad: c.badMinMessages, sigsPerSecond: c.badSigsPerSecond }, now);
  }

  /**
   * BOLT 7 on a bad signature or malformed gossip: "SHOULD send a warning and MAY close the
   * connection" — in proportion (score.ts): a peer stays connected, warned at most once per
   * `warnIntervalMs`, until most of its recent gossip is bad or its bad signatures come faster than
   * `badSigsPerSecond`; then it is disconnected and neither served nor dialled for `banMs`.
   * A channel_update that fails against an announcement no chain source checked (trust mode)
   * blames nobody: that announcement may be the forgery, and the peer honest.
   */
  private bad(id: string, err: BoltError, checked?: { signatures: number; update: boolean }): void {
    const peer = this.peers.get(id);
    if (!peer || peer.banned) return;
    if (checked?.update && !this.o.chainSource) {
      this.stats.unattributed++;
      this.o.log.debug(`gossipd: ${id}: ${err.code}: ${err.message} (against an unverified channel_announcement: not counted)`);
      return;
    }
    const c = this.config;
    const now = this.o.clock.now();
    const verdict = peer.score.bad(now, checked?.signatures ?? 0);
    const disconnect = verdict !== 'ok';
    if (!disconnect && now - peer.lastWarnAt < c.warnIntervalMs) {
      peer.suppressed++;
      this.stats.warnings_suppressed++;
      return;
    }
    const more = peer.suppressed ? ` (and ${peer.suppressed} more since the last warning)` : '';
    peer.lastWarnAt = now;
    peer.suppressed = 0;
    let text = `gossipd: ${err.code}: ${err.message}${more}`;
    if (disconnect) {
      peer.banned = true;
      this.stats.peers_disconnected++;
      this.ban(id, now + c.banMs);
      text += verdict === 'mostly_invalid' ? '; most of your recent gossip was invalid' : '; too many bad signatures';
      this.o.log.info(
        `gossipd: ${id}: ${err.code}: ${err.message}${more} (disconnecting: ${verdict}, ${JSON.stringify(peer.score.totals(now))})`,
      );
    } else {
      this.o.log.info(`gossipd: ${id}: ${err.code}: ${err.message}${more}`);
    }
    Promise.resolve()
      .then(() => (disconnect ? this.o.peers.warn(id, text, true, c.banMs) : this.o.peers.warn(id, text, false)))
      .catch(() => {});
  }

  private ban(id: string, until: number): void {
    if (this.bans.size >= MAX_BANS) {
      const now = this.o.clock.now();
      for (const [k, t] of this.bans) if (t <= now) this.bans.delete(k);
      // Still full: the oldest ban goes.
      if (this.bans.size >= MAX_BANS) this.bans.delete(this.bans.keys().next().value!);
    }
    this.bans.delete(id);
    this.bans.set(id, until);
  }

  /** A verified message: chain check (when we have a chain source), graph, raw index, store, relay. */
  private async accept(a: Accepted, peer: string): Promise<void> {
    const m = a.msg;
    // Our own copy: it is kept (raw index, relay log) and must not share a caller's buffer.
    a = { ...a, raw: a.raw.slice() };
    let capacity: number | undefined;
    let txid: string | undefined;
    if (m.name === 'channel_announcement' && this.graph.findChannel(m.short_channel_id) >= 0) {
      this.lookups.delete(m.short_channel_id);
      const ours = this.raw.channelKeys(m.short_channel_id);
      const theirs = keyDigest(announcementKeys(a.raw));
      if (!ours || equal(ours, theirs)) {
        this.stats.duplicates++;
        return;
      }
      // With a chain source the held one matched the funding output, which commits to its bitcoin
      // keys (the second half of the key digest): other bitcoin keys cannot.
      if (this.o.chainSource && !equal(ours.subarray(KEY_DIGEST_HALF), theirs.subarray(KEY_DIGEST_HALF))) {
        this.stats.ignored++;
        return;
      }
      // Both validly signed, with other keys: see conflict().
      return this.conflict(m.short_channel_id, peer);
    }
    if (m.name === 'channel_announcement' && this.o.chainSource) {
      const early = this.lookups.get(m.short_channel_id);
      this.lookups.delete(m.short_channel_id);
      const out = await (early ?? this.o.chainSource.fundingOutput(m.short_channel_id));
      // BOLT 7: the output must be the P2WSH of bitcoin_key_1 and bitcoin_key_2 and unspent.
      if (!out || !equal(out.scriptPubKey, fundingScriptPubKey(m.bitcoin_key_1, m.bitcoin_key_2))) {
        this.stats.ignored++;
        return;
      }
      capacity = out.amount_sat;
      if (out.txid !== undefined && /^[0-9a-f]{64}$/.test(out.txid)) txid = out.txid;
    }
    // Whether the channel_announcement still has to be relayed: only with its first (public) update.
    const firstUpdate =
      m.name === 'channel_update' && !this.raw.hasUpdate(m.short_channel_id, 0) && !this.raw.hasUpdate(m.short_channel_id, 1);
    if (!this.graph.applyGossip(m, capacity)) {
      this.stats.duplicates++;
      return;
    }
    this.stats.accepted++;
    this.syncer.accepted(peer);
    // A `dont_forward` update for one of our channels (validate.ts): routed with, but not kept
    // where it would be passed on (the raw index answers queries, the store refills it, relay).
    if (a.local) return this.progressChanged();
    this.remember(m, a.raw);
    if (m.name === 'channel_announcement' && txid !== undefined) this.funding.add(m.short_channel_id, txid);
    this.store(m, a.raw, {
      ...(capacity !== undefined ? { amount_sat: capacity } : {}),
      ...(txid !== undefined ? { funding_txid: txid } : {}),
    });
    if (a.forward) {
      // BOLT 7 gossip_timestamp_filter: a channel_announcement is sent only once it has a
      // channel_update, with that update's timestamp, and before it.
      if (m.name === 'channel_update') {
        if (firstUpdate) this.relayWithAnnouncement(m.short_channel_id, a.raw, m.timestamp, peer);
        else this.relay.push(a.raw, m.timestamp, peer);
      } else if (m.name === 'node_announcement') {
        // BOLT 7: "MUST send channel_announcement prior to any corresponding channel_updates and
        // node_announcements": not before one of its channels has gone out.
        if (this.nodeRelayed(m.node_id)) this.relay.push(a.raw, m.timestamp, peer);
        else this.nodesAwaitingRelay.set(toHex(m.node_id), { raw: a.raw, timestamp: m.timestamp, origin: peer });
      }
      this.armRelay();
    }
    if (m.name === 'channel_announcement') this.ingest.released(m.short_channel_id, [m.node_id_1, m.node_id_2]);
    this.progressChanged();
  }

  /** Whether one of the node's channels has been relayed (its announcement goes out with its first update). */
  private nodeRelayed(node_id: Uint8Array): boolean {
    const g = this.graph;
    const n = g.findNode(node_id);
    for (let e = n < 0 ? -1 : g.nodeHead[n]!; e >= 0; e = g.edgeNext[e]!) {
      const s = g.scid[e >> 1]!;
      if (this.raw.hasUpdate(s, 0) || this.raw.hasUpdate(s, 1)) return true;
    }
    return false;
  }

  /** A channel's announcement was just queued for relay: its ends' node_announcements may follow. */
  private relayAwaitingNodes(short_channel_id: bigint): void {
    if (!this.nodesAwaitingRelay.size) return;
    const c = this.graph.findChannel(short_channel_id);
    if (c < 0) return;
    for (const n of [this.graph.node1[c]!, this.graph.node2[c]!]) {
      const key = this.graph.nodeKey[n]!;
      const w = this.nodesAwaitingRelay.get(key);
      if (!w) continue;
      this.nodesAwaitingRelay.delete(key);
      // Only if it is still the node's latest.
      if (this.graph.nodeTimestamp[n] === w.timestamp) this.relay.push(w.raw, w.timestamp, w.origin);
    }
  }

  /**
   * Two validly signed channel_announcements for one short_channel_id with different keys. With a
   * chain source, both passed its funding output check (same bitcoin keys, other node ids: BOLT 7's
   * "SHOULD blacklist" case, keys leaked). Without one (trust mode), nothing tells which is real:
   * whoever announced first must not win (anyone could take over a real channel with keys of
   * their own). Either way neither is routed, relayed or answered with from now on, the id is
   * remembered (in the store too, across restarts), and no peer is blamed: relaying either was
   * honest.
   */
  private async conflict(short_channel_id: bigint, peer: string): Promise<void> {
    this.graph.markConflict(short_channel_id);
    this.stats.conflicts++;
    this.o.log.warn(`gossipd: short_channel_id ${short_channel_id} announced with two key sets (the second from ${peer}): refused`);
    this.trimConflicts();
    await this.forget([short_channel_id]);
    this.saveConflicts();
  }

  private trimConflicts(): void {
    const set = this.graph.conflicts;
    while (set.size > MAX_CONFLICTS) set.delete(set.values().next().value!);
  }

  /** Writes the conflicted ids after the store writes queued so far; one write waiting at a time. */
  private saveConflicts(): void {
    if (this.conflictsSaving || !this.o.store.setMeta) return;
    this.conflictsSaving = true;
    void this.writer.after('saving conflicted channels', async store => {
      this.conflictsSaving = false;
      await store.setMeta!(CONFLICTS_META, [...this.graph.conflicts].join(','));
    });
  }

  /** The conflicted ids of earlier runs: refused again (and anything of them the store still held forgotten). */
  private async loadConflicts(): Promise<void> {
    const saved = this.o.store.getMeta ? await this.o.store.getMeta(CONFLICTS_META).catch(() => undefined) : undefined;
    if (!saved) return;
    const gone: bigint[] = [];
    for (const t of saved.split(',')) {
      if (!/^[0-9]{1,20}$/.test(t)) continue;
      const s = BigInt(t);
      if (this.graph.findChannel(s) >= 0) gone.push(s);
      this.graph.markConflict(s);
    }
    this.trimConflicts();
    if (gone.length) await this.forget(gone);
  }

  /** Starts the chain check of a verified channel_announcement while earlier messages are applied (ingest.ts). */
  private prefetch(a: Accepted): void {
    const m = a.msg;
    if (m.name !== 'channel_announcement' || !this.o.chainSource || this.closed) return;
    if (this.lookups.has(m.short_channel_id) || this.graph.findChannel(m.short_channel_id) >= 0) return;
    const p = this.o.chainSource.fundingOutput(m.short_channel_id);
    p.catch(() => {}); // accept() sees the failure
    this.lookups.set(m.short_channel_id, p);
  }

  /** What the graph does not keep of an accepted message: a channel_update's checksum; a new channel_announcement until its first update. */
  private remember(m: GossipMessage, raw: Uint8Array): void {
    if (m.name === 'channel_update') {
      this.raw.setUpdate(m.short_channel_id, (m.channel_flags & 1) as 0 | 1, raw);
    } else if (m.name === 'channel_announcement') {
      this.raw.setChannelKeys(m.short_channel_id, raw);
      const fresh = this.freshAnnouncements;
      if (fresh.size >= FRESH_ANNOUNCEMENTS_MAX) fresh.delete(fresh.keys().next().value!);
      fresh.set(m.short_channel_id, raw);
    }
  }

  /**
   * A channel's first channel_update goes out with its channel_announcement, before it (BOLT 7
   * gossip_timestamp_filter: an announcement is sent only once it has an update, with that
   * update's timestamp). The announcement is the one just accepted, or read back from the store.
   */
  private relayWithAnnouncement(short_channel_id: bigint, update: Uint8Array, timestamp: number, origin: string): void {
    const ann = this.freshAnnouncements.get(short_channel_id);
    this.freshAnnouncements.delete(short_channel_id);
    if (ann) {
      this.relay.push(ann, timestamp, origin);
      this.relay.push(update, timestamp, origin);
      this.relayAwaitingNodes(short_channel_id);
      return;
    }
    // No one to send it to: not worth reading the announcement back from the store.
    if (!this.relay.wanted(origin)) return;
    this.raw
      .read([channelRef(short_channel_id)])
      .then(([stored]) => {
        if (stored) this.relay.push(stored.slice(), timestamp, origin);
        this.relay.push(update, timestamp, origin);
        if (stored) this.relayAwaitingNodes(short_channel_id);
        this.armRelay();
      })
      .catch(e => this.o.log.warn(`gossipd: reading a channel_announcement to relay: ${(e as Error)?.message ?? e}`));
  }

  private store(m: GossipMessage, raw: Uint8Array, extra: GossipRecordExtra): void {
    let rec: GossipRecord;
    switch (m.name) {
      case 'channel_announcement':
        rec = {
          type: STORE_CHANNEL_ANNOUNCEMENT,
          key: m.short_channel_id,
          timestamp: 0,
          raw,
          ...(Object.keys(extra).length ? { extra } : {}),
        };
        break;
      case 'channel_update':
        rec = {
          type: STORE_CHANNEL_UPDATE,
          key: channelUpdateKey(m.short_channel_id, (m.channel_flags & 1) as 0 | 1),
          timestamp: m.timestamp,
          raw,
        };
        break;
      case 'node_announcement':
        rec = { type: STORE_NODE_ANNOUNCEMENT, key: toHex(m.node_id), timestamp: m.timestamp, raw };
        break;
    }
    this.writer.queue(rec);
  }

  /** The channel_announcement again, now with the spend's height (or without, when taken back), so a restart agrees. */
  private async storeSpent(short_channel_id: bigint, funding_txid: string, spent_height: number | undefined): Promise<void> {
    const [raw] = await this.raw.read([channelRef(short_channel_id)]);
    const c = this.graph.findChannel(short_channel_id);
    if (!raw || c < 0) return;
    const cap = this.graph.capacitySat[c]!;
    const extra: GossipRecordExtra = {
      funding_txid,
      ...(spent_height !== undefined ? { spent_height } : {}),
      ...(Number.isNaN(cap) ? {} : { amount_sat: cap }),
    };
    this.writer.queue({ type: STORE_CHANNEL_ANNOUNCEMENT, key: short_channel_id, timestamp: 0, raw, extra });
  }

  private armRelay(): void {
    if (this.relayTimer !== undefined || this.closed) return;
    this.relayTimer = this.o.clock.setTimeout(() => {
      this.relayTimer = undefined;
      this.relay.tick(
        (id, raw) => this.sendRaw(id, raw),
        raw => this.stillRelayable(raw),
      );
      this.stats.relayed = this.relay.relayed;
      if (this.relay.logBusy) this.armRelay();
    }, this.config.relayIntervalMs);
  }

  /**
   * A queued channel_announcement or channel_update is not passed on once its channel's funding
   * output is spent (BOLT 7: a spent channel is no longer announced) or the channel is forgotten.
   */
  private stillRelayable(raw: Uint8Array): boolean {
    try {
      const p = peekGossip(raw);
      // A node forgotten since (no channel left) is not announced either.
      if (p.type === 'node_announcement') return this.graph.findNode(p.node_id) >= 0;
      const c = this.graph.findChannel(p.short_channel_id);
      return c >= 0 && this.graph.spentHeight[c] === 0;
    } catch {
      return false;
    }
  }

  /**
   * A query_channel_range or query_short_channel_ids: answered after the ones before it, one at a
   * time. BOLT 7 has a peer wait for each answer ("MUST NOT send query_short_channel_ids if it has
   * sent a previous query_short_channel_ids ... and not received reply_short_channel_ids_end", the
   * same for query_channel_range) and lets the receiver "send a warning" and "close the connection"
   * when it does not: a few waiting queries are tolerated (one of each kind, and some slack), more
   * are dropped with a warning, and a peer that does it again is disconnected.
   */
  private query(peer: PeerState, m: MessageOf<'query_channel_range'> | MessageOf<'query_short_channel_ids'>): void {
    const id = peer.id;
    if (peer.queries > this.config.maxQueuedQueries) {
      peer.overruns++;
      const disconnect = peer.overruns > 1;
      if (disconnect) peer.banned = true;
      this.o.log.info(`gossipd: ${id}: ${m.name} with ${peer.queries} queries unanswered${disconnect ? ' again (disconnecting)' : ''}`);
      Promise.resolve()
        .then(() => this.o.peers.warn(id, `gossipd: ${m.name} while ${peer.queries} earlier queries are still being answered`, disconnect))
        .catch(() => {});
      return;
    }
    peer.queries++;
    peer.answering = peer.answering
      .then(() => this.answer(peer, m))
      .catch(e => (e instanceof BoltError ? this.bad(id, e) : this.o.log.warn(`gossipd: answering ${id}: ${e}`)))
      .finally(() => void peer.queries--);
  }

  /** One query's answer, made as the peer's transport takes it (outbox.ts): nothing of it waits in memory. */
  private async answer(peer: PeerState, m: MessageOf<'query_channel_range'> | MessageOf<'query_short_channel_ids'>): Promise<void> {
    const out = peer.outbox;
    if (m.name === 'query_channel_range') {
      if (!equal(m.chain_hash, this.o.chainHash)) {
        await out.send(encodeMessage(unknownChainReply(m.chain_hash, m.first_blocknum, m.number_of_blocks)));
        return;
      }
      const options = m.tlvs?.query_option?.query_option_flags ?? 0n;
      const q = { first_blocknum: m.first_blocknum, number_of_blocks: m.number_of_blocks, options };
      for (const r of channelRangeReplies(this.o.chainHash, q, offeredChannels(this.graph), (s, d) => this.raw.update(s, d))) {
        if (!(await out.send(encodeMessage(r)))) return;
      }
      return;
    }
    if (!equal(m.chain_hash, this.o.chainHash)) {
      // "if does not maintain up-to-date channel information for chain_hash: MUST set full_information to 0."
      await out.send(encodeMessage({ name: 'reply_short_channel_ids_end', chain_hash: m.chain_hash, full_information: 0 }));
      return;
    }
    const scids = await decodeShortChannelIdsAsync(m.encoded_short_ids, this.o.inflate);
    let flags: bigint[] | undefined;
    if (m.tlvs?.query_flags) {
      flags = await decodeQueryFlagsAsync(m.tlvs.query_flags, this.o.inflate);
      // "if encoded_query_flags does not decode to exactly one flag per short_channel_id: MAY send a warning"
      if (flags.length !== scids.length)
        throw new DecodeError('bad_query_flags', `${flags.length} query flags for ${scids.length} short_channel_ids`);
    }
    // "SHOULD NOT wait for the next outgoing gossip flush to send these."
    for await (const r of scidReplies(
      scids,
      flags,
      this.raw,
      s => offeredEnds(this.graph, s),
      n => nodeForwardable(this.graph, n),
    )) {
      if (!(await out.send(r))) return;
    }
    await out.send(encodeMessage({ name: 'reply_short_channel_ids_end', chain_hash: this.o.chainHash, full_information: 1 }));
  }

  /**
   * BOLT 7 gossip_timestamp_filter: record it, and send the stored gossip within its range, read
   * back from the store as the peer's transport takes it (a newer filter stops this one's).
   */
  private timestampFilter(id: string, m: MessageOf<'gossip_timestamp_filter'>): void {
    const peer = this.peers.get(id);
    if (!peer || !equal(m.chain_hash, this.o.chainHash)) return;
    const f: TimestampFilter = { first_timestamp: m.first_timestamp, timestamp_range: m.timestamp_range };
    this.relay.setFilter(id, f);
    peer.filter = f;
    peer.filterSeq++;
    if (peer.backfilling) return; // the running backfill turns to this filter at its next message
    peer.backfilling = true;
    void (async () => {
      for (let seq = -1; seq !== peer.filterSeq;) {
        seq = peer.filterSeq;
        for await (const raw of filteredGossip(this.graph, this.raw, peer.filter!)) {
          if (peer.filterSeq !== seq) break;
          if (!(await peer.outbox.send(raw))) return;
        }
      }
    })()
      .catch(e => this.o.log.warn(`gossipd: backfill for ${id}: ${(e as Error)?.message ?? e}`))
      .finally(() => void (peer.backfilling = false));
  }

  /**
   * Tells `onProgress` (the UI's progress bar): at once when the state changes, otherwise at most
   * every PROGRESS_MS, with a last report after a burst so the final counts always arrive.
   */
  private progressChanged(): void {
    if (!this.o.onProgress || this.closed) return;
    // Called for every accepted message: the full report (which walks the channels a sync still
    // expects) is built only when it is sent.
    const state = this.progressState();
    const now = this.o.clock.now();
    if (!this.lastProgress || this.lastProgress.state !== state || now - this.lastProgress.at >= PROGRESS_MS) {
      this.lastProgress = { at: now, state };
      this.o.onProgress(this.progress());
      return;
    }
    if (this.progressTimer === undefined) {
      this.progressTimer = this.o.clock.setTimeout(
        () => {
          this.progressTimer = undefined;
          this.lastProgress = undefined;
          this.progressChanged();
        },
        PROGRESS_MS - (now - this.lastProgress.at),
      );
    }
  }
}
