// getroute, as Core Lightning's (plugins/topology.c over common/dijkstra.c and common/route.c):
// Dijkstra with a binary heap, run backwards from the destination because each hop's amount
// depends on the hops after it. A node's label is the amount that must reach it for the
// destination to get `amount_msat`, and the cost so far: fees plus the risk fee
//   risk = amount * cltv_expiry_delta * riskfactor / 5,259,600   (riskfactor: % per year, 52,596 blocks a year)
// Cheapest first, fewest hops breaking ties; if that route has more than `maxhops` hops, a second
// search puts fewest hops first ("seeking shorter"), and failing that, there is no route.
//
// BOLT 7 "HTLC Fees": a forwarding node charges fee_base_msat + amount_to_forward *
// fee_proportional_millionths / 1000000 (rounded down), per the channel_update it sent for the
// channel it forwards on. So in the route, hop i's amount is what node i receives: hop i+1's amount
// plus the fee of hop i+1's channel in hop i's direction; hop i's delay adds that channel's
// cltv_expiry_delta. The first channel is the payer's own: its fee and delta are never in the
// route's amounts and delays. When comparing routes, Core Lightning's Dijkstra (common/dijkstra.c)
// scores every channel, the first included, but its getroute first overlays this node's own
// channels with zero fee and zero delay (gossmods_from_listpeerchannels with zero_rates: "We route
// better if we know we won't charge ourselves fees"; getroutes' `auto.sourcefree`). So: when the
// payer is this node (`localid`, or no `localid` given) its first channel costs nothing; from
// another `fromid`, that node's first channel's fee and risk count, as any other channel's.
// fuzzpercent is not implemented (Core Lightning now ignores it too).
//
// BOLT 7: a channel whose channel_announcement `features` has an unknown even bit — "MUST NOT
// attempt to route messages through the channel"; a node whose node_announcement does — "MUST NOT
// route a payment _through_ the node" (the payer and the destination are not "through").
import { toHex } from '../base/bytes.ts';
import { checkAnnouncedFeatures, FeatureVector } from '../features/index.ts';
import { nodeParam } from './list.ts';
import { formatScid, parseScid } from '../wire/scid.ts';
import { QueryError, RouteError } from './errors.ts';
import type { Graph } from './graph.ts';

export const BLOCKS_PER_YEAR = 52_596; // 365.25 * 24 * 60 / 10
export const DEFAULT_CLTV = 9;
export const DEFAULT_MAXHOPS = 20;

export interface GetrouteParams {
  /** Destination node id. */
  id: string | Uint8Array;
  /** Amount to deliver. 0 is special: htlc_minimum_msat is ignored ("useful for simple probing"). */
  amount_msat: number | bigint;
  /** Annual cost of funds stuck, in percent (Core Lightning's riskfactor). */
  riskfactor: number;
  /** Blocks the destination receives (final CLTV delta); default 9. */
  cltv?: number;
  /** The payer: gossipd passes its own node id (Core Lightning defaults to "this node"). */
  fromid: string | Uint8Array;
  /** `BLOCKxTXxOUT/direction` strings or node ids to avoid. */
  exclude?: readonly string[];
  /** Most channels in the route; default 20. */
  maxhops?: number;
  /**
   * This node (gossipd's own id). When `fromid` is another node, that node's first channel's fee
   * and risk count when ranking routes, as in Core Lightning. Omitted: `fromid` is this node.
   */
  localid?: string | Uint8Array;
}

export interface RouteHop {
  /** The node at the end of this hop. */
  id: string;
  channel: string;
  /** 0 if this channel is traversed from node_id_1 to node_id_2, otherwise 1. */
  direction: 0 | 1;
  /** The amount expected by the node at the end of this hop. */
  amount_msat: number;
  /** The total CLTV expected by the node at the end of this hop. */
  delay: number;
  style: 'tlv';
}

function nodeOf(g: Graph, name: string, v: string | Uint8Array, missing: string): number {
  const n = nodeParam(g, name, v);
  if (n < 0) throw new RouteError(missing, `${name}: unknown node (no public channels?)`);
  return n;
}

interface Excludes {
  halves: Set<number>; // 2*channel + direction
  nodes: Uint8Array; // by node slot
}

function parseExcludes(g: Graph, list: readonly string[]): Excludes {
  const ex: Excludes = { halves: new Set(), nodes: new Uint8Array(g.nodeSlots) };
  for (const item of list) {
    const m = typeof item === 'string' ? /^(\d+x\d+x\d+)\/([01])$/.exec(item) : null;
    if (m) {
      let scid: bigint;
      try {
        scid = parseScid(m[1]!);
      } catch {
        throw new QueryError('bad_params', `exclude: bad short_channel_id ${m[1]}`);
      }
      const c = g.findChannel(scid);
      if (c >= 0) ex.halves.add(2 * c + Number(m[2]));
      continue;
    }
    if (typeof item !== 'string' || !/^[0-9a-fA-F]{66}$/.test(item)) {
      throw new QueryError('bad_params', `exclude: should be short_channel_id/direction or node_id: ${String(item).slice(0, 80)}`);
    }
    const n = g.findNode(item);
    if (n >= 0) ex.nodes[n] = 1;
  }
  return ex;
}

/**
 * Whether a features field (the graph's own copy, never changed in place) has no unknown even bit.
 * Cached per array, and per distinct vector: most nodes announce one of a few vectors.
 */
const usableFeatures = new WeakMap<Uint8Array, boolean>();
const usableVectors = new Map<string, boolean>();
const MAX_CACHED_VECTORS = 4096;

function featuresUsable(features: Uint8Array | undefined, place: 'N' | 'C'): boolean {
  if (!features || features.length === 0) return true;
  let ok = usableFeatures.get(features);
  if (ok === undefined) {
    const key = `${place}${toHex(features)}`;
    ok = usableVectors.get(key);
    if (ok === undefined) {
      ok = checkAnnouncedFeatures(FeatureVector.fromBytes(features), place).usable;
      if (usableVectors.size >= MAX_CACHED_VECTORS) usableVectors.clear();
      usableVectors.set(key, ok);
    }
    usableFeatures.set(features, ok);
  }
  return ok;
}

/** Reused across calls while the graph keeps its size. */
interface Scratch {
  key1: Float64Array;
  key2: Float64Array;
  cost: Float64Array;
  amount: Float64Array;
  hops: Uint32Array;
  via: Int32Array; // the half-edge (2*c + side of the node itself) leading towards the destination
  done: Uint8Array;
  heap: Int32Array;
  pos: Int32Array; // position in heap, -1 when not in it
}

const scratchFor = new WeakMap<Graph, Scratch>();

function scratch(g: Graph): Scratch {
  const n = g.nodeSlots;
  let s = scratchFor.get(g);
  if (!s || s.done.length < n) {
    const size = Math.max(n, 16);
    s = {
      key1: new Float64Array(size),
      key2: new Float64Array(size),
      cost: new Float64Array(size),
      amount: new Float64Array(size),
      hops: new Uint32Array(size),
      via: new Int32Array(size),
      done: new Uint8Array(size),
      heap: new Int32Array(size),
      pos: new Int32Array(size),
    };
    scratchFor.set(g, s);
  }
  return s;
}

/**
 * Backward Dijkstra from dst; fills s.via for every settled node. Returns true if src was reached.
 * `shorter`: fewest hops first, then cost (Core Lightning's route_score_shorter); otherwise cost
 * first, then hops (route_score_cheaper). `sourceFree`: the first channel's fee and risk do not count.
 */
function search(
  g: Graph,
  s: Scratch,
  src: number,
  dst: number,
  amount: number,
  riskfactor: number,
  ex: Excludes,
  shorter: boolean,
  sourceFree: boolean,
): boolean {
  const n = g.nodeSlots;
  const { key1, key2, cost, amount: amt, hops, via, done, heap, pos } = s;
  key1.fill(Infinity, 0, n);
  key2.fill(Infinity, 0, n);
  done.fill(0, 0, n);
  pos.fill(-1, 0, n);
  let size = 0;

  const less = (a: number, b: number) => key1[a]! < key1[b]! || (key1[a] === key1[b] && key2[a]! < key2[b]!);
  const up = (i: number) => {
    const x = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const y = heap[p]!;
      if (!less(x, y)) break;
      heap[i] = y;
      pos[y] = i;
      i = p;
    }
    heap[i] = x;
    pos[x] = i;
  };
  const down = (i: number) => {
    const x = heap[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && less(heap[c + 1]!, heap[c]!)) c++;
      const y = heap[c]!;
      if (!less(y, x)) break;
      heap[i] = y;
      pos[y] = i;
      i = c;
    }
    heap[i] = x;
    pos[x] = i;
  };

  cost[dst] = 0;
  amt[dst] = amount;
  hops[dst] = 0;
  via[dst] = -1;
  key1[dst] = 0;
  key2[dst] = 0;
  heap[size++] = dst;
  pos[dst] = 0;

  const t = g.tables();
  const { node1, node2, nodeHead, edgeNext, updTimestamp: ts, updChannelFlags: cflags, updHtlcMin: hmin, updHtlcMax: hmax } = t;
  const { updFeeBase: base, updFeeProp: prop, updCltvDelta: delta, capacitySat: cap, spentHeight: spent } = t;
  const { channelFeatures, nodeFeatures } = t;
  const riskPerBlock = riskfactor / 100 / BLOCKS_PER_YEAR;
  const checkExcludedHalves = ex.halves.size > 0;

  while (size > 0) {
    const cur = heap[0]!;
    pos[cur] = -1;
    const last = heap[--size]!;
    if (size > 0) {
      heap[0] = last;
      pos[last] = 0;
      down(0);
    }
    done[cur] = 1;
    if (cur === src) return true;
    // "exclude ... node-id": no channel may lead into it (Core Lightning's can_carry).
    if (ex.nodes[cur]) continue;
    // BOLT 7 node_announcement: unknown even feature bits — "MUST NOT route a payment _through_ the node".
    if (cur !== dst && !featuresUsable(nodeFeatures[cur], 'N')) continue;
    const a = amt[cur]!;
    const nextHops = hops[cur]! + 1;
    for (let e = nodeHead[cur]!; e >= 0; e = edgeNext[e]!) {
      const c = e >> 1;
      const side = e & 1; // cur is node_(side+1) of c
      const m = side === 0 ? node2[c]! : node1[c]!;
      if (done[m]) continue;
      const h = 2 * c + (side ^ 1); // m → cur: the update m sent, direction = m's side
      if (ts[h]! < 0) continue; // no channel_update: unusable
      // BOLT 7 channel_flags bit 1 `disable`; as Core Lightning, a channel disabled either way is not used.
      if (cflags[h]! & 2) continue;
      if (ts[h ^ 1]! >= 0 && cflags[h ^ 1]! & 2) continue;
      if (spent[c]) continue;
      // BOLT 7 channel_announcement: unknown even feature bits — "MUST NOT attempt to route messages through the channel".
      if (channelFeatures[c]!.length > 0 && !featuresUsable(channelFeatures[c], 'C')) continue;
      if (checkExcludedHalves && ex.halves.has(h)) continue;
      if (a > hmax[h]!) continue;
      if (a > 0 && a < hmin[h]!) continue;
      const capSat = cap[c]!;
      if (a > capSat * 1000) continue; // NaN (unknown) compares false
      let add = 0;
      if (m !== src || !sourceFree) {
        const fee = base[h]! + Math.floor((a * prop[h]!) / 1_000_000);
        add = fee + Math.floor(a * (riskPerBlock * delta[h]!));
      }
      const k1 = shorter ? nextHops : cost[cur]! + add;
      const k2 = shorter ? cost[cur]! + add : nextHops;
      if (k1 > key1[m]! || (k1 === key1[m] && k2 >= key2[m]!)) continue;
      key1[m] = k1;
      key2[m] = k2;
      cost[m] = cost[cur]! + add;
      hops[m] = nextHops;
      amt[m] = m === src ? a : a + base[h]! + Math.floor((a * prop[h]!) / 1_000_000);
      via[m] = e ^ 1; // m's own half-edge on channel c
      if (pos[m]! < 0) {
        heap[size] = m;
        pos[m] = size++;
      }
      up(pos[m]!);
    }
  }
  return false;
}

/** The path src → dst found by search: [channel, direction, node reached] per hop. */
function walk(g: Graph, s: Scratch, src: number, dst: number): [number, 0 | 1, number][] {
  const path: [number, 0 | 1, number][] = [];
  for (let n = src; n !== dst;) {
    const e = s.via[n]!;
    const c = e >> 1;
    const d = (e & 1) as 0 | 1; // n is node_(d+1): it sends in direction d
    const [n1, n2] = g.nodesAt(c);
    const next = d === 0 ? n2 : n1;
    path.push([c, d, next]);
    n = next;
  }
  return path;
}

export function getroute(g: Graph, p: GetrouteParams): { route: RouteHop[] } {
  const amountIn = typeof p.amount_msat === 'bigint' ? p.amount_msat : Number.isSafeInteger(p.amount_msat) ? BigInt(p.amount_msat) : -1n;
  if (amountIn < 0n || amountIn > BigInt(Number.MAX_SAFE_INTEGER))
    throw new QueryError('bad_params', 'amount_msat must be a whole number of msat');
  if (typeof p.riskfactor !== 'number' || !Number.isFinite(p.riskfactor) || p.riskfactor < 0)
    throw new QueryError('bad_params', 'riskfactor must be a non-negative number');
  const cltv = p.cltv ?? DEFAULT_CLTV;
  if (!Number.isInteger(cltv) || cltv < 0 || cltv > 0xffffffff) throw new QueryError('bad_params', 'cltv must be a u32');
  const maxhops = p.maxhops ?? DEFAULT_MAXHOPS;
  if (!Number.isInteger(maxhops) || maxhops < 0) throw new QueryError('bad_params', 'maxhops must be a non-negative integer');
  const dst = nodeOf(g, 'id', p.id, 'unknown_destination');
  const src = nodeOf(g, 'fromid', p.fromid, 'unknown_source');
  const ex = parseExcludes(g, p.exclude ?? []);
  const sourceFree = p.localid === undefined || nodeParam(g, 'localid', p.localid) === src;
  if (src === dst) return { route: [] };

  const s = scratch(g);
  const amount = Number(amountIn);
  if (!search(g, s, src, dst, amount, p.riskfactor, ex, false, sourceFree))
    throw new RouteError('route_not_found', 'Could not find a route');
  let path = walk(g, s, src, dst);
  if (path.length > maxhops) {
    search(g, s, src, dst, amount, p.riskfactor, ex, true, sourceFree);
    path = walk(g, s, src, dst);
    if (path.length > maxhops) throw new RouteError('route_too_long', `Shortest route was ${path.length}`);
  }

  // Amounts and delays backwards from the destination, exactly (BigInt) this time.
  const t = g.tables();
  const route = new Array<RouteHop>(path.length);
  let amountAt = amountIn;
  let delayAt = cltv;
  for (let i = path.length - 1; i >= 0; i--) {
    const [c, d, reached] = path[i]!;
    route[i] = {
      id: t.nodeKey[reached]!,
      channel: formatScid(t.scid[c]!),
      direction: d,
      amount_msat: Number(amountAt),
      delay: delayAt,
      style: 'tlv',
    };
    // The node sending on this hop's channel charges its fee (BOLT 7 "HTLC Fees") and adds its
    // cltv_expiry_delta, both from the channel_update it signed for this direction.
    const h = 2 * c + d;
    amountAt += BigInt(t.updFeeBase[h]!) + (amountAt * BigInt(t.updFeeProp[h]!)) / 1_000_000n;
    delayAt += t.updCltvDelta[h]!;
  }
  return { route };
}
