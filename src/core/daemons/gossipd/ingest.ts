// The "gossip in" path (design.md): cheap checks first, signatures in batches, then apply in order.
//   1. prepareGossip (validate.ts) drops what is known, older, on another chain or stale from the
//      raw bytes, before any signature check; so does a message already waiting for its check.
//   2. New messages queue for the verifier; a batch leaves at `verifyBatchMax` messages or
//      `verifyBatchDelayMs` after its first, whichever comes first. Batches may verify at the same
//      time (a pool), but their verdicts are applied strictly in arrival order.
//   3. A channel_update for a channel we don't know yet, and a node_announcement for a node with no
//      channel yet, are held (BOLT 7 lets us ignore them; their channel_announcement is usually a
//      moment behind, being verified) and tried again once a channel_announcement is accepted.
//      Nothing about them is checked yet, so what is held is bounded: per channel direction (or
//      node) the two newest from each of at most `holdPerKey` peers, per peer `holdPeerBytes`, in
//      all `holdMax` messages and `holdBytes` bytes (the oldest go first), nothing larger than a
//      real message of its kind could be (`holdUpdateMaxBytes`), each for `holdMs`. Each message
//      costs O(1) to hold or refuse, however fast a peer repeats it.
//   4. Slow per-message work (the chain source's funding output check) starts for a whole batch as
//      soon as its signatures are checked (`IngestHost.prefetch`), so lookups run several at once
//      while messages are still applied one by one in arrival order: a channel_update never
//      overtakes the channel_announcement it depends on.
import { equal, toHex } from '../../base/bytes.ts';
import type { BoltError } from '../../base/errors.ts';
import type { Graph } from '../../gossip/graph.ts';
import {
  MAX_FUTURE_SECONDS,
  announcementKeys,
  finishGossip,
  prepareGossip,
  type Accepted,
  type GossipRules,
  type Rejected,
  type ToVerify,
} from '../../gossip/validate.ts';
import type { SigVerifier, VerifyItem } from '../../gossip/verify-pool.ts';
import type { Clock, GossipdConfig, GossipdStats, Log } from './types.ts';

export interface IngestHost {
  /** A verified message, in order; applied on return, or when the promise it returns resolves. */
  accept(a: Accepted, peer: string): void | Promise<void>;
  /**
   * The peer broke a rule (undecodable gossip, a bad signature). `checked`: the message failed its
   * signature checks (`signatures` of them; `update`: a channel_update, checked against the key of
   * an announcement we hold).
   */
  bad(peer: string, err: BoltError, checked?: { signatures: number; update: boolean }): void;
  /**
   * Optional: a message passed its signature check and will be `accept`ed after the ones before
   * it; start any slow lookup it needs now. Called in arrival order, possibly while earlier
   * batches are still being applied.
   */
  prefetch?(a: Accepted): void;
}

interface Queued {
  peer: string;
  p: ToVerify;
  key: bigint | string;
  /** A channel_announcement's node ids (hex), counted in `announcingNodes` while it is in flight. */
  nodes?: [string, string];
}

/** A held message: waiting for its channel (key: short_channel_id*2 + direction) or node (key: node id hex). */
interface Held {
  key: bigint | string;
  peer: string;
  raw: Uint8Array;
  timestamp: number;
  until: number;
  live: boolean;
  /** Its channel_announcement (or, for a node_announcement, one of the node's) was in flight: counted in `pending`. */
  expected: boolean;
}

const EMPTY = new Uint8Array(0);
/** Added to an update's in-flight key (inflightKey). */
const UPDATE_KEY_BASE = 1n << 100n;
/** Held per channel direction (or node) and peer: its newest this many. */
const HOLD_PER_PEER = 2;

/**
 * What makes a message in flight the same as another: its channel and key set (announcement: two
 * with other keys are both checked, so a conflict is seen whichever comes first), its channel,
 * direction and timestamp (update), its node and timestamp (node announcement). Bigints for the
 * updates, most of the traffic, so no text is built for them.
 */
function inflightKey(p: ToVerify): bigint | string {
  const m = p.msg;
  switch (m.name) {
    case 'channel_announcement':
      return `${m.short_channel_id}:${toHex(announcementKeys(p.raw))}`;
    case 'channel_update':
      // Above 2^64, so never equal to an announcement's key: (scid * 2 + direction) * 2^32 + timestamp
      // (direction * 2^32 + timestamp is below 2^33, exact as a number: one BigInt made, not five).
      return ((m.short_channel_id << 33n) | BigInt((m.channel_flags & 1) * 0x100000000 + m.timestamp)) + UPDATE_KEY_BASE;
    case 'node_announcement':
      return `${toHex(m.node_id)}/${m.timestamp}`;
  }
}

export class Ingest {
  private queue: Queued[] = [];
  private timer: unknown;
  /** Messages queued or being verified, so a second copy is dropped before its signature check. */
  private readonly inflight = new Set<bigint | string>();
  /** channel_announcements queued or being verified, by short_channel_id. */
  private readonly announcing = new Map<bigint, number>();
  /** Node ids (hex) of the channel_announcements queued or being verified, with how many. */
  private readonly announcingNodes = new Map<string, number>();
  /**
   * Held messages whose announcement is in flight: gossip a sync asked for, which will be applied
   * as soon as that announcement is. They count in `pending`, so that gossipd's backpressure stops
   * the peer before they can overflow the hold caps (and `synced` waits for them).
   */
  private expectedHeld = 0;
  /** Held messages by key, at most `holdPerKey` each (one per peer). */
  private readonly held = new Map<bigint | string, Held[]>();
  /** Held messages in the order they came (for expiry and eviction); removed ones stay, not live, until passed. */
  private order: Held[] = [];
  private orderHead = 0;
  private heldCount = 0;
  private closed = false;
  private heldBytes = 0;
  private readonly heldByPeer = new Map<string, number>();
  private sweepTimer: unknown;
  /** Verdicts are applied one batch after another, in order. */
  private applying: Promise<void> = Promise.resolve();
  /** below() callers: each says (true) when it was answered. */
  private waiters: (() => boolean)[] = [];

  constructor(
    private readonly graph: Graph,
    private readonly rules: GossipRules,
    private readonly verifier: SigVerifier,
    private readonly host: IngestHost,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly config: GossipdConfig,
    private readonly stats: GossipdStats,
  ) {}

  /** True while a channel_announcement for this channel waits for its signature check. */
  announcementInFlight(short_channel_id: bigint): boolean {
    return this.announcing.has(short_channel_id);
  }

  /** Messages queued, being verified or waiting to be applied (all in `inflight`), and the expected held ones. */
  get pending(): number {
    return this.inflight.size + this.expectedHeld;
  }

  /**
   * Resolves once at most `max` messages wait for their signature check or to be applied (checked
   * after each batch is applied, so no batch leaves early): gossipd's backpressure to connectd.
   */
  below(max: number): Promise<void> {
    if (this.pending <= max) return Promise.resolve();
    return new Promise<void>(resolve => this.waiters.push(() => (this.pending <= max || this.closed ? (resolve(), true) : false)));
  }

  private wake(): void {
    if (this.waiters.length) this.waiters = this.waiters.filter(w => !w());
  }

  /** One channel_announcement, node_announcement or channel_update from a peer (type included). */
  submit(peer: string, raw: Uint8Array): void {
    const p = prepareGossip(raw, this.graph, this.rules);
    switch (p.result) {
      case 'ignore':
        if (p.code === 'duplicate' || p.code === 'older') this.stats.duplicates++;
        else this.stats.ignored++;
        return;
      case 'reject':
        this.stats.rejected++;
        this.host.bad(peer, p.error);
        return;
      case 'unknown_channel':
        // Its channel_announcement being checked right now (the usual case in a sync): expected,
        // so not charged to the peer's share (two per announcement in flight and peer at most).
        this.hold(
          (p.short_channel_id << 1n) | BigInt(p.direction),
          peer,
          raw,
          p.timestamp,
          this.config.holdUpdateMaxBytes,
          this.announcing.has(p.short_channel_id),
        );
        return;
      case 'pending': {
        const node = toHex(p.node_id);
        this.hold(node, peer, raw, p.timestamp, this.config.holdNodeMaxBytes, this.announcingNodes.has(node));
        return;
      }
      case 'verify': {
        const key = inflightKey(p);
        if (this.inflight.has(key)) {
          this.stats.duplicates++;
          return;
        }
        this.inflight.add(key);
        let nodes: [string, string] | undefined;
        if (p.msg.name === 'channel_announcement') {
          this.announcing.set(p.msg.short_channel_id, (this.announcing.get(p.msg.short_channel_id) ?? 0) + 1);
          nodes = [toHex(p.msg.node_id_1), toHex(p.msg.node_id_2)];
          for (const n of nodes) this.announcingNodes.set(n, (this.announcingNodes.get(n) ?? 0) + 1);
        }
        this.queue.push(nodes ? { peer, p, key, nodes } : { peer, p, key });
        if (this.queue.length >= this.config.verifyBatchMax) this.flushQueue();
        else if (this.timer === undefined) this.timer = this.clock.setTimeout(() => this.flushQueue(), this.config.verifyBatchDelayMs);
      }
    }
  }

  /** A channel_announcement was accepted: try again what waited for it. */
  released(short_channel_id: bigint, node_ids: readonly Uint8Array[]): void {
    if (this.heldCount === 0) return; // the usual case: nothing is waiting
    const again: Held[] = [];
    for (const k of [short_channel_id << 1n, (short_channel_id << 1n) | 1n, ...node_ids.map(id => toHex(id))]) {
      const list = this.held.get(k);
      if (!list) continue;
      for (const h of [...list]) {
        again.push({ ...h });
        this.unhold(h);
      }
    }
    this.counted();
    for (const h of again) this.submit(h.peer, h.raw);
  }

  /** Sends what is queued to the verifier now, and resolves once every verdict so far is applied. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.queue.length) this.flushQueue();
      const done = this.applying;
      await done;
      // Applying may release held messages into a new batch: go round until nothing is left.
      if (!this.queue.length && done === this.applying) return;
    }
  }

  close(): void {
    this.closed = true;
    this.wake();
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (this.sweepTimer !== undefined) this.clock.clearTimeout(this.sweepTimer);
    this.timer = this.sweepTimer = undefined;
  }

  private hold(key: bigint | string, peer: string, raw: Uint8Array, timestamp: number, maxBytes: number, expected: boolean): void {
    const c = this.config;
    // Larger than any real message of its kind: not worth holding unchecked. Nor is an update from
    // too far in the future (validate.ts would discard it once its channel is known).
    if (raw.length > maxBytes) return void this.stats.held_dropped++;
    if (typeof key === 'bigint' && timestamp > this.rules.now() + MAX_FUTURE_SECONDS) return void this.stats.held_dropped++;
    const list = this.held.get(key);
    if (list) {
      // At most holdPerKey peers, HOLD_PER_PEER each: a constant amount of work per message.
      let mine = 0;
      let myOldest: Held | undefined;
      let oldest: Held | undefined;
      const peers = new Set<string>();
      for (const h of list) {
        // The same message from two peers is held once.
        if (h.timestamp === timestamp && h.raw.length === raw.length && equal(h.raw, raw)) return void this.stats.duplicates++;
        peers.add(h.peer);
        if (!oldest || h.timestamp < oldest.timestamp) oldest = h;
        if (h.peer !== peer) continue;
        // Another with the same timestamp from this peer: BOLT 7 would ignore it (or take it for spam).
        if (h.timestamp === timestamp) return void this.stats.held_dropped++;
        mine++;
        if (!myOldest || h.timestamp < myOldest.timestamp) myOldest = h;
      }
      // The newest two from each peer (BOLT 7: an older timestamp is ignored anyway). Two, so that
      // a newer forgery does not push out the real update sent with it.
      const replace = mine >= HOLD_PER_PEER ? myOldest : mine === 0 && peers.size >= c.holdPerKey ? oldest : undefined;
      if (replace) {
        if (timestamp <= replace.timestamp) return void this.stats.held_dropped++;
        this.unhold(replace);
      }
    }
    // One peer's share: what it sends beyond is dropped (it costs itself, not other peers).
    if (!expected && (this.heldByPeer.get(peer) ?? 0) + raw.length > c.holdPeerBytes) return void this.stats.held_dropped++;
    while (this.heldCount > 0 && (this.heldCount >= c.holdMax || this.heldBytes + raw.length > c.holdBytes)) if (!this.evictOldest()) break;
    const h: Held = { key, peer, raw, timestamp, until: this.clock.now() + c.holdMs, live: true, expected };
    if (expected) this.expectedHeld++;
    const l = this.held.get(key);
    if (l) l.push(h);
    else this.held.set(key, [h]);
    this.order.push(h);
    this.heldCount++;
    this.heldBytes += raw.length;
    this.heldByPeer.set(peer, (this.heldByPeer.get(peer) ?? 0) + raw.length);
    this.counted();
    if (this.sweepTimer === undefined) this.armSweep(c.holdMs);
  }

  /** Takes a held message out of every index (it stays in `order`, not live, until passed). */
  private unhold(h: Held): void {
    if (!h.live) return;
    h.live = false;
    this.unexpect(h);
    const list = this.held.get(h.key)!;
    list.splice(list.indexOf(h), 1);
    if (!list.length) this.held.delete(h.key);
    this.heldCount--;
    this.heldBytes -= h.raw.length;
    const left = this.heldByPeer.get(h.peer)! - h.raw.length;
    if (left > 0) this.heldByPeer.set(h.peer, left);
    else this.heldByPeer.delete(h.peer);
    h.raw = EMPTY;
    // Removed entries pile up in `order` when a peer keeps replacing its messages: compact now and then.
    if (this.order.length > 1024 && this.order.length > 4 * this.heldCount) {
      this.order = this.order.slice(this.orderHead).filter(x => x.live);
      this.orderHead = 0;
    }
  }

  private unexpect(h: Held): void {
    if (!h.expected) return;
    h.expected = false;
    this.expectedHeld--;
  }

  /** What waited for an announcement no longer in flight is no longer counted (released already if it was accepted). */
  private unexpectAll(key: bigint | string): void {
    const list = this.held.get(key);
    if (list) for (const h of list) this.unexpect(h);
  }

  /** Drops the oldest held message; false if there was none. */
  private evictOldest(): boolean {
    let found = false;
    while (!found && this.orderHead < this.order.length) {
      const h = this.order[this.orderHead++]!;
      if (!h.live) continue;
      this.unhold(h);
      this.stats.held_dropped++;
      found = true;
    }
    this.trimOrder();
    return found;
  }

  private trimOrder(): void {
    if (this.orderHead >= this.order.length) {
      this.order = [];
      this.orderHead = 0;
    } else if (this.orderHead > 1024 && this.orderHead * 2 > this.order.length) {
      this.order = this.order.slice(this.orderHead);
      this.orderHead = 0;
    }
  }

  private counted(): void {
    this.stats.held = this.heldCount;
    this.stats.held_bytes = this.heldBytes;
  }

  private armSweep(ms: number): void {
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweep();
    }, ms);
  }

  /** Drops held messages past their time (they are in `order` by time). */
  private sweep(): void {
    const now = this.clock.now();
    while (this.orderHead < this.order.length) {
      const h = this.order[this.orderHead]!;
      if (h.live && h.until > now) break;
      this.orderHead++;
      // Its channel or node never came within holdMs: dropped, and counted as such.
      if (h.live) this.stats.held_dropped++;
      this.unhold(h);
    }
    this.trimOrder();
    this.counted();
    const next = this.order[this.orderHead];
    if (next && this.sweepTimer === undefined) this.armSweep(Math.max(1, next.until - now));
  }

  private flushQueue(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.queue;
    if (!batch.length) return;
    this.queue = [];
    const items: VerifyItem[] = [];
    for (const q of batch) for (const c of q.p.checks) items.push(c);
    this.stats.verify_batches++;
    this.stats.signatures_checked += items.length;
    const verdicts = this.verifier.verifyBatch(items).then(v => this.finish(batch, v));
    verdicts.catch(() => {}); // handled below, in order
    this.applying = this.applying.then(() => this.apply(batch, verdicts)).then(() => this.wake());
  }

  /** Each message's verdict from the batch's signature results; lets the host start its lookups. */
  private finish(batch: Queued[], v: Uint8Array): (Accepted | Rejected)[] {
    let at = 0;
    const out = batch.map(q => {
      const n = q.p.checks.length;
      const verdict = finishGossip(q.p, v.subarray(at, at + n));
      at += n;
      return verdict;
    });
    if (this.host.prefetch) {
      for (const verdict of out) {
        if (verdict.result !== 'accept') continue;
        try {
          this.host.prefetch(verdict);
        } catch (e) {
          this.log.warn(`gossipd: prefetch failed: ${(e as Error)?.message ?? e}`);
        }
      }
    }
    return out;
  }

  /** A message is out of flight. */
  private done(q: Queued): void {
    this.inflight.delete(q.key);
    const m = q.p.msg;
    if (m.name !== 'channel_announcement') return;
    const n = (this.announcing.get(m.short_channel_id) ?? 1) - 1;
    if (n > 0) this.announcing.set(m.short_channel_id, n);
    else {
      this.announcing.delete(m.short_channel_id);
      this.unexpectAll(m.short_channel_id << 1n);
      this.unexpectAll((m.short_channel_id << 1n) | 1n);
    }
    for (const node of q.nodes ?? []) {
      const left = (this.announcingNodes.get(node) ?? 1) - 1;
      if (left > 0) this.announcingNodes.set(node, left);
      else {
        this.announcingNodes.delete(node);
        this.unexpectAll(node);
      }
    }
  }

  private async apply(batch: Queued[], verdicts: Promise<(Accepted | Rejected)[]>): Promise<void> {
    let v: (Accepted | Rejected)[];
    try {
      v = await verdicts;
    } catch (e) {
      // The verifier failed (its workers died): drop the batch; peers will send it again.
      this.log.warn(`gossipd: signature checks failed, ${batch.length} messages dropped: ${(e as Error)?.message ?? e}`);
      for (const q of batch) this.done(q);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const q = batch[i]!;
      const verdict = v[i]!;
      this.done(q);
      if (verdict.result === 'reject') {
        this.stats.rejected++;
        this.host.bad(q.peer, verdict.error, { signatures: q.p.checks.length, update: q.p.msg.name === 'channel_update' });
        continue;
      }
      try {
        // Most are applied at once: no promise, no turn of the event loop per message.
        const r = this.host.accept(verdict, q.peer);
        if (r) await r;
      } catch (e) {
        this.log.warn(`gossipd: applying ${q.p.msg.name} failed: ${(e as Error)?.message ?? e}`);
      }
    }
  }
}
