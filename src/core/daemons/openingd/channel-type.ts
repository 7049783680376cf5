// BOLT 2 "Defined Channel Types": the channel_type an open may carry, and whether it suits us
// (both roles check it: the opener its own choice, the accepter the opener's).
import { equal } from '../../base/bytes.ts';
import { FeatureVector, featureByBit, isNegotiated } from '../../features/index.ts';
import { OpeningError } from './errors.ts';

export const STATIC_REMOTEKEY = 12;
export const ANCHORS = 22;
export const SCID_ALIAS = 46;
export const ZEROCONF = 50;

export interface ChannelType {
  anchors: boolean;
  scidAlias: boolean;
  zeroconf: boolean;
  /** The type as sent: BOLT 1 big-endian feature bits. */
  bytes: Uint8Array;
}

/** What the channel_type must be checked against. */
export interface ChannelTypeContext {
  /** Our init features and the peer's (BOLT 1 `init`). */
  ours: FeatureVector;
  theirs: FeatureVector;
  /** `announce_channel`, bit 0 of open_channel's channel_flags. */
  announce: boolean;
  /** Whether we trust the opener with an unconfirmed channel (lightningd's choice per peer). */
  trustZeroconf: boolean;
}

/**
 * BOLT 2: "The currently defined basic types are: `option_static_remotekey` (bit 12),
 * `option_anchors` and `option_static_remotekey` (bits 22 and 12). Each basic type has the
 * following variations allowed: `option_scid_alias` (bit 46), `option_zeroconf` (bit 50)."
 * The receiving node "MUST fail the channel if: the `channel_type` is not suitable", and "the
 * `channel_type` includes `option_zeroconf` and it does not trust the sender".
 */
export function checkChannelType(bytes: Uint8Array, ctx: ChannelTypeContext): ChannelType {
  const v = FeatureVector.fromBytes(bytes);
  const bits = v.bits();
  // "MUST use the smallest bitmap possible to represent the channel type."
  if (!equal(v.toBytes(), bytes)) throw new OpeningError('channel_type_unsuitable', 'channel_type is not the smallest bitmap');
  const allowed = [STATIC_REMOTEKEY, ANCHORS, SCID_ALIAS, ZEROCONF];
  if (!v.isSet(STATIC_REMOTEKEY) || bits.some(b => !allowed.includes(b))) {
    throw new OpeningError('channel_type_unsuitable', `channel_type bits [${bits.join(',')}] are not a defined type`);
  }
  // "SHOULD NOT set it to a type containing a feature which was not negotiated": we take no such type.
  for (const b of bits) {
    const name = featureByBit(b)?.name;
    if (!name || !isNegotiated(ctx.ours, ctx.theirs, name)) {
      throw new OpeningError('channel_type_unsuitable', `channel_type bit ${b} (${name ?? 'unknown'}) was not negotiated`);
    }
  }
  // "if `announce_channel` is `true` (not `0`): MUST NOT send `channel_type` with the `option_scid_alias` bit set."
  if (ctx.announce && v.isSet(SCID_ALIAS)) {
    throw new OpeningError('channel_type_unsuitable', 'option_scid_alias on a channel to announce');
  }
  if (v.isSet(ZEROCONF) && !ctx.trustZeroconf) {
    throw new OpeningError('zeroconf_untrusted', 'option_zeroconf from a peer we do not trust with unconfirmed channels');
  }
  return { anchors: v.isSet(ANCHORS), scidAlias: v.isSet(SCID_ALIAS), zeroconf: v.isSet(ZEROCONF), bytes: v.toBytes() };
}
