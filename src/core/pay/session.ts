// A payment as Core Lightning's xpay runs it, as a pure state machine: split the amount into parts
// that our channels and the graph can carry (within maxfee and maxdelay), build each part's onion,
// and act on each part's end: a preimage completes the payment; a failure is decoded from the
// error onion with the part's shared secrets and teaches the session's overlay (failure-action.ts)
// before the amount is routed again, until `retry_for` runs out or the destination says no.
// The caller sends the parts, feeds back what became of them, and calls `step` after each event.
import { equal } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';
import type { UnknownTlv } from '../wire/schema.ts';
import { parseScid } from '../wire/scid.ts';
import type { BlindedPath } from '../onion/blinding.ts';
import { blindedFee, type BlindedPayInfo } from './blinded.ts';
import { checkFailureUpdate } from './failure-update.ts';
import { failedPartAction, type FailureAction } from './failure-action.ts';
import { buildPartOnion, type PartOnion } from './onion-build.ts';
import { halfKey, RouteOverlay, type OverlaySnapshot } from './overlay.ts';
import { planRoute, type PayGraph, type PricedHop } from './route.ts';

/** Core Lightning's JSON-RPC error codes for a payment that ends without a preimage. */
export const PAY_DESTINATION_PERM_FAIL = 203;
export const PAY_ROUTE_NOT_FOUND = 205;
export const PAY_STOPPED_RETRYING = 210;

export const DEFAULT_RETRY_FOR_S = 60;
export const DEFAULT_MAXDELAY = 2016;
/** No part smaller than this is split off (the whole remainder may still be smaller). */
export const MIN_PART_MSAT = 1000n;
export const MAX_PARTS_IN_FLIGHT = 32;
/** Blocks added to the invoice's min_final_cltv_expiry: the payee may see a block before we do. */
export const FINAL_CLTV_SLACK = 1;

export interface PayRequest {
  destination: string;
  payment_hash: Uint8Array;
  amount_msat: bigint;
  /** The invoice's amount when we pay only `amount_msat` of it (xpay's partial_msat): the onion's `total_msat`. */
  total_msat?: bigint;
  /** The invoice's min_final_cltv_expiry. */
  final_cltv: number;
  payment_secret?: Uint8Array;
  payment_metadata?: Uint8Array;
  /** keysend: the preimage we chose (keysend.ts), sent to the destination. */
  keysend_preimage?: Uint8Array;
  /** Odd records for the final hop (keysend's `extratlvs`). */
  extra?: UnknownTlv[];
  /**
   * false: one part only (BOLT 11 lets a payer split only when the invoice offers `basic_mpp`; a
   * keysend has no payment_secret to bind parts). Default: parts as the channels need.
   */
  mpp?: boolean;
  /**
   * The payee is behind this blinded path (BOLT 4 "Route Blinding"): `destination` is its
   * introduction node, reached with `payinfo`'s fees and delta on top of each part's amount.
   */
  blinded?: { path: BlindedPath; payinfo: BlindedPayInfo };
  /** Default: as Core Lightning's pay, 0.5% of the amount, and 5000 msat at least. */
  maxfee_msat?: bigint;
  maxdelay?: number;
  retry_for_s?: number;
}

export interface LocalChannel {
  short_channel_id: string;
  /** What it could add when the payment started. */
  spendable_msat: bigint;
}

export interface PayEnv {
  /** Milliseconds. */
  now(): number;
  blockheight(): number;
  /** A fresh random secret key per part (onion session key). */
  sessionKey(): Uint8Array;
  graph: PayGraph;
  channels: readonly LocalChannel[];
  chain_hash?: Uint8Array;
}

export interface OutgoingPart extends PartOnion {
  partid: number;
  payment_hash: Uint8Array;
  route: PricedHop[];
  /** What this part delivers to the destination. */
  delivers_msat: bigint;
}

export interface PartRecord {
  partid: number;
  route: PricedHop[];
  delivers_msat: bigint;
  sent_msat: bigint;
  status: 'pending' | 'complete' | 'failed';
  failure?: string;
}

export type PayResult =
  | {
      status: 'complete';
      payment_preimage: Uint8Array;
      amount_msat: bigint;
      amount_sent_msat: bigint;
      successful_parts: number;
      failed_parts: number;
    }
  | { status: 'failed'; code: number; message: string; failed_parts: number };

export interface Held extends PartRecord {
  sharedSecrets: Uint8Array[];
  /** Our block height when the part was built. */
  blockheight: number;
}

/**
 * A session as plain data (structured-clone safe: bigint, Uint8Array): store it durably after
 * `step` returns parts and before any of them is offered to a channel, so that after a restart
 * every part sent is known, and resolved (`fulfilled`/`failed`) from the channel's HTLCs, never sent twice.
 */
export interface PaySnapshot {
  req: PayRequest;
  startedAt: number;
  nextPartid: number;
  parts: Held[];
  preimage?: Uint8Array;
  stop?: { code: number; message: string };
  lastReason: string;
  overlay: OverlaySnapshot;
}

export class PaySession {
  overlay = new RouteOverlay();
  private readonly parts = new Map<number, Held>();
  private nextPartid = 1;
  private startedAt: number;
  private preimage: Uint8Array | undefined;
  private stop: { code: number; message: string } | undefined;
  private lastReason = 'no attempt made';
  private readonly maxfee: bigint;

  constructor(
    readonly req: PayRequest,
    private readonly env: PayEnv,
  ) {
    if (req.amount_msat <= 0n) throw new RangeError('amount_msat must be positive');
    this.startedAt = env.now();
    const pct = req.amount_msat / 200n;
    this.maxfee = req.maxfee_msat ?? (pct > 5000n ? pct : 5000n);
  }

  snapshot(): PaySnapshot {
    return {
      req: this.req,
      startedAt: this.startedAt,
      nextPartid: this.nextPartid,
      parts: [...this.parts.values()].map(p => ({ ...p, route: [...p.route], sharedSecrets: [...p.sharedSecrets] })),
      ...(this.preimage ? { preimage: this.preimage } : {}),
      ...(this.stop ? { stop: this.stop } : {}),
      lastReason: this.lastReason,
      overlay: this.overlay.snapshot(),
    };
  }

  /** The session as it was stored; `retry_for` still counts from the original start. */
  static restore(s: PaySnapshot, env: PayEnv): PaySession {
    const session = new PaySession(s.req, env);
    session.startedAt = s.startedAt;
    session.nextPartid = s.nextPartid;
    for (const p of s.parts) session.parts.set(p.partid, { ...p });
    session.preimage = s.preimage;
    session.stop = s.stop;
    session.lastReason = s.lastReason;
    session.overlay = RouteOverlay.restore(s.overlay);
    return session;
  }

  /** Every part so far, for listsendpays / xpay's parts. */
  records(): PartRecord[] {
    return [...this.parts.values()].map(({ sharedSecrets: _s, blockheight: _b, ...r }) => ({ ...r, route: [...r.route] }));
  }

  /** Parts to send now, or the payment's end. An empty `send` means: wait for the parts in flight. */
  step(): { send: OutgoingPart[] } | { done: PayResult } {
    const pending = this.count('pending');
    if (this.preimage) return pending ? { send: [] } : { done: this.complete() };
    if (!this.stop && this.env.now() - this.startedAt >= (this.req.retry_for_s ?? DEFAULT_RETRY_FOR_S) * 1000) {
      this.stop = {
        code: PAY_STOPPED_RETRYING,
        message: `Timed out after ${this.req.retry_for_s ?? DEFAULT_RETRY_FOR_S}s: ${this.lastReason}`,
      };
    }
    if (this.stop) return pending ? { send: [] } : { done: { status: 'failed', ...this.stop, failed_parts: this.count('failed') } };
    const send = this.plan();
    if (send.length === 0 && pending === 0) {
      this.stop = { code: PAY_ROUTE_NOT_FOUND, message: `No route for the remaining amount: ${this.lastReason}` };
      return { done: { status: 'failed', ...this.stop, failed_parts: this.count('failed') } };
    }
    return { send };
  }

  /** `update_fulfill_htlc` came back for a part. */
  fulfilled(partid: number, preimage: Uint8Array): void {
    if (!equal(sha256(preimage), this.req.payment_hash)) throw new RangeError('preimage does not hash to the payment_hash');
    this.part(partid).status = 'complete';
    this.preimage = preimage;
  }

  /** `update_fail_htlc` came back: `reason` is the error onion, `attribution` its `attribution_data` if the peer sent one. */
  failed(partid: number, reason: Uint8Array, attribution?: Uint8Array): void {
    const p = this.part(partid);
    this.settle(p, failedPartAction(p.route, p.sharedSecrets, reason, attribution, p.blockheight));
  }

  /** Our peer answered `update_fail_malformed_htlc`: it could not read the onion we built for it. */
  failedMalformed(partid: number, failure_code: number): void {
    const p = this.part(partid);
    const first = p.route[0]!;
    const reason = `peer ${first.id} could not read the onion (0x${failure_code.toString(16)})`;
    this.settle(
      p,
      p.route.length === 1 ? { kind: 'final', reason } : { kind: 'retry', exclude: [halfKey(first.channel, first.direction)], reason },
    );
  }

  /** Our channel refused to add the part (channeld's limits): it carries less than that now. */
  localFailure(partid: number, why: string): void {
    const p = this.part(partid);
    const first = p.route[0]!;
    this.settle(p, {
      kind: 'retry',
      exclude: [],
      lessThan: { channel: first.channel, direction: first.direction, amount_msat: first.amount_msat },
      reason: why,
    });
  }

  /** The part never left (its channel stopped before the add was recorded): nothing learnt, the amount is routed again. */
  unsent(partid: number, why: string): void {
    this.settle(this.part(partid), { kind: 'retry', exclude: [], reason: why });
  }

  private settle(p: Held, action: FailureAction): void {
    p.status = 'failed';
    p.failure = action.reason;
    this.lastReason = action.reason;
    if (action.kind === 'final') {
      this.stop ??= { code: PAY_DESTINATION_PERM_FAIL, message: action.reason };
      return;
    }
    if (action.update) this.applyUpdate(action.update.channel, action.update.direction, action.update.raw, action.lessThan === undefined);
    for (const k of action.exclude) this.overlay.exclude(k);
    if (action.lessThan) this.overlay.carriesLessThan(action.lessThan.channel, action.lessThan.direction, action.lessThan.amount_msat);
  }

  /** A failure's channel_update goes into the overlay if it checks out; if not, `orExclude` sets the channel aside. */
  private applyUpdate(channel: string, direction: 0 | 1, raw: Uint8Array, orExclude: boolean): void {
    const g = this.env.graph;
    const held = this.overlay.policy(channel, direction, (c, d) => g.policy(c, d));
    const signer = g.signer(channel, direction);
    const v = checkFailureUpdate(raw, {
      short_channel_id: parseScid(channel),
      direction,
      ...(signer ? { signer } : {}),
      ...(held ? { timestamp: held.timestamp } : {}),
      ...(this.env.chain_hash ? { chain_hash: this.env.chain_hash } : {}),
    });
    if (v.ok) {
      const { name: _n, signature: _s, chain_hash: _c, short_channel_id: _i, ...policy } = v.update;
      this.overlay.setUpdate(channel, direction, policy);
    } else if (orExclude) {
      this.overlay.exclude(halfKey(channel, direction));
    }
  }

  private plan(): OutgoingPart[] {
    const out: OutgoingPart[] = [];
    let remaining = this.req.amount_msat;
    let feesCommitted = 0n;
    const used = new Map<string, bigint>();
    for (const p of this.parts.values()) {
      if (p.status === 'failed') continue;
      remaining -= p.delivers_msat;
      feesCommitted += p.sent_msat - p.delivers_msat;
      const c = p.route[0]!.channel;
      if (p.status === 'pending') used.set(c, (used.get(c) ?? 0n) + p.sent_msat);
    }
    const available = (channel: string) => {
      const ch = this.env.channels.find(c => c.short_channel_id === channel);
      return ch ? ch.spendable_msat - (used.get(channel) ?? 0n) : 0n;
    };
    // No part can deliver more than our best channel can still carry: start there, not higher.
    const mostAvailable = () =>
      this.env.channels.reduce((m, c) => (available(c.short_channel_id) > m ? available(c.short_channel_id) : m), 0n);
    let target = remaining;
    const planned: { route: PricedHop[]; target: bigint }[] = [];
    while (remaining > 0n && this.count('pending') + planned.length < MAX_PARTS_IN_FLIGHT) {
      const cap = mostAvailable();
      if (cap <= 0n) break;
      if (target > cap) {
        if (this.req.mpp === false) break;
        target = cap;
      }
      // Each part may spend its share of the fee budget left.
      const budget = this.maxfee - feesCommitted;
      const route =
        budget < 0n
          ? undefined
          : planRoute(this.env.graph, this.overlay, {
              destination: this.req.destination,
              amount_msat: this.reachIntroduction(target),
              final_cltv: (this.req.blinded?.payinfo.cltv_expiry_delta ?? this.req.final_cltv) + FINAL_CLTV_SLACK,
              maxfee_msat: (budget * target) / remaining,
              maxdelay: this.req.maxdelay ?? DEFAULT_MAXDELAY,
              localAvailable: available,
            });
      if (!route) {
        // "split into parts when one channel cannot carry the amount": try half as much.
        if (target <= MIN_PART_MSAT || this.req.mpp === false) break;
        target = (target + 1n) / 2n;
        continue;
      }
      planned.push({ route, target });
      used.set(route[0]!.channel, (used.get(route[0]!.channel) ?? 0n) + route[0]!.amount_msat);
      feesCommitted += route[0]!.amount_msat - target;
      remaining -= target;
      target = remaining;
    }
    // Parts are sent only when together they route the whole amount (as xpay's askrene answers
    // "could not find a usable set of paths" at once): parts that could never add up would be held
    // by the payee until its mpp_timeout. Capped by parts in flight is not short of routes.
    const short = remaining > 0n && this.count('pending') + planned.length < MAX_PARTS_IN_FLIGHT;
    if (short && this.lastReason === 'no attempt made') this.lastReason = 'no route found';
    if (short) return [];
    for (const { route, target: t } of planned) out.push(this.launch(route, t));
    return out;
  }

  /** What the route must deliver for the payee to get `amount`: more by the blinded path's fees, if there is one. */
  private reachIntroduction(amount: bigint): bigint {
    const b = this.req.blinded;
    return b ? amount + blindedFee(b.payinfo, amount) : amount;
  }

  private launch(route: PricedHop[], delivers: bigint): OutgoingPart {
    const blockheight = this.env.blockheight();
    const onion = buildPartOnion(
      route,
      blockheight,
      {
        ...(this.req.payment_secret
          ? { payment_secret: this.req.payment_secret, total_msat: this.req.total_msat ?? this.req.amount_msat }
          : {}),
        ...(this.req.payment_metadata ? { payment_metadata: this.req.payment_metadata } : {}),
        ...(this.req.keysend_preimage ? { keysend_preimage: this.req.keysend_preimage } : {}),
        ...(this.req.extra ? { extra: this.req.extra } : {}),
        ...(this.req.blinded
          ? { blinded: { path: this.req.blinded.path, amount_msat: delivers, total_msat: this.req.total_msat ?? this.req.amount_msat } }
          : {}),
      },
      this.req.payment_hash,
      this.env.sessionKey(),
    );
    const partid = this.nextPartid++;
    this.parts.set(partid, {
      partid,
      route,
      delivers_msat: delivers,
      sent_msat: onion.amount_msat,
      status: 'pending',
      sharedSecrets: onion.sharedSecrets,
      blockheight,
    });
    return { ...onion, partid, payment_hash: this.req.payment_hash, route, delivers_msat: delivers };
  }

  private complete(): PayResult {
    let sent = 0n;
    let delivered = 0n;
    for (const p of this.parts.values()) {
      if (p.status !== 'complete') continue;
      sent += p.sent_msat;
      delivered += p.delivers_msat;
    }
    return {
      status: 'complete',
      payment_preimage: this.preimage!,
      amount_msat: delivered,
      amount_sent_msat: sent,
      successful_parts: this.count('complete'),
      failed_parts: this.count('failed'),
    };
  }

  private count(s: PartRecord['status']): number {
    let n = 0;
    for (const p of this.parts.values()) if (p.status === s) n++;
    return n;
  }

  private part(partid: number): Held {
    const p = this.parts.get(partid);
    if (!p || p.status !== 'pending') throw new RangeError(`no pending part ${partid}`);
    return p;
  }
}
