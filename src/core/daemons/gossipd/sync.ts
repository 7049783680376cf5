// Syncing the graph from peers (BOLT 7 "Query Messages"). With each peer that offers
// `gossip_queries` (up to `syncPeers` at a time), in rounds:
//   1. query_channel_range for the whole chain (first_blocknum 0, number_of_blocks 0xffffffff),
//      with `query_option` asking for timestamps and checksums; collect reply_channel_range until
//      the replies cover the range;
//   2. query_short_channel_ids, `scidsPerQuery` per query, one outstanding at a time ("MUST NOT
//      send query_short_channel_ids if it has sent a previous query_short_channel_ids to this peer
//      and not received reply_short_channel_ids_end"), for the channels we lack and, with
//      `query_flags`, for just the channel_updates the peer holds newer versions of (its
//      timestamp greater and its checksum different, or ours getting old), and the
//      node_announcements we lack of channels we know (each at most MAX_NODE_ASKS times, spaced
//      in time: see below);
//   3. after the first round, gossip_timestamp_filter from the time the sync started minus
//      FILTER_MARGIN_S, so the peer relays what it accepts from then on.
// Gossip carries its origin's timestamp, not the time a peer accepted it: a peer that was itself
// still validating relays what it accepts later with past timestamps, which no filter from now
// lets through. So a productive round (one that asked for a channel, a newer update or a node not
// asked for before) is followed by another one `resyncMs` later (Core Lightning keeps probing with
// query_channel_range too: gossipd/seeker.c), until a round is not or MAX_ROUNDS is reached; only
// what is missing or newer is asked again, and gossipd drops what it already has before any
// signature check.
// node_announcements we lack are asked again spaced in time, not once a round: a peer still
// catching up may accept a node's announcement well after its channels, and rounds `resyncMs`
// apart would spend every ask on it before then (past timestamps never pass the filter, so we would
// not learn it before a reconnect). After the k-th ask a node is asked again no sooner than
// resyncMs × 2^(k-1) later, in the next round or, when no round is coming, in a query of its own
// (a query_short_channel_ids with just the node flags, as Core Lightning's seeker asks for
// unannounced nodes: gossipd/seeker.c get_unannounced_nodes). Bounded: MAX_NODE_ASKS asks per node
// in all, over every peer; one entry per node of the graph we lacked an announcement for.
// Several peers: every peer lists its channels (8 bytes each, 24 with timestamps and checksums),
// but each channel is asked of one peer only, the first that listed it: asking all would
// download the graph once per peer. When that peer fails (a timeout, full_information 0, a
// disconnect), the channels we still lack go to another peer that listed them.
// LDK (0.1 and since) answers query_channel_range but never query_short_channel_ids
// (P2PGossipSync's handler returns "Not implemented", sending nothing), and it does not know
// gossip_queries_ex (its replies carry no timestamps though we ask for them). Such a peer is
// recognised from what it does, not by waiting: with a peer whose replies lacked timestamps, the
// first query_short_channel_ids is followed at once by a small query_channel_range (blocks 0..1,
// no channels: the probe). A peer that handles its messages in order (LDK does) answers the
// probe only after the query; when the probe's reply comes and nothing answered the query before
// it (no gossip for an asked channel, no reply_short_channel_ids_end), the peer does not answer
// query_short_channel_ids: it gets gossip_timestamp_filter with first_timestamp 0 at once, which
// makes LDK send everything. A peer that answers the probe before the query (out of order) is taken
// for silent too: it costs a full dump, whose duplicates are dropped before any signature check, and
// its late reply_short_channel_ids_end is not held against it. `scidTimeoutMs` stays as the last
// resort for peers that go quiet.
// Peers that answer without timestamps are asked only for the channels we lack.
import { equal, toHex } from '../../base/bytes.ts';
import { BoltError, ProtocolError } from '../../base/errors.ts';
import {
  decodeShortChannelIdsAsync,
  decodeTimestampsAsync,
  encodeQueryFlags,
  encodeShortChannelIds,
  QUERY_FLAG,
  QUERY_FLAG_ALL,
  QUERY_OPTION,
  type ChannelUpdateTimestamps,
  type InflateAsync,
} from '../../gossip/encoding.ts';
import { STALE_SECONDS } from '../../gossip/validate.ts';
import { fieldPlace, placeIn } from '../../wire/layout.ts';
import { readType, TYPE, type Message, type MessageOf } from '../../wire/messages.ts';
import type { Clock, GossipdConfig, Log } from './types.ts';

const U32_MAX = 0xffffffff;
/**
 * The timestamp filter starts this long before the sync did. Core Lightning (gossipd/seeker.c
 * enable_gossip_stream) streams from now minus ten seek intervals, ten minutes; duplicates are
 * cheap here (dropped before any signature check).
 */
export const FILTER_MARGIN_S = 600;
/** At most this many rounds of queries per peer (mainnet churn could keep every round busy). */
export const MAX_ROUNDS = 10;
/**
 * A node_announcement we lack is asked for this many times at most (a node need not announce
 * itself), the k-th ask resyncMs × 2^(k-2) after the one before: with the default 60 s, at 0, 1,
 * 3, 7 and 15 minutes.
 */
export const MAX_NODE_ASKS = 5;
/** Channels one peer may list in one round (mainnet has about 50,000). */
export const MAX_LISTED = 1_000_000;
/** reply_channel_range messages one round may take (mainnet needs about 20 with timestamps and checksums). */
export const MAX_RANGE_REPLIES = 10_000;
/** Our channel_update is refreshed even when a newer one carries the same information once ours is this old (half the time BOLT 7 lets it live). */
const REFRESH_AFTER_S = STALE_SECONDS / 2;

export type PeerSyncState = 'range' | 'scids' | 'done';

/** What the Syncer reads of the gossip we hold (gossipd's RawGossip). */
export interface RawView {
  /** Our channel_update for that direction: its timestamp and checksum (raw.ts). */
  update(short_channel_id: bigint, direction: 0 | 1): { timestamp: number; checksum: number } | undefined;
  /** The channel's two node ids (hex), undefined for one whose node_announcement we hold; undefined until its announcement is in the graph. */
  unannouncedEnds(short_channel_id: bigint): [string | undefined, string | undefined] | undefined;
}

export interface SyncHost {
  send(id: string, m: Message): void;
  /** The graph has this channel, or its announcement is being verified. */
  known(short_channel_id: bigint): boolean;
  /** A channel listed for the first time by any peer (now in `expected`). */
  listed?(short_channel_id: bigint): void;
  /** UNIX seconds. */
  now(): number;
  bad(id: string, err: BoltError): void;
  changed(): void;
  /** Optional: gossipd is still taking in what peers sent (so a quiet peer may only be unread). */
  busy?(): boolean;
  /** The raw gossip we hold: our channel_update timestamps and checksums, our node_announcements. */
  raw(): RawView;
}

/** A channel as a peer listed it: its channel_update timestamps and checksums per direction, when it gave them. */
interface Theirs {
  timestamps: ChannelUpdateTimestamps;
  checksums: [number, number] | undefined;
}

interface PeerSync {
  id: string;
  state: PeerSyncState;
  /** Every short_channel_id this peer listed, in any round. */
  offered: Set<bigint>;
  /** What it listed this round, with timestamps (and checksums) when it gave them. */
  listed: Map<bigint, Theirs | undefined>;
  /** It answered with timestamps: it knows the query extensions, query_flags go with every query. */
  extended: boolean;
  /** Highest first_blocknum + number_of_blocks seen in this round's replies. */
  rangeEnd: number;
  /** reply_channel_range messages this round. */
  rangeReplies: number;
  /** Channels assigned to this peer, not yet asked for, and what to ask for each (query_flags). */
  queue: bigint[];
  want: Map<bigint, number>;
  outstanding: bigint[] | undefined;
  timer: unknown;
  resyncTimer: unknown;
  /** The next query for node_announcements that are due again (when no round is coming). */
  nodeTimer: unknown;
  /** Rounds started, and how many of this round's asks were new: a channel, a newer update, a node not asked for before. */
  round: number;
  fresh: number;
  /** Messages from it gossipd accepted since this round began (accepted()): a round whose asks all were refused is not productive. */
  accepted: number;
  /** UNIX seconds when the first round started (or when we decided not to sync from it). */
  startedAt: number;
  /** Gave up on queries: asked for everything with a timestamp filter from 0. */
  fallback: boolean;
  filterSent: boolean;
  /** The outstanding query's channels, and whether anything answered it yet (gossip for one of them, or its end). */
  asked: Set<bigint>;
  answered: boolean;
  /** clock.now() of its last gossip while a query was outstanding (the timeout counts from it). */
  heardAt: number;
  /** The probe query_channel_range behind the first query_short_channel_ids (peers without timestamps). */
  probe: 'none' | 'sent' | 'done';
}

/** A node_announcement we lacked and asked for. */
interface NodeAsk {
  asks: number;
  /** clock.now() from which it may be asked again. */
  dueAt: number;
  /** The channel it was last asked on (the one the node-only query names). */
  scid: bigint;
}

/** The probe: a query_channel_range for block 0 alone, which holds no channel. */
const PROBE_FIRST = 0;
const PROBE_BLOCKS = 1;
const UPDATE_SCID = fieldPlace('channel_update', 'short_channel_id');
const ANNOUNCEMENT_SCID = fieldPlace('channel_announcement', 'short_channel_id');

/** The short_channel_id of a raw channel_announcement or channel_update, or undefined (node_announcement, too short). */
function gossipScid(raw: Uint8Array): bigint | undefined {
  const type = readType(raw);
  let at: number;
  if (type === TYPE.channel_update) at = UPDATE_SCID.at;
  else if (type === TYPE.channel_announcement) at = placeIn(raw, ANNOUNCEMENT_SCID);
  else return undefined;
  if (at < 0 || raw.length < at + 8) return undefined;
  let s = 0n;
  for (let i = 0; i < 8; i++) s = (s << 8n) | BigInt(raw[at + i]!);
  return s;
}

export class Syncer {
  private readonly peers = new Map<string, PeerSync>();
  /** short_channel_id → the peer asked for it. */
  private readonly owner = new Map<bigint, string>();
  /** node_announcements we lacked (node id hex) → how often they were asked for (of any peer), and when again. */
  private readonly nodeAsks = new Map<string, NodeAsk>();
  /** Every channel some peer listed. */
  readonly expected = new Set<bigint>();
  /** Rounds finished (or given up on), over all peers. */
  completed = 0;
  /** Peers we stopped querying: recognised as not answering query_short_channel_ids (`silent`), or after `scidTimeoutMs`/`rangeTimeoutMs` (`timeout`). */
  readonly fallbacks = { silent: 0, timeout: 0 };

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
    const p: PeerSync = {
      id,
      state: 'done',
      offered: new Set(),
      listed: new Map(),
      extended: false,
      rangeEnd: 0,
      rangeReplies: 0,
      queue: [],
      want: new Map(),
      outstanding: undefined,
      timer: undefined,
      resyncTimer: undefined,
      nodeTimer: undefined,
      round: 0,
      fresh: 0,
      accepted: 0,
      startedAt: this.host.now(),
      fallback: false,
      filterSent: false,
      asked: new Set(),
      answered: false,
      probe: 'none',
      heardAt: 0,
    };
    this.peers.set(id, p);
    if (this.syncing >= this.config.syncPeers) {
      this.finish(p);
      return;
    }
    this.beginRound(p);
  }

  gone(id: string): void {
    const p = this.peers.get(id);
    if (!p) return;
    this.disarm(p);
    this.disarmLater(p);
    this.peers.delete(id);
    this.reassign([...p.queue, ...(p.outstanding ?? [])], id);
    this.host.changed();
  }

  /** gossipd accepted a message from this peer (what decides, at resync time, whether its last round was productive). */
  accepted(id: string): void {
    const p = this.peers.get(id);
    if (p) p.accepted++;
  }

  /** Any gossip from a peer we are waiting on: it is answering, not stalled (and it answers the query when the gossip is for an asked channel). */
  heard(id: string, raw?: Uint8Array): void {
    const p = this.peers.get(id);
    if (p?.state !== 'scids' || !p.outstanding) return;
    // No timer per message: the timeout, when it fires, starts again from the last gossip heard.
    p.heardAt = this.clock.now();
    if (!p.answered && raw) {
      const s = gossipScid(raw);
      if (s !== undefined && p.asked.has(s)) p.answered = true;
    }
  }

  async replyChannelRange(id: string, m: MessageOf<'reply_channel_range'>): Promise<void> {
    const p = this.peers.get(id);
    if (!equal(m.chain_hash, this.chainHash)) throw new ProtocolError('wrong_chain', 'reply_channel_range for another chain');
    if (p && p.probe === 'sent' && p.state !== 'range') return this.probeAnswered(p, m);
    if (!p || p.state !== 'range') throw new ProtocolError('unexpected_reply', 'reply_channel_range without query_channel_range');
    const round = p.round;
    const scids = await decodeShortChannelIdsAsync(m.encoded_short_ids, this.inflate);
    const theirs = await this.extensions(id, m, scids.length);
    if (this.peers.get(id) !== p || p.state !== 'range' || p.round !== round) return;
    if (theirs) p.extended = true;
    // A peer that lists more channels than a chain holds, or never ends its replies, is not
    // believed: its round ends here (what it listed so far stays asked for) and it is warned.
    if (p.listed.size + scids.length > MAX_LISTED || ++p.rangeReplies > MAX_RANGE_REPLIES) {
      p.fallback = true;
      this.finish(p);
      throw new ProtocolError('range_too_long', `reply_channel_range beyond ${MAX_LISTED} channels or ${MAX_RANGE_REPLIES} replies`);
    }
    scids.forEach((s, i) => {
      p.offered.add(s);
      p.listed.set(s, theirs?.[i]);
      if (this.expected.has(s)) return;
      this.expected.add(s);
      this.host.listed?.(s);
    });
    p.rangeEnd = Math.max(p.rangeEnd, m.first_blocknum + m.number_of_blocks);
    // BOLT 7: "the final reply_channel_range message: MUST have first_blocknum plus
    // number_of_blocks equal or greater than the query_channel_range first_blocknum plus
    // number_of_blocks". sync_complete is not relied on: older peers set it on every reply.
    if (p.rangeEnd >= U32_MAX) {
      p.state = 'scids';
      this.plan(p);
      this.next(p);
    } else {
      this.arm(p, this.config.rangeTimeoutMs);
    }
    this.host.changed();
  }

  replyShortChannelIdsEnd(id: string, m: MessageOf<'reply_short_channel_ids_end'>): void {
    const p = this.peers.get(id);
    if (!equal(m.chain_hash, this.chainHash)) throw new ProtocolError('wrong_chain', 'reply_short_channel_ids_end for another chain');
    // A peer taken for silent by the probe that answers after all (out of order): late, not wrong.
    if (p?.fallback && !p.outstanding && p.probe === 'done') return;
    if (!p?.outstanding) throw new ProtocolError('unexpected_reply', 'reply_short_channel_ids_end without query_short_channel_ids');
    const asked = p.outstanding;
    p.outstanding = undefined;
    p.answered = true;
    this.disarm(p);
    for (const s of asked) if (this.owner.get(s) === id) this.owner.delete(s);
    // "full_information ... 0 ... does not maintain up-to-date channel information": ask someone else.
    if (m.full_information === 0) this.reassign(asked, id);
    this.next(p);
    this.host.changed();
  }

  private beginRound(p: PeerSync): void {
    p.round++;
    p.fresh = 0;
    p.accepted = 0;
    p.rangeEnd = 0;
    p.rangeReplies = 0;
    p.listed = new Map();
    p.state = 'range';
    // BOLT 7 query_channel_range: "MAY append an additional query_channel_range_tlv, which
    // specifies the type of extended information it would like to receive"; timestamps and
    // checksums (gossip_queries_ex). The TLV is odd: peers that do not know it ignore it.
    this.host.send(p.id, {
      name: 'query_channel_range',
      chain_hash: this.chainHash,
      first_blocknum: 0,
      number_of_blocks: U32_MAX,
      tlvs: { query_option: { query_option_flags: BigInt(QUERY_OPTION.timestamps | QUERY_OPTION.checksums) } },
    });
    this.arm(p, this.config.rangeTimeoutMs);
    this.host.changed();
  }

  /** The reply's timestamps_tlv and checksums_tlv, one per short_channel_id, or undefined when it has none (or they do not match its ids). */
  private async extensions(id: string, m: MessageOf<'reply_channel_range'>, n: number): Promise<Theirs[] | undefined> {
    const tlv = m.tlvs?.timestamps_tlv;
    if (!tlv) return undefined;
    let ts: ChannelUpdateTimestamps[];
    try {
      ts = await decodeTimestampsAsync(tlv, this.inflate);
    } catch (e) {
      if (!(e instanceof BoltError)) throw e;
      this.log.debug(`gossipd: ${id}: reply_channel_range timestamps ignored: ${e.message}`);
      return undefined;
    }
    // BOLT 7: timestamps and checksums "for all short_channel_ids in encoded_short_ids".
    if (ts.length !== n) {
      this.log.debug(`gossipd: ${id}: reply_channel_range with ${ts.length} timestamps for ${n} channels; ignored`);
      return undefined;
    }
    const cs = m.tlvs?.checksums_tlv?.checksums;
    const withCs = cs !== undefined && cs.length === n;
    return ts.map((t, i) => ({ timestamps: t, checksums: withCs ? [cs[i]!.checksum_node_id_1, cs[i]!.checksum_node_id_2] : undefined }));
  }

  /** At the end of a round's listing: what to ask this peer for, channel by channel. */
  private plan(p: PeerSync): void {
    const now = this.host.now();
    const raw = this.host.raw();
    const nodesThisRound = new Set<string>();
    for (const s of [...p.listed.keys()].sort(cmp)) {
      if (this.owner.has(s)) continue;
      let flags = QUERY_FLAG_ALL;
      let fresh = true;
      if (this.host.known(s)) {
        const theirs = p.listed.get(s);
        const updates = theirs ? newerUpdates(raw, s, theirs, now) : 0;
        const nodes = this.missingNodes(raw, s, nodesThisRound);
        flags = updates | nodes.flags;
        fresh = updates !== 0 || nodes.fresh;
        if (!flags) continue;
      }
      if (fresh) p.fresh++;
      this.owner.set(s, p.id);
      p.queue.push(s);
      p.want.set(s, flags);
    }
    p.listed = new Map();
  }

  /**
   * query_flags bits for the node_announcements we lack of a known channel's ends: each node once
   * a round, and only when due (nodeDue); `fresh` when one was never asked for before.
   */
  private missingNodes(raw: RawView, s: bigint, thisRound: Set<string>): { flags: number; fresh: boolean } {
    const none = { flags: 0, fresh: false };
    const ends = raw.unannouncedEnds(s);
    if (!ends) return none; // still being verified
    const now = this.clock.now();
    let flags = 0;
    let fresh = false;
    ends.forEach((node, side) => {
      if (node === undefined) return; // its node_announcement is held
      if (thisRound.has(node) || !this.nodeDue(node, now)) return;
      thisRound.add(node);
      if (this.askedNode(node, s, now) === 1) fresh = true;
      flags |= nodeFlag(side);
    });
    return { flags, fresh };
  }

  /** A node_announcement we lack may be asked for now: never asked, or its spacing is over and it has asks left. */
  private nodeDue(node: string, now: number): boolean {
    const a = this.nodeAsks.get(node);
    return !a || (a.asks < MAX_NODE_ASKS && now >= a.dueAt);
  }

  /** Counts an ask for a node_announcement (on channel `s`) and spaces the next: resyncMs after the first, doubling. Returns the asks so far. */
  private askedNode(node: string, s: bigint, now: number): number {
    const asks = (this.nodeAsks.get(node)?.asks ?? 0) + 1;
    this.nodeAsks.set(node, { asks, dueAt: now + this.config.resyncMs * 2 ** (asks - 1), scid: s });
    return asks;
  }

  /**
   * When no round with this peer is coming: a timer for the earliest node_announcement it could be
   * asked for again (one on a channel it listed, asks left). Nothing due ever: no timer.
   */
  private armNodeAsks(p: PeerSync, atLeastMs = 0): void {
    if (p.nodeTimer !== undefined) this.clock.clearTimeout(p.nodeTimer);
    p.nodeTimer = undefined;
    if (p.fallback || p.state !== 'done' || p.resyncTimer !== undefined) return;
    let first = Infinity;
    for (const a of this.nodeAsks.values()) if (a.asks < MAX_NODE_ASKS && a.dueAt < first && p.offered.has(a.scid)) first = a.dueAt;
    if (first === Infinity) return;
    p.nodeTimer = this.clock.setTimeout(() => this.askNodes(p), Math.max(atLeastMs, first - this.clock.now()));
  }

  /** A query_short_channel_ids of its own for the node_announcements due again (those of channels this peer listed). */
  private askNodes(p: PeerSync): void {
    p.nodeTimer = undefined;
    if (this.peers.get(p.id) !== p || p.state !== 'done' || p.fallback || p.resyncTimer !== undefined) return;
    if (this.syncing >= this.config.syncPeers) return this.armNodeAsks(p, this.config.resyncMs);
    const raw = this.host.raw();
    const now = this.clock.now();
    for (const [node, a] of this.nodeAsks) {
      if (a.asks >= MAX_NODE_ASKS || now < a.dueAt || !p.offered.has(a.scid) || this.owner.has(a.scid)) continue;
      const side = raw.unannouncedEnds(a.scid)?.indexOf(node) ?? -1;
      // Announced since, or its channel is gone: nothing to ask (and nothing to remember).
      if (side < 0) {
        this.nodeAsks.delete(node);
        continue;
      }
      this.askedNode(node, a.scid, now);
      if (!p.want.has(a.scid)) p.queue.push(a.scid);
      p.want.set(a.scid, (p.want.get(a.scid) ?? 0) | nodeFlag(side));
    }
    // None due after all (asked of another peer meanwhile, or being asked on a channel another
    // peer is answering): look again no sooner than resyncMs from now.
    if (!p.queue.length) return this.armNodeAsks(p, this.config.resyncMs);
    for (const s of p.queue) this.owner.set(s, p.id);
    // Not a round: it does not count towards MAX_ROUNDS, and it starts none.
    p.fresh = 0;
    p.accepted = 0;
    this.next(p);
  }

  /** The next query_short_channel_ids for this peer, or the end of its round. */
  private next(p: PeerSync): void {
    const chunk: bigint[] = [];
    const flags: number[] = [];
    // Sorted (already in order after the first time: cheap), then taken from the front by index
    // and cut once: shift() per id moved the whole queue (a mainnet round's 50,000) 1,000 times a query.
    p.queue.sort(cmp);
    let taken = 0;
    while (taken < p.queue.length && chunk.length < this.config.scidsPerQuery) {
      const s = p.queue[taken++]!;
      const f = p.want.get(s) ?? QUERY_FLAG_ALL;
      p.want.delete(s);
      // A channel we lacked that arrived meanwhile (from another peer, or relayed).
      if (f & QUERY_FLAG.channel_announcement && this.host.known(s)) {
        if (this.owner.get(s) === p.id) this.owner.delete(s);
        continue;
      }
      chunk.push(s);
      flags.push(f);
    }
    p.queue.splice(0, taken);
    if (!chunk.length) {
      this.finish(p);
      return;
    }
    p.state = 'scids';
    p.outstanding = chunk;
    p.asked = new Set(chunk);
    p.answered = false;
    p.heardAt = this.clock.now();
    const m: MessageOf<'query_short_channel_ids'> = {
      name: 'query_short_channel_ids',
      chain_hash: this.chainHash,
      encoded_short_ids: encodeShortChannelIds(chunk),
    };
    // BOLT 7: "MAY include an optional query_flags. If so: ... MUST encode one query flag per
    // short_channel_id." Without it the peer sends the announcement, both updates and both nodes.
    if (p.extended || flags.some(f => f !== QUERY_FLAG_ALL)) m.tlvs = { query_flags: encodeQueryFlags(flags) };
    this.host.send(p.id, m);
    this.arm(p, this.config.scidTimeoutMs);
    // A peer without the query extensions may be one that never answers this (LDK): probe it
    // with a query it does answer, right behind this one.
    if (!p.extended && p.probe === 'none') {
      p.probe = 'sent';
      this.host.send(p.id, {
        name: 'query_channel_range',
        chain_hash: this.chainHash,
        first_blocknum: PROBE_FIRST,
        number_of_blocks: PROBE_BLOCKS,
      });
    }
  }

  /**
   * The probe's reply. BOLT 1 peers handle a connection's messages in order; one that answered the
   * probe (sent after the query) and said nothing at all on the query does not answer
   * query_short_channel_ids: stop waiting for it now.
   */
  private probeAnswered(p: PeerSync, m: MessageOf<'reply_channel_range'>): void {
    // "the final reply_channel_range ... first_blocknum plus number_of_blocks equal or greater than the query's"
    if (m.first_blocknum + m.number_of_blocks < PROBE_FIRST + PROBE_BLOCKS) return;
    p.probe = 'done';
    if (p.state !== 'scids' || !p.outstanding || p.answered) return;
    this.log.info(
      `gossipd: ${p.id} answered a later query_channel_range but nothing of query_short_channel_ids; asking for everything with gossip_timestamp_filter`,
    );
    this.fallbacks.silent++;
    this.giveUp(p);
  }

  private finish(p: PeerSync): void {
    this.disarm(p);
    if (p.state !== 'done') this.completed++;
    p.state = 'done';
    if (!p.filterSent) {
      p.filterSent = true;
      // After a fallback: everything (LDK sends it all on any filter). Otherwise what the peer
      // accepts from shortly before the sync started on: what it held then, the queries fetched.
      this.sendFilter(p.id, p.fallback ? 0 : Math.max(0, p.startedAt - FILTER_MARGIN_S), U32_MAX);
    }
    // A round that found something may not have seen everything the peer is still accepting.
    if (!p.fallback && p.round > 0 && p.fresh > 0 && p.round < MAX_ROUNDS) this.armResync(p);
    else this.armNodeAsks(p);
    this.host.changed();
  }

  private armResync(p: PeerSync): void {
    if (p.resyncTimer !== undefined) this.clock.clearTimeout(p.resyncTimer);
    p.resyncTimer = this.clock.setTimeout(() => {
      p.resyncTimer = undefined;
      if (this.peers.get(p.id) !== p || p.state !== 'done' || p.fallback) return;
      // Asked for something new, but nothing of it was accepted (refused channels or updates): no
      // more rounds; only node_announcements still due are asked for.
      if (p.accepted === 0) return this.armNodeAsks(p);
      if (this.syncing >= this.config.syncPeers) return this.armResync(p);
      this.beginRound(p);
    }, this.config.resyncMs);
  }

  private sendFilter(id: string, first_timestamp: number, timestamp_range: number): void {
    this.host.send(id, { name: 'gossip_timestamp_filter', chain_hash: this.chainHash, first_timestamp, timestamp_range });
  }

  private timeout(p: PeerSync): void {
    p.timer = undefined;
    if (this.peers.get(p.id) !== p || p.state === 'done') return;
    if (p.state === 'scids') {
      const quiet = this.clock.now() - p.heardAt;
      if (quiet < this.config.scidTimeoutMs) return this.arm(p, this.config.scidTimeoutMs - quiet);
    }
    // gossipd is still taking in what arrived (and connectd is not reading meanwhile): not the peer's silence.
    if (this.host.busy?.()) return this.arm(p, p.state === 'range' ? this.config.rangeTimeoutMs : this.config.scidTimeoutMs);
    this.log.info(
      `gossipd: ${p.id} did not answer ${p.state === 'range' ? 'query_channel_range' : 'query_short_channel_ids'}; asking for everything with gossip_timestamp_filter`,
    );
    this.fallbacks.timeout++;
    this.giveUp(p);
  }

  /** No more queries to this peer: what it was asked goes to others, and it gets a timestamp filter from 0. */
  private giveUp(p: PeerSync): void {
    const left = [...p.queue, ...(p.outstanding ?? [])];
    p.queue = [];
    p.want.clear();
    p.outstanding = undefined;
    // No more rounds with it; after a later round the filter it has stays.
    p.fallback = true;
    this.reassign(left, p.id);
    this.finish(p);
  }

  /** Hands channels a peer could not deliver to another peer that listed them (those we still lack). */
  private reassign(scids: readonly bigint[], from: string): void {
    const kick = new Set<PeerSync>();
    for (const s of scids) {
      if (this.owner.get(s) === from) this.owner.delete(s);
      if (this.owner.has(s) || this.host.known(s)) continue;
      for (const q of this.peers.values()) {
        if (q.id === from || q.fallback || q.state === 'range' || !q.offered.has(s)) continue;
        this.owner.set(s, q.id);
        q.queue.push(s);
        q.want.set(s, QUERY_FLAG_ALL);
        q.fresh++;
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

  /** Clears the timers of later rounds and node asks. */
  private disarmLater(p: PeerSync): void {
    if (p.resyncTimer !== undefined) this.clock.clearTimeout(p.resyncTimer);
    if (p.nodeTimer !== undefined) this.clock.clearTimeout(p.nodeTimer);
    p.resyncTimer = undefined;
    p.nodeTimer = undefined;
  }

  close(): void {
    for (const p of this.peers.values()) {
      this.disarm(p);
      this.disarmLater(p);
    }
  }
}

/**
 * query_flags bits for the channel_updates a peer holds newer versions of. BOLT 7: timestamps let
 * a node "only ask for channel_update messages that are newer than the ones you already have",
 * checksums "only ask for channel_update messages that carry different information"; both
 * together: newer and different. A same-content update is still asked for once ours is old
 * (it keeps the channel from being pruned), never one that is itself stale (validation would drop it).
 */
function newerUpdates(raw: RawView, s: bigint, theirs: Theirs, now: number): number {
  let flags = 0;
  for (const d of [0, 1] as const) {
    const ts = d === 0 ? theirs.timestamps.timestamp_node_id_1 : theirs.timestamps.timestamp_node_id_2;
    // "0 if there was no channel_update from that node"
    if (ts === 0 || ts < now - STALE_SECONDS) continue;
    const bit = d === 0 ? QUERY_FLAG.channel_update_node_1 : QUERY_FLAG.channel_update_node_2;
    const ours = raw.update(s, d);
    if (!ours) {
      flags |= bit;
      continue;
    }
    const ourTs = ours.timestamp;
    if (ts <= ourTs) continue;
    const cs = theirs.checksums?.[d];
    // "if a channel_update checksum is actually 0 (which is quite unlikely) it will not be queried":
    // a 0 is taken as no checksum, and the newer timestamp decides.
    if (cs !== undefined && cs !== 0 && cs === ours.checksum && ourTs >= now - REFRESH_AFTER_S) continue;
    flags |= bit;
  }
  return flags;
}

/** The query_flags bit for a channel's node_announcement on that side (0: node_id_1). */
function nodeFlag(side: number): number {
  return side === 0 ? QUERY_FLAG.node_announcement_node_1 : QUERY_FLAG.node_announcement_node_2;
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
