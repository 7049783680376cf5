// An LDK node (npm `lightningdevkit` 0.1, WASM) running inside the Node test process, reachable
// over loopback TCP: an independent BOLT 1/7/8 implementation for interop tests.
//
// It is LDK's PeerManager (lightning/src/ln/peer_handler.rs) with:
// - a ChannelManager (default) or an ErroringMessageHandler as the channel message handler. The
//   ChannelManager makes LDK behave as a real LDK node on connect: its init requires features
//   0/8/12/14 (data_loss_protect, var_onion_optin, static_remote_key, payment_secret) and carries
//   `networks` = [chain hash]; the ErroringMessageHandler only offers those bits as optional and
//   sends no `networks`;
// - P2PGossipSync over a NetworkGraph of the chosen chain (regtest by default) as the routing
//   handler, with no UTXO lookup (announcements are accepted without checking the funding output);
// - IgnoringMessageHandler for onion and custom messages.
import { createServer, connect as netConnect, isIPv4, type Server, type Socket } from 'node:net';
import * as ldk from 'lightningdevkit';
import { fromHex, toHex } from '../../../src/core/base/bytes.ts';
import { loadLdk } from './wasm.ts';
import { bindSocket } from './socket.ts';
import { makeLogger, type LdkLogLine, type LdkMessageEvent } from './log.ts';
import { addGossip, snapshotGraph, type LdkGraphSnapshot } from './graph.ts';

export type LdkNetwork = 'regtest' | 'testnet' | 'signet' | 'bitcoin';

export interface LdkPeerOptions {
  /** 32-byte seed of LDK's KeysManager (the node key derives from it). Random by default. */
  seed?: Uint8Array;
  /** Chain of the graph and of `networks` in init. Default 'regtest'. */
  network?: LdkNetwork;
  /** 'channel-manager' (default) behaves as a real LDK node; 'erroring' rejects every channel. */
  channelHandler?: 'channel-manager' | 'erroring';
  /**
   * Milliseconds between automatic `timer_tick_occurred` calls (LDK sends a ping on each tick and
   * drops a peer that did not answer the previous one, or that has not finished the handshake and
   * init by the second tick). Default 10000 (LDK's advice). 0: no automatic ticks, call `tick()`.
   */
  tickIntervalMs?: number;
  /** Label in printed log lines. */
  name?: string;
  /** The ChannelManager's config (LDK's `UserConfig::default()` if absent). */
  userConfig?: ldk.UserConfig;
  /** What LDK broadcasts (commitments, HTLC claims); called inside LDK: only JS work. Dropped if absent. */
  broadcast?: (txs: Uint8Array[]) => void;
  /** LDK's channels are public (ChannelHandshakeConfig.announce_for_forwarding): it takes our announced opens. Default false (LDK's). */
  announceChannels?: boolean;
  /** Print LDK's log on stderr. Default: process.env.LDK_DEBUG === '1'. */
  debug?: boolean;
  /** Where the ChannelManager's ChainMonitor persists ChannelMonitors. Default: nowhere (in memory). */
  persist?: ldk.PersistInterface;
}

export interface LdkPeerDetails {
  nodeId: string;
  inbound: boolean;
  /** The features the peer sent in its init, as BOLT 9 big-endian bytes (hex). */
  initFeatures: string;
}

interface Waiter {
  check(): boolean;
  resolve(): void;
}

const networks: Record<LdkNetwork, ldk.Network> = {
  bitcoin: ldk.Network.LDKNetwork_Bitcoin,
  testnet: ldk.Network.LDKNetwork_Testnet,
  regtest: ldk.Network.LDKNetwork_Regtest,
  signet: ldk.Network.LDKNetwork_Signet,
};

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

function socketAddress(sock: Socket): ldk.Option_SocketAddressZ {
  const ip = sock.remoteAddress;
  const port = sock.remotePort;
  if (ip && port !== undefined && isIPv4(ip)) {
    const addr = Uint8Array.from(ip.split('.').map(Number));
    return ldk.Option_SocketAddressZ.constructor_some(ldk.SocketAddress.constructor_tcp_ip_v4(addr, port));
  }
  return ldk.Option_SocketAddressZ.constructor_none();
}

/** Features as LDK writes them (u16 length, then big-endian bytes), without the length. */
function featureBytes(f: ldk.InitFeatures): Uint8Array {
  return f.write().subarray(2);
}

function buildChannelManager(
  network: ldk.Network,
  logger: ldk.Logger,
  keys: ldk.KeysManager,
  graph: ldk.NetworkGraph,
  config = ldk.UserConfig.constructor_default(),
  broadcast: (txs: Uint8Array[]) => void = () => {},
  announceChannels = false,
  persist?: ldk.PersistInterface,
): [ldk.ChannelManager, ldk.ChainMonitor] {
  const feeEstimator = ldk.FeeEstimator.new_impl({
    get_est_sat_per_1000_weight: () => 253,
  } as ldk.FeeEstimatorInterface);
  const broadcaster = ldk.BroadcasterInterface.new_impl({
    broadcast_transactions: (txs: Uint8Array[]) => broadcast(txs),
  } as ldk.BroadcasterInterfaceInterface);
  const persister = ldk.Persist.new_impl(
    persist ??
      ({
        persist_new_channel: () => ldk.ChannelMonitorUpdateStatus.LDKChannelMonitorUpdateStatus_Completed,
        update_persisted_channel: () => ldk.ChannelMonitorUpdateStatus.LDKChannelMonitorUpdateStatus_Completed,
        archive_persisted_channel: () => {},
      } as ldk.PersistInterface),
  );
  const chainMonitor = ldk.ChainMonitor.constructor_new(
    ldk.Option_FilterZ.constructor_none(),
    broadcaster,
    logger,
    feeEstimator,
    persister,
  );
  const scorer = ldk.ProbabilisticScorer.constructor_new(ldk.ProbabilisticScoringDecayParameters.constructor_default(), graph, logger);
  const lockableScore = ldk.MultiThreadedLockableScore.constructor_new(scorer.as_Score());
  const entropy = keys.as_EntropySource();
  const router = ldk.DefaultRouter.constructor_new(
    graph,
    logger,
    entropy,
    lockableScore.as_LockableScore(),
    ldk.ProbabilisticScoringFeeParameters.constructor_default(),
  );
  const messageRouter = ldk.DefaultMessageRouter.constructor_new(graph, entropy);
  const params = ldk.ChainParameters.constructor_new(network, ldk.BestBlock.constructor_from_network(network));
  const cm = ldk.ChannelManager.constructor_new(
    feeEstimator,
    chainMonitor.as_Watch(),
    broadcaster,
    router.as_Router(),
    messageRouter.as_MessageRouter(),
    logger,
    entropy,
    keys.as_NodeSigner(),
    keys.as_SignerProvider(),
    announced(config, announceChannels),
    params,
    Math.floor(Date.now() / 1000),
  );
  return [cm, chainMonitor];
}

function announced(config: ldk.UserConfig, announceChannels: boolean): ldk.UserConfig {
  if (announceChannels) {
    const handshake = config.get_channel_handshake_config();
    handshake.set_announce_for_forwarding(true);
    config.set_channel_handshake_config(handshake);
  }
  return config;
}

export class LdkPeer {
  /** Our LDK node's id: 33-byte compressed public key, hex. */
  readonly nodeId: string;
  /** The node secret key LDK uses (for tests that sign gossip as this node). */
  readonly nodeSecret: Uint8Array;
  /** The graph's chain hash, hex, in the byte order of the wire (`chain_hash` fields). */
  readonly chainHash: string;
  /** Every LDK log line (all levels), oldest first. */
  readonly logs: LdkLogLine[] = [];
  /** Every message LDK received or queued, oldest first (parsed from LDK's log). */
  readonly messages: LdkMessageEvent[] = [];

  readonly peerManager: ldk.PeerManager;
  readonly networkGraph: ldk.NetworkGraph;
  readonly gossipSync: ldk.P2PGossipSync;
  readonly channelManager: ldk.ChannelManager | undefined;
  /** The ChannelMonitors' watcher (with a ChannelManager): shown the chain, it claims on chain. */
  readonly chainMonitor: ldk.ChainMonitor | undefined;

  private readonly sockets = new Set<Socket>();
  private readonly servers: Server[] = [];
  private waiters: Waiter[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private bytesWritten = 0;
  private pumpScheduled = false;

  /** Use `startLdkPeer`. */
  constructor(opts: LdkPeerOptions = {}) {
    const network = networks[opts.network ?? 'regtest'];
    const print = opts.debug ?? process.env['LDK_DEBUG'] === '1';
    const logger = makeLogger(opts.name ?? 'ldk', print, {
      line: l => this.logs.push(l),
      message: e => {
        this.messages.push(e);
        // Only JS work here: this runs inside an LDK call, which must not be re-entered.
        this.runWaiters(true);
      },
    });
    const seed = opts.seed ?? randomBytes(32);
    if (seed.length !== 32) throw new Error('LDK seed must be 32 bytes');
    const now = Date.now();
    const keys = ldk.KeysManager.constructor_new(seed, BigInt(Math.floor(now / 1000)), (now % 1000) * 1_000_000);
    const nodeSigner = keys.as_NodeSigner();
    const id = nodeSigner.get_node_id(ldk.Recipient.LDKRecipient_Node);
    if (!(id instanceof ldk.Result_PublicKeyNoneZ_OK)) throw new Error('LDK KeysManager gave no node id');
    this.nodeId = toHex(id.res);
    this.nodeSecret = keys.get_node_secret_key();

    this.networkGraph = ldk.NetworkGraph.constructor_new(network, logger);
    this.chainHash = toHex(this.networkGraph.get_chain_hash());
    this.gossipSync = ldk.P2PGossipSync.constructor_new(this.networkGraph, ldk.Option_UtxoLookupZ.constructor_none(), logger);

    let chanHandler: ldk.ChannelMessageHandler;
    if ((opts.channelHandler ?? 'channel-manager') === 'channel-manager') {
      [this.channelManager, this.chainMonitor] = buildChannelManager(
        network,
        logger,
        keys,
        this.networkGraph,
        opts.userConfig,
        opts.broadcast,
        opts.announceChannels,
        opts.persist,
      );
      chanHandler = this.channelManager.as_ChannelMessageHandler();
    } else {
      this.channelManager = undefined;
      this.chainMonitor = undefined;
      chanHandler = ldk.ErroringMessageHandler.constructor_new().as_ChannelMessageHandler();
    }
    const ignoring = ldk.IgnoringMessageHandler.constructor_new();
    this.peerManager = ldk.PeerManager.constructor_new(
      chanHandler,
      this.gossipSync.as_RoutingMessageHandler(),
      ignoring.as_OnionMessageHandler(),
      ignoring.as_CustomMessageHandler(),
      Math.floor(now / 1000),
      randomBytes(32),
      logger,
      nodeSigner,
    );

    const every = opts.tickIntervalMs ?? 10_000;
    if (every > 0) {
      this.timer = setInterval(() => this.tick(), every);
      this.timer.unref();
    }
  }

  /** Accepts inbound connections on 127.0.0.1; resolves with the port (0 picks a free one). */
  listen(port = 0): Promise<number> {
    this.assertLive();
    const server = createServer(sock => {
      if (this.stopped) {
        sock.destroy();
        return;
      }
      const bound = this.bind(sock);
      const r = this.peerManager.new_inbound_connection(bound.descriptor, socketAddress(sock));
      if (!r.is_ok()) sock.destroy();
    });
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const addr = server.address();
        if (addr && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('no listening address'));
      });
    });
  }

  /**
   * Dials `host:port` and starts BOLT 8 as initiator towards `pubkeyHex`. Resolves once the
   * handshake and the init exchange are done (LDK lists the peer); rejects if the connection
   * closes first (refused, wrong key, init rejected).
   */
  connect(pubkeyHex: string, host: string, port: number): Promise<void> {
    this.assertLive();
    const theirId = fromHex(pubkeyHex);
    const target = pubkeyHex.toLowerCase();
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const sock = netConnect({ host, port });
      const bound = this.bind(sock, () => {
        if (settled) return;
        settled = true;
        reject(new Error(`LDK connection to ${target}@${host}:${port} closed before init`));
      });
      sock.once('connect', () => {
        if (this.stopped) return void sock.destroy();
        const r = this.peerManager.new_outbound_connection(theirId, bound.descriptor, socketAddress(sock));
        if (!(r instanceof ldk.Result_CVec_u8ZPeerHandleErrorZ_OK)) return void sock.destroy();
        bound.writeRaw(r.res); // act one
      });
      this.waiters.push({
        check: () => this.connectedPeers().includes(target),
        resolve: () => {
          if (settled) return;
          settled = true;
          resolve();
        },
      });
    });
  }

  /** Node ids (hex) of peers that completed the handshake and init. */
  connectedPeers(): string[] {
    if (this.stopped) return [];
    return this.peerManager.list_peers().map(p => toHex(p.get_counterparty_node_id()));
  }

  peerDetails(): LdkPeerDetails[] {
    if (this.stopped) return [];
    return this.peerManager.list_peers().map(p => ({
      nodeId: toHex(p.get_counterparty_node_id()),
      inbound: Boolean(p.get_is_inbound_connection()),
      initFeatures: toHex(featureBytes(p.get_init_features())),
    }));
  }

  /** Resolves when `nodeIdHex` is a connected peer (now or later). */
  waitForPeer(nodeIdHex: string): Promise<void> {
    const id = nodeIdHex.toLowerCase();
    return this.waitUntil(() => this.connectedPeers().includes(id));
  }

  /** Resolves when `nodeIdHex` is not (or no longer) a connected peer. */
  waitForPeerGone(nodeIdHex: string): Promise<void> {
    const id = nodeIdHex.toLowerCase();
    return this.waitUntil(() => !this.connectedPeers().includes(id));
  }

  /**
   * Resolves with the first message event at index >= `from` that matches; `from` defaults to
   * 0 (so events already seen count). Use `messages.length` as `from` to wait for new ones only.
   */
  waitForMessage(match: (e: LdkMessageEvent) => boolean, from = 0): Promise<LdkMessageEvent> {
    let found: LdkMessageEvent | undefined;
    const check = () => {
      for (let i = from; i < this.messages.length; i++) {
        if (match(this.messages[i]!)) {
          found = this.messages[i];
          return true;
        }
      }
      return false;
    };
    return new Promise(resolve => {
      if (check()) return resolve(found!);
      this.waiters.push({ check, resolve: () => resolve(found!) });
    });
  }

  /**
   * The ChannelManager's step: HTLCs waiting to be forwarded or claimed are processed, then the
   * events it has pending are taken (handled by the caller outside LDK's callback: no re-entry).
   */
  takeEvents(): ldk.Event[] {
    const cm = this.channelManager!;
    const events: ldk.Event[] = [];
    cm.process_pending_htlc_forwards();
    cm.as_EventsProvider().process_pending_events(
      ldk.EventHandler.new_impl({
        handle_event: (e: ldk.Event) => {
          events.push(e);
          return ldk.Result_NoneReplayEventZ.constructor_ok();
        },
      } as ldk.EventHandlerInterface),
    );
    return events;
  }

  /** The channels and nodes in LDK's graph. */
  graph(): LdkGraphSnapshot {
    return snapshotGraph(this.networkGraph);
  }

  /** Feeds one signed gossip wire message (type + body) to LDK's graph; throws if LDK refuses it. */
  addGossip(wire: Uint8Array): void {
    addGossip(this.networkGraph, wire);
  }

  /** One timer tick (pings, timeouts), then sends what LDK queued. */
  tick(): void {
    if (this.stopped) return;
    this.peerManager.timer_tick_occurred();
    this.channelManager?.timer_tick_occurred();
    this.processEvents();
  }

  /**
   * Sends whatever LDK has queued. LDK's initial gossip sync moves one step per write pass and
   * stalls when a pass leaves the buffer empty (between channels and node_announcements), as it
   * expects `process_events` to be called often; so while a pass wrote something, another pass is
   * scheduled (setImmediate) until one writes nothing.
   */
  processEvents(): void {
    if (this.stopped) return;
    const before = this.bytesWritten;
    this.peerManager.process_events();
    this.runWaiters(false);
    if (this.bytesWritten !== before && !this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => {
        this.pumpScheduled = false;
        this.processEvents();
      });
    }
  }

  /** Drops the connection to `nodeIdHex`. */
  disconnect(nodeIdHex: string): void {
    if (this.stopped) return;
    this.peerManager.disconnect_by_node_id(fromHex(nodeIdHex));
  }

  /** Disconnects everyone, closes listeners and sockets, stops the timer. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.peerManager.disconnect_all_peers();
    this.stopped = true;
    const closing: Promise<unknown>[] = [];
    for (const s of this.sockets) {
      if (!s.closed) closing.push(new Promise(r => s.once('close', r)));
      s.destroy();
    }
    for (const srv of this.servers) closing.push(new Promise(r => srv.close(() => r(undefined))));
    await Promise.all(closing);
    this.runWaiters(false); // settles waitForPeerGone
  }

  private bind(sock: Socket, onClose?: () => void) {
    this.sockets.add(sock);
    return bindSocket(this.peerManager, sock, {
      live: () => !this.stopped,
      flush: () => this.processEvents(),
      wrote: n => (this.bytesWritten += n),
      closed: () => {
        this.sockets.delete(sock);
        this.runWaiters(false);
        onClose?.();
      },
    });
  }

  private waitUntil(check: () => boolean): Promise<void> {
    return new Promise(resolve => {
      if (check()) return resolve();
      this.waiters.push({ check, resolve });
    });
  }

  /**
   * Settles waiters whose condition holds. `insideLdk`: called from an LDK callback, where calling
   * back into LDK (list_peers) is not allowed, so the check is deferred to a microtask.
   */
  private runWaiters(insideLdk: boolean): void {
    if (insideLdk) {
      queueMicrotask(() => this.runWaiters(false));
      return;
    }
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.check()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  private assertLive(): void {
    if (this.stopped) throw new Error('LDK peer stopped');
  }
}

/** Loads LDK's WASM (once per process) and starts a peer. Call `stop()` when done. */
export async function startLdkPeer(opts: LdkPeerOptions = {}): Promise<LdkPeer> {
  await loadLdk();
  return new LdkPeer(opts);
}
