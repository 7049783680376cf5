// gossipd's RPC methods in Core Lightning's shapes (listnodes, listchannels, getroute): parameter
// parsing here, the work in gossip/list.ts and gossip/route.ts. Parameters arrive as lightningd's
// JSON-RPC dispatcher names them, from JSON or from the command line (so numbers may be strings).
import { QueryError } from '../../gossip/errors.ts';
import type { Graph } from '../../gossip/graph.ts';
import { listchannels, listnodes } from '../../gossip/list.ts';
import { getroute } from '../../gossip/route.ts';

export type GossipRpcMethod = 'listnodes' | 'listchannels' | 'getroute';

function optString(p: Record<string, unknown>, name: string): string | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new QueryError('bad_params', `${name} must be a string`);
  return v;
}

function optNumber(p: Record<string, unknown>, name: string): number | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new QueryError('bad_params', `${name} must be a number`);
  return n;
}

/**
 * Core Lightning's msat amounts: a whole number (msat), or a string `N`, `Nmsat`, `Nsat` or
 * `N.NNNbtc` (at most 11 decimals, i.e. whole msat).
 */
export function parseMsat(v: unknown, name = 'amount_msat'): bigint {
  if (typeof v === 'bigint' && v >= 0n) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string') {
    const s = v.trim();
    let m = /^(\d+)(msat)?$/.exec(s);
    if (m) return BigInt(m[1]!);
    m = /^(\d+)sat$/.exec(s);
    if (m) return BigInt(m[1]!) * 1000n;
    m = /^(\d+)(?:\.(\d{1,11}))?btc$/.exec(s);
    if (m) return BigInt(m[1]!) * 100_000_000_000n + BigInt((m[2] ?? '').padEnd(11, '0'));
  }
  throw new QueryError('bad_params', `${name}: not an amount in msat (e.g. 1000, '1000msat', '1sat'): ${String(v).slice(0, 40)}`);
}

/** getroute's `exclude`: an array of `scid/direction` or node ids (or that array as a JSON string, from the command line). */
function parseExclude(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  let x = v;
  if (typeof x === 'string') {
    try {
      x = JSON.parse(x);
    } catch {
      x = [x];
    }
  }
  if (!Array.isArray(x) || !x.every(e => typeof e === 'string'))
    throw new QueryError('bad_params', 'exclude must be an array of short_channel_id/direction or node ids');
  return x as string[];
}

export function gossipRpc(graph: Graph, ourId: string | undefined, method: GossipRpcMethod, p: Record<string, unknown>): unknown {
  switch (method) {
    case 'listnodes': {
      const id = optString(p, 'id');
      return { nodes: listnodes(graph, id !== undefined ? { id } : {}) };
    }
    case 'listchannels': {
      const f: { short_channel_id?: string; source?: string; destination?: string } = {};
      for (const k of ['short_channel_id', 'source', 'destination'] as const) {
        const v = optString(p, k);
        if (v !== undefined) f[k] = v;
      }
      return { channels: listchannels(graph, f) };
    }
    case 'getroute': {
      const id = optString(p, 'id');
      if (id === undefined) throw new QueryError('bad_params', 'id is required');
      const fromid = optString(p, 'fromid') ?? ourId;
      if (fromid === undefined) throw new QueryError('bad_params', 'fromid is required (gossipd was not told our node id)');
      const riskfactor = optNumber(p, 'riskfactor');
      if (riskfactor === undefined) throw new QueryError('bad_params', 'riskfactor is required');
      const cltv = optNumber(p, 'cltv');
      const maxhops = optNumber(p, 'maxhops');
      const exclude = parseExclude(p.exclude);
      return getroute(graph, {
        id,
        fromid,
        amount_msat: parseMsat(p.amount_msat),
        riskfactor,
        ...(cltv !== undefined ? { cltv } : {}),
        ...(maxhops !== undefined ? { maxhops } : {}),
        ...(exclude ? { exclude } : {}),
        ...(ourId !== undefined ? { localid: ourId } : {}),
      });
    }
    default:
      throw new QueryError('unknown_method', `gossipd has no method ${String(method)}`);
  }
}
