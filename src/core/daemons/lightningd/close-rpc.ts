// The `close` JSON-RPC in Core Lightning's shape (doc/schemas/close.json, lightning-close.7): `id`
// (peer id, channel_id or short_channel_id), `unilateraltimeout` (seconds, default two days; 0
// waits for ever), `destination`, `fee_negotiation_step`, `feerange`; answers
// {type: 'mutual', tx, txid, txs, txids} once the close is signed and broadcast.
import { WalletError } from '../../wallet/errors.ts';
import { FeerateError, parseFeerate } from '../../wallet/fees.ts';
import type { FeeEstimates } from '../../chain/backend.ts';
import type { ChannelControl } from './channels.ts';
import { CLOSING_STATES, CloseFailed, type CloseOutcome } from './close-control.ts';
import type { ChannelRecord } from './db.ts';
import { RpcCode, RpcError, type RpcDispatcher } from './jsonrpc.ts';

/** Core Lightning's default unilateraltimeout: 48 hours. */
export const DEFAULT_UNILATERAL_TIMEOUT_S = 172_800;

export interface CloseRpcDeps {
  channels: ChannelControl;
  estimatefees(): Promise<FeeEstimates>;
}

const bad = (message: string) => new RpcError(RpcCode.INVALID_PARAMS, message);

/** The channel `id` names: a peer's open (or closing) channel, a channel_id, or a short_channel_id (`BxTxO` or `B:T:O`). */
export function channelForId(channels: ChannelRecord[], id: unknown): ChannelRecord {
  if (typeof id !== 'string') throw bad('id: should be a peer id, channel id or short channel id');
  const live = (c: ChannelRecord) => c.state === 'CHANNELD_NORMAL' || CLOSING_STATES.includes(c.state);
  if (/^0[23][0-9a-fA-F]{64}$/.test(id)) {
    const c = channels.find(x => x.peer_id === id.toLowerCase() && live(x));
    if (!c) throw new RpcError(RpcCode.LIGHTNINGD, 'Peer has no active channel');
    return c;
  }
  if (/^[0-9a-fA-F]{64}$/.test(id)) {
    const c = channels.find(x => x.channel_id === id.toLowerCase());
    if (!c) throw new RpcError(RpcCode.LIGHTNINGD, `Channel ID not found: '${id}'`);
    return c;
  }
  const m = /^(\d+)[x:](\d+)[x:](\d+)$/.exec(id);
  if (m) {
    const scid = `${m[1]}x${m[2]}x${m[3]}`;
    const c = channels.find(x => x.short_channel_id === scid);
    if (!c) throw new RpcError(RpcCode.LIGHTNINGD, `Short channel ID not found: '${id}'`);
    return c;
  }
  throw bad('Given id is not a channel ID or short channel ID');
}

/** Core Lightning's fee_negotiation_step: `N%` (1 to 100) or `N` satoshis (at least 1). Parsed and checked; closingd's fee_range makes it moot with modern peers. */
function checkStep(v: unknown): void {
  if (v === undefined) return;
  const s = String(v);
  const pct = /^(\d+)%$/.exec(s);
  if (pct ? Number(pct[1]) >= 1 && Number(pct[1]) <= 100 : /^[1-9]\d*$/.test(s)) return;
  throw bad('fee_negotiation_step: should be a percentage (1% to 100%) or a positive number of satoshis');
}

function timeoutSeconds(v: unknown): number {
  if (v === undefined) return DEFAULT_UNILATERAL_TIMEOUT_S;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) throw bad('unilateraltimeout: should be a u32');
  return n;
}

async function feerange(v: unknown, fees: () => Promise<FeeEstimates>): Promise<[number, number] | undefined> {
  if (v === undefined) return undefined;
  const list = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  if (!Array.isArray(list) || list.length !== 2) throw bad('feerange: should be an array of two feerates');
  try {
    const est = await fees();
    const [lo, hi] = [parseFeerate(list[0], est), parseFeerate(list[1], est)];
    if (lo > hi) throw bad('feerange: the first feerate must not exceed the second');
    return [lo, hi];
  } catch (e) {
    if (e instanceof FeerateError) throw bad(`feerange: ${e.message}`);
    throw e;
  }
}

/**
 * unilateraltimeout reached without a mutual close: our commitment goes to the chain
 * (ChannelControl.forceClose, which ends the channel's daemons first), and `close` answers Core
 * Lightning's {type: 'unilateral', tx, txid}.
 */
async function unilateralFallback(channels: ChannelControl, c: ChannelRecord): Promise<CloseOutcome & { type: string }> {
  const r = await channels.forceClose(c.dbid, 'close: unilateraltimeout reached without a mutual close');
  return { type: 'unilateral', tx: r.tx, txid: r.txid };
}

export function registerCloseCommands(rpc: RpcDispatcher, d: CloseRpcDeps): void {
  rpc.register('close', {
    category: 'channels',
    params: ['id', 'unilateraltimeout?', 'destination?', 'fee_negotiation_step?', 'wrong_funding?', 'force_lease_closed?', 'feerange?'],
    description:
      'Close the channel with {id} (peer id, channel id or short channel id) cooperatively, or unilaterally after {unilateraltimeout} seconds, paying {destination}.',
    handler: async p => {
      const c = channelForId(
        d.channels.list().flatMap(x => (x.record ? [x.record] : [])),
        p.id,
      );
      const timeout = timeoutSeconds(p.unilateraltimeout);
      checkStep(p.fee_negotiation_step);
      if (p.wrong_funding !== undefined) throw bad('wrong_funding: not supported');
      const range = await feerange(p.feerange, d.estimatefees);
      let destination: Uint8Array | undefined;
      if (p.destination !== undefined) {
        if (typeof p.destination !== 'string') throw bad('Invalid destination address');
        try {
          destination = d.channels.closes.scriptOf(p.destination);
        } catch {
          throw bad(`Invalid destination address ${JSON.stringify(p.destination)}`);
        }
      }
      let out: CloseOutcome & { type?: string };
      try {
        out = await d.channels.closes.close(
          c.dbid,
          { ...(destination ? { destination } : {}), ...(range ? { feerange: range } : {}) },
          timeout * 1000,
          () => unilateralFallback(d.channels, c),
        );
      } catch (e) {
        if (e instanceof CloseFailed)
          throw new RpcError(e.reason === 'bad_destination' ? RpcCode.INVALID_PARAMS : RpcCode.LIGHTNINGD, e.message);
        if (e instanceof WalletError) throw new RpcError(RpcCode.LIGHTNINGD, e.message);
        throw e;
      }
      return { type: out.type ?? 'mutual', tx: out.tx, txid: out.txid, txs: [out.tx], txids: [out.txid] };
    },
  });
}
