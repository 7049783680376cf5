// What lightningd keeps of the HTLCs it forwards (Core Lightning's `forwards` table, which
// listforwards lists) and of its forwarding policy per channel (what `setchannel` sets; Core
// Lightning's channel record fields feerate_base, feerate_ppm, htlc_minimum_msat,
// htlc_maximum_msat). A forward record is durable BEFORE channeld is asked to add the outgoing
// HTLC; what the outgoing channel did to it is written in that channel's own write (HtlcListener
// staging), so a preimage learned downstream is never lost. Amounts decimal, bytes hex.
import type { LightningdDb } from './db.ts';

export const FORWARDS = 'forwards';
export const POLICIES = 'channel_policies';

/** Core Lightning's forward statuses (listforwards `status`). */
export type ForwardStatus = 'offered' | 'settled' | 'failed' | 'local_failed';

export interface ForwardRecord {
  /** Core Lightning's created_index: 1, 2, ... */
  created_index: number;
  /** The incoming HTLC: its channel's dbid and short_channel_id, channeld's id, amount and expiry. */
  in_channel: string;
  in_scid: string;
  in_htlc_id: string;
  in_msat: string;
  payment_hash: string;
  /** The outgoing channel (absent: none was found), channeld's id once offered. */
  out_channel?: string;
  out_scid?: string;
  out_htlc_id?: string;
  out_msat?: string;
  out_cltv?: number;
  fee_msat?: string;
  status: ForwardStatus;
  /** Our own failure (local_failed): the BOLT 4 code and its name. */
  failcode?: number;
  failreason?: string;
  /** Seconds since 1970 (Core Lightning gives them with fractions; we keep whole ms / 1000). */
  received_time: number;
  resolved_time?: number;
  /** The incoming onion's shared secret with us: what wraps the error onion on its way back (BOLT 4). */
  shared_secret: string;
  /** Settled: the preimage the downstream gave, to fulfill upstream (again after a restart). */
  preimage?: string;
  /** Failed: the error onion to give upstream, already obfuscated with our shared secret. */
  upstream_reason?: string;
  /**
   * The downstream's `attribution_data` with its fulfil or with the failure whose error onion we
   * relay (BOLT 4): our layer is added to it upstream (htlc-resolution.ts withAttribution).
   */
  downstream_attribution?: string;
  /**
   * A forward inside a blinded route (BOLT 4 "Route Blinding"): `intro` (the payload carried
   * `current_path_key`) or `inside` (the incoming update_add_htlc carried `path_key`); the
   * `path_key` the outgoing HTLC carries, and the incoming onion's SHA256 for invalid_onion_blinding.
   */
  blinded?: 'intro' | 'inside';
  next_path_key?: string;
  onion_sha256?: string;
}

/** Our policy on one channel (setchannel); absent fields take Core Lightning's defaults. */
export interface PolicyRecord {
  fee_base_msat?: number;
  fee_proportional_millionths?: number;
  htlc_minimum_msat?: string;
  htlc_maximum_msat?: string;
  cltv_expiry_delta?: number;
}

/** Core Lightning's defaults: fee-base 1000 msat, fee-per-satoshi 10 ppm, cltv-delta 34. */
export const DEFAULT_FEE_BASE_MSAT = 1000;
export const DEFAULT_FEE_PPM = 10;
export const DEFAULT_CLTV_DELTA = 34;

export const forwardKey = (inChannel: string, inHtlcId: string) => `${inChannel}/${inHtlcId}`;

export function forwards(db: LightningdDb): ForwardRecord[] {
  return Object.values(db.table<ForwardRecord>(FORWARDS)).sort((a, b) => a.created_index - b.created_index);
}

export function stageForward(db: LightningdDb, r: ForwardRecord): void {
  db.stage(FORWARDS, forwardKey(r.in_channel, r.in_htlc_id), r);
}

export function nextForwardIndex(db: LightningdDb): number {
  return Math.max(0, ...forwards(db).map(f => f.created_index)) + 1;
}

/** The forward whose outgoing HTLC is `id` on channel `dbid`. */
export function forwardOfOut(db: LightningdDb, dbid: string, id: bigint): ForwardRecord | undefined {
  return forwards(db).find(f => f.out_channel === dbid && f.out_htlc_id === id.toString());
}

export function policyOf(db: LightningdDb, dbid: string): PolicyRecord {
  return db.record<PolicyRecord>(POLICIES, dbid) ?? {};
}

export function stagePolicy(db: LightningdDb, dbid: string, p: PolicyRecord): void {
  db.stage(POLICIES, dbid, p);
}
