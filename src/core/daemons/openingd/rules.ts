// BOLT 2 "The open_channel Message" and "The accept_channel Message" requirements on the values
// one side proposes, checked by the side that receives them (and by us on what lightningd chose,
// before we send it). Each refusal is an OpeningError naming the rule.
import { ANCHOR_SATOSHIS, Bolt3Error, commitmentFee } from '../../bolt3/index.ts';
import { point } from '../../bolt3/ec.ts';
import type { SideParams } from '../../channel/state.ts';
import { OpeningError } from './errors.ts';

/** BOLT 2: "`dust_limit_satoshis` is smaller than `354 satoshis`" (BOLT 3 "Dust Limits"). */
export const MIN_DUST_LIMIT_SATOSHIS = 354n;
/** BOLT 2: "`max_accepted_htlcs` is greater than 483". */
export const MAX_ACCEPTED_HTLCS = 483;
/** BOLT 2: without `option_support_large_channel`, "`funding_satoshis` to less than 2^24 satoshi". */
export const LARGE_CHANNEL_SATOSHIS = 1n << 24n;

/** Our bounds on what a peer may ask (lightningd's config; Core Lightning's check_config_bounds). */
export interface OpeningPolicy {
  /** "`to_self_delay` is unreasonably large" above this (Core Lightning: max-locktime-blocks, 2016). */
  maxToSelfDelay: number;
  /** "it considers `feerate_per_kw` too small for timely processing or unreasonably large". */
  minFeeratePerKw: number;
  maxFeeratePerKw: number;
  /** "it considers `dust_limit_satoshis` too large" (MAY). */
  maxDustLimitSatoshis: bigint;
  /** accept_channel: "if `minimum_depth` is unreasonably large: MAY fail the channel". */
  maxMinimumDepth: number;
  /** "`funding_satoshis` is too small" (MAY). */
  minFundingSatoshis: bigint;
  /** Whether we trust this peer with an unconfirmed (option_zeroconf) channel. */
  trustZeroconf: boolean;
}

/**
 * The fields one side's open_channel or accept_channel proposes, taken alone. `who` names them in
 * the error.
 */
export function checkSide(p: SideParams, policy: OpeningPolicy, who: string): void {
  // "`funding_pubkey`, `revocation_basepoint`, `htlc_basepoint`, `payment_basepoint`, or
  // `delayed_payment_basepoint` are not valid secp256k1 pubkeys in compressed format."
  const keys = { funding_pubkey: p.fundingPubkey, ...p.basepoints };
  for (const [name, key] of Object.entries(keys)) {
    try {
      point(key);
    } catch (e) {
      if (e instanceof Bolt3Error) throw new OpeningError('bad_pubkey', `${who} ${name} is not a valid compressed point`);
      throw e;
    }
  }
  // "`to_self_delay` is unreasonably large."
  if (p.toSelfDelay > policy.maxToSelfDelay) {
    throw new OpeningError('to_self_delay_too_large', `${who} to_self_delay ${p.toSelfDelay} is over ${policy.maxToSelfDelay}`);
  }
  // "`max_accepted_htlcs` is greater than 483"; and a channel that takes no HTLC is useless
  // ("it considers `max_accepted_htlcs` too small": MAY, as Core Lightning refuses 0).
  if (p.maxAcceptedHtlcs > MAX_ACCEPTED_HTLCS || p.maxAcceptedHtlcs === 0) {
    throw new OpeningError('max_accepted_htlcs', `${who} max_accepted_htlcs ${p.maxAcceptedHtlcs} is not in 1..${MAX_ACCEPTED_HTLCS}`);
  }
  // "`dust_limit_satoshis` is smaller than `354 satoshis`."
  if (p.dustLimitSatoshis < MIN_DUST_LIMIT_SATOSHIS) {
    throw new OpeningError('dust_limit_too_small', `${who} dust_limit_satoshis ${p.dustLimitSatoshis} is below 354`);
  }
  // "it considers `dust_limit_satoshis` too large" (MAY).
  if (p.dustLimitSatoshis > policy.maxDustLimitSatoshis) {
    throw new OpeningError(
      'dust_limit_too_large',
      `${who} dust_limit_satoshis ${p.dustLimitSatoshis} is over ${policy.maxDustLimitSatoshis}`,
    );
  }
  // "`dust_limit_satoshis` is greater than `channel_reserve_satoshis`" (accept_channel: "Other
  // fields have the same requirements as their counterparts in `open_channel`").
  if (p.dustLimitSatoshis > p.channelReserveSatoshis) {
    throw new OpeningError(
      'dust_limit_above_reserve',
      `${who} dust_limit_satoshis ${p.dustLimitSatoshis} is above its channel_reserve_satoshis ${p.channelReserveSatoshis}`,
    );
  }
}

/**
 * accept_channel, the receiver: "if `channel_reserve_satoshis` is less than `dust_limit_satoshis`
 * within the `open_channel` message: MUST fail the channel"; "if `channel_reserve_satoshis` from
 * the `open_channel` message is less than `dust_limit_satoshis`: MUST fail the channel". Each
 * side's reserve is at least the other side's dust limit, so a reserve is never trimmed away.
 */
export function checkReserves(opener: SideParams, accepter: SideParams): void {
  if (accepter.channelReserveSatoshis < opener.dustLimitSatoshis) {
    throw new OpeningError(
      'reserve_below_dust',
      `accept_channel channel_reserve_satoshis ${accepter.channelReserveSatoshis} is below open_channel dust_limit_satoshis ${opener.dustLimitSatoshis}`,
    );
  }
  if (opener.channelReserveSatoshis < accepter.dustLimitSatoshis) {
    throw new OpeningError(
      'reserve_below_dust',
      `open_channel channel_reserve_satoshis ${opener.channelReserveSatoshis} is below accept_channel dust_limit_satoshis ${accepter.dustLimitSatoshis}`,
    );
  }
}

export interface Amounts {
  fundingSatoshis: bigint;
  pushMsat: bigint;
  feeratePerKw: number;
  anchors: boolean;
  /** Both sides negotiated option_support_large_channel. */
  largeChannel: boolean;
}

/** open_channel's amounts alone (the receiver checks these before anything else of its own). */
export function checkFunding(a: Amounts, policy: OpeningPolicy): void {
  // "`push_msat` is greater than `funding_satoshis` * 1000."
  if (a.pushMsat > a.fundingSatoshis * 1000n) {
    throw new OpeningError('push_too_large', `push_msat ${a.pushMsat} is over funding_satoshis ${a.fundingSatoshis} * 1000`);
  }
  // "`funding_satoshis` is greater than or equal to 2^24 and the receiver does not support
  // `option_support_large_channel`" (the sender: "otherwise: MUST set `funding_satoshis` to less than 2^24").
  if (a.fundingSatoshis >= LARGE_CHANNEL_SATOSHIS && !a.largeChannel) {
    throw new OpeningError('funding_too_large', `funding_satoshis ${a.fundingSatoshis} needs option_support_large_channel`);
  }
  // "`funding_satoshis` is too small" (MAY).
  if (a.fundingSatoshis < policy.minFundingSatoshis) {
    throw new OpeningError('funding_too_small', `funding_satoshis ${a.fundingSatoshis} is below ${policy.minFundingSatoshis}`);
  }
  // "it considers `feerate_per_kw` too small for timely processing or unreasonably large."
  if (a.feeratePerKw < policy.minFeeratePerKw || a.feeratePerKw > policy.maxFeeratePerKw) {
    throw new OpeningError(
      'feerate_out_of_range',
      `feerate_per_kw ${a.feeratePerKw} is outside ${policy.minFeeratePerKw}..${policy.maxFeeratePerKw}`,
    );
  }
}

/** What the opener pays on the first commitments: the base fee with no HTLC, and the anchors (BOLT 3 "Fee Payment"). */
export function openerCostSatoshis(a: Amounts): bigint {
  return commitmentFee(a.feeratePerKw, 0, a.anchors) + (a.anchors ? 2n * ANCHOR_SATOSHIS : 0n);
}

/** The first commitment, once both sides' proposals are known. */
export function checkFirstCommitment(a: Amounts, opener: SideParams, accepter: SideParams): void {
  const cost = openerCostSatoshis(a);
  const openerSat = (a.fundingSatoshis * 1000n - a.pushMsat) / 1000n;
  // "the funder's amount for the initial commitment transaction is not sufficient for full fee payment."
  if (openerSat < cost) {
    throw new OpeningError('cannot_afford_fee', `the opener's ${openerSat} sat cannot pay the first commitment's ${cost} sat`);
  }
  // Both reserves and the fee must fit in the channel (Core Lightning's check_config_bounds: "it
  // considers `channel_reserve_satoshis` too large").
  if (opener.channelReserveSatoshis + accepter.channelReserveSatoshis + cost > a.fundingSatoshis) {
    throw new OpeningError(
      'reserve_too_large',
      `reserves ${opener.channelReserveSatoshis} and ${accepter.channelReserveSatoshis} plus fee ${cost} are over funding_satoshis ${a.fundingSatoshis}`,
    );
  }
  // "both `to_local` and `to_remote` amounts for the initial commitment transaction are less than
  // or equal to `channel_reserve_satoshis`": the opener keeps what the accepter asked it to
  // reserve, the accepter (paid push_msat) what the opener asked.
  const accepterSat = a.pushMsat / 1000n;
  if (openerSat - cost <= accepter.channelReserveSatoshis && accepterSat <= opener.channelReserveSatoshis) {
    throw new OpeningError('reserve_unmet', `neither side's first balance (${openerSat - cost}, ${accepterSat} sat) is above its reserve`);
  }
}

/** A point a message carries beyond the basepoints (first and second per_commitment_point): a valid compressed secp256k1 point. */
export function checkPoint(p: Uint8Array, what: string): void {
  try {
    point(p);
  } catch {
    throw new OpeningError('bad_pubkey', `${what} is not a valid compressed point`);
  }
}
