// The "gossip in" path (design.md): cheap checks first, signatures in batches, then apply in order.
//   1. prepareGossip (validate.ts) drops what is known, older, on another chain or stale from the
//      raw bytes, before any signature check; so does a message already waiting for its check.
//   2. New messages queue for the verifier; a batch leaves at `verifyBatchMax` messages or
//      `verifyBatchDelayMs` after its first, whichever comes first. Batches may verify at the same
//      time (a pool), but their verdicts are applied strictly in arrival order.
//   3. A channel_update for a channel we don't know yet, and a node_announcement for a node with no
//      channel yet, are held (BOLT 7 lets us ignore them; their channel_announcement is usually a
//      moment behind, being verified) and tried again once a channel_announcement is accepted.
//   4. Slow per-message work (the chain source's funding output check) starts for a whole batch as
//      soon as its signatures are checked (`IngestHost.prefetch`), so lookups run several at once
//      while messages are still applied one by one in arrival order: a channel_update never
//      overtakes the channel_announcement it depends on.
import { toHex } from '../../bytes.ts';
import type { BoltError } from '../../errors.ts';
import type { Graph } from '../../gossip/graph.ts';
import { finishGossip, prepareGossip, type Accepted, type GossipRules, type Rejected, type ToVerify } from '../../gossip/validate.ts';
import type { SigVerifier, VerifyItem } from '../../gossip/verify-pool.ts';
import type { Clock, GossipdConfig, GossipdStats, Log } from './types.ts';

export interface IngestHost {
  /** A verified message, in order; resolves when it has been applied. */
  accept(a: Accepted, peer: string): Promise<void>;
  /** The peer broke a rule (undecodable gossip, a bad signature). */
  bad(peer: string, err: BoltError): void;
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
}

interface Held {
  peer: string;
  raw: Uint8Array;
  until: number;
}

/**
 * What makes a message in flight the same as another: its channel (announcement), its channel,
 * direction and timestamp (update), its node and timestamp (node announcement). Numbers and
 * bigints rather than strings, so no text is built per message.
 */
function inflightKey(p: ToVerify): bigint | string {
  const m = p.msg;
  switch (m.name) {
    case 'channel_announcement':
      return m.short_channel_id;
    case 'channel_update':
      // Above 2^64, so never equal to an announcement's key: (scid * 2 + direction) * 2^32 + timestamp.
      return ((((m.short_channel_id << 1n) | BigInt(m.channel_flags & 1)) << 32n) | BigInt(m.timestamp)) + (1n << 100n);
    case 'node_announcement':
      return `${toHex(m.node_id)}/${m.timestamp}`;
  }
}

export class Ingest {
  private queue: Queued[] = [];
  private timer: unknown;
  /** Messages queued or being verified, so a second copy is dropped before its signature check. */
  private readonly inflight = new Set<bigint | string>();
  private readonly heldUpdates = new Map<bigint, Held[]>();
  private readonly heldNodes = new Map<string, Held[]>();
  private heldCount = 0;
  private closed = false;
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
    return this.inflight.has(short_channel_id);
  }

  get pending(): number {
    return this.queue.length + this.inflight.size;
  }

  /**
   * Resolves once at most `max` messages wait for their signature check or to be applied (checked
   * after each batch is applied, so no batch leaves early): gossipd's backpressure to connectd.
   */
  below(max: number): Promise<void> {
    if (this.pending <= max) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(() => (this.pending <= max || this.closed ? (resolve(), true) : false)));
  }

  private wake(): void {
    if (this.waiters.length) this.waiters = this.waiters.filter((w) => !w());
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
        this.hold(this.heldUpdates, p.short_channel_id, peer, raw);
        return;
      case 'pending':
        this.hold(this.heldNodes, toHex(p.node_id), peer, raw);
        return;
      case 'verify': {
        const key = inflightKey(p);
        if (this.inflight.has(key)) {
          this.stats.duplicates++;
          return;
        }
        this.inflight.add(key);
        this.queue.push({ peer, p, key });
        if (this.queue.length >= this.config.verifyBatchMax) this.flushQueue();
        else if (this.timer === undefined) this.timer = this.clock.setTimeout(() => this.flushQueue(), this.config.verifyBatchDelayMs);
      }
    }
  }

  /** A channel_announcement was accepted: try again what waited for it. */
  released(short_channel_id: bigint, node_ids: readonly Uint8Array[]): void {
    if (this.heldCount === 0) return; // the usual case: nothing is waiting
    const again: Held[] = [];
    const u = this.heldUpdates.get(short_channel_id);
    if (u) {
      this.heldUpdates.delete(short_channel_id);
      again.push(...u);
    }
    for (const id of node_ids) {
      const k = toHex(id);
      const n = this.heldNodes.get(k);
      if (n) {
        this.heldNodes.delete(k);
        again.push(...n);
      }
    }
    this.heldCount -= again.length;
    this.stats.held = this.heldCount;
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

  private hold<K>(map: Map<K, Held[]>, key: K, peer: string, raw: Uint8Array): void {
    const list = map.get(key) ?? [];
    // The same message from two peers is held once.
    if (list.some((h) => h.raw.length === raw.length && h.raw.every((b, i) => b === raw[i]))) {
      this.stats.duplicates++;
      return;
    }
    if (this.heldCount >= this.config.holdMax) this.sweep(true);
    list.push({ peer, raw, until: this.clock.now() + this.config.holdMs });
    map.set(key, list);
    this.heldCount++;
    this.stats.held = this.heldCount;
    if (this.sweepTimer === undefined) {
      this.sweepTimer = this.clock.setTimeout(() => {
        this.sweepTimer = undefined;
        this.sweep(false);
      }, this.config.holdMs);
    }
  }

  /** Drops held messages past their time (or, when `full`, the oldest quarter as well). */
  private sweep(full: boolean): void {
    const now = this.clock.now();
    let cutoff = now;
    if (full) {
      const all: number[] = [];
      for (const m of [this.heldUpdates, this.heldNodes] as Map<unknown, Held[]>[]) for (const l of m.values()) for (const h of l) all.push(h.until);
      all.sort((a, b) => a - b);
      cutoff = Math.max(now, all[Math.floor(all.length / 4)] ?? now);
    }
    for (const m of [this.heldUpdates, this.heldNodes] as Map<unknown, Held[]>[]) {
      for (const [k, l] of m) {
        const keep = l.filter((h) => h.until > cutoff);
        this.heldCount -= l.length - keep.length;
        if (keep.length) m.set(k, keep);
        else m.delete(k);
      }
    }
    this.stats.held = this.heldCount;
    if (this.heldCount > 0 && this.sweepTimer === undefined) {
      this.sweepTimer = this.clock.setTimeout(() => {
        this.sweepTimer = undefined;
        this.sweep(false);
      }, this.config.holdMs);
    }
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
    const verdicts = this.verifier.verifyBatch(items).then((v) => this.finish(batch, v));
    verdicts.catch(() => {}); // handled below, in order
    this.applying = this.applying.then(() => this.apply(batch, verdicts)).then(() => this.wake());
  }

  /** Each message's verdict from the batch's signature results; lets the host start its lookups. */
  private finish(batch: Queued[], v: Uint8Array): (Accepted | Rejected)[] {
    let at = 0;
    const out = batch.map((q) => {
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

  private async apply(batch: Queued[], verdicts: Promise<(Accepted | Rejected)[]>): Promise<void> {
    let v: (Accepted | Rejected)[];
    try {
      v = await verdicts;
    } catch (e) {
      // The verifier failed (its workers died): drop the batch; peers will send it again.
      this.log.warn(`gossipd: signature checks failed, ${batch.length} messages dropped: ${(e as Error)?.message ?? e}`);
      for (const q of batch) this.inflight.delete(q.key);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const q = batch[i]!;
      const verdict = v[i]!;
      this.inflight.delete(q.key);
      if (verdict.result === 'reject') {
        this.stats.rejected++;
        this.host.bad(q.peer, verdict.error);
        continue;
      }
      try {
        await this.host.accept(verdict, q.peer);
      } catch (e) {
        this.log.warn(`gossipd: applying ${q.p.msg.name} failed: ${(e as Error)?.message ?? e}`);
      }
    }
  }
}
