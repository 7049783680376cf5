// Core Lightning's `min-emergency-msat` (lightningd/options.c, wallet/reservation.c): the satoshis
// the wallet keeps while we have (or are opening) an anchors channel. option_anchors' commitments
// pay little fee and its HTLC transactions none (BOLT 3 "zero-fee HTLC transactions"): getting
// them confirmed takes wallet coins (anchor-boost.ts, onchaind's HTLC transactions), so withdraw
// and fundchannel leave this much, or fail with FUND_CANNOT_AFFORD_WITH_EMERGENCY (313).
import { fromHex } from '../../base/bytes.ts';
import { FeatureVector, isNegotiated } from '../../features/index.ts';
import { ANCHORS } from '../openingd/channel-type.ts';
import { DUST_LIMIT_SAT } from '../../wallet/fees.ts';

/** Core Lightning's default: 25,000 sat. */
export const MIN_EMERGENCY_SAT = 25_000;

/**
 * The option's value, as Core Lightning's opt_set_sat_nondust takes it: msat (`N` or `Nmsat`) or
 * `Nsat`, a whole number of satoshis, not under the dust limit. Throws a message otherwise.
 */
export function parseMinEmergency(arg: string): number {
  const m = /^(\d+)(msat|sat)?$/.exec(arg);
  if (!m) throw new Error(`Unable to parse millisatoshi '${arg}'`);
  const msat = BigInt(m[1]!) * (m[2] === 'sat' ? 1000n : 1n);
  if (msat % 1000n !== 0n) throw new Error(`'${arg}' is not a whole number of sats`);
  const sat = msat / 1000n;
  if (sat < BigInt(DUST_LIMIT_SAT)) throw new Error('Option must be over dust limit!');
  if (sat > 21_000_000n * 100_000_000n) throw new Error(`'${arg}' is more than there is`);
  return Number(sat);
}

/** A channel_type (hex) with option_anchors. */
export const hasAnchors = (channelType: string): boolean => FeatureVector.fromBytes(fromHex(channelType)).isSet(ANCHORS);

/** Both our `init` and the peer's offer option_anchors: Core Lightning then counts an open with that peer as an anchors one. */
export const anchorsNegotiated = (ours: string, theirs: string): boolean =>
  isNegotiated(FeatureVector.fromBytes(fromHex(ours)), FeatureVector.fromBytes(fromHex(theirs)), 'option_anchors');

/**
 * What a spend must leave in the wallet: the reserve when we have an anchors channel (Core
 * Lightning's have_anchor_channel: any channel not yet forgotten, or an open under way with a
 * peer that negotiated anchors) or are opening one (fundpsbt's `opening_anchor_channel`), else 0.
 */
export function emergencySat(reserve: number, s: { channelTypes: string[]; anchorsOpening: boolean; opening?: boolean }): number {
  return s.opening || s.anchorsOpening || s.channelTypes.some(hasAnchors) ? reserve : 0;
}
