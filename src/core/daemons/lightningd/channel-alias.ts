// Channel aliases (BOLT 2 channel_ready `short_channel_id` `alias`, option_scid_alias; Core
// Lightning's channel->alias[LOCAL/REMOTE]): the alias we send the peer and recognize for incoming
// HTLCs, and which of our channels an onion's `short_channel_id` names.
import { fromHex } from '../../base/bytes.ts';
import { FeatureVector } from '../../features/index.ts';
import { formatScid } from '../../wire/scid.ts';
import { SCID_ALIAS } from '../openingd/channel-type.ts';
import type { ChannelRecord } from './db.ts';

/**
 * A new alias: "MUST set `alias` to a value not related to the real `short_channel_id`"; "MUST NOT
 * send the same `alias` for multiple peers or use an alias which collides with a
 * `short_channel_id` of a channel on the same node". Random, its block number in the top quarter
 * of the 24-bit range (no chain reaches it for centuries), away from every `taken` one.
 */
export function newAlias(randomBytes: (n: number) => Uint8Array, taken: readonly (string | undefined)[]): string {
  for (;;) {
    const r = randomBytes(8);
    const block = 0xc00000 | (((r[0]! << 16) | (r[1]! << 8) | r[2]!) & 0x3fffff);
    const tx = (r[3]! << 16) | (r[4]! << 8) | r[5]!;
    const out = (r[6]! << 8) | r[7]!;
    const alias = formatScid((BigInt(block) << 40n) | (BigInt(tx) << 16n) | BigInt(out));
    if (!taken.includes(alias)) return alias;
  }
}

/** option_scid_alias is in the channel's channel_type. */
export function aliasOnly(c: ChannelRecord): boolean {
  return FeatureVector.fromBytes(fromHex(c.channel_type)).has(SCID_ALIAS);
}

/**
 * Our channel an onion's `short_channel_id` names: its real one or our alias ("MUST always
 * recognize the `alias` as a `short_channel_id` for incoming HTLCs to this channel"), except the
 * real one of a channel whose channel_type has option_scid_alias ("MUST NOT allow incoming HTLCs to
 * this channel using the real `short_channel_id`").
 */
export function channelNamed(channels: readonly ChannelRecord[], scid: string): ChannelRecord | undefined {
  return channels.find(c => c.alias?.local === scid) ?? channels.find(c => c.short_channel_id === scid && !aliasOnly(c));
}
