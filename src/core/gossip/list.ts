// listchannels and listnodes over the graph, in Core Lightning's JSON shapes (its
// plugins/topology.c and doc/schemas/listchannels.json, listnodes.json). Amounts are JSON numbers
// of msat, as Core Lightning prints them.
import { fromHex, toHex } from '../base/bytes.ts';
import { BoltError } from '../base/errors.ts';
import { formatScid, parseScid } from '../wire/scid.ts';
import { parseAddresses, type NodeAddress } from './address.ts';
import { QueryError } from './errors.ts';
import type { Graph, GraphTables } from './graph.ts';

export interface ListChannelsEntry {
  source: string;
  destination: string;
  short_channel_id: string;
  /** 0 when source is node_id_1 (BOLT 7 channel_flags bit 0). */
  direction: 0 | 1;
  public: boolean;
  /** Channel capacity; when the funding output's value is unknown, the larger htlc_maximum_msat. */
  amount_msat: number;
  message_flags: number;
  channel_flags: number;
  /** Not disabled (BOLT 7 channel_flags bit 1) and the funding output not spent. */
  active: boolean;
  last_update: number;
  base_fee_millisatoshi: number;
  fee_per_millionth: number;
  delay: number;
  htlc_minimum_msat: number;
  htlc_maximum_msat: number;
  features: string;
}

export interface ListChannelsFilter {
  short_channel_id?: string | bigint;
  source?: string | Uint8Array;
  destination?: string | Uint8Array;
}

export interface ListNodesEntry {
  nodeid: string;
  /** The rest only once a node_announcement has been accepted. */
  last_timestamp?: number;
  alias?: string;
  color?: string;
  features?: string;
  addresses?: NodeAddress[];
}

/** A node id parameter (hex or bytes) → its index in the graph, -1 when unknown. */
export function nodeParam(g: Graph, name: string, v: string | Uint8Array): number {
  let id: Uint8Array;
  try {
    id = typeof v === 'string' ? fromHex(v) : v;
  } catch {
    throw new QueryError('bad_params', `${name}: not a node id`);
  }
  if (id.length !== 33) throw new QueryError('bad_params', `${name}: a node id is 33 bytes`);
  return g.findNode(id);
}

function scidParam(v: string | bigint): bigint {
  if (typeof v === 'bigint') return v;
  try {
    return parseScid(v);
  } catch (e) {
    if (e instanceof BoltError) throw new QueryError('bad_params', `short_channel_id: ${e.message}`);
    throw e;
  }
}

/** One listchannels entry for half-channel h (= 2*channel + direction); undefined if it has no update. */
function halfEntry(g: GraphTables, c: number, d: 0 | 1): ListChannelsEntry | undefined {
  const h = 2 * c + d;
  const ts = g.updTimestamp[h]!;
  if (ts < 0) return undefined; // Core Lightning lists a direction only once it has a channel_update.
  const [src, dst] = d === 0 ? [g.node1[c]!, g.node2[c]!] : [g.node2[c]!, g.node1[c]!];
  const cap = g.capacitySat[c]!;
  const other = g.updTimestamp[h ^ 1]! >= 0 ? g.updHtlcMaxExact[h ^ 1]! : 0n;
  const estimate = g.updHtlcMaxExact[h]! > other ? g.updHtlcMaxExact[h]! : other;
  return {
    source: g.nodeKey[src]!,
    destination: g.nodeKey[dst]!,
    short_channel_id: formatScid(g.scid[c]!),
    direction: d,
    public: true,
    amount_msat: Number.isNaN(cap) ? Number(estimate) : cap * 1000,
    message_flags: g.updMessageFlags[h]!,
    channel_flags: g.updChannelFlags[h]!,
    active: (g.updChannelFlags[h]! & 2) === 0 && g.spentHeight[c] === 0,
    last_update: ts,
    base_fee_millisatoshi: g.updFeeBase[h]!,
    fee_per_millionth: g.updFeeProp[h]!,
    delay: g.updCltvDelta[h]!,
    htlc_minimum_msat: Number(g.updHtlcMinExact[h]!),
    htlc_maximum_msat: Number(g.updHtlcMaxExact[h]!),
    features: toHex(g.channelFeatures[c]!),
  };
}

/**
 * Core Lightning's `listchannels [short_channel_id] [source] [destination]`: at most one filter;
 * `source` lists the directions leaving that node, `destination` those arriving at it.
 */
export function listchannels(g: Graph, filter: ListChannelsFilter = {}): ListChannelsEntry[] {
  const given = [filter.short_channel_id, filter.source, filter.destination].filter(x => x !== undefined).length;
  if (given > 1) throw new QueryError('bad_params', 'Can only specify one of `short_channel_id`, `source` or `destination`');
  const out: ListChannelsEntry[] = [];
  const push = (e: ListChannelsEntry | undefined) => e && out.push(e);
  if (filter.short_channel_id !== undefined) {
    const c = g.findChannel(scidParam(filter.short_channel_id));
    if (c >= 0) {
      push(halfEntry(g.tables(), c, 0));
      push(halfEntry(g.tables(), c, 1));
    }
    return out;
  }
  const end = filter.source ?? filter.destination;
  if (end !== undefined) {
    const n = nodeParam(g, filter.source !== undefined ? 'source' : 'destination', end);
    if (n < 0) return out;
    const t = g.tables();
    for (let e = t.nodeHead[n]!; e >= 0; e = t.edgeNext[e]!) {
      // Half-edge e = 2*c + side: the node is node_(side+1), so it is the source of direction side.
      const c = e >> 1;
      const side = (e & 1) as 0 | 1;
      push(halfEntry(t, c, filter.source !== undefined ? side : ((side ^ 1) as 0 | 1)));
    }
    return out;
  }
  const t = g.tables();
  for (let c = 0; c < g.channelSlots; c++) {
    if (!g.channelAt(c)) continue;
    push(halfEntry(t, c, 0));
    push(halfEntry(t, c, 1));
  }
  return out;
}

const utf8 = new TextDecoder('utf-8');

function nodeEntry(g: GraphTables, n: number): ListNodesEntry {
  const e: ListNodesEntry = { nodeid: g.nodeKey[n]! };
  const ts = g.nodeTimestamp[n]!;
  if (ts < 0) return e;
  const aliasBytes = g.nodeAlias.subarray(32 * n, 32 * n + 32);
  const nul = aliasBytes.indexOf(0);
  e.alias = utf8.decode(nul < 0 ? aliasBytes : aliasBytes.subarray(0, nul));
  e.color = toHex(g.nodeColor.subarray(3 * n, 3 * n + 3));
  e.last_timestamp = ts;
  e.features = toHex(g.nodeFeatures[n] ?? new Uint8Array(0));
  let addresses: NodeAddress[] = [];
  try {
    addresses = parseAddresses(g.nodeAddresses[n] ?? new Uint8Array(0)).addresses;
  } catch {
    // Validation refused announcements with malformed addresses, so this cannot happen.
  }
  e.addresses = addresses;
  return e;
}

/** Core Lightning's `listnodes [id]`: every node with a public channel. */
export function listnodes(g: Graph, filter: { id?: string | Uint8Array } = {}): ListNodesEntry[] {
  if (filter.id !== undefined) {
    const n = nodeParam(g, 'id', filter.id);
    return n < 0 ? [] : [nodeEntry(g.tables(), n)];
  }
  const out: ListNodesEntry[] = [];
  const t = g.tables();
  for (let n = 0; n < g.nodeSlots; n++) if (t.nodeKey[n] !== undefined) out.push(nodeEntry(t, n));
  return out;
}
