// BOLT 4 "Requirements for the final node": what the payee checks on one incoming HTLC before it
// joins its payment's HTLC set (mpp.ts). Pure: the invoice, the block height and the time are given.
import { equal } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';
import type { Failure } from '../onion/failures.ts';
import type { HopPayload } from '../onion/payload.ts';

/** The final hop's payload records, as BOLT 4 names them. */
export interface FinalPayload {
  amt_to_forward: bigint;
  outgoing_cltv_value: number;
  payment_secret?: Uint8Array;
  /** "MUST treat `total_msat` as if it were equal to `amt_to_forward` if it is not present." */
  total_msat: bigint;
  payment_metadata?: Uint8Array;
  /** A payment over a blinded path we made: the `path_id` of our `encrypted_data_tlv` (it stands for `payment_secret`). */
  path_id?: Uint8Array;
}

/** From a payload that passed onion/payload.ts `checkHopPayload` as final. */
export function finalPayload(p: HopPayload): FinalPayload {
  const amt = p.amt_to_forward!.amt_to_forward;
  return {
    amt_to_forward: amt,
    outgoing_cltv_value: p.outgoing_cltv_value!.outgoing_cltv_value,
    // A blinded final payload says it in `total_amount_msat` (BOLT 4 "Route Blinding").
    total_msat: p.payment_data?.total_msat ?? p.total_amount_msat?.total_msat ?? amt,
    ...(p.payment_data ? { payment_secret: p.payment_data.payment_secret } : {}),
    ...(p.payment_metadata ? { payment_metadata: p.payment_metadata.payment_metadata } : {}),
  };
}

export interface IncomingHtlc {
  amount_msat: bigint;
  cltv_expiry: number;
}

/** The invoice the payment_hash names, as lightningd holds it. */
export interface InvoiceTerms {
  /** undefined: an "any" amount invoice. */
  amount_msat?: bigint;
  payment_secret: Uint8Array;
  min_final_cltv_expiry: number;
  /** Unix seconds. */
  expires_at: number;
  status: 'unpaid' | 'paid' | 'expired';
  /** The invoice's `m` field, which the payer must echo as `payment_metadata`. */
  payment_metadata?: Uint8Array;
  /** The `path_id` of the blinded paths we made for it (blinded.ts pathIdFor). */
  path_id?: Uint8Array;
}

export type FinalVerdict = { ok: true; payload: FinalPayload } | { ok: false; failure: Failure; why: string };

export interface FinalContext {
  blockheight: number;
  /** Unix seconds. */
  now: number;
}

/**
 * One HTLC at the final node. `invoice` undefined: the payment_hash is unknown. On success the HTLC
 * goes to the HTLC set (mpp.ts) under its `total_msat`; it is not yet to be fulfilled.
 */
export function checkFinalHtlc(htlc: IncomingHtlc, p: FinalPayload, invoice: InvoiceTerms | undefined, ctx: FinalContext): FinalVerdict {
  const basic = checkAgainstPayload(htlc, p);
  if (basic) return basic;
  const details = unknownDetails(htlc, ctx);
  // "The `payment_hash` is unknown to the final node"; "if the payment hash has already been paid:
  // MAY treat the payment hash as unknown" (we do: the preimage is already out, nothing to add).
  if (!invoice) return details('unknown payment_hash');
  if (invoice.status !== 'unpaid' || ctx.now >= invoice.expires_at)
    return details(`invoice ${invoice.status === 'unpaid' ? 'expired' : invoice.status}`);
  const soon = tooSoon(htlc, invoice.min_final_cltv_expiry, ctx);
  if (soon) return soon;
  // "if the `payment_secret` doesn't match the expected value for that `payment_hash`, or the
  // `payment_secret` is required and is not present: MUST fail the HTLC." (BOLT 11 makes `s` mandatory.)
  // Over a blinded path: "MUST ignore the message if the `path_id` does not match the blinded route
  // it created for this purpose" (BOLT 4 "Route Blinding"); the path_id stands for payment_secret.
  if (p.path_id) {
    if (!invoice.path_id || !equal(p.path_id, invoice.path_id)) return details('path_id is not of a path we made for this invoice');
  } else if (!p.payment_secret || !equal(p.payment_secret, invoice.payment_secret)) return details('payment_secret missing or wrong');
  // "`payment_metadata` isn't present while it should be"
  if (invoice.payment_metadata && (!p.payment_metadata || !equal(p.payment_metadata, invoice.payment_metadata))) {
    return details('payment_metadata missing or wrong');
  }
  if (invoice.amount_msat !== undefined) {
    // "Note: 'amount paid' specified there is the `total_msat` field."
    // "if the amount paid is less than the amount expected: MUST fail the HTLC."
    if (p.total_msat < invoice.amount_msat) return details('total_msat below the invoice amount');
    // "if the amount paid is more than twice the amount expected: SHOULD fail the HTLC."
    if (p.total_msat > 2n * invoice.amount_msat) return details('total_msat over twice the invoice amount');
  }
  return { ok: true, payload: p };
}

/**
 * A keysend HTLC (keysend.ts): no invoice, the preimage in the payload must hash to the HTLC's
 * payment_hash; the same BOLT 4 checks of the HTLC against its payload, and our own final delta.
 */
export function checkKeysendHtlc(
  htlc: IncomingHtlc & { payment_hash: Uint8Array },
  p: FinalPayload,
  preimage: Uint8Array | undefined,
  minFinalCltvExpiry: number,
  ctx: FinalContext,
): FinalVerdict & { preimage?: Uint8Array } {
  const basic = checkAgainstPayload(htlc, p);
  if (basic) return basic;
  if (!preimage || !equal(sha256(preimage), htlc.payment_hash))
    return unknownDetails(htlc, ctx)('no keysend preimage for this payment_hash');
  return tooSoon(htlc, minFinalCltvExpiry, ctx) ?? { ok: true, payload: p, preimage };
}

/** BOLT 4 (payload reader, final node) "MUST return an error if:" the HTLC carries less than the payload says. */
function checkAgainstPayload(htlc: IncomingHtlc, p: FinalPayload): FinalVerdict | undefined {
  // "incoming `amount_msat` < `amt_to_forward`"
  if (htlc.amount_msat < p.amt_to_forward) {
    return fail({ name: 'final_incorrect_htlc_amount', incoming_htlc_amt: htlc.amount_msat }, 'HTLC amount below amt_to_forward');
  }
  // "incoming `cltv_expiry` < `outgoing_cltv_value`"
  if (htlc.cltv_expiry < p.outgoing_cltv_value) {
    return fail({ name: 'final_incorrect_cltv_expiry', cltv_expiry: htlc.cltv_expiry }, 'HTLC cltv_expiry below outgoing_cltv_value');
  }
  return undefined;
}

/** incorrect_or_unknown_payment_details carries [u64:htlc_msat][u32:height]. */
function unknownDetails(htlc: IncomingHtlc, ctx: FinalContext): (why: string) => FinalVerdict {
  return why => fail({ name: 'incorrect_or_unknown_payment_details', htlc_msat: htlc.amount_msat, height: ctx.blockheight }, why);
}

/** "incoming `cltv_expiry` < `current_block_height` + `min_final_cltv_expiry_delta`": the expiry "is
 * too close to the current block height for safe handling by the final node". */
function tooSoon(htlc: IncomingHtlc, minFinal: number, ctx: FinalContext): FinalVerdict | undefined {
  return htlc.cltv_expiry < ctx.blockheight + minFinal ? unknownDetails(htlc, ctx)('cltv_expiry too soon') : undefined;
}

function fail(failure: Failure, why: string): FinalVerdict {
  return { ok: false, failure, why };
}
