// connectd owns every peer connection: dialing (each address in turn), accepting, the BOLT 8
// handshake (with ECDH through hsmd's link: connectd never sees the node secret), the BOLT 1 `init`
// exchange and feature checks, ping/pong, and routing each plaintext message to its owner — gossip
// to gossipd on their own link, a channel's messages to the daemon that owns the channel, anything
// else to lightningd. As in Core Lightning since 2022, connectd keeps each connection for its whole
// life and passes messages on; peers are keyed by node id, one connection each. Dialing (each
// target in turn, timeouts) is dial.ts's; reconnecting to important peers is reconnect.ts's;
// where each message goes is routing.ts's.
import { clientKey, ConnectionLimits } from '../../bridge/policy.ts';
import { fromHex, toHex } from '../../base/bytes.ts';
import { isValidPublicKey } from '../../crypto/primitives.ts';
import { FeatureVector } from '../../features/index.ts';
import type { ByteStream, DialTarget } from '../../net/transport.ts';
import { packGossipBatch } from './batch.ts';
import { Connection, type ConnectionDeps, type ConnectionHooks } from './connection.ts';
import { handleControl, type ControlContext } from './control.ts';
import { Dialing } from './dial.ts';
import { ConnectError, errorText } from './errors.ts';
import { PingAllowance } from './flood.ts';
import { formatNetAddress, targetAddress } from './netaddr.ts';
import { MAX_PING_PADDING, Pinger } from './ping.ts';
import { Reconnector } from './reconnect.ts';
import { messageTypeOf, routeMessage } from './routing.ts';
import {
  DEFAULT_CONFIG,
  type ChannelOwner,
  type ConnectdConfig,
  type ConnectdOptions,
  type ConnectResult,
  type PeerInfo,
  type PingResult,
} from './types.ts';
import { UNKNOWN_REPLY_BURST, UNKNOWN_REPLY_REFILL_MS, unknownChannelReply } from './unknown-channel.ts';

/** A connection that finished `init`: the peer as connectd knows it. */
interface Peer {
  id: string;
  conn: Connection;
  counter: number;
  connectedAt: number;
  features: string;
  pinger: Pinger;
  allowance: PingAllowance;
  /** `error`s we may still send it for messages about channels we do not have (unknown-channel.ts). */
  unknownReplies: PingAllowance;
  /** Channel daemons by channel_id (hex). */
  owners: Map<string, ChannelOwner>;
  /**
   * Messages for channels lightningd holds while no daemon owns them (between openingd and
   * channeld, or before lightningd started this connection's channeld), in order, at most
   * HELD_MESSAGES: the daemon that attaches for the channel gets them first.
   */
  waiting: { channelId: string; msg: Uint8Array }[];
  control: ControlContext;
  /** Gossip read but not yet handed to gossipd (one batch), and its size packed. */
  batch: Uint8Array[];
  batchBytes: number;
  /** Batches gossipd has not said it has room after (GossipLink.gossipBatch). */
  inFlight: number;
  /** Not reading the peer's socket (gossipd is behind); when reading last resumed. */
  paused: boolean;
  resumedAt: number;
}

const ZERO_CHANNEL_ID = new Uint8Array(32);

/**
 * Messages per connection kept for held channels whose daemon has not attached yet (a few:
 * channel_reestablish, and what the peer sends after it before our channeld is up); more are
 * dropped, and the next reestablish recovers them (BOLT 2 "Message Retransmission").
 */
export const HELD_MESSAGES = 64;
export const HELD_BYTES = 256 * 1024;

function isZero(b: Uint8Array): boolean {
  return b.every(x => x === 0);
}

/** Other messages from a peer that earn it one more ping (flood.ts: LDK pings after every 32). */
const MESSAGES_PER_PING = 16;
/**
 * Gossip goes to gossipd in batches. With no batch unanswered, what one read brought goes at once;
 * while gossipd has not answered the last one, messages gather (a WebSocket brings one message per
 * frame: without this, one call each) until it answers or they reach this many bytes.
 */
export const GOSSIP_BATCH_BYTES = 256 * 1024;
/**
 * Batches gossipd has not answered (a link call not yet settled; gossipd settles late on purpose
 * while its ingest is full) before connectd stops reading that peer's socket; reading resumes when
 * one settles. Two: one being taken in while the next gathers.
 */
export const GOSSIP_BATCHES_IN_FLIGHT = 2;

export class Connectd {
  private readonly o: ConnectdOptions;
  private readonly config: ConnectdConfig;
  private readonly ourFeatures: FeatureVector;
  private readonly nodeIdHex: string;
  private readonly deps: ConnectionDeps;
  private readonly hooks: ConnectionHooks;
  private readonly peers = new Map<string, Peer>();
  /** Channels lightningd holds with each peer (by hex id), daemon or not: never "unknown" to that peer. */
  private readonly held = new Map<string, Set<string>>();
  private readonly byConn = new Map<Connection, Peer>();
  private readonly pending = new Set<Connection>();
  /**
   * Places for incoming connections before `init`: maxPendingInbound in all, and
   * maxPendingInboundPerAddress per remote address (IPv6 per /64), counted as the bridge counts
   * its clients (bridge-policy.ts). Each incoming entry of `pending` holds one until it leaves.
   */
  private readonly pendingIn: ConnectionLimits;
  private readonly pendingRelease = new Map<Connection, () => void>();
  /** Incoming connections refused since the last one we accepted (logged once per run). */
  private refusedIn = 0;
  private readonly dialing: Dialing;
  private readonly important: Reconnector;
  private counter = 0;
  private stopped = false;

  constructor(options: ConnectdOptions) {
    this.o = options;
    this.config = { ...DEFAULT_CONFIG, ...(options.config ?? {}) };
    this.pendingIn = new ConnectionLimits(this.config.maxPendingInboundPerAddress, this.config.maxPendingInbound, false);
    if (!(options.nodeId instanceof Uint8Array) || !isValidPublicKey(options.nodeId)) {
      throw new ConnectError('bad_request', 'nodeId must be a 33-byte compressed public key');
    }
    if (!(options.chainHash instanceof Uint8Array) || options.chainHash.length !== 32) {
      throw new ConnectError('bad_request', 'chainHash must be 32 bytes');
    }
    this.ourFeatures = options.ourFeatures instanceof FeatureVector ? options.ourFeatures : FeatureVector.fromBytes(options.ourFeatures);
    this.nodeIdHex = toHex(options.nodeId);
    const link = options.ecdhLink;
    this.deps = {
      nodeId: options.nodeId.slice(),
      ecdh: pub => link.ecdh(pub),
      randomBytes: n => options.randomBytes(n),
      clock: options.clock,
      log: options.log,
      config: this.config,
      ourFeatures: this.ourFeatures,
      chainHash: options.chainHash.slice(),
      ...(options.aead ? { aead: options.aead } : {}),
    };
    this.dialing = new Dialing({
      config: this.config,
      clock: options.clock,
      log: options.log,
      dialer: options.dialer,
      stopped: () => this.stopped,
      connected: id => {
        const live = this.peers.get(id);
        return live && this.resultOf(live);
      },
      open: (stream, target, idBytes) => {
        const conn = new Connection(this.deps, this.hooks, stream, 'out', targetAddress(target), idBytes);
        this.addPending(conn);
        return conn;
      },
    });
    this.important = new Reconnector({
      clock: options.clock,
      log: options.log,
      initialMs: this.config.reconnectInitialMs,
      maxMs: this.config.reconnectMaxMs,
      stableMs: this.config.reconnectStableMs,
      connect: (id, targets) => this.connectToPeer(id, targets),
      isConnected: id => this.peers.has(id),
    });
    this.hooks = {
      ready: c => this.onReady(c),
      message: (c, m) => this.onMessage(c, m),
      closed: (c, r) => this.onClosed(c, r),
      drained: c => {
        const peer = this.byConn.get(c);
        if (peer && peer.inFlight === 0) this.flushGossip(peer);
      },
    };
  }

  // ---- connecting ----

  /**
   * Connects to `id`, trying each target in turn until one completes the handshake and `init`.
   * Resolves at once if the peer is already connected; concurrent calls for one id share one
   * attempt. Rejects with ConnectError: 'no_address' (no targets), 'all_failed' (with each
   * address's reason in `attempts`), 'disconnected' (disconnect() or stop() during the attempt).
   * Turning address hints into targets is planDial's job (src/core/net/address.ts).
   */
  async connectToPeer(id: string | Uint8Array, targets: readonly DialTarget[] = []): Promise<ConnectResult> {
    const { hex, bytes } = this.parseId(id);
    if (hex === this.nodeIdHex) throw new ConnectError('bad_request', 'cannot connect to ourselves');
    const live = this.peers.get(hex);
    if (live) return this.resultOf(live);
    const running = this.dialing.get(hex);
    if (running) return running.promise;
    if (this.stopped) throw new ConnectError('disconnected', 'connectd is shutting down');
    if (!Array.isArray(targets) || targets.length === 0) throw new ConnectError('no_address', `no address known for ${hex}`);
    return this.dialing.start(hex, bytes, [...targets]);
  }

  /** A stream a listener accepted: we are the BOLT 8 responder. */
  acceptStream(stream: ByteStream): void {
    if (this.stopped) {
      try {
        stream.close('connectd is shutting down');
      } catch {
        // nothing to do
      }
      return;
    }
    const key = clientKey(stream.remote?.address);
    let release: () => void;
    try {
      release = this.pendingIn.acquire(key).release;
    } catch {
      this.refuseInbound(stream, key);
      return;
    }
    if (this.refusedIn > 0) this.o.log.info(`accepting incoming connections again (${this.refusedIn} refused)`);
    this.refusedIn = 0;
    const conn = new Connection(this.deps, this.hooks, stream, 'in', stream.remote);
    this.pendingRelease.set(conn, release);
    this.addPending(conn);
    conn.start();
  }

  /**
   * Too many incoming connections are still in the handshake or waiting for `init`, in all or from
   * this one's address: it is closed before we read a byte or spend an ECDH on it. Peers already
   * connected are not touched, nor are other addresses' places.
   */
  private refuseInbound(stream: ByteStream, key: string): void {
    const from = stream.remote ? formatNetAddress(stream.remote) : 'an incoming peer';
    const mine = this.pendingIn.count(key);
    const why =
      mine >= this.config.maxPendingInboundPerAddress
        ? `${mine} incoming connections from ${key} are still before init`
        : `${this.pendingIn.total} incoming connections are still before init`;
    const e = new ConnectError('too_many_pending', `refused ${from}: ${why}`);
    if (this.refusedIn++ === 0) this.o.log.warn(e.message);
    else this.o.log.debug(e.message);
    try {
      stream.close(e.message);
    } catch {
      // The transport is already gone.
    }
  }

  private addPending(conn: Connection): void {
    this.pending.add(conn);
  }

  private removePending(conn: Connection): void {
    this.pending.delete(conn);
    const release = this.pendingRelease.get(conn);
    if (release) {
      this.pendingRelease.delete(conn);
      release();
    }
  }

  // ---- connection events ----

  private onReady(conn: Connection): void {
    this.removePending(conn);
    const id = conn.id!;
    if (this.stopped) {
      conn.close('connectd is shutting down', 'shutdown');
      return;
    }
    const features = conn.features!.toHex();
    const log = this.o.log;
    const send = (msg: Uint8Array): void => void conn.send(msg).catch(() => {});
    const owners = new Map<string, ChannelOwner>();
    const pinger = new Pinger({
      clock: this.o.clock,
      intervalMs: this.config.pingIntervalMs,
      timeoutMs: this.config.pongTimeoutMs,
      send,
      fail: reason => conn.close(reason, 'pong_timeout'),
      // We do not read the peer while gossipd is behind, so its pong may wait unread in the socket.
      notReading: () => peer.paused || this.o.clock.now() - peer.resumedAt < this.config.pongTimeoutMs,
      debug: msg => log.debug(`${conn.label}: ${msg}`),
    });
    const allowance = new PingAllowance({
      clock: this.o.clock,
      burst: this.config.pingBurst,
      refillMs: this.config.pingRefillMs,
      creditEvery: MESSAGES_PER_PING,
    });
    // The same token bucket as for pings, without credit for other messages.
    const unknownReplies = new PingAllowance({
      clock: this.o.clock,
      burst: UNKNOWN_REPLY_BURST,
      refillMs: UNKNOWN_REPLY_REFILL_MS,
      creditEvery: 0,
    });
    const peer: Peer = {
      id,
      conn,
      counter: ++this.counter,
      connectedAt: this.o.clock.now(),
      features,
      owners,
      waiting: [],
      pinger,
      allowance,
      unknownReplies,
      control: {
        label: conn.label,
        log,
        pinger,
        allowance,
        ownerOf: channelId => owners.get(toHex(channelId)),
        deliver: (owner, msg) => this.call('owner deliver', () => owner.deliver(msg)),
        send,
        close: (reason, code) => conn.close(reason, code),
      },
      batch: [],
      batchBytes: 0,
      inFlight: 0,
      paused: false,
      resumedAt: -Infinity,
    };
    const old = this.peers.get(id);
    this.peers.set(id, peer);
    this.byConn.set(conn, peer);
    // One connection per node id: the newer replaces the older (Core Lightning does the same).
    if (old) old.conn.close(`replaced by a new ${conn.direction === 'in' ? 'incoming' : 'outgoing'} connection`, 'replaced');
    this.o.log.info(`${conn.label}: connected (${conn.direction}, counter ${peer.counter}, features ${features || 'none'})`);
    const event = {
      id,
      counter: peer.counter,
      features,
      direction: conn.direction,
      ...(conn.address ? { address: conn.address } : {}),
      ...(conn.remoteAddr ? { remote_addr: conn.remoteAddr } : {}),
    };
    this.call('peerConnected', () => this.o.events.peerConnected(event));
    this.call('gossipd newPeer', () => this.o.gossipLink.newPeer(id, features));
    peer.pinger.start();
    // Any `connect` waiting for this id is answered by this connection, whoever dialed.
    const attempt = this.dialing.get(id);
    if (attempt) {
      if (attempt.conn && attempt.conn !== conn) attempt.abort?.('superseded by another connection');
      attempt.resolve(this.resultOf(peer));
    }
    this.important.connected(id);
  }

  private onClosed(conn: Connection, reason: string): void {
    this.removePending(conn);
    const peer = this.byConn.get(conn);
    if (!peer) {
      this.o.log.debug(`${conn.label}: connection ended before init: ${reason}`);
      return;
    }
    // What was read before the end still goes to gossipd, before peerGone.
    this.flushGossip(peer);
    this.byConn.delete(conn);
    peer.pinger.stop(reason);
    for (const owner of peer.owners.values()) {
      if (owner.peerGone) this.call('owner peerGone', () => owner.peerGone!(reason));
    }
    peer.owners.clear();
    this.o.log.info(`${conn.label}: disconnected (counter ${peer.counter}): ${reason}`);
    this.call('peerDisconnected', () => this.o.events.peerDisconnected({ id: peer.id, counter: peer.counter, reason }));
    this.call('gossipd peerGone', () => this.o.gossipLink.peerGone(peer.id));
    if (this.peers.get(peer.id) !== peer) return; // replaced: the new connection carries on
    this.peers.delete(peer.id);
    if (!this.stopped) this.important.disconnected(peer.id, this.o.clock.now() - peer.connectedAt);
  }

  /** A message after `init`. Throwing here closes the connection with a warning carrying the reason. */
  private onMessage(conn: Connection, msg: Uint8Array): void {
    const peer = this.byConn.get(conn);
    if (!peer) return;
    const route = routeMessage(msg);
    // Only messages delivered somewhere (and pongs, which answer our pings: LDK pings after every
    // 32 messages it sends, pongs included) earn ping credit; dropped or ignored ones (an empty
    // peer_storage, an unknown odd type) are free to send and must not buy pongs.
    const delivered =
      route.to === 'gossipd' || route.to === 'lightningd' || route.to === 'channel' || (route.to === 'local' && route.name === 'pong');
    if (delivered) peer.allowance.noteMessage();
    switch (route.to) {
      case 'gossipd':
        peer.batch.push(msg);
        peer.batchBytes += 2 + msg.length;
        if (peer.batchBytes >= GOSSIP_BATCH_BYTES) this.flushGossip(peer);
        return;
      case 'lightningd':
        this.call('peerSpoke', () => this.o.events.peerSpoke(peer.id, msg));
        return;
      case 'channel': {
        const owner = peer.owners.get(toHex(route.channelId));
        if (owner) this.call('owner deliver', () => owner.deliver(msg));
        else this.unknownChannel(peer, msg, route.channelId);
        return;
      }
      case 'drop':
        return;
      case 'ignore':
        this.o.log.debug(`${conn.label}: ${route.why} ignored`);
        return;
      case 'local':
        handleControl(route.name, msg, peer.control);
        return;
    }
  }

  /**
   * Hands the peer's gossip read so far to gossipd in one batch (called when nothing is unanswered,
   * when a batch is answered, when the gathered bytes reach GOSSIP_BATCH_BYTES, and at the end).
   * While GOSSIP_BATCHES_IN_FLIGHT batches wait for gossipd's room, the peer's socket is not read:
   * gossip that answers our queries waits in the transport, it is never dropped for lack of room.
   */
  private flushGossip(peer: Peer): void {
    if (!peer.batch.length) return;
    const batch = packGossipBatch(peer.batch, peer.batchBytes);
    peer.batch = [];
    peer.batchBytes = 0;
    let r: unknown;
    try {
      r = this.o.gossipLink.gossipBatch(peer.id, batch);
    } catch (e) {
      this.o.log.warn(`gossipd gossip failed: ${errorText(e)}`);
      return;
    }
    if (!r || typeof (r as Promise<unknown>).then !== 'function') return;
    peer.inFlight++;
    if (peer.inFlight >= GOSSIP_BATCHES_IN_FLIGHT && !peer.paused) {
      peer.paused = true;
      peer.conn.pause();
    }
    const settled = (): void => {
      peer.inFlight--;
      // What gathered meanwhile goes now (the peer may have nothing more to send).
      if (this.byConn.get(peer.conn) === peer) this.flushGossip(peer);
      if (peer.paused && peer.inFlight < GOSSIP_BATCHES_IN_FLIGHT) {
        peer.paused = false;
        peer.resumedAt = this.o.clock.now();
        peer.conn.resume();
      }
    };
    (r as Promise<unknown>).then(settled, (e: unknown) => {
      this.o.log.warn(`gossipd gossip failed: ${errorText(e)}`);
      settled();
    });
  }

  /**
   * A message about a channel no daemon owns: lightningd hears of it. An `open_channel` is
   * lightningd's to decide (it starts openingd, or answers BOLT 1 `error` itself); anything else
   * gets the `error` BOLT 1 asks for (unknown-channel.ts) at once, within a per-peer allowance,
   * instead of waiting for its own timeout. The connection stays up: an error naming one channel
   * fails that channel only.
   */
  private unknownChannel(peer: Peer, msg: Uint8Array, channelId: Uint8Array): void {
    this.call('peerSpoke', () => this.o.events.peerSpoke(peer.id, msg));
    // A channel lightningd holds without a daemon running for it now is not unknown: an `error`
    // would make the peer drop its commitment to the chain. Its daemon is on its way (lightningd
    // starts channeld when the peer connects, or as openingd hands over): the message waits for it.
    if (this.held.get(peer.id)?.has(toHex(channelId))) {
      const bytes = peer.waiting.reduce((n, w) => n + w.msg.length, msg.length);
      if (peer.waiting.length < HELD_MESSAGES && bytes <= HELD_BYTES) peer.waiting.push({ channelId: toHex(channelId), msg });
      else this.o.log.warn(`${peer.conn.label}: channel ${toHex(channelId)} has no daemon yet; message dropped (${HELD_MESSAGES} waiting)`);
      return;
    }
    const text = unknownChannelReply(messageTypeOf(msg));
    if (text === undefined) return;
    if (!peer.unknownReplies.take()) {
      this.o.log.debug(`${peer.conn.label}: no error sent for unknown channel ${toHex(channelId)} (too many)`);
      return;
    }
    peer.control.send(Connection.error(text, channelId));
  }

  // ---- requests from lightningd and the other daemons ----

  /**
   * Sends a message (type included) to a connected peer; resolves once the transport took it. With
   * `counter`, only on that connection (a channel daemon's link: channelLinkOf).
   */
  async sendToPeer(id: string | Uint8Array, msg: Uint8Array, counter?: number): Promise<void> {
    const peer = this.livePeer(id, counter);
    if (!(msg instanceof Uint8Array) || msg.length < 2) throw new ConnectError('bad_request', 'a message is at least its 2-byte type');
    await peer.conn.send(msg);
  }

  /** Marks a channel lightningd holds with peer `id` (hex) as known, or (held false) forgets it. */
  holdChannel(id: string, channelId: Uint8Array, held: boolean): void {
    if (!(channelId instanceof Uint8Array) || channelId.length !== 32) throw new ConnectError('bad_request', 'channelId must be 32 bytes');
    const set = this.held.get(id) ?? new Set<string>();
    if (held) set.add(toHex(channelId));
    else set.delete(toHex(channelId));
    if (set.size) this.held.set(id, set);
    else this.held.delete(id);
  }

  /**
   * Detaches `owner` from `channelId` with peer `id`, if it still owns it there (a peer that left,
   * or came back on a new connection, has forgotten its owners already).
   */
  releaseOwner(id: string, channelId: Uint8Array, owner: ChannelOwner): void {
    const peer = this.peers.get(id);
    const key = toHex(channelId);
    if (peer?.owners.get(key) === owner) peer.owners.delete(key);
  }

  /**
   * Attaches (or with null, detaches) the daemon that owns `channelId` with this peer; with
   * `counter`, only while the peer is on that connection.
   */
  setOwner(id: string | Uint8Array, channelId: Uint8Array, owner: ChannelOwner | null, counter?: number): void {
    const peer = this.livePeer(id, counter);
    if (!(channelId instanceof Uint8Array) || channelId.length !== 32) throw new ConnectError('bad_request', 'channelId must be 32 bytes');
    const key = toHex(channelId);
    if (!owner) {
      peer.owners.delete(key);
      return;
    }
    peer.owners.set(key, owner);
    // What came for the channel before its daemon attached, in order, before anything newer.
    const mine = peer.waiting.filter(w => w.channelId === key);
    if (mine.length === 0) return;
    peer.waiting = peer.waiting.filter(w => w.channelId !== key);
    for (const w of mine) this.call('owner deliver', () => owner.deliver(w.msg));
  }

  /**
   * Sends a BOLT 1 `warning`; with `disconnect`, closes the connection once it is written, and with
   * `redialAfterMs` too, an important peer is not dialled again before that long (gossipd's bad peers).
   */
  async sendWarning(
    id: string | Uint8Array,
    text: string,
    opts: { channelId?: Uint8Array; disconnect?: boolean; redialAfterMs?: number } = {},
  ): Promise<void> {
    const peer = this.livePeer(id);
    const msg = Connection.warning(String(text), opts.channelId ?? ZERO_CHANNEL_ID);
    if (opts.disconnect && opts.redialAfterMs !== undefined && opts.redialAfterMs > 0) this.important.holdOff(peer.id, opts.redialAfterMs);
    if (opts.disconnect) peer.conn.close(`we sent warning: ${text}`, 'we_sent_warning', msg);
    else await peer.conn.send(msg);
  }

  /**
   * Sends a BOLT 1 `error`. With an all-zero channel_id (the default) the error fails every
   * channel, so the connection is closed after it; `disconnect` overrides that.
   */
  async sendError(id: string | Uint8Array, text: string, opts: { channelId?: Uint8Array; disconnect?: boolean } = {}): Promise<void> {
    const peer = this.livePeer(id);
    const channelId = opts.channelId ?? ZERO_CHANNEL_ID;
    const msg = Connection.error(String(text), channelId);
    if (opts.disconnect ?? isZero(channelId)) peer.conn.close(`we sent error: ${text}`, 'we_sent_error', msg);
    else await peer.conn.send(msg);
  }

  /**
   * Core Lightning's `ping id [len] [pongbytes]`: `len` bytes of padding, asking for `pongbytes`
   * back; resolves with the pong's total length (0 if pongbytes >= 65532: no pong will come).
   */
  ping(id: string | Uint8Array, len = 128, pongbytes = 128): Promise<PingResult> {
    let peer: Peer;
    try {
      peer = this.livePeer(id);
      if (!Number.isInteger(len) || len < 0 || len > MAX_PING_PADDING) {
        throw new ConnectError('bad_request', `len must be an integer from 0 to ${MAX_PING_PADDING}`);
      }
      if (!Number.isInteger(pongbytes) || pongbytes < 0 || pongbytes > 0xffff) {
        throw new ConnectError('bad_request', 'pongbytes must be an integer from 0 to 65535');
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return peer.pinger.ping(len, pongbytes);
  }

  /**
   * Ends the connection to `id` (and any `connect` in progress for it). Without `force`, refuses
   * while channel daemons own channels with the peer, as Core Lightning's `disconnect`.
   */
  disconnect(id: string | Uint8Array, force = false): void {
    const { hex } = this.parseId(id);
    const peer = this.peers.get(hex);
    const attempt = this.dialing.get(hex);
    if (!peer && !attempt) throw new ConnectError('not_connected', `${hex} is not connected`);
    if (peer && peer.owners.size > 0 && !force) {
      throw new ConnectError('has_channels', `${hex} has ${peer.owners.size} active channel(s); use force`);
    }
    if (attempt) {
      attempt.abort?.('disconnect requested');
      attempt.reject(new ConnectError('disconnected', `disconnected from ${hex} while connecting`));
    }
    if (peer) peer.conn.close('disconnect requested', 'disconnect');
  }

  /** Core Lightning's `listpeers` shape: connected peers, and important peers waiting to reconnect. */
  listPeers(id?: string | Uint8Array): PeerInfo[] {
    const only = id === undefined ? undefined : this.parseId(id).hex;
    const out: PeerInfo[] = [];
    for (const p of this.peers.values()) {
      if (only !== undefined && p.id !== only) continue;
      const info: PeerInfo = {
        id: p.id,
        connected: true,
        netaddr: p.conn.address ? [formatNetAddress(p.conn.address)] : [],
        features: p.features,
        direction: p.conn.direction,
        counter: p.counter,
      };
      if (p.conn.remoteAddr) info.remote_addr = p.conn.remoteAddr;
      out.push(info);
    }
    for (const imp of this.important.ids()) {
      if (this.peers.has(imp) || (only !== undefined && imp !== only)) continue;
      out.push({ id: imp, connected: false, netaddr: [] });
    }
    return out;
  }

  /**
   * Keeps a peer connected: connects now, and after every disconnect or failed attempt tries again
   * after a delay starting at 1 s and doubling to 300 s (Core Lightning's reconnect backoff).
   */
  addImportantPeer(id: string | Uint8Array, targets: readonly DialTarget[]): void {
    const { hex } = this.parseId(id);
    if (hex === this.nodeIdHex) throw new ConnectError('bad_request', 'we are not our own peer');
    if (this.stopped) return;
    this.important.add(hex, targets);
  }

  removeImportantPeer(id: string | Uint8Array): void {
    this.important.remove(this.parseId(id).hex);
  }

  /** Closes every connection, cancels every attempt and timer. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.important.stop();
    for (const a of this.dialing.all()) {
      a.abort?.('connectd is shutting down');
      a.reject(new ConnectError('disconnected', 'connectd is shutting down'));
    }
    for (const c of [...this.pending]) c.close('connectd is shutting down', 'shutdown');
    for (const p of [...this.peers.values()]) p.conn.close('connectd is shutting down', 'shutdown');
  }

  // ---- helpers ----

  private resultOf(p: Peer): ConnectResult {
    const r: ConnectResult = { id: p.id, features: p.features, direction: p.conn.direction };
    if (p.conn.address) r.address = p.conn.address;
    return r;
  }

  /** The connection `counter` of a connected peer (PeerConnectedEvent's): what a channel daemon's link is bound to. */
  counterOf(id: string | Uint8Array): number {
    return this.livePeer(id).counter;
  }

  /** A connected peer; with `counter`, only while it is on that connection (a later one is not the same conversation). */
  private livePeer(id: string | Uint8Array, counter?: number): Peer {
    // The hot path (every message gossipd sends): a connected peer's id as connectd spells it.
    let peer = typeof id === 'string' ? this.peers.get(id) : undefined;
    if (!peer) {
      const { hex } = this.parseId(id);
      peer = this.peers.get(hex);
      if (!peer) throw new ConnectError('not_connected', `${hex} is not connected`);
    }
    if (counter !== undefined && peer.counter !== counter) {
      throw new ConnectError('not_connected', `${peer.id}'s connection ${counter} has ended (it is on connection ${peer.counter})`);
    }
    return peer;
  }

  private parseId(id: string | Uint8Array): { hex: string; bytes: Uint8Array } {
    // A connected peer's key was checked by its handshake: skip the curve check on the hot path.
    if (typeof id === 'string' && id.length === 66) {
      const hex = id.toLowerCase();
      if (this.peers.has(hex)) return { hex, bytes: fromHex(hex) };
    }
    let bytes: Uint8Array | undefined;
    if (id instanceof Uint8Array) bytes = id;
    else if (typeof id === 'string' && /^[0-9a-fA-F]{66}$/.test(id)) bytes = fromHex(id);
    if (!bytes || !isValidPublicKey(bytes))
      throw new ConnectError('bad_request', 'a node id is a 33-byte compressed public key (66 hex characters)');
    return { hex: toHex(bytes), bytes };
  }

  /** Calls another daemon without letting its failure (sync or async) reach the peer's connection. */
  private call(what: string, fn: () => unknown): void {
    try {
      const r = fn();
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        (r as Promise<unknown>).then(undefined, (e: unknown) => this.o.log.warn(`${what} failed: ${errorText(e)}`));
      }
    } catch (e) {
      this.o.log.warn(`${what} failed: ${errorText(e)}`);
    }
  }
}
