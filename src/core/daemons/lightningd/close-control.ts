// lightningd's mutual closes (Core Lightning's lightningd/closing_control.c and the shutdown half of
// channel_control.c): the `close` RPC and the peer's shutdown both give the channel our shutdown
// script (a fresh wallet key, durable in the channel's record before channeld sends it); once
// channeld reports both shutdowns out and no HTLC left, closingd negotiates with the channel's
// state, both scripts, the chain's feerates and a link to hsmd that can only signMutualClose. Its
// agreed close is durable (CLOSINGD_COMPLETE) before our last closing_signed leaves, and is then
// broadcast; `close` answers with it. A reconnect or restart resumes: channeld reestablishes,
// retransmits shutdown and hands over again, and the negotiation restarts (BOLT 2).
import { fromHex, toHex } from '../../base/bytes.ts';
import type { FeeEstimates, SendResult } from '../../chain/backend.ts';
import { commitmentFee } from '../../bolt3/index.ts';
import type { CloseFeerates } from '../../channel/closing-fee.ts';
import { closingSidesOf, closingWeight } from '../../channel/closing-tx.ts';
import { deserializeChannel, deserializeValue } from '../../channel/serialize.ts';
import type { DaemonRef, DaemonSpec, Log, Clock } from '../../node/daemon.ts';
import { DAEMONS } from '../../node/daemons.ts';
import type { RunningDaemon } from '../../node/supervisor.ts';
import { floorPerkw, feerateForBlocks } from '../../wallet/fees.ts';
import type { Wallet } from '../../wallet/wallet.ts';
import type { ChanneldSpec } from '../channeld/interface.ts';
import type { ClosingdEvents, ClosingdInit, ClosingdSpec, ClosingResult } from '../closingd/interface.ts';
import type { ChannelCapability } from '../hsmd/interface.ts';
import type { Funded } from '../openingd/interface.ts';
import type { ChannelRecord, CloseRecord, LightningdDb } from './db.ts';

/** Core Lightning's confirmation targets: a mutual close's ideal feerate ("mutual_close", 100 blocks) and its max ("unilateral_close", 6). */
export const MUTUAL_CLOSE_BLOCKS = 100;
export const UNILATERAL_CLOSE_BLOCKS = 6;

/** The states of a channel being closed by agreement (Core Lightning's names). */
export const CLOSING_STATES: readonly ChannelRecord['state'][] = ['CHANNELD_SHUTTING_DOWN', 'CLOSINGD_SIGEXCHANGE', 'CLOSINGD_COMPLETE'];

/** Why a close cannot go on, with what the RPC answers. */
export class CloseFailed extends Error {
  constructor(
    readonly reason: 'bad_destination' | 'not_closable' | 'no_wallet' | 'broadcast',
    message: string,
  ) {
    super(message);
    this.name = 'CloseFailed';
  }
}

export interface CloseRequest {
  /** The destination's scriptpubkey (from the RPC's address); absent: a fresh wallet address. */
  destination?: Uint8Array;
  /** feerange, perkw. */
  feerange?: [number, number];
}

/** What the `close` RPC answers once the close is signed and broadcast. */
export interface CloseOutcome {
  tx: string;
  txid: string;
}

/** How close-control starts a channel daemon with its links (ChannelControl's startWithLinks and endLinks). */
export interface ChannelLinks {
  start<S extends DaemonSpec>(
    ref: DaemonRef<S>,
    instance: string,
    init: S['init'],
    ch: { peerId: string; dbid: bigint; channelId: Uint8Array },
    events: object,
    caps?: ChannelCapability[],
  ): Promise<{ daemon: RunningDaemon<S>; key: string; events: { port: unknown; close(): void } }>;
  end(d: { daemon?: RunningDaemon<DaemonSpec>; key: string; events: { port: unknown; close(): void } }): Promise<void>;
}

export interface CloseControlOptions {
  db: LightningdDb;
  links: ChannelLinks;
  ourFeatures: string;
  /** The peer's `init` features while it is connected. */
  theirFeatures(peerId: string): Promise<string | undefined>;
  /** BOLT 1 `error` during the close: the channel is failed (AWAITING_UNILATERAL, our commitment to the chain). */
  failChannel(dbid: string, f: { code: string; message: string }): Promise<void>;
  /** Ends the connection to a peer (the reconnect restarts the negotiation). */
  disconnect(peerId: string): Promise<void>;
  /** The channeld running for a channel, if any. */
  channeldOf(dbid: string): RunningDaemon<ChanneldSpec> | undefined;
  wallet?: Wallet;
  broadcast?(tx: Uint8Array): Promise<SendResult>;
  estimatefees?(): Promise<FeeEstimates>;
  /** The chain's height (closingd's nLockTime for option_simple_close). */
  blockheight?(): number;
  clock?: Clock;
  log: Log;
}

type Waiter = { resolve(o: CloseOutcome): void; reject(e: unknown): void };

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Core Lightning's closingd feerates from the chain's estimates: the floor, 100 blocks, and at most
 * the larger of 6 blocks and the fee of the final commitment transaction (Core Lightning bounds a
 * legacy close by it, as BOLT 2 once required: "MUST set `fee_satoshis` less than or equal to the
 * base fee of the final commitment transaction"), as a feerate over the close's `closingWeight`;
 * or `feerange`.
 */
export function closeFeerates(
  est: FeeEstimates,
  final: { commitmentFeeSat: bigint; closingWeight: number },
  feerange?: [number, number],
): CloseFeerates {
  const floor = floorPerkw(est);
  const ideal = Math.max(floor, feerateForBlocks(est, MUTUAL_CLOSE_BLOCKS) ?? floor);
  const commitmentRate = Math.floor(Number(final.commitmentFeeSat * 1000n) / final.closingWeight);
  const max = Math.max(ideal, feerateForBlocks(est, UNILATERAL_CLOSE_BLOCKS) ?? ideal, commitmentRate);
  if (!feerange) return { min: floor, ideal, max };
  const [lo, hi] = feerange;
  return { min: lo, ideal: Math.min(Math.max(ideal, lo), hi), max: hi };
}

export class CloseControl {
  /** `close` calls waiting for each channel's close (by dbid). */
  private readonly waiting = new Map<string, Waiter[]>();
  /** The closingd running for each channel. */
  private readonly running = new Map<
    string,
    { daemon: RunningDaemon<ClosingdSpec>; key: string; events: { port: unknown; close(): void } }
  >();
  private instances = 0;
  /** stop() ran: a closingd that finishes starting after it ends at once. */
  private stopped = false;

  constructor(private readonly o: CloseControlOptions) {}

  private record(dbid: string): ChannelRecord | undefined {
    return this.o.db.channels().find(c => c.dbid === dbid);
  }

  /**
   * The `close` RPC: our shutdown script made durable (CHANNELD_SHUTTING_DOWN), then given to the
   * channel's channeld if one runs (else the next one, after the reconnect); answers once the
   * close is signed and broadcast. `unilateral` fires after unilateraltimeout (ms) if it has not.
   */
  async close(dbid: string, req: CloseRequest, timeoutMs?: number, unilateral?: () => Promise<CloseOutcome>): Promise<CloseOutcome> {
    const c = this.record(dbid);
    if (!c) throw new CloseFailed('not_closable', 'Unknown channel');
    // An agreed close (CLOSINGD_COMPLETE, or ONCHAIN once it confirmed) answers again.
    if (c.closing?.tx) return { tx: c.closing.tx, txid: c.closing.txid! };
    if (c.state !== 'CHANNELD_NORMAL' && !CLOSING_STATES.includes(c.state)) {
      throw new CloseFailed('not_closable', `Channel is in state ${c.state}`);
    }
    // A refusal here (a bad destination) leaves any earlier `close` of this channel waiting.
    await this.ourShutdown(c, req);
    const done = new Promise<CloseOutcome>((resolve, reject) => {
      this.waiting.set(dbid, [...(this.waiting.get(dbid) ?? []), { resolve, reject }]);
    });
    if (timeoutMs === undefined || timeoutMs <= 0 || !this.o.clock || !unilateral) return done;
    const clock = this.o.clock;
    let timer: unknown;
    const timeout = new Promise<CloseOutcome>((resolve, reject) => {
      timer = clock.setTimeout(() => {
        // The `close` RPC's unilateraltimeout: the unilateral fallback (the lead connects it, see `unilateral`).
        unilateral().then(resolve, reject);
      }, timeoutMs);
    });
    try {
      return await Promise.race([done, timeout]);
    } finally {
      clock.clearTimeout(timer);
    }
  }

  /** Whether `script` pays a key of this node's wallet (what hsmd signs a close to). */
  isOurs(script: Uint8Array): boolean {
    return this.o.wallet?.keyOf(script) !== undefined;
  }

  /** The scriptpubkey of a `destination` address on our network (throws for a bad one). */
  scriptOf(address: string): Uint8Array {
    if (!this.o.wallet) throw new CloseFailed('no_wallet', 'this node has no wallet');
    return this.o.wallet.scriptOf(address);
  }

  /** channeld → lightningd: the peer's shutdown is durable and ours is not sent: our script, then channeld replies. */
  async shutdownReceived(dbid: string, script: Uint8Array): Promise<void> {
    const c = this.record(dbid);
    if (!c) return;
    await this.o.db.saveChannel({ ...c, closing: { ...c.closing, remote_script: toHex(script) } });
    await this.ourShutdown(this.record(dbid)!, {});
  }

  /**
   * Our script, durable in the record (our upfront_shutdown_script if we committed to one, else a
   * fresh wallet key unless the RPC named one), then to channeld.
   */
  private async ourShutdown(c: ChannelRecord, req: CloseRequest): Promise<void> {
    let closing: CloseRecord = { ...c.closing, ...(req.feerange ? { feerange: req.feerange } : {}) };
    const upfront = upfrontOf(c).local;
    // BOLT 2 shutdown, the sender: "if it sent a non-zero-length `shutdown_scriptpubkey` in
    // `open_channel` or `accept_channel`: MUST send the same value in `scriptpubkey`".
    if (upfront && req.destination && toHex(req.destination) !== toHex(upfront)) {
      throw new CloseFailed('bad_destination', `destination: the channel committed to close_to ${toHex(upfront)} when it opened`);
    }
    if (!closing.local_script) {
      const wallet = this.o.wallet;
      if (!wallet) throw new CloseFailed('no_wallet', 'this node has no wallet for the close to pay');
      let script = upfront ?? req.destination;
      if (!script) {
        // A fresh key (newaddr marks it used, so the wallet watches it): the address is ours alone.
        script = wallet.scriptOf(await wallet.newaddr('p2wpkh'));
      }
      const key = wallet.keyOf(script);
      if (!key)
        throw new CloseFailed(
          'bad_destination',
          "destination: hsmd signs only a close that pays this node's wallet; give one of its addresses",
        );
      closing = { ...closing, local_script: toHex(script), destination: key };
    } else if (req.destination && toHex(req.destination) !== closing.local_script) {
      throw new CloseFailed('bad_destination', 'the close already pays another destination (its shutdown is out)');
    }
    const state = c.state === 'CHANNELD_NORMAL' ? 'CHANNELD_SHUTTING_DOWN' : c.state;
    await this.o.db.saveChannel({ ...c, state, closing });
    this.askChanneld(c.dbid);
  }

  /** Gives the running channeld our shutdown script (if the record has one): it sends it when it may. */
  askChanneld(dbid: string): void {
    const script = this.record(dbid)?.closing?.local_script;
    const d = this.o.channeldOf(dbid);
    if (!script || !d) return;
    void d.guard(d.api.shutdown(fromHex(script))).catch(e => this.o.log.warn(`channel ${dbid}: shutdown: ${errorText(e)}`));
  }

  /**
   * channeld handed over (both shutdowns out, no HTLC left): the state is durable as
   * CLOSINGD_SIGEXCHANGE, and closingd negotiates, given what the peer sent meanwhile.
   */
  async negotiate(dbid: string, channel: string, pending: Uint8Array[]): Promise<void> {
    const c = this.record(dbid);
    if (!c) return;
    const s = deserializeChannel(channel);
    const sent = s.shutdown?.sent;
    const received = s.shutdown?.received;
    if (!sent || !received || !c.closing?.destination) {
      this.o.log.warn(`channel ${c.channel_id}: handed over without both shutdowns or our destination`);
      return;
    }
    const closing: CloseRecord = { ...c.closing, local_script: toHex(sent), remote_script: toHex(received) };
    await this.o.db.saveChannel({ ...c, channel, state: 'CLOSINGD_SIGEXCHANGE', closing });
    const theirFeatures = await this.o.theirFeatures(c.peer_id);
    if (theirFeatures === undefined) return; // The reconnect hands over again.
    let feerates: CloseFeerates;
    try {
      const final = {
        commitmentFeeSat: commitmentFee(s.localCommit.spec.feeratePerKw, 0, s.params.anchors),
        closingWeight: closingWeight(closingSidesOf(s, sent, received), s.params.local.dustLimitSatoshis),
      };
      feerates = closeFeerates(await this.fees(), final, closing.feerange);
    } catch (e) {
      this.o.log.warn(`channel ${c.channel_id}: no feerates for the close: ${errorText(e)}`);
      return;
    }
    await this.endClosingd(dbid);
    const init: ClosingdInit = {
      peerId: c.peer_id,
      dbid: BigInt(dbid),
      channel,
      localScript: closing.local_script!,
      remoteScript: closing.remote_script!,
      destination: c.closing.destination,
      ourFeatures: this.o.ourFeatures,
      theirFeatures,
      feerates,
      lockTime: this.o.blockheight?.() ?? 0,
      ...(pending.length ? { pending } : {}),
    };
    const events: ClosingdEvents = {
      agreed: r => this.agreed(dbid, r),
      closed: r => this.closed(dbid, r),
      failed: e => this.closingdFailed(dbid, e),
    };
    const started = await this.o.links.start(
      DAEMONS.closingd,
      `closingd-${dbid}-${++this.instances}`,
      init,
      { peerId: c.peer_id, dbid: BigInt(dbid), channelId: fromHex(c.channel_id) },
      events,
      ['signMutualClose'],
    );
    if (this.stopped) {
      // The node stopped while this one started: none outlives it.
      await this.o.links.end(started);
      return;
    }
    this.running.set(dbid, started);
    this.o.log.info(`channel ${c.channel_id} with ${c.peer_id}: closingd started`);
    void started.daemon
      .guard(started.daemon.api.negotiate())
      .catch(e => this.o.log.info(`channel ${c.channel_id}: the close negotiation ended: ${errorText(e)}`))
      .finally(() => {
        if (this.running.get(dbid) === started) void this.endClosingd(dbid);
      });
  }

  /**
   * closingd failed. An `error` either way fails the channel (BOLT 1: "MUST fail the channel"):
   * ChannelControl records AWAITING_UNILATERAL and goes to the chain. A `warning` (or our own
   * trouble) ends the connection: the reconnect restarts the negotiation (BOLT 2). The peer
   * leaving needs nothing: its return does the same.
   */
  private async closingdFailed(dbid: string, e: { code: string; message: string; sent?: 'error' | 'warning' }): Promise<void> {
    const c = this.record(dbid);
    this.o.log.info(`channel ${c?.channel_id ?? dbid}: closingd failed (${e.code}${e.sent ? `, sent ${e.sent}` : ''}): ${e.message}`);
    if (!c || e.code === 'peer_gone') return;
    if (e.code === 'peer_error' || e.sent === 'error') {
      this.settle(dbid, undefined, new CloseFailed('not_closable', `the close failed: ${e.message}`));
      await this.o.failChannel(dbid, { code: e.code, message: e.message });
      return;
    }
    await this.o.disconnect(c.peer_id);
  }

  private async fees(): Promise<FeeEstimates> {
    if (!this.o.estimatefees) throw new Error('lightningd has no chain backend');
    return this.o.estimatefees();
  }

  /** closingd → lightningd: a close both signed, durable (CLOSINGD_COMPLETE) before our last closing_signed leaves. */
  private async agreed(dbid: string, r: ClosingResult): Promise<void> {
    const c = this.record(dbid);
    if (!c) throw new Error(`channel ${dbid} is gone`);
    const closing: CloseRecord = { ...c.closing, tx: toHex(r.tx), txid: r.txid, fee_sat: r.feeSatoshis.toString() };
    await this.o.db.saveChannel({ ...c, state: 'CLOSINGD_COMPLETE', closing });
  }

  /** closingd → lightningd: our last closing_signed is out: broadcast, and answer `close`. */
  private async closed(dbid: string, r: ClosingResult): Promise<void> {
    const outcome = { tx: toHex(r.tx), txid: r.txid };
    const sent = await this.broadcast(r.tx);
    // The peer broadcasting the same close first is no failure (Bitcoin Core: txn-already-known / -in-mempool).
    if (!sent.success && !/already/.test(sent.errmsg ?? '')) {
      this.o.log.warn(`channel ${dbid}: broadcasting the close ${r.txid}: ${sent.errmsg ?? 'refused'}`);
    }
    this.settle(dbid, outcome);
  }

  private async broadcast(tx: Uint8Array): Promise<SendResult> {
    if (!this.o.broadcast) return { success: false, errmsg: 'no chain backend' };
    try {
      return await this.o.broadcast(tx);
    } catch (e) {
      return { success: false, errmsg: errorText(e) };
    }
  }

  /** At start: every agreed close goes to the chain again (it may not have left before we stopped). */
  async rebroadcast(): Promise<void> {
    for (const c of this.o.db.channels()) {
      if (c.state === 'CLOSINGD_COMPLETE' && c.closing?.tx) await this.broadcast(fromHex(c.closing.tx));
    }
  }

  private settle(dbid: string, outcome?: CloseOutcome, error?: unknown): void {
    const ws = this.waiting.get(dbid) ?? [];
    this.waiting.delete(dbid);
    for (const w of ws) outcome ? w.resolve(outcome) : w.reject(error);
  }

  /** The closingd running for a channel (listpeerchannels' status). */
  closingdOf(dbid: string): RunningDaemon<ClosingdSpec> | undefined {
    return this.running.get(dbid)?.daemon;
  }

  async endClosingd(dbid: string): Promise<void> {
    const r = this.running.get(dbid);
    if (!r) return;
    this.running.delete(dbid);
    await this.o.links.end(r);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.running.keys()].map(d => this.endClosingd(d)));
    for (const dbid of [...this.waiting.keys()]) this.settle(dbid, undefined, new CloseFailed('not_closable', 'the node is stopping'));
  }
}

/**
 * BOLT 2 option_upfront_shutdown_script: each side's committed script (open_channel or
 * accept_channel, kept only when the feature was negotiated and the script not empty).
 */
export function upfrontOf(c: ChannelRecord): { local?: Uint8Array; remote?: Uint8Array } {
  if (!c.funded) return {};
  const f = deserializeValue<Funded>(c.funded);
  return { ...(f.localUpfront ? { local: f.localUpfront } : {}), ...(f.remoteUpfront ? { remote: f.remoteUpfront } : {}) };
}
