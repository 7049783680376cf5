// connectd's whole interface, read top to bottom (the TypeScript form of Core Lightning's
// connectd_wire.csv): what it answers lightningd, the links it needs (each with what it may do),
// what the runtime gives it, and its init and config. Node ids and feature vectors are lowercase hex
// in everything connectd reports, as Core Lightning's JSON does; message bodies are bytes.
import type { TransportAead } from '../../crypto/aead.ts';
import type { FeatureVector } from '../../features/index.ts';
import type { ByteStream, Dialer, DialTarget, NetAddress } from '../../net/transport.ts';
import type { Clock, Log } from '../../node/daemon.ts';
import type { HsmLink } from '../hsmd/interface.ts';

export type { ByteStream, Clock, Dialer, Log, NetAddress };

// ---- What connectd answers lightningd (over the port of the Worker it runs in) ----

/** What lightningd's RPC asks of connectd (all may be async: a Comlink proxy). */
export interface ConnectdApi {
  connectToPeer(id: string, targets: readonly DialTarget[]): Promise<ConnectResult> | ConnectResult;
  listPeers(): Promise<PeerInfo[]> | PeerInfo[];
  ping(id: string, len: number, pongbytes: number): Promise<PingResult> | PingResult;
  disconnect(id: string, force: boolean): Promise<void> | void;
}

/** Everything connectd answers lightningd: the RPC's needs, and the node's own management. */
export interface ConnectdDaemonApi extends ConnectdApi {
  /** A peer to keep connected: dialled now, and again with backoff whenever it drops. */
  addImportantPeer(id: string, targets: readonly DialTarget[]): void | Promise<void>;
  /** Listens (`--bind-addr`): TCP, or WebSocket (`ws`); returns the port bound. Refused where the runtime cannot listen. */
  listen(kind: 'tcp' | 'ws', host: string, port: number): Promise<number>;
  sendToPeer(id: string, msg: Uint8Array): Promise<void>;
  /**
   * The channel lightningd attached as `key` (CHANNEL_LINK) is also named `channelId` from now on
   * (BOLT 2: its channel_id once funding_created is out, after the temporary_channel_id).
   */
  addChannelId(key: string, channelId: Uint8Array): void | Promise<void>;
  /**
   * A channel lightningd holds with peer `id` (funded, in its database), whether a daemon runs for
   * it or not: its messages without an owner go to lightningd only, never answered as unknown.
   */
  holdChannel(id: string, channelId: Uint8Array, held: boolean): void | Promise<void>;
  stop(): void | Promise<void>;
}

/**
 * The link lightningd attaches to connectd for one channel's daemon (node/host.ts AttachRequest,
 * design.md "Links"): connectd calls the daemon's ChannelOwner on its `uses` end, and answers the
 * daemon's PeerSend (this peer only) on its `serves` end.
 */
export const CHANNEL_LINK = 'channel';

export interface ChannelLinkArgs {
  /** The peer's node id, hex. */
  peerId: string;
  /** The id its messages carry now: the temporary_channel_id during an open. */
  channelId: Uint8Array;
  /**
   * The connection the daemon speaks on (PeerConnectedEvent's `counter`; else the peer's connection
   * at attach): the link is refused once the peer is on another, and its sends never reach a later
   * one. BOLT 2's channel_reestablish is per connection: a daemon started for a connection that
   * ended must not take part in the next one's exchange (the next one has a daemon of its own).
   */
  counter?: number;
}

/** What connectd answers a channel daemon on that link: sends to its peer (type included). */
export interface ChannelPeerSend {
  send(msg: Uint8Array): Promise<void>;
}

// ---- What connectd answers gossipd, on their own link (gossipd's PeerLink) ----
// send(id, msg) and warn(id, text, disconnect, redialAfterMs): see gossipd/interface.ts PeerLink.

// ---- The links connectd needs ----

/** connectd's links, by the name the node table (src/core/node/daemons.ts) gives them. */
export interface ConnectdUses {
  /** hsmd, through a link allowed ECDH and nothing else (Core Lightning's HSM_PERM_ECDH). */
  ecdh: HsmLink<'ecdh'>;
  /** gossipd: every gossip message peers send, and peers coming and going. */
  gossip: GossipLink;
  /** lightningd: peers connected and gone, and messages no daemon owns. */
  events: ConnectdEvents;
}

// ---- What the runtime gives connectd in its realm ----

/** A listener the runtime opened for connectd. */
export interface Listening {
  port: number;
  close(): void | Promise<void>;
}

export interface ConnectdEnv {
  /** How it reaches peers: browser WebSockets, Node TCP and `ws`, `cloudflare:sockets`, Deno TCP. */
  dialer: Dialer;
  /** Where the runtime can listen (Node, Deno): each accepted stream goes to `accept`. */
  listen?(kind: 'tcp' | 'ws', host: string, port: number, accept: (s: ByteStream) => void): Promise<Listening>;
  /** BOLT 8's ChaCha20-Poly1305 engine (src/core/crypto/aead.ts): the runtime's fastest; @noble/ciphers when not given. */
  aead?: TransportAead;
}

// ---- Its init ----

/** What lightningd gives connectd when it starts it (plain data). */
export interface ConnectdInit {
  network: string;
  /** Our node id, hex. */
  nodeId: string;
  /** Our `init` features, hex. */
  features: string;
  config?: Partial<ConnectdConfig>;
}

/** connectd's spec for the node table. */
export interface ConnectdSpec {
  init: ConnectdInit;
  api: ConnectdDaemonApi;
  uses: ConnectdUses;
  env: ConnectdEnv;
}

// ---- The plain objects it reports, its config, and the Connectd class's options ----

export type Direction = 'in' | 'out';

/** What lightningd hears when a peer has finished `init` (Core Lightning's `connect` notification). */
export interface PeerConnectedEvent {
  id: string;
  /** Unique per connection, increasing: a replacement connection from the same id gets a new one. */
  counter: number;
  /** The OR of the peer's `globalfeatures` and `features` (BOLT 1), minimal big-endian hex. */
  features: string;
  direction: Direction;
  /** Where we reached the peer, or where it came from (when the transport knows). */
  address?: NetAddress;
  /** The peer's `remote_addr` init TLV: how the peer sees us (BOLT 1). */
  remote_addr?: NetAddress;
}

export interface PeerDisconnectedEvent {
  id: string;
  counter: number;
  reason: string;
}

/** connectd → lightningd. Calls are fire-and-forget (a Comlink proxy returns promises: awaited by no one). */
export interface ConnectdEvents {
  peerConnected(e: PeerConnectedEvent): void | Promise<void>;
  peerDisconnected(e: PeerDisconnectedEvent): void | Promise<void>;
  /** A non-gossip message that no channel daemon owns (e.g. `open_channel`). Until channel daemons exist, connectd also answers those about channels with BOLT 1's `error` (unknown-channel.ts). */
  peerSpoke(id: string, msg: Uint8Array): void | Promise<void>;
}

/** connectd → gossipd, on their own link: gossip never passes through lightningd. */
export interface GossipLink {
  newPeer(id: string, features: string): void | Promise<void>;
  /**
   * Gossip messages (BOLT 7 types 256–258, 261–265) exactly as the peer sent them, type included,
   * in order, packed into one buffer (batch.ts) that the link may transfer. A promise returned
   * means "behind": connectd stops reading this peer's socket while GOSSIP_BATCHES_IN_FLIGHT such
   * promises are unsettled, so gossip the peer sends meanwhile waits in the transport (TCP or
   * WebSocket backpressure) instead of being dropped for lack of room.
   */
  gossipBatch(id: string, batch: Uint8Array): void | Promise<unknown>;
  peerGone(id: string): void | Promise<void>;
}

/** The daemon that owns one channel with a peer (its CHANNEL_LINK, across a port). */
export interface ChannelOwner {
  /** A message for this channel, type included. */
  deliver(msg: Uint8Array): void | Promise<void>;
  /** The connection this owner was attached to has ended. */
  peerGone?(reason: string): void | Promise<void>;
}

export interface ConnectdConfig {
  /** A connection must finish the BOLT 8 handshake (all three acts) within this. */
  handshakeTimeoutMs: number;
  /**
   * An incoming connection's Act One (BOLT 8: 50 bytes, the first thing the initiator sends) must
   * arrive within this, or the connection is closed and its place freed. Within handshakeTimeoutMs.
   */
  actOneTimeoutMs: number;
  /** Then the peer's `init` must arrive within this (BOLT 1: `init` is the first message). */
  initTimeoutMs: number;
  /**
   * Incoming connections still in the handshake or waiting for `init`, at most; one more is closed
   * at once, before we spend an ECDH on it. Our own dials do not count.
   */
  maxPendingInbound: number;
  /**
   * Of those, at most this many from one remote address (an IPv6 address counts by its /64), so
   * that one address cannot take every place and lock other peers out.
   */
  maxPendingInboundPerAddress: number;
  /** A dial (opening the byte stream) must succeed within this. */
  dialTimeoutMs: number;
  /** Keepalive: a ping on each connection this often. */
  pingIntervalMs: number;
  /**
   * Pings a peer may send at once before we warn and disconnect (flood.ts; 0: no limit), one more
   * every `pingRefillMs` and one more for every 16 other messages it sends.
   */
  pingBurst: number;
  pingRefillMs: number;
  /** A ping whose pong has not come within this closes the connection. */
  pongTimeoutMs: number;
  /** Important peers: first reconnect delay, doubling up to `reconnectMaxMs` (Core Lightning: 1 s to 300 s). */
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  /** A connection that lasted this long resets the reconnect delay to `reconnectInitialMs`. */
  reconnectStableMs: number;
  /** How long a farewell `warning`/`error` may take to be written before the stream is closed anyway. */
  closeGraceMs: number;
}

export const DEFAULT_CONFIG: Readonly<ConnectdConfig> = Object.freeze({
  handshakeTimeoutMs: 30_000,
  actOneTimeoutMs: 5_000,
  initTimeoutMs: 30_000,
  maxPendingInbound: 32,
  maxPendingInboundPerAddress: 4,
  dialTimeoutMs: 30_000,
  pingIntervalMs: 60_000,
  pingBurst: 30,
  pingRefillMs: 5_000,
  pongTimeoutMs: 30_000,
  reconnectInitialMs: 1_000,
  reconnectMaxMs: 300_000,
  reconnectStableMs: 60_000,
  closeGraceMs: 1_000,
});

export interface ConnectdOptions {
  /** BOLT 0 `chain_hash` of the one chain we serve (src/core/chain/chains.ts `chainHash(network)`). */
  chainHash: Uint8Array;
  /** Our `init` features (src/core/features/index.ts `ourFeatures('I')`). */
  ourFeatures: FeatureVector | Uint8Array;
  /** Our node id, 33 bytes. */
  nodeId: Uint8Array;
  /** hsmd's ECDH, through a link allowed nothing else. */
  ecdhLink: { ecdh(pub: Uint8Array): Uint8Array | Promise<Uint8Array> };
  dialer: Dialer;
  /** A CSPRNG (BOLT 8: a fresh ephemeral key per connection). */
  randomBytes(n: number): Uint8Array;
  clock: Clock;
  log: Log;
  events: ConnectdEvents;
  gossipLink: GossipLink;
  config?: Partial<ConnectdConfig>;
  /** BOLT 8's ChaCha20-Poly1305 engine (src/core/crypto/aead.ts): the runtime's fastest; @noble/ciphers when not given. */
  aead?: TransportAead;
}

/** `connect`'s answer, as Core Lightning gives it. */
export interface ConnectResult {
  id: string;
  features: string;
  direction: Direction;
  address?: NetAddress;
}

/** One row of `listPeers()`. */
export interface PeerInfo {
  id: string;
  connected: boolean;
  /** `host:port` of the live connection ([v6] in brackets), Core Lightning's `netaddr`. */
  netaddr: string[];
  features?: string;
  direction?: Direction;
  counter?: number;
  remote_addr?: NetAddress;
}

/** Result of the `ping` RPC: the pong's total length (type and length fields included), or 0 when none is expected. */
export interface PingResult {
  totlen: number;
}
