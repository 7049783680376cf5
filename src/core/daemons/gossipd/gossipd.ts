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
//   routes.ts  candidate routes for lightningd's payments
//   private-updates.ts  a peer's own channel_update for a private channel with us (route hints)
//   maintain.ts  timers for pruning (stale, spent), compaction; the funding outpoints watched
//   prune.ts   forgetting channels (stale, spent, conflicted) in the graph, raw index and store
//   load.ts    filling the graph from the store on start
//   queries.ts admitting and answering a peer's queries, timestamp filter backfill
//   peers.ts   each peer's state (score, warnings, queries, outbox) and the bans
//   status.ts  sync progress for getinfo and the UI
// The store is trusted on load: it only ever holds what passed validation, so `load()` checks no
// signature (design.md "start").
import { equal, fromHex, toHex } from '../../base/bytes.ts';
import { BoltError, DecodeError } from '../../base/errors.ts';
import { FeatureVector } from '../../features/index.ts';
import { fundingScriptPubKey } from '../../gossip/funding.ts';
import { Graph } from '../../gossip/graph.ts';
import { peekGossip } from '../../gossip/peek.ts';
import { parseAddresses } from '../../gossip/address.ts';
import {
  channelUpdateKey,
  STORE_CHANNEL_ANNOUNCEMENT,
  STORE_CHANNEL_UPDATE,
  STORE_NODE_ANNOUNCEMENT,
  type GossipRecord,
  type GossipRecordExtra,
} from '../../gossip/store.ts';
import { announcementKeys, compareKeys, type Accepted, type GossipMessage, type GossipRules } from '../../gossip/validate.ts';
import { decodeMessage, encodeMessage, readType, TYPE, type Message, type MessageOf } from '../../wire/messages.ts';
import { parseScid } from '../../wire/scid.ts';
import type { NetAddress } from '../../net/transport.ts';
import type { GossipLink } from '../connectd/types.ts';
import { unpackGossipBatch } from '../connectd/batch.ts';
import type { GossipdApi } from './interface.ts';
import { Ingest } from './ingest.ts';
import { CONFLICTS_META, loadStore, savedConflicts } from './load.ts';
import { FundingIndex, Maintenance } from './maintain.ts';
import { Outbox } from './outbox.ts';
import { Peers } from './peers.ts';
import { PrivateUpdates } from './private-updates.ts';
import { Pruning } from './prune.ts';
import { QueryAnswers } from './queries.ts';
import { channelRef, RawGossip } from './raw.ts';
import { Relay } from './relay.ts';
import { Progress } from './status.ts';
import { gossipRpc, type GossipRpcMethod } from './rpc.ts';
import { candidateRoutes, type RoutesAnswer, type RoutesQuery } from './routes.ts';
import { Syncer } from './sync.ts';
import { StoreWriter } from './writer.ts';
import {
  DEFAULT_GOSSIPD_CONFIG,
  type Txout,
  type GossipdConfig,
  type GossipdOptions,
  type GossipdStats,
  type SyncProgress,
} from './types.ts';

/** The origin of our own gossip (addLocalGossip): not a peer id (those are 66 hex digits), so relay passes it to every peer. */
export const LOCAL_ORIGIN = 'local';
/** At most this many conflicted short_channel_ids are remembered (the oldest are forgotten first). */
const MAX_CONFLICTS = 20_000;
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
  /** Peers' own channel_updates for channels nobody announced (private channels with us). */
  private readonly privateUpdates: PrivateUpdates;
  private readonly syncer: Syncer;
  private readonly relay: Relay;
  private readonly peers = new Peers(() => ({ clock: this.o.clock, config: this.config }));
  private readonly writer: StoreWriter;
  private relayTimer: unknown;
  /** channel_announcements accepted since the start that have no channel_update yet: relayed with their first one. */
  private readonly freshAnnouncements = new Map<bigint, Uint8Array>();
  private readonly nowSeconds: () => number;
  private closed = false;
  /**
   * Channels some peer listed (the syncer's `expected`) that the graph does not hold, kept as they
   * come and go (graph.onChannel, the syncer's `listed`): progress() is asked for on every getinfo
   * and every PROGRESS_MS, and walking every listed channel each time cost more than a fifth of a
   * mainnet sync in Chromium (bench/wire-profile.ts).
   */
  private expectedMissing = 0;
  /** Funding txids of the channels lightningd checked (and watches for spends), kept with their announcements. */
  private readonly funding = new FundingIndex();
  private readonly maintenance: Maintenance;
  /** The last block lightningd told us about (outpointsSpent). */
  private chainHeight: number | undefined;
  /** Funding output checks started early (Ingest prefetch), by short_channel_id, taken by accept(). */
  private readonly lookups = new Map<bigint, Promise<Txout | undefined>>();
  /** node_announcements waiting for one of their node's channel_announcements to be relayed first (hex node id). */
  private readonly nodesAwaitingRelay = new Map<string, { raw: Uint8Array; timestamp: number; origin: string }>();
  private conflictsSaving = false;
  private readonly status = new Progress({
    graph: this.graph,
    syncer: () => this.syncer,
    options: () => this.o,
    expectedMissing: () => this.expectedMissing,
    closed: () => this.closed,
  });
  private readonly answers = new QueryAnswers(
    this.graph,
    this.raw,
    () => ({ ...this.o, config: this.config, relay: this.relay }),
    (id, e) => this.bad(id, e),
  );
  private readonly pruning = new Pruning({
    graph: this.graph,
    raw: this.raw,
    writer: () => this.writer,
    funding: this.funding,
    stats: this.stats,
    now: () => this.nowSeconds(),
    drain: () => this.ingest.drain(),
    dropped: s => {
      if (s !== undefined) this.freshAnnouncements.delete(s);
      else for (const id of this.nodesAwaitingRelay.keys()) if (this.graph.findNode(id) < 0) this.nodesAwaitingRelay.delete(id);
    },
    changed: () => this.progressChanged(),
  });

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
      fundingChecked: !!o.chain,
    };
    this.privateUpdates = new PrivateUpdates(o.chainHash, this.rules.ownNodeId, scid => this.graph.findChannel(scid) >= 0);
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
      ],
      () => this.stats.maintenance_errors++,
    );
  }

  // ------------------------------------------------------------------ start and stop

  /**
   * Fills the graph from the store, checking no signature (the store holds only what passed) and
   * decoding only the fields the graph keeps (load.ts); then the conflicted ids of earlier runs.
   */
  async load(): Promise<{ channels: number; nodes: number; records: number }> {
    const records = await loadStore({
      graph: this.graph,
      raw: this.raw,
      funding: this.funding,
      store: this.o.store,
      log: this.o.log,
      stats: this.stats,
    });
    await this.loadConflicts();
    // lightningd watches the funding outputs kept from earlier runs again (it tells us their spends).
    if (this.o.chain && this.funding.size) await this.o.chain.watchTxouts(this.funding.entries());
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
    this.status.close();
    this.relayTimer = undefined;
    for (const p of this.peers.values()) p.outbox.close();
  }

  /** Forgets stale channels and the nodes left without one (prune.ts); the maintenance timer calls it every `maintenanceIntervalMs`. */
  async prune(): Promise<bigint[]> {
    return this.pruning.prune();
  }

  /** The maintenance timer's run (maintain.ts): prune stale channels, then compact the store (prune.ts). */
  async maintain(): Promise<void> {
    return this.pruning.maintain();
  }

  /**
   * lightningd → gossipd (Core Lightning's gossipd_outpoints_spent), after each block: the funding
   * outputs of these channels were spent in the block at `blockheight`. BOLT 7 "Pruning the Network
   * View": "once its funding output has been spent OR reorganized out: SHOULD forget a channel after
   * a 12-block delay". They are marked spent at that height (no longer routed through, relayed or
   * answered with, their updates ignored), and the channels spent 12 blocks ago or more are
   * forgotten (graph.ts pruneSpent). Returns those forgotten. A block told again (lightningd replays
   * one after a crash) changes nothing.
   */
  async outpointsSpent(short_channel_ids: readonly bigint[], blockheight: number): Promise<bigint[]> {
    await this.ingest.drain();
    let marked = 0;
    for (const s of short_channel_ids) {
      if (this.graph.markSpent(s, blockheight)) {
        marked++;
        this.stats.marked_spent++;
        await this.storeSpent(s, blockheight);
      }
    }
    this.chainHeight = blockheight;
    const gone = this.graph.pruneSpent(blockheight);
    this.stats.pruned_spent += gone.length;
    await this.forget(gone);
    if (marked) this.progressChanged();
    return gone;
  }

  /** lightningd → gossipd: the block at `blockheight` was disconnected (a reorganisation); these channels are open again. */
  async outpointsUnspent(short_channel_ids: readonly bigint[], blockheight: number): Promise<void> {
    await this.ingest.drain();
    for (const s of short_channel_ids) if (this.graph.unmarkSpent(s, blockheight)) await this.storeSpent(s, undefined);
    this.chainHeight = blockheight - 1;
  }

  /** Channels the graph just removed: out of the funding watch and the store, with the nodes left without a channel (prune.ts). */
  private forget(gone: readonly bigint[]): Promise<void> {
    return this.pruning.forget(gone);
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
    const outbox = new Outbox(
      raw => this.o.peers.send(id, ownBuffer(raw)),
      this.config.answerWindowBytes,
      e => this.o.log.debug(`gossipd: send to ${id} failed: ${(e as Error)?.message ?? e}`),
    );
    // Disconnected for bad gossip not long ago (it dialled us): nothing is asked of it, sent to it or taken from it.
    if (this.peers.open(id, outbox).banned) return;
    this.relay.addPeer(id);
    this.syncer.start(id, offers);
  }

  peerGone(id: string): void {
    this.peers.close(id);
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
    const type = readType(msg);
    if (type < 0) return this.bad(id, new DecodeError('short_read', 'message shorter than its type'));
    if (type === TYPE.channel_announcement || type === TYPE.node_announcement || type === TYPE.channel_update) {
      this.syncer.heard(id, msg);
      if (type === TYPE.channel_update) this.privateUpdates.offer(id, msg);
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
        this.answers.query(peer, m);
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
        this.status.unapplied++;
        void this.ingest.below(0).then(() => {
          this.status.unapplied--;
          this.progressChanged();
        });
        return;
      case 'gossip_timestamp_filter':
        this.answers.timestampFilter(peer, m);
        return;
      default:
        // announcement_signatures and the rest are not gossipd's (connectd routes them elsewhere).
        return;
    }
  }

  // ------------------------------------------------------------------ GossipdApi (from lightningd)

  /**
   * Our own gossip from lightningd (interface.ts addLocalGossip): through the same checks and
   * ordering as a peer's (ingest.ts), from an origin that is no peer, so every peer may get it
   * relayed and nobody is blamed if it is refused (logged instead).
   */
  async addLocalGossip(msgs: readonly Uint8Array[]): Promise<void> {
    if (this.closed) return;
    const rejected = this.stats.rejected;
    const ignored = this.stats.ignored;
    for (const m of msgs) {
      this.stats.received++;
      this.ingest.submit(LOCAL_ORIGIN, m.slice());
    }
    await this.ingest.drain();
    if (this.stats.rejected !== rejected || this.stats.ignored !== ignored) {
      this.o.log.warn(
        `gossipd: some of our own gossip was refused (${this.stats.rejected - rejected} rejected, ${this.stats.ignored - ignored} ignored)`,
      );
    }
  }

  nodeAddresses(id: string): NetAddress[] {
    const n = this.graph.findNode(id);
    if (n < 0) return [];
    try {
      return parseAddresses(this.graph.nodeAddressesAt(n) ?? new Uint8Array(0)).addresses.map(a => ({ ...a }));
    } catch {
      return [];
    }
  }

  async rpc(method: GossipRpcMethod, params: Record<string, unknown>): Promise<unknown> {
    const r = gossipRpc(this.graph, this.o.nodeId, method, params ?? {});
    // Core Lightning's listchannels also lists a private channel of ours from the peer's update.
    const scid = params?.['short_channel_id'];
    if (method === 'listchannels' && typeof scid === 'string' && (r as { channels: unknown[] }).channels.length === 0)
      return { channels: this.privateUpdates.list(parseScid(scid)) };
    return r;
  }

  /** A payment's candidate routes (routes.ts). */
  routes(q: RoutesQuery): RoutesAnswer {
    return candidateRoutes(this.graph, q);
  }

  info(): Record<string, unknown> {
    return {
      chain_source: this.o.chain ? (this.o.chain.description ?? 'lightningd') : 'trust announcements',
      // BOLT 7 "Pruning the Network View" needs to see funding outputs spent: lightningd tells us;
      // without a chain, closed channels go when stale (two weeks).
      spent_pruning: this.o.chain ? 'on' : 'off (trust announcements)',
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
    return this.status.progress();
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
    if (checked?.update && !this.o.chain) {
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
    this.peers.ban(id, until);
  }

  /**
   * A verified message, in order (Ingest): chain check (when we have a chain source), graph, raw
   * index, store, relay. Synchronous unless a channel_announcement waits for the
   * chain source's funding output: a promise (and a turn of the event loop) per message only then.
   */
  private accept(a: Accepted, peer: string): void | Promise<void> {
    const m = a.msg;
    // Our own copy: it is kept (raw index, relay log) and must not share a caller's buffer.
    a = { ...a, raw: a.raw.slice() };
    if (m.name === 'channel_announcement' && this.graph.findChannel(m.short_channel_id) >= 0) {
      this.lookups.delete(m.short_channel_id);
      const ours = this.raw.channelKeys(m.short_channel_id);
      const theirs = ours && compareKeys(ours, announcementKeys(a.raw));
      if (!ours || theirs === 'same') {
        this.stats.duplicates++;
        return;
      }
      // With a chain source the held one matched the funding output, which commits to its bitcoin
      // keys (the second half of the key digest): other bitcoin keys cannot.
      if (this.o.chain && theirs === 'other_bitcoin_keys') {
        this.stats.ignored++;
        return;
      }
      // Both validly signed, with other keys: see conflict().
      return this.conflict(m.short_channel_id, peer);
    }
    if (m.name === 'channel_announcement' && this.o.chain) return this.acceptFunded(a, m, this.o.chain, peer);
    this.applyAccepted(a, peer);
  }

  /** A channel_announcement with a chain source: applied once its funding output checks. */
  private async acceptFunded(
    a: Accepted,
    m: MessageOf<'channel_announcement'>,
    chain: NonNullable<GossipdOptions['chain']>,
    peer: string,
  ): Promise<void> {
    const early = this.lookups.get(m.short_channel_id);
    this.lookups.delete(m.short_channel_id);
    const out = await (early ?? chain.getTxout(m.short_channel_id));
    // BOLT 7: the output must be the P2WSH of bitcoin_key_1 and bitcoin_key_2 and unspent.
    if (!out || !equal(out.script, fundingScriptPubKey(m.bitcoin_key_1, m.bitcoin_key_2))) {
      this.stats.ignored++;
      return;
    }
    this.applyAccepted(a, peer, out.amount_sat, out.txid !== undefined && /^[0-9a-f]{64}$/.test(out.txid) ? out.txid : undefined);
  }

  /** Into the graph, the raw index, the store and relay (accept() decided it is taken). */
  private applyAccepted(a: Accepted, peer: string, capacity?: number, txid?: string): void {
    const m = a.msg;
    // Whether the channel_announcement still has to be relayed: only with its first (public) update.
    const firstUpdate =
      m.name === 'channel_update' && !this.raw.hasUpdate(m.short_channel_id, 0) && !this.raw.hasUpdate(m.short_channel_id, 1);
    if (!this.graph.applyGossip(m, capacity, a.forward)) {
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
    return this.graph.someChannelOf(this.graph.findNode(node_id), s => this.raw.hasUpdate(s, 0) || this.raw.hasUpdate(s, 1));
  }

  /** A channel's announcement was just queued for relay: its ends' node_announcements may follow. */
  private relayAwaitingNodes(short_channel_id: bigint): void {
    if (!this.nodesAwaitingRelay.size) return;
    const c = this.graph.findChannel(short_channel_id);
    if (c < 0) return;
    for (const n of this.graph.nodesAt(c)) {
      const key = this.graph.nodeHex(n)!;
      const w = this.nodesAwaitingRelay.get(key);
      if (!w) continue;
      this.nodesAwaitingRelay.delete(key);
      // Only if it is still the node's latest.
      if (this.graph.nodeTimestampAt(n) === w.timestamp) this.relay.push(w.raw, w.timestamp, w.origin);
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
    const gone: bigint[] = [];
    for (const s of await savedConflicts(this.o.store)) {
      if (this.graph.findChannel(s) >= 0) gone.push(s);
      this.graph.markConflict(s);
    }
    this.trimConflicts();
    if (gone.length) await this.forget(gone);
  }

  /** Starts the chain check of a verified channel_announcement while earlier messages are applied (ingest.ts). */
  private prefetch(a: Accepted): void {
    const m = a.msg;
    if (m.name !== 'channel_announcement' || !this.o.chain || this.closed) return;
    if (this.lookups.has(m.short_channel_id) || this.graph.findChannel(m.short_channel_id) >= 0) return;
    const p = this.o.chain.getTxout(m.short_channel_id);
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
  private async storeSpent(short_channel_id: bigint, spent_height: number | undefined): Promise<void> {
    const [raw] = await this.raw.read([channelRef(short_channel_id)]);
    const c = this.graph.findChannel(short_channel_id);
    const funding_txid = this.funding.txidOf(short_channel_id);
    if (!raw || c < 0 || funding_txid === undefined) return;
    const cap = this.graph.capacityAt(c);
    const extra: GossipRecordExtra = {
      funding_txid,
      ...(spent_height !== undefined ? { spent_height } : {}),
      ...(cap === undefined ? {} : { amount_sat: cap }),
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
      return c >= 0 && this.graph.spentAt(c) === 0;
    } catch {
      return false;
    }
  }

  /** Tells `onProgress` (the UI's progress bar), paced (status.ts). */
  private progressChanged(): void {
    this.status.changed();
  }
}
