// lightningd forwards (Core Lightning's peer_htlcs.c forward_htlc): an incoming HTLC whose onion
// names a next hop is checked against our policy on the outgoing channel (src/core/pay/forward.ts,
// BOLT 4's failures with our channel_update), recorded durably (forward-store.ts) BEFORE the
// outgoing channeld is asked to add it, and what the outgoing channel does with it comes back
// through ChannelControl's HtlcListener: the preimage is staged in the outgoing channel's own
// write, then given upstream; an error onion is obfuscated with our shared secret on its way back.
// Every forward not yet resolved upstream is carried on from its record after a restart.
import { fromHex, toHex } from '../../base/bytes.ts';
import { sha256 } from '../../crypto/primitives.ts';
import type { Log } from '../../node/daemon.ts';
import {
  createErrorPacket,
  encodeFailure,
  failureCode,
  obfuscateError,
  serializeOnion,
  type Failure,
  type HopPayload,
  type OnionPacket,
} from '../../onion/index.ts';
import type { PaymentRelay } from '../../pay/blinded.ts';
import { checkForward, forwardPayload, type ForwardVerdict, type OutgoingChannel } from '../../pay/forward.ts';
import { formatScid, parseScid } from '../../wire/scid.ts';
import type { HtlcChange } from '../channeld/interface.ts';
import type { HtlcListener } from './channels.ts';
import { policyFields, signedChannelUpdate, type UpdateFields } from './channel-update.ts';
import { channelNamed } from './channel-alias.ts';
import type { ChannelRecord, LightningdDb } from './db.ts';
import { FORWARDS, forwardKey, forwardOfOut, forwards, nextForwardIndex, stageForward, type ForwardRecord } from './forward-store.ts';
import type { Resolution } from './htlc-resolution.ts';
import type { PayChannels } from './pay-control.ts';
import type { IncomingPart } from './receive.ts';

/** What the forwarder needs of ChannelControl (channels.ts): what the payer needs (an add, the HTLC changes). */
export type ForwardChannels = PayChannels;

export interface ForwarderOptions {
  db: LightningdDb;
  channels: ForwardChannels;
  /** Our node id, hex (the direction bit of our channel_update). */
  nodeId: string;
  network: string;
  blockheight(): number | Promise<number>;
  /** Milliseconds since 1970. */
  nowMs(): number;
  /** What a channel can add now (channel-rpc.ts channelBalance). */
  spendable(c: ChannelRecord): bigint;
  /** hsmd's signature of a channel_update (BOLT 7); absent: failures carry an empty channel_update. */
  signChannelUpdate?(msg: Uint8Array): Uint8Array | Promise<Uint8Array>;
  log: Log;
}

/** An incoming HTLC whose onion names a next hop (htlcs-in.ts): the final node's part, same fields. */
export type IncomingForward = IncomingPart;

/**
 * A hop of a blinded route, from its decrypted `encrypted_recipient_data` (htlcs-in.ts): relaying,
 * the forward its `payment_relay` gives (a payload with `short_channel_id`, or none and
 * `next_node_id`) and the next `path_key`; final, its `path_id`.
 */
export interface BlindedHop {
  forward?: HopPayload;
  next_node_id?: string;
  next_path_key?: Uint8Array;
  relay?: PaymentRelay;
  path_id?: Uint8Array;
}

/** What htlcs-in.ts hands a forwarding payload to. */
export interface ForwardPoint {
  bind(resolve: (channel: string, id: string, r: Resolution) => void): void;
  forward(h: IncomingForward, payload: HopPayload, next: OnionPacket, blinded?: BlindedHop): Promise<void>;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const wireName = (f: Failure) => `WIRE_${f.name.toUpperCase()}`;

export class Forwarder implements HtlcListener, ForwardPoint {
  private resolveUpstream: (channel: string, id: string, r: Resolution) => void = () => undefined;
  /** Forwards whose addHtlc is in flight (their record durable, channeld not yet answered). */
  private readonly offering = new Set<string>();
  /** Forwards whose outgoing channel's HTLCs are being read (carryOn), once at a time. */
  private readonly checking = new Set<string>();
  private readonly stopListening: () => void;

  constructor(private readonly o: ForwarderOptions) {
    this.stopListening = o.channels.onHtlcs(this);
  }

  stop(): void {
    this.stopListening();
  }

  bind(resolve: (channel: string, id: string, r: Resolution) => void): void {
    this.resolveUpstream = resolve;
  }

  /** An incoming HTLC to forward: carried on from its record if it has one, else checked, recorded and offered. */
  async forward(h: IncomingForward, payload: HopPayload, next: OnionPacket, blinded?: BlindedHop): Promise<void> {
    const db = this.o.db;
    const key = forwardKey(h.channel, h.id);
    const known = db.record<ForwardRecord>(FORWARDS, key);
    if (known) return this.carryOn(known);
    // A blinded hop may name the next node instead of the channel: our channel to that peer.
    const toPeer = blinded?.next_node_id
      ? db.channels().find(c => c.peer_id === blinded.next_node_id && c.state === 'CHANNELD_NORMAL' && c.short_channel_id)
      : undefined;
    // No channel to that node: no short_channel_id, so no channel is found (unknown_next_peer).
    const nextScid = blinded?.next_node_id ? (toPeer ? parseScid(toPeer.alias?.local ?? toPeer.short_channel_id!) : 0n) : undefined;
    const p = forwardPayload(nextScid !== undefined ? { ...payload, short_channel_id: { short_channel_id: nextScid } } : payload);
    const scid = nextScid === 0n ? '' : formatScid(p.short_channel_id);
    const inScid = db.channels().find(c => c.dbid === h.channel)?.short_channel_id ?? '';
    const rec: ForwardRecord = {
      created_index: nextForwardIndex(db),
      in_channel: h.channel,
      in_scid: inScid,
      in_htlc_id: h.id,
      in_msat: h.amount_msat.toString(),
      payment_hash: toHex(h.payment_hash),
      out_scid: scid,
      out_msat: p.amt_to_forward.toString(),
      out_cltv: p.outgoing_cltv_value,
      fee_msat: (h.amount_msat - p.amt_to_forward).toString(),
      status: 'offered',
      received_time: this.o.nowMs() / 1000,
      shared_secret: toHex(h.sharedSecret),
      ...(h.blinded ? { blinded: h.blinded } : {}),
      ...(blinded?.next_path_key ? { next_path_key: toHex(blinded.next_path_key) } : {}),
      ...(h.onion_sha256 ? { onion_sha256: toHex(h.onion_sha256) } : {}),
    };
    // Its real short_channel_id or our alias (channel-alias.ts); a failure's channel_update names it as the onion did.
    const found = channelNamed(
      db.channels().filter(c => c.state === 'CHANNELD_NORMAL'),
      scid,
    );
    const named = found && { ...found, short_channel_id: scid };
    const out = named && this.pick(named, p.amt_to_forward);
    const outgoing = named && out ? await this.outgoing(named, out) : undefined;
    const opts = { blockheight: await this.o.blockheight() };
    const verdict = blinded?.relay ? checkBlindedForward(h, p, outgoing, blinded.relay, opts) : checkForward(h, p, outgoing, opts);
    if (!verdict.ok) return this.localFail(rec, verdict.failure, verdict.why);
    // listforwards names the outgoing channel by its real short_channel_id.
    const outScid = out!.dbid === found!.dbid ? found!.short_channel_id! : out!.short_channel_id!;
    const started: ForwardRecord = { ...rec, out_channel: out!.dbid, out_scid: outScid };
    stageForward(db, started);
    await db.flush();
    await this.offer(started, out!, next, outgoing!.channel_update);
  }

  /**
   * Core Lightning's non-strict forwarding: the channel the onion names, or another of ours to the
   * same peer that is running and can carry the amount when it cannot.
   */
  private pick(named: ChannelRecord, amount: bigint): ChannelRecord {
    const usable = (c: ChannelRecord) =>
      c.state === 'CHANNELD_NORMAL' && c.short_channel_id !== undefined && this.o.channels.channeldOf(c.dbid) !== undefined;
    if (usable(named) && this.o.spendable(named) >= amount) return named;
    const other = this.o.db
      .channels()
      .filter(c => c.peer_id === named.peer_id && c.dbid !== named.dbid && usable(c))
      .sort((a, b) => (this.o.spendable(b) > this.o.spendable(a) ? 1 : -1))[0];
    return other && this.o.spendable(other) >= amount ? other : named;
  }

  /** Our policy on the channel the onion names, with what the chosen channel can carry now. */
  private async outgoing(named: ChannelRecord, out: ChannelRecord): Promise<OutgoingChannel> {
    const enabled = out.state === 'CHANNELD_NORMAL' && this.o.channels.channeldOf(out.dbid) !== undefined;
    const ch = { ...policyFields(this.o.db, named), enabled, spendable_msat: this.o.spendable(out) };
    return { ...ch, channel_update: await this.channelUpdate(named, ch) };
  }

  /**
   * Our channel_update for `c` (BOLT 7, channel-update.ts), attached to UPDATE failures: signed by
   * hsmd, `disable` when the channel cannot forward now.
   */
  private async channelUpdate(c: ChannelRecord, ch: UpdateFields): Promise<Uint8Array> {
    const sign = this.o.signChannelUpdate;
    if (!sign || !c.short_channel_id) return new Uint8Array(0);
    try {
      return await signedChannelUpdate({ network: this.o.network, nodeId: this.o.nodeId, sign }, c, ch, Math.floor(this.o.nowMs() / 1000));
    } catch (e) {
      this.o.log.warn(`channel_update for ${c.short_channel_id}: ${errorText(e)}`);
      return new Uint8Array(0);
    }
  }

  /** channeld's addHtlc on the outgoing channel (the record is durable). */
  private async offer(rec: ForwardRecord, out: ChannelRecord, next: OnionPacket, update: Uint8Array): Promise<void> {
    const key = forwardKey(rec.in_channel, rec.in_htlc_id);
    const d = this.o.channels.channeldOf(out.dbid);
    if (!d) return this.localFail(rec, { name: 'temporary_channel_failure', channel_update: update }, 'outgoing channel not running');
    this.offering.add(key);
    try {
      await d.guard(
        d.api.addHtlc({
          amountMsat: BigInt(rec.out_msat!),
          paymentHash: fromHex(rec.payment_hash),
          cltvExpiry: rec.out_cltv!,
          onion: serializeOnion(next),
          // BOLT 2: "if it is relaying a payment inside a blinded route: MUST set `path_key`".
          ...(rec.next_path_key ? { pathKey: fromHex(rec.next_path_key) } : {}),
        }),
      );
    } catch (e) {
      this.offering.delete(key);
      const now = this.o.db.record<ForwardRecord>(FORWARDS, key);
      if (!now || now.status !== 'offered' || now.out_htlc_id !== undefined) return; // offered: the channel tells its end
      const code = (e as { code?: unknown } | undefined)?.code;
      if (code === 'disconnected' || code === 'channel_failed') {
        // Its instance ended: the channel's durable HTLCs say whether the add was recorded, once
        // the next instance runs (started; or now, if it already does).
        const again = this.o.channels.channeldOf(out.dbid);
        if (again && again !== d) await this.carryOn(now);
        return;
      }
      // A BOLT 2 limit (ChannelError): never sent. temporary_channel_failure with our channel_update.
      return this.localFail(now, { name: 'temporary_channel_failure', channel_update: update }, errorText(e));
    }
    this.offering.delete(key);
  }

  /** Our own failure of a forward: recorded (local_failed), then the error onion upstream. */
  private async localFail(rec: ForwardRecord, f: Failure, why: string): Promise<void> {
    const failed: ForwardRecord = {
      ...rec,
      status: 'local_failed',
      failcode: failureCode(f.name),
      failreason: wireName(f),
      resolved_time: this.o.nowMs() / 1000,
      upstream_reason: toHex(upstreamError(rec, f)),
    };
    this.o.log.info(`forward ${rec.payment_hash} from ${rec.in_scid}: ${f.name} (${why})`);
    stageForward(this.o.db, failed);
    await this.o.db.flush();
    this.carryOn(failed);
  }

  /**
   * A forward from its record: resolved downstream (preimage or error onion): told upstream;
   * offered with no outgoing HTLC id and no add in flight: the outgoing channel's durable HTLCs
   * say whether channeld recorded the add (the forward is that HTLC) or not (never sent: failed).
   */
  private async carryOn(rec: ForwardRecord): Promise<void> {
    if (rec.preimage)
      return this.resolveUpstream(rec.in_channel, rec.in_htlc_id, {
        kind: 'fulfill',
        preimage: fromHex(rec.preimage),
        ...downstreamAttribution(rec),
      });
    if (rec.upstream_reason) return this.resolveUpstream(rec.in_channel, rec.in_htlc_id, upstreamFailure(rec));
    if (rec.status !== 'offered' || rec.out_htlc_id !== undefined || rec.out_channel === undefined) return;
    const key = forwardKey(rec.in_channel, rec.in_htlc_id);
    if (this.offering.has(key) || this.checking.has(key)) return;
    this.checking.add(key);
    try {
      await this.matchOrFail(rec);
    } finally {
      this.checking.delete(key);
    }
  }

  private async matchOrFail(rec: ForwardRecord): Promise<void> {
    const c = this.o.db.channels().find(x => x.dbid === rec.out_channel);
    const claimed = new Set(
      forwards(this.o.db)
        .filter(f => f.out_channel === rec.out_channel && f.out_htlc_id !== undefined)
        .map(f => f.out_htlc_id),
    );
    const h = Object.values(c?.htlcs ?? {}).find(
      x =>
        x.direction === 'out' &&
        !claimed.has(x.id) &&
        x.payment_hash === rec.payment_hash &&
        x.amount_msat === rec.out_msat &&
        x.cltv_expiry === rec.out_cltv,
    );
    if (h) {
      stageForward(this.o.db, { ...rec, out_htlc_id: h.id });
      await this.o.db.flush();
      return;
    }
    // channeld never sent what it never recorded.
    const update = c ? (await this.outgoing(c, c)).channel_update : new Uint8Array(0);
    return this.localFail(rec, { name: 'temporary_channel_failure', channel_update: update }, 'never sent: its channel stopped first');
  }

  // ---- HtlcListener ----

  /** Inside the outgoing channel's write: the HTLC id, the preimage, the error onion, in the same write. */
  staging(c: Readonly<ChannelRecord>, changes: readonly HtlcChange[]): void {
    const db = this.o.db;
    const now = this.o.nowMs() / 1000;
    for (const ch of changes) {
      if (ch.kind === 'offered') {
        const hash = toHex(ch.paymentHash);
        const f = forwards(db).find(
          x =>
            x.status === 'offered' &&
            x.out_channel === c.dbid &&
            x.out_htlc_id === undefined &&
            x.payment_hash === hash &&
            x.out_msat === ch.amountMsat.toString() &&
            x.out_cltv === ch.cltvExpiry,
        );
        if (f) stageForward(db, { ...f, out_htlc_id: ch.id.toString() });
      } else if (ch.kind === 'fulfilled') {
        const f = forwardOfOut(db, c.dbid, ch.id);
        if (!f || f.status !== 'offered') continue;
        if (toHex(sha256(ch.preimage)) !== f.payment_hash) {
          this.o.log.warn(`forward ${f.payment_hash}: a preimage that does not hash to it`);
          continue;
        }
        const attribution = ch.attribution && !f.blinded ? { downstream_attribution: toHex(ch.attribution) } : {};
        stageForward(db, { ...f, status: 'settled', preimage: toHex(ch.preimage), resolved_time: now, ...attribution });
      } else if (ch.kind === 'failed') {
        const f = forwardOfOut(db, c.dbid, ch.id);
        if (!f || f.status !== 'offered') continue;
        // Relayed as it came (not in a blinded route, where our own failure replaces it: upstreamReason).
        const attribution = ch.reason && ch.attribution && !f.blinded ? { downstream_attribution: toHex(ch.attribution) } : {};
        stageForward(db, { ...f, status: 'failed', resolved_time: now, upstream_reason: toHex(upstreamReason(f, ch)), ...attribution });
      }
    }
  }

  /** Once durable: each forward the downstream resolved is resolved upstream. */
  persisted(c: Readonly<ChannelRecord>, changes: readonly HtlcChange[]): void {
    for (const ch of changes) {
      if (ch.kind !== 'fulfilled' && ch.kind !== 'failed') continue;
      const f = forwardOfOut(this.o.db, c.dbid, ch.id);
      if (f) void this.carryOn(f).catch(e => this.o.log.warn(`forward ${f.payment_hash}: ${errorText(e)}`));
    }
  }

  /** A new channeld for `c`: forwards whose add on it went unanswered are settled from its durable HTLCs. */
  started(c: Readonly<ChannelRecord>): void {
    for (const f of forwards(this.o.db)) {
      if (f.out_channel === c.dbid && f.status === 'offered' && f.out_htlc_id === undefined)
        void this.carryOn(f).catch(e => this.o.log.warn(`forward ${f.payment_hash}: ${errorText(e)}`));
    }
  }

  /**
   * The outgoing HTLC was resolved on chain (onchaind, BOLT 5): the peer's preimage claims it
   * upstream; its timeout fails the forward upstream (temporary_channel_failure).
   */
  onchain(dbid: string, paymentHash: string, preimage?: Uint8Array): void {
    void this.resolvedOnChain(dbid, paymentHash, preimage).catch(e => this.o.log.warn(`forward ${paymentHash} on chain: ${errorText(e)}`));
  }

  /** onchain() (exported for the tests' await). */
  async resolvedOnChain(dbid: string, paymentHash: string, preimage?: Uint8Array): Promise<void> {
    const now = this.o.nowMs() / 1000;
    const open = forwards(this.o.db).filter(f => f.out_channel === dbid && f.payment_hash === paymentHash && f.status === 'offered');
    for (const f of open) {
      if (preimage && toHex(sha256(preimage)) === paymentHash)
        stageForward(this.o.db, { ...f, status: 'settled', preimage: toHex(preimage), resolved_time: now });
      else if (!preimage) {
        // Core Lightning (onchain_failed_our_htlc): the incoming HTLC fails with permanent_channel_failure.
        const failure: Failure = { name: 'permanent_channel_failure' };
        const reason = upstreamError(f, failure);
        stageForward(this.o.db, {
          ...f,
          status: 'local_failed',
          failcode: failureCode(failure.name),
          failreason: wireName(failure),
          resolved_time: now,
          upstream_reason: toHex(reason),
        });
      }
    }
    if (open.length === 0) return;
    await this.o.db.flush();
    for (const f of open) {
      const r = this.o.db.record<ForwardRecord>(FORWARDS, forwardKey(f.in_channel, f.in_htlc_id));
      if (r) await this.carryOn(r);
    }
  }
}

/**
 * The error onion to give upstream for a downstream failure (BOLT 4 "Returning Errors"): an error
 * onion is obfuscated with our shared secret ("the erring node's ... each hop obfuscates"); an
 * update_fail_malformed_htlc becomes update_fail_htlc: "MUST return an error in the
 * update_fail_htlc sent to the link which originally sent the HTLC, using the failure_code given
 * and setting the data to sha256_of_onion", in an error onion we create.
 */
function upstreamReason(f: ForwardRecord, ch: Extract<HtlcChange, { kind: 'failed' }>): Uint8Array {
  const ss = fromHex(f.shared_secret);
  // In a blinded route the downstream's reason is not passed on (BOLT 2: invalid_onion_blinding "for any local or downstream errors").
  if (f.blinded) return upstreamError(f, { name: 'temporary_node_failure' });
  if (ch.reason) return obfuscateError(ss, ch.reason);
  const msg = new Uint8Array(2 + 32);
  const code = ch.failureCode ?? 0;
  msg[0] = code >> 8;
  msg[1] = code & 0xff;
  msg.set(ch.sha256OfOnion ?? new Uint8Array(32), 2);
  return createErrorPacket(ss, msg);
}

/**
 * Our failure `f` of a forward as the error onion for upstream; in a blinded route (BOLT 2 "When
 * failing an incoming HTLC") it is `invalid_onion_blinding` with the SHA256 of the onion we
 * received, whatever `f` was (an `inside` forward goes back malformed: upstreamFailure).
 */
function upstreamError(rec: ForwardRecord, f: Failure): Uint8Array {
  const blinded: Failure | undefined = rec.blinded
    ? { name: 'invalid_onion_blinding', sha256_of_onion: rec.onion_sha256 ? fromHex(rec.onion_sha256) : new Uint8Array(32) }
    : undefined;
  return createErrorPacket(fromHex(rec.shared_secret), encodeFailure(blinded ?? f));
}

/**
 * What a failed forward gives upstream: its error onion; inside a blinded route (the HTLC came
 * with `path_key`), BOLT 2's `update_fail_malformed_htlc` with `invalid_onion_blinding` instead.
 */
function upstreamFailure(rec: ForwardRecord): Resolution {
  if (rec.blinded === 'inside')
    return {
      kind: 'malformed',
      sha256OfOnion: rec.onion_sha256 ? fromHex(rec.onion_sha256) : new Uint8Array(32),
      code: failureCode('invalid_onion_blinding'),
    };
  return { kind: 'fail', reason: fromHex(rec.upstream_reason!), ...downstreamAttribution(rec) };
}

/** What the downstream sent as `attribution_data`, for our layer over it (htlc-resolution.ts withAttribution). */
function downstreamAttribution(rec: ForwardRecord): { attribution?: Uint8Array } {
  return rec.downstream_attribution ? { attribution: fromHex(rec.downstream_attribution) } : {};
}

/**
 * A blinded forward: its amount and expiry come from the recipient's `payment_relay` (BOLT 4), so
 * instead of checking them against our fee and delta, the relay is checked to cover our current
 * policy on the channel (what the recipient read from our channel_update); then every other check
 * of checkForward. Its failure is only recorded here: upstream it is invalid_onion_blinding.
 */
function checkBlindedForward(
  h: { amount_msat: bigint; cltv_expiry: number },
  p: ReturnType<typeof forwardPayload>,
  out: OutgoingChannel | undefined,
  relay: PaymentRelay,
  opts: { blockheight: number },
): ForwardVerdict {
  if (out && (relay.fee_base_msat < out.fee_base_msat || relay.fee_proportional_millionths < out.fee_proportional_millionths))
    return {
      ok: false,
      failure: { name: 'fee_insufficient', htlc_msat: h.amount_msat, channel_update: out.channel_update },
      why: 'payment_relay under our fee',
    };
  if (out && relay.cltv_expiry_delta < out.cltv_expiry_delta)
    return {
      ok: false,
      failure: { name: 'incorrect_cltv_expiry', cltv_expiry: h.cltv_expiry, channel_update: out.channel_update },
      why: 'payment_relay under our cltv_expiry_delta',
    };
  return checkForward(h, p, out && { ...out, fee_base_msat: 0, fee_proportional_millionths: 0, cltv_expiry_delta: 0 }, opts);
}
