// The channel graph gossipd keeps: nodes, channels and both directions' policies, in growable
// typed arrays (struct of arrays, one slot per node / channel / half-channel) so that the mainnet
// graph (50,808 channels, 17,324 nodes, 101,616 channel_updates) takes a few MB, not Maps of Maps.
// Each node keeps an intrusive list of its half-edges (edge = 2*channel + side, side 0 when it is
// node_id_1), which listchannels and getroute (route.ts) walk directly.
//
// htlc limits are kept twice: exact u64s, and float64 copies for routing (exact up to 2^53 msat,
// 90,000 BTC); a direction BOLT 7 says to leave out of routes has -1 as its routing maximum
// (route.ts then never uses it). The graph holds what passed validation; it only
// re-checks ordering (a newer timestamp wins), as messages may finish verifying out of order.
import { equal, toHex } from '../base/bytes.ts';
import { addressesForwardable } from './address.ts';
import type { GossipMessage, GossipView, KnownChannel, KnownUpdate } from './validate.ts';
import { STALE_SECONDS } from './validate.ts';

/** BOLT 7 "Pruning the Network View": forget a spent channel after 12 blocks. */
export const SPENT_DELAY_BLOCKS = 12;

export interface GraphOptions {
  /** Initial slots; the arrays double as needed. */
  channels?: number;
  nodes?: number;
}

/** The fields of a channel_announcement the graph keeps. */
export interface ChannelAnnouncementFields {
  short_channel_id: bigint;
  node_id_1: Uint8Array;
  node_id_2: Uint8Array;
  features: Uint8Array;
}

export type ChannelUpdateFields = KnownUpdate & { short_channel_id: bigint };

export interface NodeAnnouncementFields {
  node_id: Uint8Array;
  timestamp: number;
  features: Uint8Array;
  rgb_color: Uint8Array;
  alias: Uint8Array;
  /** The raw `addresses` field (address.ts parses it). */
  addresses: Uint8Array;
}

const EMPTY = new Uint8Array(0);

function grow<T extends Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array | BigUint64Array>(
  a: T,
  size: number,
  fill?: number,
): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a as never);
  if (fill !== undefined) (b as Float64Array).fill(fill, a.length);
  return b;
}

/**
 * The graph's arrays, for its readers beside it (route.ts walks them in its search, list.ts builds
 * listchannels and listnodes rows from them): read-only, and valid until the graph next changes
 * (a growing array is replaced). Everything else reads the graph through its methods.
 */
export interface GraphTables {
  readonly nodeKey: readonly (string | undefined)[];
  readonly nodeHead: Int32Array;
  readonly nodeTimestamp: Float64Array;
  readonly nodeColor: Uint8Array;
  readonly nodeAlias: Uint8Array;
  readonly nodeFeatures: readonly (Uint8Array | undefined)[];
  readonly nodeAddresses: readonly (Uint8Array | undefined)[];
  readonly scid: BigUint64Array;
  readonly node1: Int32Array;
  readonly node2: Int32Array;
  readonly capacitySat: Float64Array;
  readonly spentHeight: Uint32Array;
  readonly channelFeatures: readonly Uint8Array[];
  readonly edgeNext: Int32Array;
  readonly updTimestamp: Float64Array;
  readonly updMessageFlags: Uint8Array;
  readonly updChannelFlags: Uint8Array;
  readonly updCltvDelta: Uint16Array;
  readonly updHtlcMin: Float64Array;
  readonly updHtlcMax: Float64Array;
  readonly updHtlcMinExact: BigUint64Array;
  readonly updHtlcMaxExact: BigUint64Array;
  readonly updFeeBase: Uint32Array;
  readonly updFeeProp: Uint32Array;
}

export class Graph implements GossipView {
  // ---- nodes (slot n) ----
  nodeSlots = 0; // slots ever used (live ones have nodeKey[n] set)
  nodeCount = 0;
  private nodeIds: Uint8Array; // 33 bytes per slot
  private nodeKey: (string | undefined)[] = []; // hex node id
  private nodeIndex = new Map<string, number>();
  private nodeChannels: Uint32Array; // live channels per node
  private nodeHead: Int32Array; // first half-edge, -1 for none
  private nodeTimestamp: Float64Array; // node_announcement timestamp, -1 for none
  private nodeColor: Uint8Array; // 3 bytes per slot
  private nodeAlias: Uint8Array; // 32 bytes per slot
  private nodeFeatures: (Uint8Array | undefined)[] = [];
  private nodeAddresses: (Uint8Array | undefined)[] = [];
  /** Node slots whose node_announcement must not be forwarded (more than one DNS name: rare), decided once per announcement. */
  private nodesNotForwarded = new Set<number>();
  /** nodeId(n)'s copies: every channel_update's check needs its signer's id. */
  private nodeIdCopies: (Uint8Array | undefined)[] = [];
  private freeNodes: number[] = [];

  // ---- channels (slot c) ----
  channelSlots = 0;
  channelCount = 0;
  private scid: BigUint64Array;
  private channelIndex = new Map<bigint, number>();
  /** Told of each channel added (true) and removed (false): gossipd keeps its sync's count of expected channels from it. */
  onChannel: ((short_channel_id: bigint, present: boolean) => void) | undefined;
  private node1: Int32Array; // node slot of node_id_1, -1 for a free slot
  private node2: Int32Array;
  private capacitySat: Float64Array; // NaN when unknown
  private spentHeight: Uint32Array; // block height the funding output was spent at, 0 if unspent
  private channelFeatures: Uint8Array[] = [];
  private edgeNext: Int32Array; // per half-edge (2*c + side): the node's next half-edge, -1 to end
  private freeChannels: number[] = [];
  /** short_channel_ids announced with two key sets: kept out of the graph (markConflict). */
  readonly conflicts = new Set<bigint>();

  // ---- half-channels (slot h = 2*c + direction): the channel_update from node_(direction+1) ----
  private updTimestamp: Float64Array; // -1 when no update is held
  private updMessageFlags: Uint8Array;
  private updChannelFlags: Uint8Array;
  private updCltvDelta: Uint16Array;
  private updHtlcMin: Float64Array; // float64 copies for routing
  private updHtlcMax: Float64Array;
  private updHtlcMinExact: BigUint64Array; // the u64 values, for listchannels and duplicate checks
  private updHtlcMaxExact: BigUint64Array;
  private updFeeBase: Uint32Array;
  private updFeeProp: Uint32Array;

  constructor(opts: GraphOptions = {}) {
    const c = Math.max(16, opts.channels ?? 1024);
    const n = Math.max(16, opts.nodes ?? 512);
    this.nodeIds = new Uint8Array(33 * n);
    this.nodeChannels = new Uint32Array(n);
    this.nodeHead = new Int32Array(n).fill(-1);
    this.nodeTimestamp = new Float64Array(n).fill(-1);
    this.nodeColor = new Uint8Array(3 * n);
    this.nodeAlias = new Uint8Array(32 * n);
    this.scid = new BigUint64Array(c);
    this.node1 = new Int32Array(c).fill(-1);
    this.node2 = new Int32Array(c).fill(-1);
    this.capacitySat = new Float64Array(c).fill(NaN);
    this.spentHeight = new Uint32Array(c);
    this.edgeNext = new Int32Array(2 * c).fill(-1);
    this.updTimestamp = new Float64Array(2 * c).fill(-1);
    this.updMessageFlags = new Uint8Array(2 * c);
    this.updChannelFlags = new Uint8Array(2 * c);
    this.updCltvDelta = new Uint16Array(2 * c);
    this.updHtlcMin = new Float64Array(2 * c);
    this.updHtlcMax = new Float64Array(2 * c);
    this.updHtlcMinExact = new BigUint64Array(2 * c);
    this.updHtlcMaxExact = new BigUint64Array(2 * c);
    this.updFeeBase = new Uint32Array(2 * c);
    this.updFeeProp = new Uint32Array(2 * c);
  }

  // ---------------------------------------------------------------- nodes

  /** Node slot for a node id (hex or bytes), or -1. */
  findNode(id: Uint8Array | string): number {
    return this.nodeIndex.get(typeof id === 'string' ? id.toLowerCase() : toHex(id)) ?? -1;
  }

  /** Node slot n's id: one copy per node, made on first use and shared (callers must not change it). */
  nodeId(n: number): Uint8Array {
    return (this.nodeIdCopies[n] ??= this.nodeIds.slice(33 * n, 33 * n + 33));
  }

  private nodeSlot(id: Uint8Array): number {
    const key = toHex(id);
    const have = this.nodeIndex.get(key);
    if (have !== undefined) return have;
    let n = this.freeNodes.pop();
    if (n === undefined) {
      n = this.nodeSlots++;
      if (n >= this.nodeChannels.length) this.growNodes(2 * this.nodeChannels.length);
    }
    this.nodeIds.set(id, 33 * n);
    this.nodeKey[n] = key;
    this.nodeIndex.set(key, n);
    this.nodeChannels[n] = 0;
    this.nodeHead[n] = -1;
    this.nodeTimestamp[n] = -1;
    this.nodeCount++;
    return n;
  }

  private growNodes(size: number): void {
    this.nodeIds = grow(this.nodeIds, 33 * size);
    this.nodeChannels = grow(this.nodeChannels, size);
    this.nodeHead = grow(this.nodeHead, size, -1);
    this.nodeTimestamp = grow(this.nodeTimestamp, size, -1);
    this.nodeColor = grow(this.nodeColor, 3 * size);
    this.nodeAlias = grow(this.nodeAlias, 32 * size);
  }

  /** BOLT 7 "Pruning the Network View": a node with no channel left "MAY" be forgotten; we do. */
  private dropNode(n: number): void {
    this.nodeIndex.delete(this.nodeKey[n]!);
    this.nodeKey[n] = undefined;
    this.nodeIdCopies[n] = undefined;
    this.nodeFeatures[n] = undefined;
    this.nodeAddresses[n] = undefined;
    this.nodesNotForwarded.delete(n);
    this.nodeTimestamp[n] = -1;
    this.nodeColor.fill(0, 3 * n, 3 * n + 3);
    this.nodeAlias.fill(0, 32 * n, 32 * n + 32);
    this.nodeCount--;
    this.freeNodes.push(n);
  }

  // ---------------------------------------------------------------- channels

  /** Channel slot for a short_channel_id, or -1. */
  findChannel(short_channel_id: bigint): number {
    return this.channelIndex.get(short_channel_id) ?? -1;
  }

  /** Adds an announced channel; false if it is already there (or its id is a conflict). */
  addChannel(a: ChannelAnnouncementFields, capacity_sat?: number): boolean {
    if (this.channelIndex.has(a.short_channel_id) || this.conflicted(a.short_channel_id)) return false;
    let c = this.freeChannels.pop();
    if (c === undefined) {
      c = this.channelSlots++;
      if (c >= this.node1.length) this.growChannels(2 * this.node1.length);
    }
    const n1 = this.nodeSlot(a.node_id_1);
    const n2 = this.nodeSlot(a.node_id_2);
    this.scid[c] = a.short_channel_id;
    this.channelIndex.set(a.short_channel_id, c);
    this.node1[c] = n1;
    this.node2[c] = n2;
    this.capacitySat[c] = capacity_sat ?? NaN;
    this.spentHeight[c] = 0;
    this.channelFeatures[c] = a.features.length ? a.features.slice() : EMPTY;
    for (const d of [0, 1]) this.updTimestamp[2 * c + d] = -1;
    this.edgeNext[2 * c] = this.nodeHead[n1]!;
    this.nodeHead[n1] = 2 * c;
    this.edgeNext[2 * c + 1] = this.nodeHead[n2]!;
    this.nodeHead[n2] = 2 * c + 1;
    this.nodeChannels[n1]!++;
    this.nodeChannels[n2]!++;
    this.channelCount++;
    this.onChannel?.(a.short_channel_id, true);
    return true;
  }

  private growChannels(size: number): void {
    this.scid = grow(this.scid, size);
    this.node1 = grow(this.node1, size, -1);
    this.node2 = grow(this.node2, size, -1);
    this.capacitySat = grow(this.capacitySat, size, NaN);
    this.spentHeight = grow(this.spentHeight, size);
    this.edgeNext = grow(this.edgeNext, 2 * size, -1);
    this.updTimestamp = grow(this.updTimestamp, 2 * size, -1);
    this.updMessageFlags = grow(this.updMessageFlags, 2 * size);
    this.updChannelFlags = grow(this.updChannelFlags, 2 * size);
    this.updCltvDelta = grow(this.updCltvDelta, 2 * size);
    this.updHtlcMin = grow(this.updHtlcMin, 2 * size);
    this.updHtlcMax = grow(this.updHtlcMax, 2 * size);
    this.updHtlcMinExact = grow(this.updHtlcMinExact, 2 * size);
    this.updHtlcMaxExact = grow(this.updHtlcMaxExact, 2 * size);
    this.updFeeBase = grow(this.updFeeBase, 2 * size);
    this.updFeeProp = grow(this.updFeeProp, 2 * size);
  }

  /** The funding output's value, once the chain backend has it. */
  setCapacity(short_channel_id: bigint, capacity_sat: number): boolean {
    const c = this.findChannel(short_channel_id);
    if (c < 0) return false;
    this.capacitySat[c] = capacity_sat;
    for (const h of [2 * c, 2 * c + 1])
      if (this.updTimestamp[h]! >= 0) this.updHtlcMax[h] = this.routingMax(c, this.updHtlcMinExact[h]!, this.updHtlcMaxExact[h]!);
    return true;
  }

  /**
   * The htlc maximum routes use: BOLT 7 channel_update, "if htlc_maximum_msat < htlc_minimum_msat:
   * SHOULD ignore this channel during route considerations"; "if htlc_maximum_msat is greater than
   * channel capacity: ... SHOULD ignore this channel during route considerations". Such a
   * direction gets -1, which no amount fits (the exact values stay for listchannels).
   */
  private routingMax(c: number, min: bigint, max: bigint): number {
    const cap = this.capacitySat[c]!;
    if (max < min || (!Number.isNaN(cap) && max > BigInt(cap) * 1000n)) return -1;
    return Number(max);
  }

  /** Whether routes may use half-channel h (2*c + direction): it has an update BOLT 7 lets us route with. */
  routable(h: number): boolean {
    return this.updTimestamp[h]! >= 0 && this.updHtlcMax[h]! >= 0;
  }

  /**
   * Applies a validated channel_update; false if the channel is unknown or the update is not newer
   * than the one held (BOLT 7: only a greater `timestamp` replaces).
   */
  applyChannelUpdate(u: ChannelUpdateFields): boolean {
    const c = this.findChannel(u.short_channel_id);
    if (c < 0) return false;
    const h = 2 * c + (u.channel_flags & 1);
    if (u.timestamp <= this.updTimestamp[h]!) return false;
    this.updTimestamp[h] = u.timestamp;
    this.updMessageFlags[h] = u.message_flags;
    this.updChannelFlags[h] = u.channel_flags;
    this.updCltvDelta[h] = u.cltv_expiry_delta;
    this.updHtlcMin[h] = Number(u.htlc_minimum_msat);
    this.updHtlcMax[h] = this.routingMax(c, u.htlc_minimum_msat, u.htlc_maximum_msat);
    this.updHtlcMinExact[h] = u.htlc_minimum_msat;
    this.updHtlcMaxExact[h] = u.htlc_maximum_msat;
    this.updFeeBase[h] = u.fee_base_msat;
    this.updFeeProp[h] = u.fee_proportional_millionths;
    return true;
  }

  /** Applies a validated node_announcement; false if the node has no channel or it is not newer. */
  applyNodeAnnouncement(a: NodeAnnouncementFields, forward?: boolean): boolean {
    const n = this.findNode(a.node_id);
    if (n < 0 || a.timestamp <= this.nodeTimestamp[n]!) return false;
    this.nodeTimestamp[n] = a.timestamp;
    // `forward`: validation's answer (validate.ts Accepted.forward), else read from the addresses here.
    if (forward ?? addressesForwardable(a.addresses)) this.nodesNotForwarded.delete(n);
    else this.nodesNotForwarded.add(n);
    this.nodeFeatures[n] = a.features.length ? a.features.slice() : EMPTY;
    this.nodeAddresses[n] = a.addresses.length ? a.addresses.slice() : EMPTY;
    this.nodeColor.set(a.rgb_color.subarray(0, 3), 3 * n);
    this.nodeAlias.set(a.alias.subarray(0, 32), 32 * n);
    return true;
  }

  /** Applies any accepted gossip message (validate.ts `Accepted.msg`). */
  applyGossip(msg: GossipMessage, capacity_sat?: number, forward?: boolean): boolean {
    switch (msg.name) {
      case 'channel_announcement':
        return this.addChannel(msg, capacity_sat);
      case 'channel_update':
        return this.applyChannelUpdate(msg);
      case 'node_announcement':
        return this.applyNodeAnnouncement(msg, forward);
    }
  }

  /** Forgets a channel now (and any node left without a channel). */
  removeChannel(short_channel_id: bigint): boolean {
    const c = this.findChannel(short_channel_id);
    if (c < 0) return false;
    const ends = [this.node1[c]!, this.node2[c]!];
    ends.forEach((n, side) => {
      const e = 2 * c + side;
      if (this.nodeHead[n] === e) this.nodeHead[n] = this.edgeNext[e]!;
      else {
        let p = this.nodeHead[n]!;
        while (p >= 0 && this.edgeNext[p] !== e) p = this.edgeNext[p]!;
        if (p >= 0) this.edgeNext[p] = this.edgeNext[e]!;
      }
      this.edgeNext[e] = -1;
    });
    this.channelIndex.delete(short_channel_id);
    this.node1[c] = -1;
    this.node2[c] = -1;
    this.updTimestamp[2 * c] = -1;
    this.updTimestamp[2 * c + 1] = -1;
    this.channelFeatures[c] = EMPTY;
    this.channelCount--;
    this.freeChannels.push(c);
    this.onChannel?.(short_channel_id, false);
    for (const n of ends) {
      if (--this.nodeChannels[n]! === 0) this.dropNode(n);
    }
    return true;
  }

  /**
   * A short_channel_id was announced with two different key sets (trust mode: nothing tells which
   * is real): the channel goes, and the id is refused from now on (validate.ts `conflicted`).
   */
  markConflict(short_channel_id: bigint): void {
    this.removeChannel(short_channel_id);
    this.conflicts.add(short_channel_id);
  }

  /**
   * The funding output was spent at `blockheight`: the channel is closed (no longer routed through,
   * its updates ignored) and forgotten by pruneSpent 12 blocks later (BOLT 7: "once its funding
   * output has been spent OR reorganized out: SHOULD forget a channel after a 12-block delay", which
   * lets a splice's new channel_announcement propagate).
   */
  markSpent(short_channel_id: bigint, blockheight: number): boolean {
    const c = this.findChannel(short_channel_id);
    if (c < 0) return false;
    this.spentHeight[c] = Math.max(1, blockheight);
    return true;
  }

  /** Takes back markSpent(short_channel_id, blockheight) (a reorganisation replaced that block); false if it was not so marked. */
  unmarkSpent(short_channel_id: bigint, blockheight: number): boolean {
    const c = this.findChannel(short_channel_id);
    if (c < 0 || this.spentHeight[c] !== Math.max(1, blockheight)) return false;
    this.spentHeight[c] = 0;
    return true;
  }

  /** Forgets channels spent at least 12 blocks before `blockheight`; returns their ids. */
  pruneSpent(blockheight: number, delay = SPENT_DELAY_BLOCKS): bigint[] {
    const out: bigint[] = [];
    for (let c = 0; c < this.channelSlots; c++) {
      if (this.node1[c]! >= 0 && this.spentHeight[c]! > 0 && this.spentHeight[c]! + delay <= blockheight) out.push(this.scid[c]!);
    }
    for (const s of out) this.removeChannel(s);
    return out;
  }

  /**
   * BOLT 7 "Recommendation on Pruning Stale Entries": forgets channels whose channel_updates are
   * older than two weeks. 'both' (the default): every update held is stale; 'either' (the spec's
   * letter: "the latest channel_update in either direction is older than two weeks"): any update
   * held is. Channels with no update at all are kept (they are never routed through).
   */
  pruneStale(now: number, rule: 'both' | 'either' = 'both'): bigint[] {
    const limit = now - STALE_SECONDS;
    const out: bigint[] = [];
    for (let c = 0; c < this.channelSlots; c++) {
      if (this.node1[c]! < 0) continue;
      const t0 = this.updTimestamp[2 * c]!;
      const t1 = this.updTimestamp[2 * c + 1]!;
      const stale0 = t0 >= 0 && t0 < limit;
      const stale1 = t1 >= 0 && t1 < limit;
      const prune = rule === 'either' ? stale0 || stale1 : (stale0 || t0 < 0) && (stale1 || t1 < 0) && (t0 >= 0 || t1 >= 0);
      if (prune) out.push(this.scid[c]!);
    }
    for (const s of out) this.removeChannel(s);
    return out;
  }

  // ---------------------------------------------------------------- GossipView (validate.ts)

  channel(short_channel_id: bigint): KnownChannel | undefined {
    const c = this.findChannel(short_channel_id);
    if (c < 0) return undefined;
    const cap = this.capacitySat[c]!;
    return {
      node_id_1: this.nodeId(this.node1[c]!),
      node_id_2: this.nodeId(this.node2[c]!),
      ...(Number.isNaN(cap) ? {} : { capacity_sat: cap }),
      spent: this.spentHeight[c]! > 0,
    };
  }

  channelUpdate(short_channel_id: bigint, direction: 0 | 1): KnownUpdate | undefined {
    const c = this.findChannel(short_channel_id);
    if (c < 0) return undefined;
    const h = 2 * c + direction;
    if (this.updTimestamp[h]! < 0) return undefined;
    return {
      timestamp: this.updTimestamp[h]!,
      message_flags: this.updMessageFlags[h]!,
      channel_flags: this.updChannelFlags[h]!,
      cltv_expiry_delta: this.updCltvDelta[h]!,
      htlc_minimum_msat: this.updHtlcMinExact[h]!,
      fee_base_msat: this.updFeeBase[h]!,
      fee_proportional_millionths: this.updFeeProp[h]!,
      htlc_maximum_msat: this.updHtlcMaxExact[h]!,
    };
  }

  nodeAnnouncementTimestamp(node_id: Uint8Array): number | undefined {
    const n = this.findNode(node_id);
    return n < 0 || this.nodeTimestamp[n]! < 0 ? undefined : this.nodeTimestamp[n]!;
  }

  nodeHasChannel(node_id: Uint8Array): boolean {
    return this.findNode(node_id) >= 0;
  }

  conflicted(short_channel_id: bigint): boolean {
    return this.conflicts.size > 0 && this.conflicts.has(short_channel_id);
  }

  /** True when node slot n is node_id (used by tests and callers holding a slot across awaits). */
  isNode(n: number, node_id: Uint8Array): boolean {
    return this.nodeKey[n] !== undefined && equal(this.nodeIds.subarray(33 * n, 33 * n + 33), node_id);
  }

  /** The arrays, for route.ts and list.ts (GraphTables): take them again after the graph changes. */
  tables(): GraphTables {
    return {
      nodeKey: this.nodeKey,
      nodeHead: this.nodeHead,
      nodeTimestamp: this.nodeTimestamp,
      nodeColor: this.nodeColor,
      nodeAlias: this.nodeAlias,
      nodeFeatures: this.nodeFeatures,
      nodeAddresses: this.nodeAddresses,
      scid: this.scid,
      node1: this.node1,
      node2: this.node2,
      capacitySat: this.capacitySat,
      spentHeight: this.spentHeight,
      channelFeatures: this.channelFeatures,
      edgeNext: this.edgeNext,
      updTimestamp: this.updTimestamp,
      updMessageFlags: this.updMessageFlags,
      updChannelFlags: this.updChannelFlags,
      updCltvDelta: this.updCltvDelta,
      updHtlcMin: this.updHtlcMin,
      updHtlcMax: this.updHtlcMax,
      updHtlcMinExact: this.updHtlcMinExact,
      updHtlcMaxExact: this.updHtlcMaxExact,
      updFeeBase: this.updFeeBase,
      updFeeProp: this.updFeeProp,
    };
  }

  // ---------------------------------------------------------------- reads by slot (gossipd)
  // Cheap, allocation-free reads for gossipd's answers and relay, so that nothing outside this
  // folder indexes the arrays above.

  /** Every channel's short_channel_id (in no particular order). */
  *channelIds(): IterableIterator<bigint> {
    yield* this.channelIndex.keys();
  }

  /** Node slot n's id (hex), or undefined for a free slot. */
  nodeHex(n: number): string | undefined {
    return this.nodeKey[n];
  }

  /** Node slot n's node_announcement timestamp, -1 when none is held. */
  nodeTimestampAt(n: number): number {
    return this.nodeTimestamp[n] ?? -1;
  }

  /** Node slot n holds a node_announcement that may be forwarded (BOLT 7: not one with more than one DNS name). */
  nodeForwardableAt(n: number): boolean {
    return this.nodeTimestampAt(n) >= 0 && !this.nodesNotForwarded.has(n);
  }

  /** Node slot n's raw `addresses` field, undefined when no node_announcement is held. */
  nodeAddressesAt(n: number): Uint8Array | undefined {
    return this.nodeAddresses[n];
  }

  /** Whether some channel of node slot n satisfies `test` (its short_channel_id). */
  someChannelOf(n: number, test: (short_channel_id: bigint) => boolean): boolean {
    for (let e = n < 0 ? -1 : this.nodeHead[n]!; e >= 0; e = this.edgeNext[e]!) if (test(this.scid[e >> 1]!)) return true;
    return false;
  }

  /** Whether channel slot c holds a channel (slots up to channelSlots may be free). */
  channelAt(c: number): boolean {
    return c >= 0 && c < this.channelSlots && this.node1[c]! >= 0;
  }

  /** Channel slot c's short_channel_id. */
  scidAt(c: number): bigint {
    return this.scid[c]!;
  }

  /** Channel slot c's two node ids (hex), node_id_1 first. */
  endsAt(c: number): [string, string] {
    return [this.nodeKey[this.node1[c]!]!, this.nodeKey[this.node2[c]!]!];
  }

  /** Channel slot c's two node slots, node_id_1 first. */
  nodesAt(c: number): [number, number] {
    return [this.node1[c]!, this.node2[c]!];
  }

  /** Channel slot c's capacity in satoshis, undefined while unknown (no chain source and no stored amount). */
  capacityAt(c: number): number | undefined {
    const cap = this.capacitySat[c];
    return cap === undefined || Number.isNaN(cap) ? undefined : cap;
  }

  /** The block height channel slot c's funding output was spent at, 0 while unspent. */
  spentAt(c: number): number {
    return this.spentHeight[c]!;
  }

  /** The timestamp of the channel_update held for channel slot c in `direction`, -1 when none. */
  updateTimestampAt(c: number, direction: 0 | 1): number {
    return this.updTimestamp[2 * c + direction]!;
  }
}
