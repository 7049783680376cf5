// lightningd pays (Core Lightning's xpay over its sendpay machinery, lightningd/pay.c): a
// PaySession (src/core/pay) plans the parts; each part is recorded durably (pay-store.ts) BEFORE
// channeld is asked to add its HTLC, and what the channel does with the HTLC comes back through
// ChannelControl's HtlcListener: `offered` ties the record to channeld's HTLC id, `fulfilled`
// writes the preimage in the same write as the channel state (staging: a preimage learned is never
// lost), `failed` keeps the error onion, decoded with the part's shared secrets. After a restart a
// part in flight is resolved the same way, from the channel, and never sent again.
import { toHex } from '../../base/bytes.ts';
import type { RouteHop as HintHop } from '../../bolt11/fields.ts';
import { chainHash } from '../../chain/chains.ts';
import type { Clock, Log } from '../../node/daemon.ts';
import {
  DEFAULT_RETRY_FOR_S,
  PAY_ROUTE_NOT_FOUND,
  PaySession,
  type OutgoingPart,
  type PayEnv,
  type PayGraph,
  type PayRequest,
  type PayResult,
  type PaySnapshot,
} from '../../pay/index.ts';
import { formatScid } from '../../wire/scid.ts';
import type { ConnectedBlock, ChainListener } from '../../chain/backend.ts';
import type { ChanneldDaemonApi, HtlcChange } from '../channeld/interface.ts';
import type { HtlcListener } from './channels.ts';
import type { ChannelRecord, LightningdDb } from './db.ts';
import { RpcError } from './jsonrpc.ts';
import { PaymentGraph, type PayGossip } from './pay-graph.ts';
import { matchRecordedAdds, partOfHtlc, stagePartChanges, stagePartFulfilled } from './pay-htlcs.ts';
import { resumeSession } from './pay-resume.ts';
import {
  PAYMENTS,
  SENDPAYS,
  paymentKey,
  payments,
  requestOf,
  requestRecord,
  sendpayKey,
  sendpays,
  stagePayment,
  stageSendpay,
  summarize,
  type GroupSummary,
  type PaymentRecord,
  type PayRequestRecord,
  type SendpayRecord,
} from './pay-store.ts';

/** Core Lightning's PAY_IN_PROGRESS, PAY_STOPPED_RETRYING and PAY_INJECTPAYMENTONION_ALREADY_PAID (common/jsonrpc_errors.h). */
export const PAY_IN_PROGRESS = 200;
const PAY_STOPPED_RETRYING = 210;
export const PAY_INJECTPAYMENTONION_ALREADY_PAID = 219;

/**
 * What a call for a hash already paid, or being paid, answers. Core Lightning's xpay refuses both
 * (219 "Already paid this invoice successfully"; lightningd's 200 while a group is in flight);
 * its pay answers the first payment's result, and waits for the attempt in flight to end.
 */
export interface Repeat {
  paid: 'answer' | 'refuse';
  pending: 'wait' | 'refuse';
}
export const XPAY_REPEAT: Repeat = { paid: 'refuse', pending: 'refuse' };
export const PAY_REPEAT: Repeat = { paid: 'answer', pending: 'wait' };

/** What PayControl needs of ChannelControl (channels.ts). */
export interface PayChannels {
  onHtlcs(l: HtlcListener): () => void;
  channeldOf(dbid: string): { api: Pick<ChanneldDaemonApi, 'addHtlc'>; guard<R>(p: Promise<R>): Promise<R> } | undefined;
}

export interface PayControlOptions {
  nodeId: string;
  network: string;
  db: LightningdDb;
  channels: PayChannels;
  /** gossipd, asked for each payment's candidate routes (pay-graph.ts); absent: our own channels and the invoice's hints only. */
  gossipd?: PayGossip;
  blockheight(): number | Promise<number>;
  randomBytes(n: number): Uint8Array;
  /** Milliseconds since 1970. */
  nowMs(): number;
  /** Timers: a payment waiting for a route is woken at its `retry_for` deadline (absent: only by events). */
  clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** What a channel can add now (channel-rpc.ts channelBalance). */
  spendable(c: ChannelRecord): bigint;
  log: Log;
}

/** A payment to make: the session's request and what listpays shows of it. */
export interface PayOrder {
  req: PayRequest;
  bolt11?: string;
  description?: string;
  label?: string;
  /** The invoice's `r` fields. */
  hints?: HintHop[][];
}

/** A payment that completed (now or before): its attempt and what its parts add up to. */
export interface Paid extends GroupSummary {
  payment: PaymentRecord;
  preimage: string;
}

/** A payment running in this process: its session, and a wake-up for each event it waits for. */
interface Run {
  order: PayOrder;
  hash: string;
  groupid: number;
  session: PaySession;
  /** What the session routes over: gossipd's answers so far, our channels, the invoice's hints. */
  graph: PaymentGraph;
  /** The channels (short_channel_ids) the session's env holds: another set rebuilds it (refresh). */
  channelSet: string;
  /** Failed parts when gossipd was last asked: a new failure (something learnt) asks again. */
  failedSeen: number;
  height: number;
  /** The session's env (refresh() makes another). */
  env: PayEnv;
  /** Resumed after a restart: with no route it waits for our channels to come back, until `retry_for`. */
  resumed: boolean;
  signalled: boolean;
  waiter?: () => void;
}

/** A `pay` waiting for the end of an attempt it did not start. */
interface Ending {
  resolve(p: Paid): void;
  reject(e: unknown): void;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class PayControl implements HtlcListener, ChainListener {
  private readonly runs = new Map<string, Run>();
  /** Parts whose addHtlc is in flight, until channeld reports them `offered` (or refuses them). */
  private readonly offering = new Map<string, () => void>();
  /** Each channel's addHtlc calls, one at a time: an `offered` change names the part it is. */
  private readonly turns = new Map<string, Promise<void>>();
  private readonly endings = new Map<string, Ending[]>();
  private readonly stopListening: () => void;
  /** load() ran: a payment pending with no run is one whose run ended, not one waiting to be resumed. */
  private loaded = false;

  constructor(private readonly o: PayControlOptions) {
    this.stopListening = o.channels.onHtlcs(this);
  }

  get db(): LightningdDb {
    return this.o.db;
  }

  stop(): void {
    this.stopListening();
  }

  /**
   * At start (the database loaded, the channels known): each payment still pending is resumed
   * from its request and its parts (records written before requests were kept: they end once
   * their parts have); then parts never offered are failed (channeld never sent what it never
   * recorded), which the resumed sessions route again. Parts in flight stay pending: their
   * channel tells what became of them.
   */
  async load(): Promise<void> {
    this.loaded = true;
    for (const p of payments(this.o.db)) {
      if (p.status !== 'pending') continue;
      if (p.request) this.resume({ ...p, request: p.request });
      else this.settleOrphan(p.payment_hash, p.groupid);
    }
    for (const c of this.o.db.channels()) this.reconcile(c);
    await this.o.db.flush();
  }

  /** The attempt that paid `hash`, if one did. */
  paid(hash: string): Paid | undefined {
    const p = payments(this.o.db).find(x => x.payment_hash === hash && x.status === 'complete');
    if (!p) return undefined;
    const s = summarize(this.group(hash, p.groupid));
    return { ...s, payment: p, preimage: s.preimage ?? p.payment_preimage! };
  }

  /**
   * Pays `o` to the end: its preimage (and what it cost), or an RpcError with Core Lightning's code.
   * A hash already paid, or being paid, is answered as `repeat` says, and nothing is sent again.
   */
  async pay(o: PayOrder, repeat: Repeat = { paid: 'answer', pending: 'refuse' }): Promise<Paid> {
    const db = this.o.db;
    const hash = toHex(o.req.payment_hash);
    const before = this.paid(hash);
    if (before) {
      if (repeat.paid === 'refuse') throw new RpcError(PAY_INJECTPAYMENTONION_ALREADY_PAID, 'Already paid this invoice successfully');
      return before;
    }
    const mine = payments(db).filter(p => p.payment_hash === hash);
    const pending = mine.find(p => p.status === 'pending');
    if (pending) {
      if (repeat.pending === 'wait') return this.ended(hash, pending.groupid);
      throw new RpcError(PAY_IN_PROGRESS, `Payment with groupid=${pending.groupid} still in progress, cannot retry before that completes.`);
    }
    const groupid = Math.max(0, ...mine.map(p => p.groupid)) + 1;
    const startedAt = this.o.nowMs();
    // Recorded before the first await: a second call for the hash sees it.
    const record: PaymentRecord = {
      payment_hash: hash,
      groupid,
      status: 'pending',
      destination: o.req.destination,
      amount_msat: o.req.amount_msat.toString(),
      created_at: Math.floor(startedAt / 1000),
      ...(o.bolt11 !== undefined ? { bolt11: o.bolt11 } : {}),
      ...(o.description !== undefined ? { description: o.description } : {}),
      ...(o.label !== undefined ? { label: o.label } : {}),
      request: requestRecord(o.req, o.hints ?? [], startedAt),
    };
    stagePayment(db, record);
    const run = this.newRun(o, groupid, false, env => new PaySession(o.req, env));
    return this.follow(run, db.flush());
  }

  /** A payment pending at the last stop, as it stood: its session rebuilt from the store, and driven again. */
  private resume(p: PaymentRecord & { request: PayRequestRecord }): void {
    const { req, hints } = requestOf(p);
    const order: PayOrder = {
      req,
      hints,
      ...(p.bolt11 !== undefined ? { bolt11: p.bolt11 } : {}),
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.label !== undefined ? { label: p.label } : {}),
    };
    const parts = this.group(p.payment_hash, p.groupid);
    const run = this.newRun(order, p.groupid, true, env => resumeSession(req, p.request.started_at_ms, parts, env));
    this.o.log.info(`payment ${p.payment_hash}: resumed with ${summarize(parts).pending_parts} part(s) in flight`);
    void this.follow(run, Promise.resolve()).catch(() => undefined);
  }

  private newRun(order: PayOrder, groupid: number, resumed: boolean, session: (env: PayEnv) => PaySession): Run {
    const hash = toHex(order.req.payment_hash);
    const run = { order, hash, groupid, height: 0, signalled: false, failedSeen: -1, resumed } as Run;
    const ours = this.usable();
    run.session = session(this.env(run, ours));
    this.runs.set(paymentKey(hash, groupid), run);
    return run;
  }

  /** Drives the run to its end (once `ready` resolves), and records that end: the preimage, or why not. */
  private async follow(run: Run, ready: Promise<void>): Promise<Paid> {
    const db = this.o.db;
    const { hash, groupid } = run;
    const key = paymentKey(hash, groupid);
    let done: PayResult;
    try {
      await ready;
      done = await this.drive(run);
    } catch (e) {
      done = { status: 'failed', code: e instanceof RpcError ? e.code : -1, message: errorText(e), failed_parts: 0 };
    } finally {
      this.runs.delete(key);
    }
    const now = db.record<PaymentRecord>(PAYMENTS, key);
    if (!now) throw new RpcError(done.status === 'failed' ? done.code : -1, `payment ${hash}: its record is gone`);
    if (done.status === 'complete' || now.status === 'complete') {
      if (now.completed_at === undefined) stagePayment(db, { ...now, status: 'complete', completed_at: Math.floor(this.o.nowMs() / 1000) });
      await db.flush();
      this.notifyEnd(key);
      return this.paid(hash)!;
    }
    if (summarize(this.group(hash, groupid)).pending_parts === 0) {
      stagePayment(db, {
        ...now,
        status: 'failed',
        completed_at: Math.floor(this.o.nowMs() / 1000),
        error: { code: done.code, message: done.message },
      });
      await db.flush();
      this.notifyEnd(key);
    }
    throw new RpcError(done.code, done.message);
  }

  /** The end of the attempt `hash`/`groupid`, pending now: its result, or its error. */
  private ended(hash: string, groupid: number): Promise<Paid> {
    const key = paymentKey(hash, groupid);
    return new Promise<Paid>((resolve, reject) => {
      const list = this.endings.get(key) ?? [];
      list.push({ resolve, reject });
      this.endings.set(key, list);
    });
  }

  /** The attempt's end is durable: each `pay` waiting for it gets it. */
  private notifyEnd(key: string): void {
    const p = this.o.db.record<PaymentRecord>(PAYMENTS, key);
    const waiting = this.endings.get(key);
    if (!p || p.status === 'pending' || !waiting) return;
    this.endings.delete(key);
    for (const w of waiting) {
      if (p.status === 'complete') w.resolve(this.paid(p.payment_hash)!);
      else w.reject(new RpcError(p.error?.code ?? PAY_STOPPED_RETRYING, p.error?.message ?? 'failed'));
    }
  }

  /** The session's steps: send what it plans, then wait for the next part's end, until it is done. */
  private async drive(run: Run): Promise<PayResult> {
    let deadline: unknown;
    for (;;) {
      run.height = await this.o.blockheight();
      this.refresh(run);
      await this.askRoutes(run);
      const before = run.session.snapshot();
      const r = run.session.step();
      if ('done' in r) {
        if (!this.waitsForChannels(run, r.done, before)) return r.done;
        // No route while a channel of ours is not back yet, or while an HTLC settles into our
        // balance: not the end; the session as it was, its env rebuilt (spendable afresh) when woken.
        run.session = PaySession.restore(before, run.env);
        run.channelSet = '';
        // Woken by an event, or at the deadline at the latest, when step() ends it: never past retry_for.
        const left = before.startedAt + (before.req.retry_for_s ?? DEFAULT_RETRY_FOR_S) * 1000 - this.o.nowMs();
        deadline = this.o.clock?.setTimeout(() => this.wake(run), Math.max(0, left) + 1);
      } else for (const part of r.send) void this.launch(run, part).catch(e => this.o.log.warn(`payment ${run.hash}: ${errorText(e)}`));
      await new Promise<void>(resolve => {
        if (run.signalled) resolve();
        else run.waiter = resolve;
      });
      if (deadline !== undefined) this.o.clock?.clearTimeout(deadline);
      deadline = undefined;
      run.signalled = false;
    }
  }

  private wake(run: Run | undefined): void {
    if (!run) return;
    run.signalled = true;
    const w = run.waiter;
    run.waiter = undefined;
    w?.();
  }

  /** Our channels a part can start on now: in normal operation, with a channeld running. */
  private usable(): ChannelRecord[] {
    return this.o.db
      .channels()
      .filter(c => c.state === 'CHANNELD_NORMAL' && c.short_channel_id !== undefined && this.o.channels.channeldOf(c.dbid));
  }

  /**
   * The session routes over the channels that run now: when that set changed (a channel came back
   * after a restart, or stopped), its env is rebuilt over them, the session as it stands kept.
   */
  private refresh(run: Run): void {
    const ours = this.usable();
    if (ours.map(c => c.short_channel_id).join(',') === run.channelSet) return;
    run.session = PaySession.restore(run.session.snapshot(), this.env(run, ours));
    run.failedSeen = -1;
  }

  /**
   * A payment found no route, but one may come: it waits rather than failing for want of a route,
   * until `retry_for` has passed (then step() ends it). Resumed, while a channel of ours in normal
   * operation has no channeld yet (its peer not back since the restart: a channel starting, a
   * block, wakes it). Or while our channels hold incoming HTLCs being settled, whose amounts would
   * give what is missing (BOLT 2: a fulfilled HTLC's amount is ours once its removal is committed
   * in both commitments; `listpeerchannels` shows it spendable only then): their `resolved`
   * change wakes it. Nothing pending that could help: 205 at once, as before.
   */
  private waitsForChannels(run: Run, done: PayResult, s: PaySnapshot): boolean {
    if (done.status !== 'failed' || done.code !== PAY_ROUTE_NOT_FOUND) return false;
    if (this.o.nowMs() - s.startedAt >= (s.req.retry_for_s ?? DEFAULT_RETRY_FOR_S) * 1000) return false;
    if (run.resumed && this.o.db.channels().some(c => c.state === 'CHANNELD_NORMAL' && !this.o.channels.channeldOf(c.dbid))) return true;
    return this.settling(run);
  }

  /** Our usable channels hold incoming HTLCs which, once settled, would let them carry what is missing. */
  private settling(run: Run): boolean {
    let incoming = 0n;
    for (const c of this.usable())
      for (const h of Object.values(c.htlcs ?? {})) if (h.direction === 'in') incoming += BigInt(h.amount_msat);
    if (incoming === 0n) return false;
    // The env counts this payment's parts in flight in spendable: what is left of it, against what is left to deliver.
    let free = run.env.channels.reduce((t, c) => t + c.spendable_msat, 0n) + incoming;
    let missing = run.session.req.amount_msat;
    for (const p of run.session.records()) {
      if (p.status === 'failed') continue;
      if (p.status === 'pending') free -= p.sent_msat;
      missing -= p.delivers_msat;
    }
    return free >= missing;
  }

  private env(run: Run, ours: ChannelRecord[]): PayEnv {
    const o = run.order;
    run.channelSet = ours.map(c => c.short_channel_id).join(',');
    const own = ours.map(c => ({ short_channel_id: c.short_channel_id!, peer: c.peer_id, capacity_sat: Number(c.funding_sat) }));
    run.graph = new PaymentGraph(this.o.nodeId, o.req.destination, own, o.hints ?? []);
    // The session keeps this object: it routes over whatever run.graph holds at each step.
    const graph: PayGraph = {
      route: q => run.graph.payGraph.route(q),
      policy: (c, d) => run.graph.payGraph.policy(c, d),
      signer: (c, d) => run.graph.payGraph.signer(c, d),
    };
    // What a channel could add before this payment's parts: the session counts its own parts in
    // flight against it, and those the channel holds already (offered) are out of spendable.
    const offered = (c: ChannelRecord) =>
      this.group(run.hash, run.groupid)
        .filter(s => s.status === 'pending' && s.channel === c.dbid && s.htlc_id !== undefined)
        .reduce((t, s) => t + BigInt(s.amount_sent_msat), 0n);
    run.env = {
      now: () => this.o.nowMs(),
      blockheight: () => run.height,
      sessionKey: () => this.o.randomBytes(32),
      graph,
      channels: ours.map(c => ({ short_channel_id: c.short_channel_id!, spendable_msat: this.o.spendable(c) + offered(c) })),
      chain_hash: chainHash(this.o.network),
    };
    return run.env;
  }

  /**
   * Before the session plans: gossipd's candidate routes, at the start and after each failure
   * (with every exclusion the session has learnt). gossipd unreachable: what is known already
   * (our channels, the hints, earlier answers) still routes.
   */
  private async askRoutes(run: Run): Promise<void> {
    const failed = run.session.records().filter(p => p.status === 'failed').length;
    if (!this.o.gossipd || failed === run.failedSeen) return;
    run.failedSeen = failed;
    try {
      await run.graph.ask(this.o.gossipd, run.session.req, [...run.session.overlay.excluded]);
    } catch (e) {
      this.o.log.warn(`payment ${run.hash}: gossipd's routes: ${errorText(e)}`);
    }
  }

  /** One part: its record durable, then channeld's addHtlc (one at a time per channel). */
  private async launch(run: Run, part: OutgoingPart): Promise<void> {
    const db = this.o.db;
    const { hash, groupid, order: o } = run;
    const scid = formatScid(part.short_channel_id);
    const channel = db.channels().find(c => c.short_channel_id === scid);
    const rec: SendpayRecord = {
      created_index: Math.max(0, ...sendpays(db).map(s => s.created_index)) + 1,
      payment_hash: hash,
      groupid,
      partid: part.partid,
      status: 'pending',
      destination: o.req.destination,
      amount_msat: part.delivers_msat.toString(),
      amount_sent_msat: part.amount_msat.toString(),
      created_at: Math.floor(this.o.nowMs() / 1000),
      ...(o.bolt11 !== undefined ? { bolt11: o.bolt11 } : {}),
      ...(o.description !== undefined ? { description: o.description } : {}),
      ...(o.label !== undefined ? { label: o.label } : {}),
      channel: channel?.dbid ?? '',
      short_channel_id: scid,
      cltv_expiry: part.cltv_expiry,
      route: part.route.map(h => ({
        id: h.id,
        channel: h.channel,
        direction: h.direction,
        amount_msat: h.amount_msat.toString(),
        delay: h.delay,
      })),
      shared_secrets: part.sharedSecrets.map(toHex),
      blockheight: run.height,
    };
    stageSendpay(db, rec);
    await db.flush();
    if (!channel) return this.localFailure(rec, `no channel ${scid}`);
    const key = sendpayKey(hash, groupid, part.partid);
    await this.inTurn(channel.dbid, async () => {
      const d = this.o.channels.channeldOf(channel.dbid);
      if (!d) return this.localFailure(rec, `channel ${scid} is not running`);
      const offered = new Promise<void>(resolve => this.offering.set(key, resolve));
      const call = d.guard(
        d.api.addHtlc({ amountMsat: part.amount_msat, paymentHash: part.payment_hash, cltvExpiry: part.cltv_expiry, onion: part.onion }),
      );
      const refused = call.then(
        () => undefined,
        e => this.refused(key, e, channel.dbid, d),
      );
      await Promise.race([offered, refused]);
      this.offering.delete(key);
    });
  }

  private inTurn(dbid: string, f: () => Promise<void>): Promise<void> {
    const next = (this.turns.get(dbid) ?? Promise.resolve()).then(f, f);
    this.turns.set(
      dbid,
      next.catch(() => undefined),
    );
    return next;
  }

  /**
   * channeld refused an add. Refused at once (a BOLT 2 limit): never sent. Its instance ended: the
   * channel's durable HTLCs say, once the next instance runs (started; or now, if it already does).
   */
  private async refused(key: string, e: unknown, dbid: string, asked: unknown): Promise<void> {
    const rec = this.o.db.record<SendpayRecord>(SENDPAYS, key);
    if (!rec || rec.status !== 'pending' || rec.htlc_id !== undefined) return; // offered: the channel tells its end
    const code = (e as { code?: unknown } | undefined)?.code;
    if (code === 'disconnected' || code === 'channel_failed') {
      const now = this.o.channels.channeldOf(dbid);
      const c = this.o.db.channels().find(x => x.dbid === dbid);
      this.offering.delete(key);
      if (now && now !== asked && c && this.reconcile(c)) await this.o.db.flush();
      return;
    }
    await this.localFailure(rec, errorText(e));
  }

  /** The run of the part's payment, if it runs and still counts the part in flight. */
  private runOf(p: SendpayRecord): Run | undefined {
    const run = this.runs.get(paymentKey(p.payment_hash, p.groupid));
    return run?.session.records().some(x => x.partid === p.partid && x.status === 'pending') ? run : undefined;
  }

  /**
   * A part that never left: failed durably, and its session told: refused by channeld (`limit`:
   * the channel carries less than that now), or never recorded by a channeld that ended.
   */
  private async localFailure(rec: SendpayRecord, why: string, limit = true): Promise<void> {
    const now = Math.floor(this.o.nowMs() / 1000);
    stageSendpay(this.o.db, { ...rec, status: 'failed', failure: why, completed_at: now });
    await this.o.db.flush();
    const run = this.runOf(rec);
    if (run) {
      if (limit) run.session.localFailure(rec.partid, why);
      else run.session.unsent(rec.partid, why);
      this.wake(run);
    } else this.settleOrphan(rec.payment_hash, rec.groupid);
  }

  private group(hash: string, groupid: number): SendpayRecord[] {
    return sendpays(this.o.db).filter(s => s.payment_hash === hash && s.groupid === groupid);
  }

  // ---- HtlcListener ----

  /** Inside the channel's write: each HTLC change of ours recorded in the same write (never a preimage lost). */
  staging(c: Readonly<ChannelRecord>, changes: readonly HtlcChange[]): void {
    const offered = stagePartChanges(this.o.db, c.dbid, changes, Math.floor(this.o.nowMs() / 1000), this.o.log);
    for (const key of offered) this.offering.get(key)?.();
  }

  /** Once durable: the sessions learn what became of their parts. */
  persisted(c: Readonly<ChannelRecord>, changes: readonly HtlcChange[]): void {
    for (const ch of changes) {
      if (ch.kind !== 'fulfilled' && ch.kind !== 'failed') continue;
      const p = partOfHtlc(this.o.db, c.dbid, ch.id);
      if (!p) continue;
      const run = this.runOf(p);
      if (!run) {
        this.settleOrphan(p.payment_hash, p.groupid);
        continue;
      }
      try {
        if (ch.kind === 'fulfilled') run.session.fulfilled(p.partid, ch.preimage);
        else if (ch.reason) run.session.failed(p.partid, ch.reason, ch.attribution);
        else run.session.failedMalformed(p.partid, ch.failureCode ?? 0);
      } catch (e) {
        this.o.log.warn(`payment ${p.payment_hash} part ${p.partid}: ${errorText(e)}`);
      }
      this.wake(run);
    }
    // An incoming HTLC settled (its amount ours now, if fulfilled): payments waiting for it look again.
    if (changes.some(ch => ch.kind === 'resolved')) for (const run of this.runs.values()) this.wake(run);
  }

  /** A new channeld runs: parts whose add it never recorded were never sent; payments waiting for a channel look again. */
  started(c: Readonly<ChannelRecord>): void {
    if (this.reconcile(c)) void this.o.db.flush().catch(e => this.o.log.warn(`payments on channel ${c.dbid}: ${errorText(e)}`));
    for (const run of this.runs.values()) this.wake(run);
  }

  /**
   * An HTLC we offered on `dbid` settled on chain (onchaind, BOLT 5): the peer claimed it with the
   * preimage (its HTLC-success, or its claim of our commitment's offered output), and the part is
   * paid; or it timed out there (or was in no commitment), and the part failed. Staged at once,
   * so that the write which takes the HTLC off the channel's record carries it; then its session
   * learns it. `htlc` names the HTLC that failed (its expiry and id), when onchaind knows them.
   */
  onchain(dbid: string, paymentHash: string, preimage?: Uint8Array, htlc?: { id?: bigint; cltvExpiry: number }): void {
    const db = this.o.db;
    const now = Math.floor(this.o.nowMs() / 1000);
    const mine = sendpays(db).filter(
      s =>
        s.channel === dbid &&
        s.payment_hash === paymentHash &&
        s.status === 'pending' &&
        (preimage !== undefined ||
          htlc === undefined ||
          (s.cltv_expiry === htlc.cltvExpiry && (htlc.id === undefined || s.htlc_id === undefined || s.htlc_id === htlc.id.toString()))),
    );
    const settled = mine.filter(p => {
      if (preimage) return stagePartFulfilled(db, p, preimage, now, this.o.log);
      stageSendpay(db, { ...p, status: 'failed', completed_at: now, failure: 'permanent_channel_failure: our HTLC failed on chain' });
      return true;
    });
    if (settled.length === 0) return;
    void db.flush().then(
      () => {
        for (const p of settled) {
          const run = this.runOf(p);
          if (!run) {
            this.settleOrphan(p.payment_hash, p.groupid);
            continue;
          }
          // Its channel is on chain: the session routes no more over it (refresh drops it).
          if (preimage) run.session.fulfilled(p.partid, preimage);
          else run.session.unsent(p.partid, 'permanent_channel_failure: our HTLC failed on chain');
          this.wake(run);
        }
      },
      e => this.o.log.warn(`payment ${paymentHash} on chain: ${errorText(e)}`),
    );
  }

  /** Parts on `c` whose addHtlc ended unanswered: tied to the HTLC the channel recorded, or failed (never sent). */
  private reconcile(c: Readonly<ChannelRecord>): boolean {
    const { assigned, unsent } = matchRecordedAdds(this.o.db, c, key => this.offering.has(key));
    for (const s of unsent) void this.localFailure(s, 'never sent: its channel stopped before the add was recorded', false);
    return assigned + unsent.length > 0;
  }

  // ---- ChainListener: each block wakes the payments (a resumed one waiting for a channel checks its retry_for) ----

  blockConnected(_b: ConnectedBlock): void {
    for (const run of this.runs.values()) this.wake(run);
  }

  blockDisconnected(): void {}

  /**
   * An attempt with no session running: a record from before requests were kept (the node
   * restarted while its parts were in flight), or a run that ended with parts in flight. It ends
   * once every part has: complete with a preimage (already so from the write that brought it),
   * else failed. One waiting to be resumed (load() has not run) is left to load().
   */
  private settleOrphan(hash: string, groupid: number): void {
    const key = paymentKey(hash, groupid);
    if (this.runs.has(key)) return;
    const pay = this.o.db.record<PaymentRecord>(PAYMENTS, key);
    if (!pay || pay.status !== 'pending' || (pay.request && !this.loaded)) return;
    const s = summarize(this.group(hash, groupid));
    if (s.pending_parts > 0) return;
    const completed_at = Math.floor(this.o.nowMs() / 1000);
    if (s.preimage) stagePayment(this.o.db, { ...pay, status: 'complete', payment_preimage: s.preimage, completed_at });
    else
      stagePayment(this.o.db, {
        ...pay,
        status: 'failed',
        completed_at,
        error: { code: PAY_STOPPED_RETRYING, message: `Interrupted by a restart; its parts failed: ${s.lastFailure ?? 'none was sent'}` },
      });
    void this.o.db.flush().then(
      () => this.notifyEnd(key),
      e => this.o.log.warn(`payment ${hash}: ${errorText(e)}`),
    );
  }
}
