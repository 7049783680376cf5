// What lightningd keeps of our payments (Core Lightning's `payments` table, which its listsendpays
// lists): a `sendpays` record per part, written durably BEFORE channeld is asked to add its HTLC,
// and completed in the very write of the channel state that settles the HTLC (HtlcListener
// staging); a `payments` record per attempt (payment_hash and groupid), which remembers what was
// paid for (a hash paid is never paid again) and what was asked (the request, with which a restart
// resumes the payment: pay-control.ts). Amounts decimal, bytes hex.
import { fromHex, toHex } from '../../base/bytes.ts';
import type { RouteHop as HintHop } from '../../bolt11/fields.ts';
import type { PayRequest } from '../../pay/index.ts';
import type { LightningdDb } from './db.ts';

export const SENDPAYS = 'sendpays';
export const PAYMENTS = 'payments';

export type PayStatus = 'pending' | 'complete' | 'failed';

/** One hop of a part's route (src/core/pay PricedHop, amounts decimal). */
export interface RouteHopRecord {
  id: string;
  channel: string;
  direction: 0 | 1;
  amount_msat: string;
  delay: number;
}

export interface SendpayRecord {
  /** Core Lightning's `id` and `created_index`: 1, 2, ... */
  created_index: number;
  payment_hash: string;
  groupid: number;
  partid: number;
  status: PayStatus;
  destination: string;
  /** What this part delivers to the destination, and what it costs us (with fees). */
  amount_msat: string;
  amount_sent_msat: string;
  created_at: number;
  completed_at?: number;
  bolt11?: string;
  description?: string;
  label?: string;
  /** The channel it is offered on (its dbid and short_channel_id), and channeld's HTLC id once offered. */
  channel: string;
  short_channel_id: string;
  htlc_id?: string;
  cltv_expiry: number;
  route: RouteHopRecord[];
  /** The onion's shared secrets: what reads the error onion that may come back. */
  shared_secrets: string[];
  blockheight: number;
  payment_preimage?: string;
  /** The error onion (update_fail_htlc), or our peer's update_fail_malformed_htlc code. */
  erroronion?: string;
  /** The `attribution_data` that came with the error onion or the fulfil (BOLT 2), hex. */
  attribution?: string;
  failcode?: number;
  /** Why it failed, as decoded (or why it was never sent). */
  failure?: string;
}

export interface PaymentRecord {
  payment_hash: string;
  groupid: number;
  status: PayStatus;
  destination: string;
  amount_msat: string;
  created_at: number;
  completed_at?: number;
  bolt11?: string;
  description?: string;
  label?: string;
  payment_preimage?: string;
  /** Why it failed (Core Lightning's error code and message). */
  error?: { code: number; message: string };
  /** What the payment asked: a restart resumes it from this and its parts (absent in records written before). */
  request?: PayRequestRecord;
}

/** A PayRequest as stored (src/core/pay PayRequest less what the record already says), and the invoice's hints. */
export interface PayRequestRecord {
  final_cltv: number;
  payment_secret?: string;
  payment_metadata?: string;
  keysend_preimage?: string;
  extra?: { type: string; value: string }[];
  mpp?: boolean;
  total_msat?: string;
  maxfee_msat?: string;
  maxdelay?: number;
  retry_for_s?: number;
  /** When the session started (ms since 1970): `retry_for` counts from here, across restarts. */
  started_at_ms: number;
  hints?: { pubkey: string; scid: string; fee_base_msat: number; fee_proportional_millionths: number; cltv_expiry_delta: number }[][];
  /** A payment into a blinded path (xpayblinded): the path and its payinfo, so a resumed one stays blinded. */
  blinded?: BlindedRecord;
}

interface BlindedRecord {
  first_node_id: string;
  first_path_key: string;
  hops: { blinded_node_id: string; encrypted_recipient_data: string }[];
  payinfo: {
    fee_base_msat: number;
    fee_proportional_millionths: number;
    cltv_expiry_delta: number;
    htlc_minimum_msat: string;
    htlc_maximum_msat: string;
  };
}

function blindedRecord(b: NonNullable<PayRequest['blinded']>): BlindedRecord {
  const i = b.payinfo;
  return {
    first_node_id: toHex(b.path.firstNodeId),
    first_path_key: toHex(b.path.firstPathKey),
    hops: b.path.hops.map(h => ({ blinded_node_id: toHex(h.blindedNodeId), encrypted_recipient_data: toHex(h.encryptedData) })),
    payinfo: { ...i, htlc_minimum_msat: i.htlc_minimum_msat.toString(), htlc_maximum_msat: i.htlc_maximum_msat.toString() },
  };
}

function blindedOf(r: BlindedRecord): NonNullable<PayRequest['blinded']> {
  const i = r.payinfo;
  return {
    path: {
      firstNodeId: fromHex(r.first_node_id),
      firstPathKey: fromHex(r.first_path_key),
      hops: r.hops.map(h => ({ blindedNodeId: fromHex(h.blinded_node_id), encryptedData: fromHex(h.encrypted_recipient_data) })),
    },
    payinfo: { ...i, htlc_minimum_msat: BigInt(i.htlc_minimum_msat), htlc_maximum_msat: BigInt(i.htlc_maximum_msat) },
  };
}

const hexOpt = <K extends string>(k: K, v: Uint8Array | undefined) => (v ? ({ [k]: toHex(v) } as Record<K, string>) : {});

export function requestRecord(req: PayRequest, hints: readonly HintHop[][], startedAtMs: number): PayRequestRecord {
  return {
    final_cltv: req.final_cltv,
    ...hexOpt('payment_secret', req.payment_secret),
    ...hexOpt('payment_metadata', req.payment_metadata),
    ...hexOpt('keysend_preimage', req.keysend_preimage),
    ...(req.extra ? { extra: req.extra.map(t => ({ type: t.type.toString(), value: toHex(t.value) })) } : {}),
    ...(req.mpp !== undefined ? { mpp: req.mpp } : {}),
    ...(req.total_msat !== undefined ? { total_msat: req.total_msat.toString() } : {}),
    ...(req.maxfee_msat !== undefined ? { maxfee_msat: req.maxfee_msat.toString() } : {}),
    ...(req.maxdelay !== undefined ? { maxdelay: req.maxdelay } : {}),
    ...(req.retry_for_s !== undefined ? { retry_for_s: req.retry_for_s } : {}),
    started_at_ms: startedAtMs,
    ...(req.blinded ? { blinded: blindedRecord(req.blinded) } : {}),
    ...(hints.length
      ? {
          hints: hints.map(route =>
            route.map(h => ({
              pubkey: toHex(h.pubkey),
              scid: h.shortChannelId.toString(),
              fee_base_msat: h.feeBaseMsat,
              fee_proportional_millionths: h.feeProportionalMillionths,
              cltv_expiry_delta: h.cltvExpiryDelta,
            })),
          ),
        }
      : {}),
  };
}

/** The request and hints a payment record was made with (requestRecord's inverse). */
export function requestOf(p: PaymentRecord & { request: PayRequestRecord }): { req: PayRequest; hints: HintHop[][] } {
  const r = p.request;
  const bytes = <K extends string>(k: K, v: string | undefined) => (v !== undefined ? ({ [k]: fromHex(v) } as Record<K, Uint8Array>) : {});
  return {
    req: {
      destination: p.destination,
      payment_hash: fromHex(p.payment_hash),
      amount_msat: BigInt(p.amount_msat),
      final_cltv: r.final_cltv,
      ...bytes('payment_secret', r.payment_secret),
      ...bytes('payment_metadata', r.payment_metadata),
      ...bytes('keysend_preimage', r.keysend_preimage),
      ...(r.extra ? { extra: r.extra.map(t => ({ type: BigInt(t.type), value: fromHex(t.value) })) } : {}),
      ...(r.mpp !== undefined ? { mpp: r.mpp } : {}),
      ...(r.total_msat !== undefined ? { total_msat: BigInt(r.total_msat) } : {}),
      ...(r.maxfee_msat !== undefined ? { maxfee_msat: BigInt(r.maxfee_msat) } : {}),
      ...(r.maxdelay !== undefined ? { maxdelay: r.maxdelay } : {}),
      ...(r.retry_for_s !== undefined ? { retry_for_s: r.retry_for_s } : {}),
      ...(r.blinded ? { blinded: blindedOf(r.blinded) } : {}),
    },
    hints: (r.hints ?? []).map(route =>
      route.map(h => ({
        pubkey: fromHex(h.pubkey),
        shortChannelId: BigInt(h.scid),
        feeBaseMsat: h.fee_base_msat,
        feeProportionalMillionths: h.fee_proportional_millionths,
        cltvExpiryDelta: h.cltv_expiry_delta,
      })),
    ),
  };
}

export const sendpayKey = (hash: string, groupid: number, partid: number) => `${hash}:${groupid}:${partid}`;
export const paymentKey = (hash: string, groupid: number) => `${hash}:${groupid}`;

export function sendpays(db: LightningdDb): SendpayRecord[] {
  return Object.values(db.table<SendpayRecord>(SENDPAYS)).sort((a, b) => a.created_index - b.created_index);
}

export function payments(db: LightningdDb): PaymentRecord[] {
  return Object.values(db.table<PaymentRecord>(PAYMENTS)).sort((a, b) => a.created_at - b.created_at || a.groupid - b.groupid);
}

export function stageSendpay(db: LightningdDb, r: SendpayRecord): void {
  db.stage(SENDPAYS, sendpayKey(r.payment_hash, r.groupid, r.partid), r);
}

export function stagePayment(db: LightningdDb, p: PaymentRecord): void {
  db.stage(PAYMENTS, paymentKey(p.payment_hash, p.groupid), p);
}

/** What an attempt's parts add up to: the payment's result once one part has the preimage. */
export interface GroupSummary {
  preimage?: string;
  amount_msat: bigint;
  amount_sent_msat: bigint;
  successful_parts: number;
  failed_parts: number;
  pending_parts: number;
  parts: number;
  lastFailure?: string;
}

export function summarize(parts: readonly SendpayRecord[]): GroupSummary {
  const s: GroupSummary = {
    amount_msat: 0n,
    amount_sent_msat: 0n,
    successful_parts: 0,
    failed_parts: 0,
    pending_parts: 0,
    parts: parts.length,
  };
  for (const p of parts) {
    if (p.status === 'complete') {
      s.successful_parts++;
      s.amount_msat += BigInt(p.amount_msat);
      s.amount_sent_msat += BigInt(p.amount_sent_msat);
      s.preimage ??= p.payment_preimage;
    } else if (p.status === 'failed') {
      s.failed_parts++;
      if (p.failure) s.lastFailure = p.failure;
    } else s.pending_parts++;
  }
  return s;
}
