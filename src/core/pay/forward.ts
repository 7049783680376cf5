// BOLT 4 "Requirements for intermediate nodes" and "Failure Messages", with the fee and
// `cltv_expiry_delta` of the channel_update we sent for the outgoing channel (BOLT 7 "HTLC Fees",
// BOLT 2 "cltv_expiry_delta Selection"): forward an incoming HTLC, or the failure to send back.
import type { Failure } from '../onion/failures.ts';
import type { HopPayload } from '../onion/payload.ts';

/** LDK's LATENCY_GRACE_PERIOD_BLOCKS: an outgoing expiry this close to the tip is `expiry_too_soon`. */
export const EXPIRY_GRACE_BLOCKS = 3;
/** Core Lightning's max-locktime-blocks (2016): further out is `expiry_too_far`. */
export const MAX_HTLC_CLTV = 2016;

export interface ForwardPayload {
  short_channel_id: bigint;
  amt_to_forward: bigint;
  outgoing_cltv_value: number;
}

/** From a payload that passed onion/payload.ts `checkHopPayload` as a forwarding hop. */
export function forwardPayload(p: HopPayload): ForwardPayload {
  return {
    short_channel_id: p.short_channel_id!.short_channel_id,
    amt_to_forward: p.amt_to_forward!.amt_to_forward,
    outgoing_cltv_value: p.outgoing_cltv_value!.outgoing_cltv_value,
  };
}

/** Our side of the outgoing channel, as our latest channel_update for it says, and what it can carry now. */
export interface OutgoingChannel {
  fee_base_msat: number;
  fee_proportional_millionths: number;
  cltv_expiry_delta: number;
  htlc_minimum_msat: bigint;
  htlc_maximum_msat: bigint;
  /** Peer connected, channel normal and our update not `disable`d. */
  enabled: boolean;
  /** What the channel can add now (reserve, in-flight and max_accepted_htlcs accounted for). */
  spendable_msat: bigint;
  /** Our latest channel_update for it (raw, type included), attached to UPDATE failures. */
  channel_update: Uint8Array;
}

export interface ForwardOptions {
  blockheight: number;
  graceBlocks?: number;
  maxHtlcCltv?: number;
}

export type ForwardVerdict =
  | { ok: true; short_channel_id: bigint; amount_msat: bigint; cltv_expiry: number; fee_msat: bigint }
  | { ok: false; failure: Failure; why: string };

/** BOLT 7 "HTLC Fees": fee_base_msat + (amount_to_forward * fee_proportional_millionths / 1000000), rounded down. */
export function forwardFee(amount: bigint, base: number, ppm: number): bigint {
  return BigInt(base) + (amount * BigInt(ppm)) / 1_000_000n;
}

/**
 * `channel` undefined: the payload's short_channel_id leads to no peer of ours (or is no alias of a
 * channel with one).
 */
export function checkForward(
  htlc: { amount_msat: bigint; cltv_expiry: number },
  p: ForwardPayload,
  channel: OutgoingChannel | undefined,
  opts: ForwardOptions,
): ForwardVerdict {
  // unknown_next_peer: "The onion specifies a `short_channel_id` which doesn't match any leading from the processing node."
  if (!channel) return fail({ name: 'unknown_next_peer' }, 'no such outgoing channel');
  const channel_update = channel.channel_update;
  // channel_disabled: "The channel from the processing node has been disabled." (no flags are defined: 0)
  if (!channel.enabled) return fail({ name: 'channel_disabled', disabled_flags: 0, channel_update }, 'outgoing channel disabled');
  // amount_below_minimum: "The HTLC amount was below the `htlc_minimum_msat` of the channel from the processing node."
  if (p.amt_to_forward < channel.htlc_minimum_msat) {
    return fail({ name: 'amount_below_minimum', htlc_msat: p.amt_to_forward, channel_update }, 'below htlc_minimum_msat');
  }
  // Over our htlc_maximum_msat: "an otherwise unspecified, transient error occurs in the outgoing channel".
  if (p.amt_to_forward > channel.htlc_maximum_msat)
    return fail({ name: 'temporary_channel_failure', channel_update }, 'over htlc_maximum_msat');
  // Intermediate node "MUST return an error if: incoming `amount_msat` - `fee` < `amt_to_forward`
  // (where `fee` is the advertised fee as described in BOLT #7)": fee_insufficient.
  const fee = forwardFee(p.amt_to_forward, channel.fee_base_msat, channel.fee_proportional_millionths);
  if (htlc.amount_msat < p.amt_to_forward + fee) {
    return fail({ name: 'fee_insufficient', htlc_msat: htlc.amount_msat, channel_update }, `fee below ${fee} msat`);
  }
  // "incoming `cltv_expiry` - `cltv_expiry_delta` < `outgoing_cltv_value`": incorrect_cltv_expiry.
  if (htlc.cltv_expiry - channel.cltv_expiry_delta < p.outgoing_cltv_value) {
    return fail({ name: 'incorrect_cltv_expiry', cltv_expiry: htlc.cltv_expiry, channel_update }, 'cltv_expiry_delta not left');
  }
  // expiry_too_soon: "The CLTV expiry is too close to the current block height for safe handling by the processing node."
  if (p.outgoing_cltv_value <= opts.blockheight + (opts.graceBlocks ?? EXPIRY_GRACE_BLOCKS)) {
    return fail({ name: 'expiry_too_soon', channel_update }, 'outgoing expiry too close to the tip');
  }
  // expiry_too_far: "The CLTV expiry in the HTLC is too far in the future."
  if (htlc.cltv_expiry > opts.blockheight + (opts.maxHtlcCltv ?? MAX_HTLC_CLTV))
    return fail({ name: 'expiry_too_far' }, 'cltv_expiry too far');
  // temporary_channel_failure: "e.g. channel capacity reached, too many in-flight HTLCs".
  if (p.amt_to_forward > channel.spendable_msat) return fail({ name: 'temporary_channel_failure', channel_update }, 'not enough spendable');
  return {
    ok: true,
    short_channel_id: p.short_channel_id,
    amount_msat: p.amt_to_forward,
    cltv_expiry: p.outgoing_cltv_value,
    fee_msat: fee,
  };
}

function fail(failure: Failure, why: string): ForwardVerdict {
  return { ok: false, failure, why };
}
