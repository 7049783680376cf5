// Our channel_update for one of our channels (BOLT 7 "The channel_update Message", the origin
// node), signed by hsmd: what forward.ts attaches to BOLT 4 UPDATE failures and what
// channel-gossip.ts gossips (public channels) or sends the peer (private ones, `dont_forward`).
import { chainHash } from '../../chain/chains.ts';
import type { OutgoingChannel } from '../../pay/forward.ts';
import { encodeMessage } from '../../wire/messages.ts';
import { parseScid } from '../../wire/scid.ts';
import type { ChannelRecord, LightningdDb } from './db.ts';
import { DEFAULT_CLTV_DELTA, DEFAULT_FEE_BASE_MSAT, DEFAULT_FEE_PPM, policyOf } from './forward-store.ts';

/** What a channel_update says of our side of a channel: pay/forward.ts's OutgoingChannel, less what only a forward needs. */
export type UpdateFields = Omit<OutgoingChannel, 'spendable_msat' | 'channel_update'>;

/** Our forwarding policy on `c` (setchannel's, or Core Lightning's defaults; htlc_maximum_msat at most the capacity). */
export function policyFields(db: LightningdDb, c: ChannelRecord): Omit<UpdateFields, 'enabled'> {
  const pol = policyOf(db, c.dbid);
  const capacity = BigInt(c.funding_sat) * 1000n;
  return {
    fee_base_msat: pol.fee_base_msat ?? DEFAULT_FEE_BASE_MSAT,
    fee_proportional_millionths: pol.fee_proportional_millionths ?? DEFAULT_FEE_PPM,
    cltv_expiry_delta: pol.cltv_expiry_delta ?? DEFAULT_CLTV_DELTA,
    htlc_minimum_msat: BigInt(pol.htlc_minimum_msat ?? '0'),
    htlc_maximum_msat: BigInt(pol.htlc_maximum_msat ?? capacity.toString()),
  };
}

export interface UpdateSigner {
  network: string;
  /** Our node id, hex. */
  nodeId: string;
  sign(msg: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/**
 * The signed channel_update: "if the origin node is `node_id_1` in the message: MUST set the
 * `direction` bit of `channel_flags` to 0" (node_id_1 the lesser id, hex order is byte order);
 * `disable` (bit 1) when the channel cannot forward; "MUST set `must_be_one` in `message_flags` to
 * 1"; `dont_forward` (bit 1) for a channel that is not announced ("MUST set `dont_forward` to 1").
 */
export async function signedChannelUpdate(
  s: UpdateSigner,
  c: ChannelRecord,
  f: UpdateFields,
  timestamp: number,
  dontForward = false,
): Promise<Uint8Array> {
  const direction = s.nodeId < c.peer_id ? 0 : 1;
  const msg = (signature: Uint8Array) =>
    encodeMessage({
      name: 'channel_update',
      signature,
      chain_hash: chainHash(s.network),
      short_channel_id: parseScid(c.short_channel_id!),
      timestamp,
      message_flags: 1 | (dontForward ? 2 : 0),
      channel_flags: direction | (f.enabled ? 0 : 2),
      cltv_expiry_delta: f.cltv_expiry_delta,
      htlc_minimum_msat: f.htlc_minimum_msat,
      fee_base_msat: f.fee_base_msat,
      fee_proportional_millionths: f.fee_proportional_millionths,
      htlc_maximum_msat: f.htlc_maximum_msat,
    } as Parameters<typeof encodeMessage>[0]);
  return msg(await s.sign(msg(new Uint8Array(64))));
}
