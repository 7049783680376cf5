// Answering a peer's queries from our graph (BOLT 7 "Query Messages"): which messages, in what
// order, split how. Pure: gossipd sends what these return.
import { channelUpdateChecksum } from '../../gossip/checksum.ts';
import { encodeShortChannelIds, encodeTimestamps, QUERY_FLAG, QUERY_OPTION } from '../../gossip/encoding.ts';
import type { MessageOf } from '../../wire/messages.ts';
import type { Graph } from '../../gossip/graph.ts';
import type { RawGossip } from './raw.ts';
import { inFilter, type TimestampFilter } from './relay.ts';

const U32_MAX = 0xffffffff;
/** reply_channel_range without its arrays: type 2, chain_hash 32, first_blocknum 4, number_of_blocks 4, sync_complete 1, length 2, encoding 1; TLV headers 9. */
const REPLY_OVERHEAD = 64;
const MAX_MESSAGE = 65535;

export interface RangeQuery {
  first_blocknum: number;
  number_of_blocks: number;
  /** query_option_flags: bit 0 timestamps, bit 1 checksums (BOLT 7). */
  options: bigint;
}

const blockOf = (scid: bigint) => Number(scid >> 40n);

/**
 * The reply_channel_range messages for a query (BOLT 7 requirements on the receiver of
 * query_channel_range): the first reply starts at the query's first_blocknum; each next one starts
 * at or after the previous (at the same block when a block's channels are split across two, which
 * "MAY split block contents"); the last ends at or after the query's end; each fits in 65,535 bytes;
 * sync_complete is 0 on every reply but the last ("MUST set sync_complete to false if this is not
 * the final reply_channel_range"). `scids` must be sorted ascending. Timestamps and checksums TLVs
 * are added when the query asks for them (both are cheap from the raw updates we hold).
 */
export function channelRangeReplies(chainHash: Uint8Array, q: RangeQuery, scids: readonly bigint[], raw: RawGossip): MessageOf<'reply_channel_range'>[] {
  const first = q.first_blocknum;
  const end = first + q.number_of_blocks; // may exceed 2^32 - 1: plain numbers, no u32 wrap
  const wanted = scids.filter((s) => blockOf(s) >= first && blockOf(s) < end);
  const withTs = (q.options & BigInt(QUERY_OPTION.timestamps)) !== 0n;
  const withCs = (q.options & BigInt(QUERY_OPTION.checksums)) !== 0n;
  const per = Math.floor((MAX_MESSAGE - REPLY_OVERHEAD) / (8 + (withTs ? 8 : 0) + (withCs ? 8 : 0)));
  const chunks: bigint[][] = [];
  for (let i = 0; i < wanted.length; i += per) chunks.push(wanted.slice(i, i + per));
  if (!chunks.length) chunks.push([]);
  const out: MessageOf<'reply_channel_range'>[] = [];
  let start = first;
  chunks.forEach((chunk, i) => {
    const last = i === chunks.length - 1;
    const lastBlock = chunk.length ? blockOf(chunk[chunk.length - 1]!) : start;
    const replyEnd = last ? end : lastBlock + 1;
    const m: MessageOf<'reply_channel_range'> = {
      name: 'reply_channel_range',
      chain_hash: chainHash,
      first_blocknum: start,
      number_of_blocks: Math.min(U32_MAX, replyEnd - start),
      sync_complete: last ? 1 : 0,
      encoded_short_ids: encodeShortChannelIds(chunk),
    };
    if (withTs || withCs) {
      m.tlvs = {};
      if (withTs) {
        m.tlvs.timestamps_tlv = encodeTimestamps(
          chunk.map((s) => ({ timestamp_node_id_1: updateTimestamp(raw.update(s, 0)), timestamp_node_id_2: updateTimestamp(raw.update(s, 1)) })),
        );
      }
      if (withCs) {
        m.tlvs.checksums_tlv = {
          checksums: chunk.map((s) => ({ checksum_node_id_1: checksum(raw.update(s, 0)), checksum_node_id_2: checksum(raw.update(s, 1)) })),
        };
      }
    }
    out.push(m);
    if (!last) {
      const next = blockOf(chunks[i + 1]![0]!);
      // Split block: the next reply starts at that same block; otherwise right after this one.
      start = next === lastBlock ? lastBlock : replyEnd;
    }
  });
  return out;
}

/** The empty, final reply for a chain we don't keep ("does not maintain up-to-date channel information"). */
export function unknownChainReply(chainHash: Uint8Array, first_blocknum: number, number_of_blocks: number): MessageOf<'reply_channel_range'> {
  return { name: 'reply_channel_range', chain_hash: chainHash, first_blocknum, number_of_blocks, sync_complete: 0, encoded_short_ids: encodeShortChannelIds([]) };
}

/** channel_update timestamp from its raw bytes (0 when there is none, as timestamps_tlv says). */
export function updateTimestamp(raw: Uint8Array | undefined): number {
  if (!raw || raw.length < 2 + 64 + 32 + 8 + 4) return 0;
  const at = 2 + 64 + 32 + 8;
  return ((raw[at]! << 24) | (raw[at + 1]! << 16) | (raw[at + 2]! << 8) | raw[at + 3]!) >>> 0;
}

function checksum(raw: Uint8Array | undefined): number {
  return raw ? channelUpdateChecksum(raw) : 0;
}

/**
 * The gossip answering one query_short_channel_ids (BOLT 7): for each known short_channel_id, its
 * channel_announcement and latest channel_update for each end, followed by the node_announcements
 * of both ends, or what `flags[i]` asks for; node_announcements once per query ("SHOULD avoid
 * sending duplicate node_announcements"). Unknown ids are skipped.
 */
export function scidReplies(
  scids: readonly bigint[],
  flags: readonly bigint[] | undefined,
  raw: RawGossip,
  ends: (short_channel_id: bigint) => [string, string] | undefined,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  const sentNodes = new Set<string>();
  const all = BigInt(QUERY_FLAG.channel_announcement | QUERY_FLAG.channel_update_node_1 | QUERY_FLAG.channel_update_node_2 | QUERY_FLAG.node_announcement_node_1 | QUERY_FLAG.node_announcement_node_2);
  scids.forEach((s, i) => {
    const ann = raw.channels.get(s);
    const nodes = ends(s);
    if (!ann || !nodes) return;
    const f = flags ? flags[i]! : all;
    const has = (bit: number) => (f & BigInt(bit)) !== 0n;
    if (has(QUERY_FLAG.channel_announcement)) out.push(ann);
    const u0 = raw.update(s, 0);
    const u1 = raw.update(s, 1);
    if (u0 && has(QUERY_FLAG.channel_update_node_1)) out.push(u0);
    if (u1 && has(QUERY_FLAG.channel_update_node_2)) out.push(u1);
    nodes.forEach((id, side) => {
      if (!has(side === 0 ? QUERY_FLAG.node_announcement_node_1 : QUERY_FLAG.node_announcement_node_2) || sentNodes.has(id)) return;
      const na = raw.nodes.get(id);
      if (!na) return;
      sentNodes.add(id);
      out.push(na);
    });
  });
  return out;
}

/** The channels we offer in reply_channel_range, in order: not one whose funding output is spent (it is forgotten 12 blocks later). */
export function offeredChannels(g: Graph): bigint[] {
  const scids: bigint[] = [];
  for (const [s, c] of g.channelIndex) if (g.spentHeight[c] === 0) scids.push(s);
  return scids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A channel's two node ids (hex) for scidReplies, or undefined when we do not offer it (unknown, or spent: answered as unknown, like Core Lightning's dying channels). */
export function offeredEnds(g: Graph, short_channel_id: bigint): [string, string] | undefined {
  const c = g.findChannel(short_channel_id);
  return c < 0 || g.spentHeight[c] !== 0 ? undefined : [g.nodeKey[g.node1[c]!]!, g.nodeKey[g.node2[c]!]!];
}

/**
 * BOLT 7 gossip_timestamp_filter: the stored gossip within the filter's range, to send the peer.
 * A channel_announcement goes only with a channel_update in range, before it; a channel whose
 * funding output is spent is passed on neither way.
 */
export function filteredGossip(g: Graph, raw: RawGossip, f: TimestampFilter): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (f.timestamp_range === 0) return out;
  for (let c = 0; c < g.channelSlots; c++) {
    if (g.node1[c]! < 0 || g.spentHeight[c] !== 0) continue;
    const s = g.scid[c]!;
    const u = [raw.update(s, 0), raw.update(s, 1)].filter((x): x is Uint8Array => !!x && inFilter(f, updateTimestamp(x)));
    if (!u.length) continue;
    const ann = raw.channels.get(s);
    if (ann) out.push(ann);
    out.push(...u);
  }
  for (let n = 0; n < g.nodeSlots; n++) {
    const key = g.nodeKey[n];
    if (key === undefined || g.nodeTimestamp[n]! < 0 || !inFilter(f, g.nodeTimestamp[n]!)) continue;
    const na = raw.nodes.get(key);
    if (na) out.push(na);
  }
  return out;
}
