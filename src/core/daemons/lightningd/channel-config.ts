// What lightningd proposes and accepts when a channel opens (Core Lightning's defaults, lightningd
// options it does not expose yet): our side's limits over hsmd's basepoints, our bounds on what a
// peer may ask, and the names Core Lightning gives a channel_type's bits.
import { fromHex } from '../../base/bytes.ts';
import type { ChannelPolicy, SideParams } from '../../channel/state.ts';
import { FeatureVector, isNegotiated } from '../../features/index.ts';
import type { ChannelBasepoints } from '../hsmd/interface.ts';
import { ANCHORS, SCID_ALIAS, STATIC_REMOTEKEY, ZEROCONF } from '../openingd/channel-type.ts';
import type { OpeningPolicy } from '../openingd/rules.ts';

/** Core Lightning's dust limit for what it proposes (546 sat, the largest standard dust threshold). */
const DUST_LIMIT_SATOSHIS = 546n;
/** Core Lightning's `watchtime-blocks` default: the to_self_delay we ask of the peer (its mainnet value, a day). */
export const WATCHTIME_BLOCKS = 144;
/** Core Lightning's `max-locktime-blocks` default: the longest to_self_delay a peer may ask of us (two weeks). */
export const MAX_LOCKTIME_BLOCKS = 2016;
/** Core Lightning's `max-concurrent-htlcs`. */
const MAX_ACCEPTED_HTLCS = 30;
/** Core Lightning's `htlc-minimum-msat` (0); BOLT 2 lets it be 0, we ask 1 msat. */
const HTLC_MINIMUM_MSAT = 1n;

/** Core Lightning's `funding-confirms`: the minimum_depth we ask as accepter. */
export const MINIMUM_DEPTH = 3;

/** hsmd's channel basepoints (BOLT 2 field names) as a SideParams' keys. */
export function keysOf(bp: ChannelBasepoints): Pick<SideParams, 'fundingPubkey' | 'basepoints'> {
  return {
    fundingPubkey: bp.funding_pubkey,
    basepoints: {
      revocationBasepoint: bp.revocation_basepoint,
      paymentBasepoint: bp.payment_basepoint,
      delayedPaymentBasepoint: bp.delayed_payment_basepoint,
      htlcBasepoint: bp.htlc_basepoint,
    },
  };
}

/**
 * Our side of a channel of `fundingSatoshis`: hsmd's keys for it, and what we ask of the peer. The
 * reserve is Core Lightning's 1% of the funding (never below our dust limit, BOLT 2: "MUST set
 * `channel_reserve_satoshis` greater than or equal to `dust_limit_satoshis`"), or `reserve`.
 */
export function localSide(bp: ChannelBasepoints, fundingSatoshis: bigint, reserve?: bigint, toSelfDelay = WATCHTIME_BLOCKS): SideParams {
  const onePercent = fundingSatoshis / 100n;
  const r = reserve ?? (onePercent > DUST_LIMIT_SATOSHIS ? onePercent : DUST_LIMIT_SATOSHIS);
  return {
    ...keysOf(bp),
    dustLimitSatoshis: DUST_LIMIT_SATOSHIS,
    maxHtlcValueInFlightMsat: fundingSatoshis * 1000n,
    channelReserveSatoshis: r,
    htlcMinimumMsat: HTLC_MINIMUM_MSAT,
    toSelfDelay,
    maxAcceptedHtlcs: MAX_ACCEPTED_HTLCS,
  };
}

/** Our bounds on a peer's proposal (Core Lightning's check_config_bounds and its defaults). */
export const OPENING_POLICY: OpeningPolicy = {
  // max-locktime-blocks (lightningd's own value replaces it: ChannelControlOptions)
  maxToSelfDelay: MAX_LOCKTIME_BLOCKS,
  minFeeratePerKw: 253,
  maxFeeratePerKw: 500_000,
  maxDustLimitSatoshis: 20_000n,
  maxMinimumDepth: 100,
  // min-capacity-sat
  minFundingSatoshis: 10_000n,
  trustZeroconf: false,
};

/**
 * Why `watchtime-blocks` and `max-locktime-blocks` cannot be used, else undefined: each a whole
 * number of blocks from 1 to 65535 (BOLT 2's to_self_delay is a u16), and the first at most the
 * second (we would refuse our own request in a peer, as Core Lightning's check_config does).
 */
export function locktimeProblem(o: { watchtimeBlocks?: number | undefined; maxLocktimeBlocks?: number | undefined }): string | undefined {
  const blocks = (v: number | undefined) => v === undefined || (Number.isSafeInteger(v) && v >= 1 && v <= 0xffff);
  if (!blocks(o.watchtimeBlocks)) return `watchtime-blocks: expected a whole number of blocks from 1 to 65535, got ${o.watchtimeBlocks}`;
  if (!blocks(o.maxLocktimeBlocks))
    return `max-locktime-blocks: expected a whole number of blocks from 1 to 65535, got ${o.maxLocktimeBlocks}`;
  const watch = o.watchtimeBlocks ?? WATCHTIME_BLOCKS;
  const max = o.maxLocktimeBlocks ?? MAX_LOCKTIME_BLOCKS;
  if (watch > max) return `watchtime-blocks ${watch} is over max-locktime-blocks ${max}`;
  return undefined;
}

/** Our normal-operation policy (Core Lightning's max-dust-htlc-exposure-msat: 50,000 sat). */
export const CHANNEL_POLICY: ChannelPolicy = { maxDustHtlcExposureMsat: 50_000_000n, minFeeratePerKw: 253, maxFeeratePerKw: 500_000 };

/**
 * The channel_type we open with (Core Lightning's default_channel_type): `option_anchors` (with
 * static_remotekey) when both `init`s offer it, else `option_static_remotekey`. BOLT 2: the
 * sender "SHOULD NOT set it to a type containing a feature which was not negotiated".
 */
export function defaultChannelType(ours: FeatureVector, theirs: FeatureVector): string {
  const anchors = isNegotiated(ours, theirs, 'option_anchors');
  return FeatureVector.fromBits(anchors ? [STATIC_REMOTEKEY, ANCHORS] : [STATIC_REMOTEKEY]).toHex();
}

/** Core Lightning's names for a channel_type's bits (doc/schemas/fundchannel.json `channel_type.names`). */
const TYPE_NAMES: Record<number, string> = {
  [STATIC_REMOTEKEY]: 'static_remotekey/even',
  [ANCHORS]: 'anchors/even',
  [SCID_ALIAS]: 'scid_alias/even',
  [ZEROCONF]: 'zeroconf/even',
};

/** fundchannel's and listpeerchannels' `channel_type`: `{bits, names}`. */
export function channelTypeJson(hex: string): { bits: number[]; names: string[] } {
  const bits = FeatureVector.fromBytes(fromHex(hex)).bits();
  return { bits, names: bits.map(b => TYPE_NAMES[b] ?? `${b}`) };
}
