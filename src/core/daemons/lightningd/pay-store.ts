// What lightningd keeps of our payments (Core Lightning's `payments` table, which its listsendpays
// lists): a `sendpays` record per part, written durably BEFORE channeld is asked to add its HTLC,
// and completed in the very write of the channel state that settles the HTLC (HtlcListener
// staging); a `payments` record per attempt (payment_hash and groupid), which remembers what was
// paid for (`xpay` of a paid hash returns the first result). Amounts decimal, bytes hex.
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
