// Serving a peer's queries (BOLT 7 "Query Messages"): admitting query_channel_range and
// query_short_channel_ids one after another, answering each through the peer's outbox as its
// transport takes it (answer.ts makes the messages), and gossip_timestamp_filter's backfill.
import { equal } from '../../base/bytes.ts';
import { BoltError, DecodeError } from '../../base/errors.ts';
import { decodeQueryFlagsAsync, decodeShortChannelIdsAsync, type InflateAsync } from '../../gossip/encoding.ts';
import type { Graph } from '../../gossip/graph.ts';
import { encodeMessage, type MessageOf } from '../../wire/messages.ts';
import {
  channelRangeReplies,
  filteredGossip,
  nodeForwardable,
  offeredChannels,
  offeredEnds,
  scidReplies,
  unknownChainReply,
} from './answer.ts';
import type { PeerState } from './peers.ts';
import type { RawGossip } from './raw.ts';
import type { Relay, TimestampFilter } from './relay.ts';
import type { GossipdConfig, Log, PeerLink } from './types.ts';

export type Query = MessageOf<'query_channel_range'> | MessageOf<'query_short_channel_ids'>;

export interface QueryOptions {
  chainHash: Uint8Array;
  config: GossipdConfig;
  peers: PeerLink;
  log: Log;
  inflate?: InflateAsync | undefined;
  relay: Relay;
}

export class QueryAnswers {
  constructor(
    private readonly graph: Graph,
    private readonly raw: RawGossip,
    /** gossipd's options, read when needed (gossipd makes this before its constructor runs). */
    private readonly options: () => QueryOptions,
    /** A peer broke a rule while being answered (gossipd.ts `bad`). */
    private readonly bad: (id: string, e: BoltError) => void,
  ) {}

  /**
   * A query_channel_range or query_short_channel_ids: answered after the ones before it, one at a
   * time. BOLT 7 has a peer wait for each answer ("MUST NOT send query_short_channel_ids if it has
   * sent a previous query_short_channel_ids ... and not received reply_short_channel_ids_end", the
   * same for query_channel_range) and lets the receiver "send a warning" and "close the connection"
   * when it does not: a few waiting queries are tolerated (one of each kind, and some slack), more
   * are dropped with a warning, and a peer that does it again is disconnected.
   */
  query(peer: PeerState, m: Query): void {
    const id = peer.id;
    const d = this.options();
    if (peer.queries > d.config.maxQueuedQueries) {
      peer.overruns++;
      const disconnect = peer.overruns > 1;
      if (disconnect) peer.banned = true;
      d.log.info(`gossipd: ${id}: ${m.name} with ${peer.queries} queries unanswered${disconnect ? ' again (disconnecting)' : ''}`);
      Promise.resolve()
        .then(() => d.peers.warn(id, `gossipd: ${m.name} while ${peer.queries} earlier queries are still being answered`, disconnect))
        .catch(() => {});
      return;
    }
    peer.queries++;
    peer.answering = peer.answering
      .then(() => this.answer(peer, m))
      .catch(e => (e instanceof BoltError ? this.bad(id, e) : d.log.warn(`gossipd: answering ${id}: ${e}`)))
      .finally(() => void peer.queries--);
  }

  /** One query's answer, made as the peer's transport takes it (outbox.ts): nothing of it waits in memory. */
  private async answer(peer: PeerState, m: Query): Promise<void> {
    const { graph, raw } = this;
    const { chainHash, inflate } = this.options();
    const out = peer.outbox;
    if (m.name === 'query_channel_range') {
      if (!equal(m.chain_hash, chainHash)) {
        await out.send(encodeMessage(unknownChainReply(m.chain_hash, m.first_blocknum, m.number_of_blocks)));
        return;
      }
      const options = m.tlvs?.query_option?.query_option_flags ?? 0n;
      const q = { first_blocknum: m.first_blocknum, number_of_blocks: m.number_of_blocks, options };
      for (const r of channelRangeReplies(chainHash, q, offeredChannels(graph), (s, d) => raw.update(s, d))) {
        if (!(await out.send(encodeMessage(r)))) return;
      }
      return;
    }
    if (!equal(m.chain_hash, chainHash)) {
      // "if does not maintain up-to-date channel information for chain_hash: MUST set full_information to 0."
      await out.send(encodeMessage({ name: 'reply_short_channel_ids_end', chain_hash: m.chain_hash, full_information: 0 }));
      return;
    }
    const scids = await decodeShortChannelIdsAsync(m.encoded_short_ids, inflate);
    let flags: bigint[] | undefined;
    if (m.tlvs?.query_flags) {
      flags = await decodeQueryFlagsAsync(m.tlvs.query_flags, inflate);
      // "if encoded_query_flags does not decode to exactly one flag per short_channel_id: MAY send a warning"
      if (flags.length !== scids.length)
        throw new DecodeError('bad_query_flags', `${flags.length} query flags for ${scids.length} short_channel_ids`);
    }
    // "SHOULD NOT wait for the next outgoing gossip flush to send these."
    for await (const r of scidReplies(
      scids,
      flags,
      raw,
      s => offeredEnds(graph, s),
      n => nodeForwardable(graph, n),
    )) {
      if (!(await out.send(r))) return;
    }
    await out.send(encodeMessage({ name: 'reply_short_channel_ids_end', chain_hash: chainHash, full_information: 1 }));
  }

  /**
   * BOLT 7 gossip_timestamp_filter: record it, and send the stored gossip within its range, read
   * back from the store as the peer's transport takes it (a newer filter stops this one's).
   */
  timestampFilter(peer: PeerState, m: MessageOf<'gossip_timestamp_filter'>): void {
    const { graph, raw } = this;
    const { chainHash, log, relay } = this.options();
    if (!equal(m.chain_hash, chainHash)) return;
    const f: TimestampFilter = { first_timestamp: m.first_timestamp, timestamp_range: m.timestamp_range };
    relay.setFilter(peer.id, f);
    peer.filterSeq++;
    if (peer.backfilling) return; // the running backfill turns to this filter at its next message
    peer.backfilling = true;
    void (async () => {
      for (let seq = -1; seq !== peer.filterSeq;) {
        seq = peer.filterSeq;
        const filter = relay.filterOf(peer.id);
        if (!filter) return; // gone
        for await (const r of filteredGossip(graph, raw, filter)) {
          if (peer.filterSeq !== seq) break;
          if (!(await peer.outbox.send(r))) return;
        }
      }
    })()
      .catch(e => log.warn(`gossipd: backfill for ${peer.id}: ${(e as Error)?.message ?? e}`))
      .finally(() => void (peer.backfilling = false));
  }
}
