// gossipd's whole interface, read top to bottom (the TypeScript form of Core Lightning's
// gossipd_wire.csv and connectd_gossipd_wire.csv): what it answers lightningd and connectd, the links
// it needs (each with what it may do), what the runtime gives it, and its init and config.
import type { InflateAsync } from '../../gossip/encoding.ts';
import type { GossipStore } from '../../gossip/store.ts';
import type { SigVerifier } from '../../gossip/verify-pool.ts';
import type { NetAddress } from '../../net/transport.ts';
import type { Clock, Log } from '../../node/daemon.ts';
import type { GossipLink } from '../connectd/interface.ts';
import type { HsmLink } from '../hsmd/interface.ts';
import type { RoutesAnswer, RoutesQuery } from './routes.ts';

export type { Clock, GossipLink, Log, RoutesAnswer, RoutesQuery };

// ---- What gossipd answers lightningd (over the port of the Worker it runs in) ----

/** What lightningd's RPC asks of gossipd: its RPC methods, and what it knows of a node's addresses. */
export interface GossipdApi {
  nodeAddresses(id: string): Promise<NetAddress[]> | NetAddress[];
  rpc(method: 'listnodes' | 'listchannels' | 'getroute', params: Record<string, unknown>): Promise<unknown>;
  info?(): Promise<Record<string, unknown>> | Record<string, unknown>;
}

/** Everything gossipd answers lightningd. */
export interface GossipdDaemonApi extends GossipdApi {
  info(): Record<string, unknown>;
  /** A payment's candidate routes and their channels (routes.ts): lightningd never copies the whole graph to pay. */
  routes(q: RoutesQuery): RoutesAnswer;
  /** Verifies and applies everything received so far and writes it to the store. */
  flush(): Promise<void>;
  /** What the store held at start (it is trusted on load: no signature is checked again). */
  loaded(): { channels: number; nodes: number; records: number };
  /**
   * TEST ONLY: hands `msgs` to gossipd exactly as connectd would (`newPeer` once, then `gossip`
   * per message) for a peer that has no connection. Lets a test feed gossip without a peer that
   * has it; production code never calls it.
   */
  ingestForTest(peerId: string, msgs: Uint8Array[]): void;
  /**
   * lightningd → gossipd (Core Lightning's gossipd_local_channel_announcement and friends): our
   * own gossip (a public channel's channel_announcement, our channel_update, our node_announcement),
   * validated as a peer's would be (signatures, the funding output on chain), then stored and relayed
   * to every peer. Resolves once all of it is applied (or refused: then `listchannels` lacks it).
   */
  addLocalGossip(msgs: Uint8Array[]): Promise<void>;
  /** Closes gossipd (after a flush), its verifier and its store. */
  stop(): Promise<void>;
  /** lightningd → gossipd (Core Lightning's gossipd_outpoints_spent): these channels' funding outputs were spent in the block at `blockheight`. */
  outpointsSpent(short_channel_ids: bigint[], blockheight: number): Promise<unknown>;
  /** lightningd → gossipd: the block at `blockheight` was disconnected; these channels' funding outputs are unspent again. */
  outpointsUnspent(short_channel_ids: bigint[], blockheight: number): Promise<void>;
}

// ---- What gossipd answers connectd, on their own link: connectd's GossipLink (connectd/interface.ts) ----

// ---- The links gossipd needs ----

/** gossipd's links, by the name the node table (src/core/node/daemons.ts) gives them. */
export interface GossipdUses {
  /** connectd: gossipd's way back to peers, sends and warnings only. */
  peers: PeerLink;
  /** hsmd, allowed to sign our own gossip and nothing else (Core Lightning's HSM_PERM_SIGN_GOSSIP). */
  hsm: HsmLink<'signNodeAnnouncement' | 'signChannelUpdate'>;
  /** lightningd: sync progress. */
  events: GossipdEvents;
  /** lightningd's chain (Core Lightning's gossipd_get_txout), used only when the init says lightningd has a chain backend. */
  chain: ChainLink;
}

/** gossipd → lightningd. */
export interface GossipdEvents {
  progress(p: SyncProgress): void | Promise<void>;
}

// ---- What the runtime gives gossipd in its realm ----

export interface GossipdEnv {
  /** Its store (IndexedDB, a file, Durable Object storage or memory), opened in gossipd's realm. */
  openStore(): Promise<GossipStore>;
  /** Its signature checker (a pool of Workers or threads, or inline); closed with gossipd. */
  verifier(): Promise<SigVerifier> | SigVerifier;
  /** zlib for encoding 1 arrays from old peers. */
  inflate?: InflateAsync;
  /** What this runtime adds to `info()` (e.g. which verify engine runs). */
  info?(): Record<string, unknown>;
}

// ---- Its init ----

/** What lightningd gives gossipd when it starts it (plain data). */
export interface GossipdInit {
  network: string;
  /** Our node id, hex (getroute's default `fromid`). */
  nodeId: string;
  config?: Partial<GossipdConfig>;
  /** lightningd's chain backend, described (getinfo): check funding outputs through the `chain` link. Absent: trust announcements. */
  chain?: string;
}

/** gossipd's spec for the node table. */
export interface GossipdSpec {
  init: GossipdInit;
  api: GossipdDaemonApi;
  uses: GossipdUses;
  env: GossipdEnv;
}

// ---- The plain objects it reports, its config, and the Gossipd class's options ----

/** How gossipd talks back to peers: connectd's `sendToPeer` and `sendWarning`. */
export interface PeerLink {
  send(id: string, msg: Uint8Array): void | Promise<void>;
  /**
   * BOLT 1 `warning` to the peer, then (when `disconnect`) close the connection; `redialAfterMs`
   * (with `disconnect`): connectd does not dial it again before that long (a misbehaving peer).
   */
  warn(id: string, text: string, disconnect: boolean, redialAfterMs?: number): void | Promise<void>;
}

/** Core Lightning's gossipd_get_txout answer: the output a short_channel_id names. */
export interface Txout {
  amount_sat: number;
  script: Uint8Array;
  /** The funding transaction's txid (64 hex digits, display order), kept in the store with the announcement. */
  txid: string;
}

/**
 * gossipd's link to lightningd for the chain (design.md: gossipd never talks to the chain itself).
 * BOLT 7 "The channel_announcement Message", receiving node: "if the short_channel_id's output does
 * NOT correspond to a P2WSH (using bitcoin_key_1 and bitcoin_key_2, as specified in BOLT #3) OR the
 * output is spent: MUST ignore the message." lightningd watches each output it found for its spend
 * and tells gossipd (outpointsSpent), for BOLT 7 "Pruning the Network View".
 */
export interface ChainLink {
  /** Core Lightning's gossipd_get_txout: the unspent output, or undefined if there is none or it is spent. */
  getTxout(short_channel_id: bigint): Promise<Txout | undefined>;
  /** The funding outputs gossipd kept from an earlier run (its store): lightningd watches them again. */
  watchTxouts(outs: { short_channel_id: bigint; txid: string }[]): void | Promise<void>;
  /** For info(): which chain backend lightningd asks. */
  description?: string;
}

export interface GossipdConfig {
  /** Signature checks: a batch goes to the verifier at this many messages... */
  verifyBatchMax: number;
  /** ...or this long after its first message, whichever comes first. */
  verifyBatchDelayMs: number;
  /** Store writes: a batch at this many records, or this long after the first. */
  storeBatchMax: number;
  storeFlushMs: number;
  /** How long a channel_update for an unknown channel (or a node_announcement for a node with no channel yet) is held. */
  holdMs: number;
  /** At most this many such messages are held, and this many bytes of them (the oldest go first). */
  holdMax: number;
  /**
   * Backpressure to connectd: while more than this many messages wait for their signature check or
   * to be applied, a batch from a peer is answered only once there is room again, and connectd
   * stops reading that peer meanwhile (GossipLink.gossipBatch). Nothing is dropped for lack of room.
   */
  ingestMax: number;
  holdBytes: number;
  /** One peer's held messages: at most this many bytes (what it sends beyond is dropped), updates whose announcement is being checked aside. */
  holdPeerBytes: number;
  /** Held for one channel direction (or one node): the two newest from each of at most this many peers. */
  holdPerKey: number;
  /** Larger messages for an unknown channel or node are not held (a channel_update is 138 bytes; 1 KiB of TLVs beyond). */
  holdUpdateMaxBytes: number;
  holdNodeMaxBytes: number;
  /**
   * Bad peers (score.ts): over the last `badWindowMs`, a peer is disconnected when more than
   * `badRatio` of its gossip was invalid (from `badMinMessages` invalid messages on), or when it
   * made us check more than `badSigsPerSecond` bad signatures a second on average. It is warned
   * at most once per `warnIntervalMs`, and not dialled again for `banMs`.
   */
  badWindowMs: number;
  badRatio: number;
  badMinMessages: number;
  badSigsPerSecond: number;
  warnIntervalMs: number;
  banMs: number;
  /** BOLT 7 "Rebroadcasting": "SHOULD flush outgoing gossip messages once every 60 seconds". */
  relayIntervalMs: number;
  /** At most this many messages to one peer per flush (the rest wait for the next). */
  relayPerTick: number;
  /**
   * Bytes of answers (replies to queries, the stored gossip a gossip_timestamp_filter asks for)
   * handed to one peer's connection and not yet taken by its transport, at most (outbox.ts).
   */
  answerWindowBytes: number;
  /** Queries from one peer waiting behind the one being answered, at most: one more is refused with a warning, and the next time the peer is disconnected. */
  maxQueuedQueries: number;
  /** How many peers we sync from at once (query_channel_range + query_short_channel_ids). */
  syncPeers: number;
  /** short_channel_ids per query_short_channel_ids (8,000 is the most that fits in 65,535 bytes). */
  scidsPerQuery: number;
  /** A query_channel_range whose replies stop coming for this long is given up. */
  rangeTimeoutMs: number;
  /** A query_short_channel_ids with no reply_short_channel_ids_end (and no gossip) for this long is given up. */
  scidTimeoutMs: number;
  /** After a query round that fetched something, the next round with that peer (sync.ts) this long later. */
  resyncMs: number;
  /**
   * Maintenance (maintain.ts): this often, stale channels are pruned (BOLT 7 "Recommendation on
   * Pruning Stale Entries") and the store compacted when it is mostly dead records. 0: never.
   */
  maintenanceIntervalMs: number;
  /** The first maintenance run, this long after start. */
  maintenanceFirstMs: number;
}

export const DEFAULT_GOSSIPD_CONFIG: Readonly<GossipdConfig> = Object.freeze({
  verifyBatchMax: 500,
  verifyBatchDelayMs: 5,
  storeBatchMax: 1000,
  storeFlushMs: 100,
  holdMs: 60_000,
  holdMax: 10_000,
  ingestMax: 4_000,
  holdBytes: 4 << 20,
  holdPeerBytes: 1 << 20,
  holdPerKey: 4,
  holdUpdateMaxBytes: 138 + 1024,
  holdNodeMaxBytes: 4096,
  badWindowMs: 60_000,
  badRatio: 0.5,
  badMinMessages: 10,
  badSigsPerSecond: 100,
  warnIntervalMs: 10_000,
  banMs: 600_000,
  relayIntervalMs: 60_000,
  relayPerTick: 5_000,
  answerWindowBytes: 256 * 1024,
  maxQueuedQueries: 3,
  syncPeers: 3,
  scidsPerQuery: 1_000,
  rangeTimeoutMs: 60_000,
  scidTimeoutMs: 30_000,
  resyncMs: 60_000,
  maintenanceIntervalMs: 3_600_000,
  maintenanceFirstMs: 60_000,
});

/** Sync progress, for `info()` and the UI's progress bar. */
export interface SyncProgress {
  /** 'idle': no peer to sync from yet; 'syncing': a peer is answering our queries; 'synced': done with at least one. */
  state: 'idle' | 'syncing' | 'synced';
  peers_syncing: number;
  /** Channels in the graph. */
  channels_known: number;
  /** Channels the peers listed in their reply_channel_range, plus those we already had. */
  channels_expected: number;
  nodes_known: number;
}

export interface GossipdOptions {
  /** BOLT 0 chain_hash of our chain (chains.ts). */
  chainHash: Uint8Array;
  /** Our node id (hex): getroute's default `fromid`. */
  nodeId?: string;
  store: GossipStore;
  verifier: SigVerifier;
  peers: PeerLink;
  clock: Clock;
  log: Log;
  /** lightningd, for the chain. Absent: channel_announcements are trusted without a chain check ("trust announcements"). */
  chain?: ChainLink;
  /** zlib for encoding 1 arrays from old peers (encoding.ts `InflateAsync`). */
  inflate?: InflateAsync;
  /** UNIX seconds; default `clock.now() / 1000`. */
  now?: () => number;
  onProgress?: (p: SyncProgress) => void;
  config?: Partial<GossipdConfig>;
}

/** Counters for `info()` and tests. */
export interface GossipdStats {
  received: number;
  accepted: number;
  /** Dropped before any signature check: already known, older, in flight. */
  duplicates: number;
  ignored: number;
  rejected: number;
  /** verifyBatch calls and the signature checks they carried. */
  verify_batches: number;
  signatures_checked: number;
  /** Held for a channel or node not known yet: messages, bytes, and those refused (caps, size, repeats) or dropped (evicted, expired after holdMs). */
  held: number;
  held_bytes: number;
  held_dropped: number;
  relayed: number;
  stored: number;
  load_errors: number;
  /** Maintenance: channels forgotten as stale, channels seen spent, spent channels forgotten, compactions, failed runs. */
  pruned_stale: number;
  marked_spent: number;
  pruned_spent: number;
  compactions: number;
  maintenance_errors: number;
  /** short_channel_ids announced with two key sets, refused (trust mode; validate.ts `conflicted`). */
  conflicts: number;
  /** channel_update signatures that failed against an announcement no chain source checked: nobody blamed. */
  unattributed: number;
  /** Warnings not sent (rate-limited), and peers disconnected for bad gossip. */
  warnings_suppressed: number;
  peers_disconnected: number;
}
