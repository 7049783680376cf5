// `listforwards` and `setchannel` in Core Lightning's shape (doc/schemas/listforwards.json,
// setchannel.json): the forwards we recorded (forward-store.ts), and our forwarding policy per
// channel. setchannel changes what we check forwards against; gossiping the new channel_update
// goes to gossipd (public channels) or the peer (channel-gossip.ts) once the policy is durable.
import type { ChannelRecord, LightningdDb } from './db.ts';
import { msat, uint } from './channel-rpc.ts';
import {
  DEFAULT_FEE_BASE_MSAT,
  DEFAULT_FEE_PPM,
  forwards,
  policyOf,
  stagePolicy,
  type ForwardRecord,
  type ForwardStatus,
} from './forward-store.ts';
import { RpcCode, RpcError, type Params, type RpcDispatcher } from './jsonrpc.ts';

const STATUSES: readonly ForwardStatus[] = ['offered', 'settled', 'failed', 'local_failed'];
const bad = (m: string) => new RpcError(RpcCode.INVALID_PARAMS, m);
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

/** One listforwards entry (Core Lightning's fields; `style` is always tlv for us). */
export function forwardJson(f: ForwardRecord): Record<string, unknown> {
  return {
    created_index: f.created_index,
    in_channel: f.in_scid,
    in_htlc_id: Number(f.in_htlc_id),
    in_msat: Number(f.in_msat),
    status: f.status,
    received_time: f.received_time,
    ...(f.out_scid ? { out_channel: f.out_scid } : {}),
    ...(f.out_htlc_id !== undefined ? { out_htlc_id: Number(f.out_htlc_id) } : {}),
    ...(f.status !== 'local_failed' || f.out_htlc_id !== undefined ? { out_msat: num(f.out_msat), fee_msat: num(f.fee_msat) } : {}),
    style: 'tlv',
    ...(f.resolved_time !== undefined ? { resolved_time: f.resolved_time } : {}),
    ...(f.failcode !== undefined ? { failcode: f.failcode, failreason: f.failreason } : {}),
  };
}

export interface ForwardRpcDeps {
  db: LightningdDb;
  channels(): ChannelRecord[];
  /** Once a new policy is durable: our new channel_update goes out (channel-gossip.ts). */
  policyChanged?(dbid: string): Promise<void>;
}

export function registerForwardCommands(rpc: RpcDispatcher, d: ForwardRpcDeps): void {
  rpc.register('listforwards', {
    category: 'channels',
    params: ['status?', 'in_channel?', 'out_channel?'],
    description: 'List the HTLCs we forwarded, or those in {status}, from {in_channel} or to {out_channel}.',
    handler: (p: Params) => {
      if (p.status !== undefined && !STATUSES.includes(p.status as ForwardStatus))
        throw bad(`status: should be one of ${STATUSES.join(', ')}`);
      for (const k of ['in_channel', 'out_channel'] as const)
        if (p[k] !== undefined && (typeof p[k] !== 'string' || !/^\d+x\d+x\d+$/.test(p[k] as string)))
          throw bad(`${k}: should be a short_channel_id`);
      const list = forwards(d.db).filter(
        f =>
          (p.status === undefined || f.status === p.status) &&
          (p.in_channel === undefined || f.in_scid === p.in_channel) &&
          (p.out_channel === undefined || f.out_scid === p.out_channel),
      );
      return { forwards: list.map(forwardJson) };
    },
  });

  rpc.register('setchannel', {
    category: 'channels',
    params: ['id', 'feebase?', 'feeppm?', 'htlcmin?', 'htlcmax?', 'enforcedelay?', 'ignorefeelimits?'],
    description: 'Set our forwarding fees and HTLC limits on channel {id} (a peer id, channel id, short_channel_id or "all").',
    handler: async (p: Params) => {
      if (typeof p.id !== 'string') throw bad('id: should be a string');
      const id = p.id;
      const open = d.channels().filter(c => c.state === 'CHANNELD_NORMAL' || c.state === 'CHANNELD_AWAITING_LOCKIN');
      const chosen = id === 'all' ? open : open.filter(c => c.peer_id === id || c.channel_id === id || c.short_channel_id === id);
      // Core Lightning: "Could not find any active channels of peer with that id" (JSONRPC2_INVALID_PARAMS).
      if (chosen.length === 0) throw bad('Could not find any active channels of peer with that id');
      uint(p.enforcedelay, 'enforcedelay', 600);
      const out = [];
      for (const c of chosen) {
        const was = policyOf(d.db, c.dbid);
        const next = {
          ...was,
          ...(p.feebase !== undefined ? { fee_base_msat: Number(msat(p.feebase, 'feebase')) } : {}),
          ...(p.feeppm !== undefined ? { fee_proportional_millionths: uint(p.feeppm, 'feeppm', 0) } : {}),
          ...(p.htlcmin !== undefined ? { htlc_minimum_msat: msat(p.htlcmin, 'htlcmin').toString() } : {}),
          ...(p.htlcmax !== undefined ? { htlc_maximum_msat: msat(p.htlcmax, 'htlcmax').toString() } : {}),
        };
        if (next.fee_base_msat !== undefined && next.fee_base_msat > 0xffffffff) throw bad('feebase: should be under 2^32 msat');
        stagePolicy(d.db, c.dbid, next);
        out.push({
          peer_id: c.peer_id,
          channel_id: c.channel_id,
          ...(c.short_channel_id ? { short_channel_id: c.short_channel_id } : {}),
          fee_base_msat: next.fee_base_msat ?? DEFAULT_FEE_BASE_MSAT,
          fee_proportional_millionths: next.fee_proportional_millionths ?? DEFAULT_FEE_PPM,
          minimum_htlc_out_msat: Number(next.htlc_minimum_msat ?? 0),
          maximum_htlc_out_msat: Number(next.htlc_maximum_msat ?? BigInt(c.funding_sat) * 1000n),
          ignore_fee_limits: p.ignorefeelimits === true,
        });
      }
      await d.db.flush();
      for (const c of chosen) await d.policyChanged?.(c.dbid);
      return { channels: out };
    },
  });
}
