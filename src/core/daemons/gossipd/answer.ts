// Answering a peer's queries from our graph (BOLT 7 "Query Messages"): which messages, in what
// order, split how. Each answer is a generator that makes its messages one at a time, as gossipd
// sends them (gossipd waits for the peer's transport before asking for more), so a query costs
// what is in flight, never its whole answer: a range over mainnet is ~50 messages of 64 KB, a
// query_short_channel_ids of 8,000 ids some 30,000 messages read back from the store in chunks.
import { encodeShortChannelIds, encodeTimestamps, QUERY_FLAG, QUERY_OPTION } from '../../gossip/encoding.ts';
import type { MessageOf } from '../../wire/messages.ts';
import type { Graph } from '../../gossip/graph.ts';
import type { GossipKeyRef } from '../../gossip/store.ts';
import { channelRef, nodeRef, updateRef, type RawGossip, type UpdateInfo } from './raw.ts';
import { inFilter, type TimestampFilter } from './relay.ts';

const U32_MAX = 0xffffffff;
/** reply_channel_range without its arrays: type 2, chain_hash 32, first_blocknum 4, number_of_blocks 4, sync_complete 1, length 2, encoding 1; TLV headers 9. */
const REPLY_OVERHEAD = 64;
const MAX_MESSAGE = 65535;
/**
 * Channels whose gossip is read from the store at once (about 1 MB): each read fetches a store
 * piece once however many of its records it wants (IndexedDB: a value of ~1,000 records), and the
 * node_announcements of a chunk are spread over the whole log, so fewer, larger reads cost less.
 */
const READ_CHUNK = 1000;

export interface RangeQuery {
  first_blocknum: number;
  number_of_blocks: number;
  /** query_option_flags: bit 0 timestamps, bit 1 checksums (BOLT 7). */
  options: bigint;
}

const blockOf = (scid: bigint) => Number(scid >> 40n);

/**
 * The end of a query's range, clamped so that first_blocknum + number_of_blocks fits in a u32
 * (a query from block > 0 with number_of_blocks 0xffffffff would overflow it; Core Lightning
 * rejects a reply whose sum does, and clamps its own the same way).
 */
function rangeEnd(first: number, number: number): number {
  return Math.min(U32_MAX, first + number);
}

/** Index of the first scid in `sorted` at or after block `block`. */
function lowerBound(sorted: BigUint64Array, block: number): number {
  const key = BigInt(block) << 40n;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The reply_channel_range messages for a query, one at a time (BOLT 7 requirements on the
 * receiver of query_channel_range): the first reply starts at the query's first_blocknum; each
 * next one starts at or after the previous (at the same block when a block's channels are split
 * across two, which "MAY split block contents"); the last ends at or after the query's end (as far
 * as a u32 goes); each fits in 65,535 bytes; sync_complete is 0 on every reply but the last ("MUST
 * set sync_complete to false if this is not the final reply_channel_range" and "MUST set
 * sync_complete to true" on the final one). `scids` must be sorted ascending. Timestamps and
 * checksums TLVs are added when the query asks for them, from `update` (the graph's timestamps and
 * the checksums beside it: nothing is read from the store).
 */
export function* channelRangeReplies(
  chainHash: Uint8Array,
  q: RangeQuery,
  scids: BigUint64Array,
  update: (short_channel_id: bigint, direction: 0 | 1) => UpdateInfo | undefined,
): Generator<MessageOf<'reply_channel_range'>> {
  const first = q.first_blocknum;
  const end = rangeEnd(first, q.number_of_blocks);
  const from = lowerBound(scids, first);
  const to = end > first ? lowerBound(scids, end) : from;
  const withTs = (q.options & BigInt(QUERY_OPTION.timestamps)) !== 0n;
  const withCs = (q.options & BigInt(QUERY_OPTION.checksums)) !== 0n;
  const per = Math.floor((MAX_MESSAGE - REPLY_OVERHEAD) / (8 + (withTs ? 8 : 0) + (withCs ? 8 : 0)));
  let start = first;
  for (let i = from; ; i += per) {
    const chunk = Array.from(scids.subarray(i, Math.min(to, i + per)));
    const last = i + per >= to;
    const lastBlock = chunk.length ? blockOf(chunk[chunk.length - 1]!) : start;
    const replyEnd = last ? end : lastBlock + 1;
    const m: MessageOf<'reply_channel_range'> = {
      name: 'reply_channel_range',
      chain_hash: chainHash,
      first_blocknum: start,
      number_of_blocks: replyEnd - start,
      sync_complete: last ? 1 : 0,
      encoded_short_ids: encodeShortChannelIds(chunk),
    };
    if (withTs || withCs) {
      const ours = chunk.map(s => [update(s, 0), update(s, 1)] as const);
      m.tlvs = {};
      // "0 if there was no channel_update from that node" (timestamps), likewise for checksums.
      if (withTs)
        m.tlvs.timestamps_tlv = encodeTimestamps(
          ours.map(([a, b]) => ({ timestamp_node_id_1: a?.timestamp ?? 0, timestamp_node_id_2: b?.timestamp ?? 0 })),
        );
      if (withCs)
        m.tlvs.checksums_tlv = {
          checksums: ours.map(([a, b]) => ({ checksum_node_id_1: a?.checksum ?? 0, checksum_node_id_2: b?.checksum ?? 0 })),
        };
    }
    yield m;
    if (last) return;
    // Split block: the next reply starts at that same block; otherwise right after this one.
    start = blockOf(scids[i + per]!) === lastBlock ? lastBlock : replyEnd;
  }
}

/**
 * The reply for a chain we don't keep: one reply, empty, final. BOLT 7 once had "if does not
 * maintain up-to-date channel information for chain_hash: MUST set full_information to 0" here;
 * since sync_complete replaced that field (lightning/bolts#826) the final reply "MUST set
 * sync_complete to true" whatever the chain, and the rule for unknown chains stays only on
 * reply_short_channel_ids_end's full_information.
 */
export function unknownChainReply(
  chainHash: Uint8Array,
  first_blocknum: number,
  number_of_blocks: number,
): MessageOf<'reply_channel_range'> {
  return {
    name: 'reply_channel_range',
    chain_hash: chainHash,
    first_blocknum,
    number_of_blocks: rangeEnd(first_blocknum, number_of_blocks) - first_blocknum,
    sync_complete: 1,
    encoded_short_ids: encodeShortChannelIds([]),
  };
}

/**
 * BOLT 7: a node_announcement announcing more than one DNS hostname ("type 5") "MUST not [be]
 * forward[ed]": not relayed, and not sent in answer to a query or a timestamp filter either.
 */
export function nodeForwardable(g: Graph, node_id_hex: string): boolean {
  const n = g.findNode(node_id_hex);
  return n >= 0 && g.nodeForwardableAt(n);
}

/** Reads `refs` (in chunks of about READ_CHUNK channels' worth) and yields what the store has, in order. */
async function* readAll(raw: RawGossip, refs: GossipKeyRef[]): AsyncGenerator<Uint8Array> {
  for (const m of await raw.read(refs)) if (m) yield m;
}

/**
 * The gossip answering one query_short_channel_ids (BOLT 7), read from the store a chunk at a
 * time: for each known short_channel_id, its channel_announcement and latest channel_update for
 * each end, followed by the node_announcements of both ends, or what `flags[i]` asks for;
 * node_announcements once per query ("SHOULD avoid sending duplicate node_announcements"), and
 * none that must not be forwarded. Unknown ids (`ends` undefined) are skipped.
 */
export async function* scidReplies(
  scids: readonly bigint[],
  flags: readonly bigint[] | undefined,
  raw: RawGossip,
  ends: (short_channel_id: bigint) => [string, string] | undefined,
  forwardNode: (node_id_hex: string) => boolean,
): AsyncGenerator<Uint8Array> {
  const sentNodes = new Set<string>();
  const all = BigInt(
    QUERY_FLAG.channel_announcement |
      QUERY_FLAG.channel_update_node_1 |
      QUERY_FLAG.channel_update_node_2 |
      QUERY_FLAG.node_announcement_node_1 |
      QUERY_FLAG.node_announcement_node_2,
  );
  for (let from = 0; from < scids.length; from += READ_CHUNK) {
    const refs: GossipKeyRef[] = [];
    for (let i = from; i < Math.min(scids.length, from + READ_CHUNK); i++) {
      const s = scids[i]!;
      const nodes = ends(s);
      if (!nodes) continue;
      const f = flags ? flags[i]! : all;
      const has = (bit: number) => (f & BigInt(bit)) !== 0n;
      if (has(QUERY_FLAG.channel_announcement)) refs.push(channelRef(s));
      // "if bit 1 ... is set and it has received a channel_update from node_id_1" (likewise bit 2)
      if (has(QUERY_FLAG.channel_update_node_1) && raw.hasUpdate(s, 0)) refs.push(updateRef(s, 0));
      if (has(QUERY_FLAG.channel_update_node_2) && raw.hasUpdate(s, 1)) refs.push(updateRef(s, 1));
      nodes.forEach((id, side) => {
        if (!has(side === 0 ? QUERY_FLAG.node_announcement_node_1 : QUERY_FLAG.node_announcement_node_2) || sentNodes.has(id)) return;
        if (!forwardNode(id)) return;
        sentNodes.add(id);
        refs.push(nodeRef(id));
      });
    }
    if (refs.length) yield* readAll(raw, refs);
  }
}

/** The channels we offer in reply_channel_range, sorted: not one whose funding output is spent (it is forgotten 12 blocks later). */
export function offeredChannels(g: Graph): BigUint64Array {
  let n = 0;
  for (let c = 0; c < g.channelSlots; c++) if (g.channelAt(c) && g.spentAt(c) === 0) n++;
  const scids = new BigUint64Array(n);
  let i = 0;
  for (let c = 0; c < g.channelSlots; c++) if (g.channelAt(c) && g.spentAt(c) === 0) scids[i++] = g.scidAt(c);
  return scids.sort();
}

/** A channel's two node ids (hex) for scidReplies, or undefined when we do not offer it (unknown, or spent: answered as unknown, like Core Lightning's dying channels). */
export function offeredEnds(g: Graph, short_channel_id: bigint): [string, string] | undefined {
  const c = g.findChannel(short_channel_id);
  return c < 0 || g.spentAt(c) !== 0 ? undefined : g.endsAt(c);
}

/**
 * BOLT 7 gossip_timestamp_filter: the stored gossip within the filter's range, to send the peer,
 * read from the store a chunk at a time as it is sent. A channel_announcement goes only with a
 * channel_update in range, before it; a channel whose funding output is spent is passed on
 * neither way, and a node_announcement that must not be forwarded is not sent either. The graph
 * may change while this runs: what is gone by the time its turn comes is left out.
 */
export async function* filteredGossip(g: Graph, raw: RawGossip, f: TimestampFilter): AsyncGenerator<Uint8Array> {
  if (f.timestamp_range === 0) return;
  let refs: GossipKeyRef[] = [];
  for (let c = 0; c < g.channelSlots; c++) {
    if (!g.channelAt(c) || g.spentAt(c) !== 0) continue;
    const s = g.scidAt(c);
    const dirs = ([0, 1] as const).filter(d => g.updateTimestampAt(c, d) >= 0 && inFilter(f, g.updateTimestampAt(c, d)));
    if (!dirs.length) continue;
    refs.push(channelRef(s), ...dirs.map(d => updateRef(s, d)));
    if (refs.length >= 3 * READ_CHUNK) {
      yield* readAll(raw, refs);
      refs = [];
    }
  }
  for (let n = 0; n < g.nodeSlots; n++) {
    const key = g.nodeHex(n);
    const ts = g.nodeTimestampAt(n);
    if (key === undefined || ts < 0 || !inFilter(f, ts) || !nodeForwardable(g, key)) continue;
    refs.push(nodeRef(key));
    if (refs.length >= 3 * READ_CHUNK) {
      yield* readAll(raw, refs);
      refs = [];
    }
  }
  if (refs.length) yield* readAll(raw, refs);
}
