// `invoice`'s route hints (BOLT 11 `r`, Core Lightning's lightningd/routehint.c): a private
// channel is in no one's gossip, so a payer reaches us over it only through a hint naming the
// peer, the channel and what the peer charges to forward on it towards us (its channel_update for
// that direction). A tab's channels are usually private: without hints nobody could pay it.
import { fromHex } from '../../base/bytes.ts';
import type { RouteHop } from '../../bolt11/fields.ts';
import { parseScid } from '../../wire/scid.ts';
import type { ChannelRecord } from './db.ts';
import { RpcCode, RpcError } from './jsonrpc.ts';

/** The peer's channel_update towards us, when known (gossipd's listchannels entry for that direction). */
export interface PeerPolicy {
  base_fee_millisatoshi: number;
  fee_per_millionth: number;
  delay: number;
}

/**
 * What a hint says when the peer's channel_update is unknown: Core Lightning's defaults
 * (fee-base 1000 msat, fee-per-satoshi 10, cltv-delta 34), what an unconfigured peer most
 * likely charges.
 */
export const DEFAULT_PEER_POLICY: PeerPolicy = { base_fee_millisatoshi: 1000, fee_per_millionth: 10, delay: 34 };

/** At most this many hints (Core Lightning picks a few channels, not all). */
export const MAX_HINTS = 5;

/**
 * Core Lightning's `exposeprivatechannels`: absent, hints for private channels only if we have no
 * public channel in normal operation; true, every private channel; false, none; a
 * short_channel_id or a list of them, those channels (private or not).
 */
export function hintChannels(channels: readonly ChannelRecord[], expose: unknown): ChannelRecord[] {
  const usable = channels.filter(c => c.state === 'CHANNELD_NORMAL' && c.short_channel_id !== undefined);
  const privates = usable.filter(c => !c.announce);
  let chosen: ChannelRecord[];
  if (expose === undefined) chosen = usable.some(c => c.announce) ? [] : privates;
  else if (expose === true || expose === 'true') chosen = privates;
  else if (expose === false || expose === 'false') chosen = [];
  else {
    const list = Array.isArray(expose) ? expose : [expose];
    if (!list.every(s => typeof s === 'string' && /^[0-9]+x[0-9]+x[0-9]+$/.test(s)))
      throw new RpcError(RpcCode.INVALID_PARAMS, 'exposeprivatechannels: should be a boolean or short_channel_id(s)');
    chosen = usable.filter(c => list.includes(c.short_channel_id));
  }
  return chosen.slice(0, MAX_HINTS);
}

/**
 * The short_channel_id a hint names for `c`: for a private channel the peer's alias, as Core
 * Lightning does (BOLT 2, the receiver of channel_ready: "MAY use any of the `alias` it received, in
 * BOLT 11 `r` fields"; with option_scid_alias "MUST NOT use the real `short_channel_id`"); the peer
 * recognizes it for incoming HTLCs to the channel. A public channel, or a peer that sent none: the real one.
 */
export function hintScid(c: ChannelRecord): string {
  return (!c.announce && c.alias?.remote) || c.short_channel_id!;
}

/** One single-hop hint per channel: from the peer, over the channel, at the peer's policy. */
export function routeHints(channels: readonly ChannelRecord[], policies: readonly (PeerPolicy | undefined)[]): RouteHop[][] {
  return channels.map((c, i) => {
    const p = policies[i] ?? DEFAULT_PEER_POLICY;
    return [
      {
        pubkey: fromHex(c.peer_id),
        shortChannelId: parseScid(hintScid(c)),
        feeBaseMsat: p.base_fee_millisatoshi,
        feeProportionalMillionths: p.fee_per_millionth,
        cltvExpiryDelta: p.delay,
      },
    ];
  });
}
