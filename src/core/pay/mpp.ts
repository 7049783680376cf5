// BOLT 4 "Basic Multi-Part Payments", the final node's side: HTLCs of one payment_hash are held
// as an HTLC set until their `amt_to_forward` adds up to `total_msat`, then fulfilled together;
// a set that does not complete in time fails with `mpp_timeout`. Memory is bounded: a cap on the
// parts of one set and on all parts held. The clock is injected (milliseconds).
import { toHex } from '../base/bytes.ts';
import type { Failure } from '../onion/failures.ts';

/** "SHOULD wait for at least 60 seconds after the initial HTLC." */
export const MPP_TIMEOUT_MS = 60_000;
export const MAX_PARTS_PER_SET = 64;
export const MAX_PARTS_HELD = 4096;

export interface HeldPart<K> {
  /** The caller's handle for the HTLC (channel and HTLC id). */
  id: K;
  payment_hash: Uint8Array;
  /** The HTLC's own amount (for the failure's `htlc_msat`). */
  htlc_msat: bigint;
  amt_to_forward: bigint;
  total_msat: bigint;
  payment_secret?: Uint8Array;
  /** The HTLC's expiry: a set is failed before any of its parts can time out on chain. */
  cltv_expiry?: number;
}

export interface PartFailure<K> {
  id: K;
  failure: Failure;
}

/** `complete`: fulfil every `ids` (after the invoice is durably marked paid: only then release the preimage). */
export type AddResult<K> =
  | { status: 'held'; received_msat: bigint }
  | { status: 'complete'; ids: K[]; received_msat: bigint }
  | { status: 'failed'; failed: PartFailure<K>[] };

interface HtlcSet<K> {
  total_msat: bigint;
  secret?: string;
  firstAt: number;
  received: bigint;
  parts: HeldPart<K>[];
}

export interface HtlcSetOptions {
  now: () => number;
  timeoutMs?: number;
  maxPartsPerSet?: number;
  maxPartsHeld?: number;
}

export class HtlcSets<K> {
  private readonly sets = new Map<string, HtlcSet<K>>();
  private held = 0;
  private readonly timeoutMs: number;
  private readonly maxPerSet: number;
  private readonly maxHeld: number;

  constructor(private readonly opts: HtlcSetOptions) {
    this.timeoutMs = opts.timeoutMs ?? MPP_TIMEOUT_MS;
    this.maxPerSet = opts.maxPartsPerSet ?? MAX_PARTS_PER_SET;
    this.maxHeld = opts.maxPartsHeld ?? MAX_PARTS_HELD;
  }

  /** Parts held across all sets. */
  get size(): number {
    return this.held;
  }

  /** A part that passed final.ts `checkFinalHtlc`. */
  add(part: HeldPart<K>, blockheight: number): AddResult<K> {
    const key = toHex(part.payment_hash);
    const secret = part.payment_secret ? toHex(part.payment_secret) : undefined;
    let set = this.sets.get(key);
    if (set) {
      // "SHOULD fail the entire HTLC set if `total_msat` is not the same for all HTLCs in the set."
      if (set.total_msat !== part.total_msat) {
        this.drop(key);
        return { status: 'failed', failed: [...set.parts, part].map(p => details(p, blockheight)) };
      }
      // "MUST require `payment_secret` for all HTLCs in the set": one that differs is not this payer's.
      if (set.secret !== secret) return { status: 'failed', failed: [details(part, blockheight)] };
      if (set.parts.length >= this.maxPerSet)
        return { status: 'failed', failed: [{ id: part.id, failure: { name: 'temporary_node_failure' } }] };
    }
    if (this.held >= this.maxHeld) return { status: 'failed', failed: [{ id: part.id, failure: { name: 'temporary_node_failure' } }] };
    if (!set) {
      set = { total_msat: part.total_msat, ...(secret ? { secret } : {}), firstAt: this.opts.now(), received: 0n, parts: [] };
      this.sets.set(key, set);
    }
    set.parts.push(part);
    set.received += part.amt_to_forward;
    this.held++;
    // "if the total `amt_to_forward` of this HTLC set is equal to or greater than `total_msat`:
    // SHOULD fulfill all HTLCs in the HTLC set"; "if it fulfills any HTLCs in the HTLC set: MUST
    // fulfill the entire HTLC set."
    if (set.received >= set.total_msat) {
      this.drop(key);
      return { status: 'complete', ids: set.parts.map(p => p.id), received_msat: set.received };
    }
    // "otherwise ... MUST NOT fulfill any HTLCs in the HTLC set"
    return { status: 'held', received_msat: set.received };
  }

  /**
   * "MUST fail all HTLCs in the HTLC set after some reasonable timeout ... SHOULD use `mpp_timeout`."
   * Call on a timer (nextDeadline says when); returns the parts to fail.
   */
  expire(): PartFailure<K>[] {
    const now = this.opts.now();
    const out: PartFailure<K>[] = [];
    for (const [key, set] of this.sets) {
      if (now - set.firstAt < this.timeoutMs) continue;
      this.drop(key);
      for (const p of set.parts) out.push({ id: p.id, failure: { name: 'mpp_timeout' } });
    }
    return out;
  }

  /**
   * Sets with a part whose `cltv_expiry` is within `margin` blocks of `blockheight`: failed whole
   * (mpp_timeout), so that no held HTLC runs to its expiry and forces the channel on chain (BOLT 2:
   * an HTLC must be failed back before its deadline). Call on each new block.
   */
  expireByHeight(blockheight: number, margin: number): PartFailure<K>[] {
    const out: PartFailure<K>[] = [];
    for (const [key, set] of this.sets) {
      if (!set.parts.some(p => p.cltv_expiry !== undefined && p.cltv_expiry <= blockheight + margin)) continue;
      this.drop(key);
      for (const p of set.parts) out.push({ id: p.id, failure: { name: 'mpp_timeout' } });
    }
    return out;
  }

  /** When the oldest set times out (ms, the injected clock's time), or undefined if none is held. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const s of this.sets.values()) if (min === undefined || s.firstAt < min) min = s.firstAt;
    return min === undefined ? undefined : min + this.timeoutMs;
  }

  /** Fails a whole set now (its invoice was deleted, or an HTLC nears its expiry): the parts to fail. */
  cancel(payment_hash: Uint8Array, failure: (p: HeldPart<K>) => Failure): PartFailure<K>[] {
    const key = toHex(payment_hash);
    const set = this.sets.get(key);
    if (!set) return [];
    this.drop(key);
    return set.parts.map(p => ({ id: p.id, failure: failure(p) }));
  }

  private drop(key: string): void {
    const set = this.sets.get(key);
    if (!set) return;
    this.held -= set.parts.length;
    this.sets.delete(key);
  }
}

/** Parts in a set that breaks the rules fail as BOLT 4's `incorrect_or_unknown_payment_details` would for one HTLC. */
function details<K>(p: HeldPart<K>, height: number): PartFailure<K> {
  return { id: p.id, failure: { name: 'incorrect_or_unknown_payment_details', htlc_msat: p.htlc_msat, height } };
}
