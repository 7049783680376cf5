// The edge runtime's node: a whole node in one isolate (a Durable Object, or a Deno process). There
// are no workers here, so each daemon is an object in this isolate, but the links are drawn as
// design.md draws them, Comlink over MessageChannels, so the daemon classes run unchanged and each
// sees only what its link allows:
//   lightningd ↔ hsmd, lightningd ↔ connectd, lightningd ↔ gossipd: one channel each;
//   connectd ↔ hsmd: a channel on which hsmd answers ECDH and nothing else;
//   connectd ↔ gossipd: gossip in on one channel, gossipd's sends and warnings on another.
// The seed is read by the hsmd part alone (through `SecretStore`) and never crosses a port.
// Peer sockets live in connectd and die with the isolate: state worth keeping lives in the
// injected stores (Durable Object storage on Cloudflare). Gossip signatures are checked in this
// isolate too (no workers), by libsecp256k1 compiled to WASM when the runtime hands its module in
// (`verifyWasm`), else by @noble/secp256k1.
import * as Comlink from 'comlink';
import { inflateZlib } from '../platform/inflate.ts';
import { Lightningd } from '../core/daemons/lightningd/lightningd.ts';
import { LightningdDb, type LightningdStorage } from '../core/daemons/lightningd/db.ts';
import { Hsmd, type HsmCapability } from '../core/daemons/hsmd/hsmd.ts';
import { openSeed, type SeedStore } from '../core/keys/seed.ts';
import { Connectd } from '../core/daemons/connectd/connectd.ts';
import type {
  Clock,
  ConnectdConfig,
  ConnectdEvents,
  GossipLink,
  Log,
  PeerConnectedEvent,
  PeerDisconnectedEvent,
} from '../core/daemons/connectd/types.ts';
import { Gossipd } from '../core/daemons/gossipd/gossipd.ts';
import type { GossipdConfig, PeerLink } from '../core/daemons/gossipd/types.ts';
import { MemoryGossipStore } from '../core/gossip/store-memory.ts';
import type { GossipStore } from '../core/gossip/store.ts';
import { InlineVerifier } from '../core/gossip/verify-pool.ts';
import { selectEngine } from '../core/crypto/verify-engines.ts';
import { chainHash } from '../core/chain/chains.ts';
import { fromHex, toHex } from '../core/base/bytes.ts';
import { ourFeatures } from '../core/features/index.ts';
import type { DialCapabilities } from '../core/net/address.ts';
import type { ByteStream, DialTarget, Dialer, NetAddress } from '../core/net/transport.ts';
import { installErrorTransfer } from '../links/comlink-errors.ts';
import { gossipLinkOf, gossipLinkTo } from '../links/gossip-link.ts';

/** Version reported by getinfo (mirrors package.json, as src/web/node.ts does). */
export const EDGE_VERSION = 'boltworker-0.1.0';

// workerd (compatibility date ≥ 2025) and Deno have MessageChannel; the default workers-types do
// not declare it.
declare const MessageChannel: new () => { port1: MessagePort; port2: MessagePort };

/** Where the node secret lives. Only the hsmd part of this file calls it. */
/** The hsm_secret bytes' store (Durable Object storage, a file in Deno). */
export type SecretStore = SeedStore;

export interface EdgeNodeOptions {
  network: string;
  secretStore: SecretStore;
  storage: LightningdStorage;
  /** How connectd reaches peers: `CloudflareSocketDialer` on Workers, a Deno dialer in Deno. */
  dialer: Dialer;
  /** What `dialer` can do (planDial picks targets from it). */
  caps: DialCapabilities;
  /** Default: an in-memory store (gossip is re-learnt after an eviction). */
  gossipStore?: GossipStore;
  alias?: string;
  color?: string;
  connectdConfig?: Partial<ConnectdConfig>;
  gossipdConfig?: Partial<GossipdConfig>;
  log?: 'debug' | 'info' | 'warn';
  /**
   * A compiled secp256k1.wasm (src/wasm/secp256k1/verify.wasm as a `WebAssembly.Module`), or a
   * promise of one: gossip signatures are checked by libsecp256k1 when it instantiates and passes
   * its self-test, else (or when absent) by @noble/secp256k1.
   */
  verifyWasm?: unknown;
  /**
   * Starts the runtime's listeners (Deno: --bind-addr) once connectd is up: each accepted stream
   * goes to `accept` (connectd's inbound path, we are the BOLT 8 responder). Returns where it
   * listens (getinfo `binding`). Absent on Workers, which take no inbound TCP.
   */
  listen?: (accept: (stream: ByteStream) => void) => Promise<NetAddress[]>;
  onEvent?: (event: string, payload: unknown) => void;
  /**
   * Restores the node from its BIP39 mnemonic (or a legacy secret as 64 hex digits) into a store
   * that holds no seed yet (Core Lightning's --recover); one that holds a seed is refused.
   */
  recover?: string;
  /** Called once when the node starts stopping (stop(), or `stop` over the RPC). */
  onStop?: () => void;
}

export interface EdgeNode {
  /** Our node id, hex. */
  readonly id: string;
  readonly lightningd: Lightningd;
  call(method: string, params?: unknown): Promise<unknown>;
  /** One JSON-RPC 2.0 request object in, one response object out (never throws). */
  handle(req: unknown): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const clock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: h => clearTimeout(h as number),
};

function consoleLog(prefix: string, level: 'debug' | 'info' | 'warn'): Log {
  const rank = { debug: 0, info: 1, warn: 2 } as const;
  const out = (l: keyof typeof rank, m: string) => {
    if (rank[l] >= rank[level]) console.log(`${l.toUpperCase()} ${prefix}: ${m}`);
  };
  return { debug: m => out('debug', m), info: m => out('info', m), warn: m => out('warn', m) };
}

/** crypto.getRandomValues fills at most 65,536 bytes per call. */
function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/**
 * A port as a Comlink endpoint. workerd's postMessage takes no transfer list (and cannot move a
 * port through a port), so messages are cloned and every port is handed to its daemon when the
 * daemon is built: lightningd still creates each channel and decides who gets which end.
 */
function endpoint(p: MessagePort): Comlink.Endpoint {
  return {
    postMessage: (m: unknown) => p.postMessage(m),
    addEventListener: (t: string, f: EventListenerOrEventListenerObject) => p.addEventListener(t as 'message', f as never),
    removeEventListener: (t: string, f: EventListenerOrEventListenerObject) => p.removeEventListener(t as 'message', f as never),
    start: () => p.start(),
  } as Comlink.Endpoint;
}

/** A fresh channel: `api` is served on one end, the other end is returned wrapped. */
function link<T>(api: object): Comlink.Remote<T> {
  const ch = new MessageChannel();
  Comlink.expose(api, endpoint(ch.port1));
  return Comlink.wrap<T>(endpoint(ch.port2));
}

// ---- hsmd: the only part that touches the secret ----
function hsmdPart(store: SecretStore, clients: Record<string, MessagePort>, recover?: string) {
  let hsmd: Hsmd | undefined;
  return {
    async init(): Promise<string> {
      // The stored bytes are an hsm_secret in Core Lightning's format (src/core/keys/seed.ts).
      const root = await openSeed(store, randomBytes, recover);
      hsmd = new Hsmd(root.secretData);
      root.secretData.fill(0);
      return toHex(hsmd.nodeId());
    },
    /** Serves `client`'s link exposing exactly `caps` (Core Lightning's per-client permissions). */
    serve(client: string, caps: HsmCapability[]): void {
      if (!hsmd) throw new Error('hsmd not initialised');
      const port = clients[client];
      if (!port) throw new Error(`hsmd has no channel to ${client}`);
      Comlink.expose(hsmd.linkFor(caps), endpoint(port));
    },
  };
}

// ---- connectd: every peer socket ----
interface ConnectdInit {
  network: string;
  nodeId: string;
  features: string;
  config?: Partial<ConnectdConfig>;
}

interface ConnectdPorts {
  /** hsmd's ECDH-only link. */
  hsm: MessagePort;
  /** connectd → lightningd: peer_connected, peer_disconnected, other messages. */
  events: MessagePort;
  /** connectd → gossipd: gossip in. */
  gossipIn: MessagePort;
  /** gossipd → connectd: sends and warnings. */
  gossipOut: MessagePort;
}

function connectdPart(dialer: Dialer, log: Log, ports: ConnectdPorts) {
  let connectd: Connectd | undefined;
  const need = (): Connectd => {
    if (!connectd) throw new Error('connectd not initialised');
    return connectd;
  };
  return {
    init(o: ConnectdInit): void {
      const hsm = Comlink.wrap<{ ecdh(pub: Uint8Array): Uint8Array }>(endpoint(ports.hsm));
      const gossip = Comlink.wrap<GossipLink>(endpoint(ports.gossipIn));
      const events = Comlink.wrap<ConnectdEvents>(endpoint(ports.events));
      connectd = new Connectd({
        chainHash: chainHash(o.network),
        ourFeatures: fromHex(o.features),
        nodeId: fromHex(o.nodeId),
        ecdhLink: { ecdh: pub => hsm.ecdh(pub) },
        dialer,
        randomBytes,
        clock,
        log,
        events: {
          peerConnected: e => events.peerConnected(e),
          peerDisconnected: e => events.peerDisconnected(e),
          peerSpoke: (id, m) => events.peerSpoke(id, m),
        },
        gossipLink: gossipLinkTo(gossip),
        config: o.config,
      });
      // gossipd's way back to peers, on a channel of its own: sends and warnings only.
      const c = connectd;
      Comlink.expose(
        {
          send: (id: string, m: Uint8Array) => c.sendToPeer(id, m),
          warn: (id: string, text: string, disconnect: boolean, redialAfterMs?: number) =>
            c.sendWarning(id, text, { disconnect, ...(redialAfterMs !== undefined ? { redialAfterMs } : {}) }),
        },
        endpoint(ports.gossipOut),
      );
    },
    /** An inbound stream from a listener in this isolate (called directly, never over a port). */
    acceptStream: (stream: ByteStream) => need().acceptStream(stream),
    connectToPeer: (id: string, targets: DialTarget[]) => need().connectToPeer(id, targets),
    listPeers: () => need().listPeers(),
    ping: (id: string, len: number, pongbytes: number) => need().ping(id, len, pongbytes),
    disconnect: (id: string, force: boolean) => need().disconnect(id, force),
    stop(): void {
      connectd?.stop();
    },
  };
}

// ---- gossipd: the graph, from a store of its own ----
/** A 32-bit random number (seeds tiny-secp256k1's context blinding; ours ignores it). */
function randomInt32(): number {
  return crypto.getRandomValues(new Int32Array(1))[0]!;
}

function gossipdPart(store: GossipStore, log: Log, ports: { fromConnectd: MessagePort; toConnectd: MessagePort }, verifyWasm: unknown) {
  let gossipd: Gossipd | undefined;
  let verifier: InlineVerifier | undefined;
  const need = (): Gossipd => {
    if (!gossipd) throw new Error('gossipd not initialised');
    return gossipd;
  };
  return {
    async init(o: { network: string; nodeId: string; config?: Partial<GossipdConfig> }): Promise<void> {
      const peers = Comlink.wrap<PeerLink>(endpoint(ports.toConnectd));
      // In this thread, a chunk at a time so requests and peers are served between chunks.
      verifier = new InlineVerifier({
        engine: await selectEngine('auto', await Promise.resolve(verifyWasm).catch(() => undefined), randomInt32),
        pause: () => new Promise(r => setTimeout(r, 0)),
      });
      gossipd = new Gossipd({
        chainHash: chainHash(o.network),
        nodeId: o.nodeId,
        store,
        verifier,
        peers: { send: (id, m) => peers.send(id, m), warn: (id, t, d, r) => peers.warn(id, t, d, r) },
        clock,
        log,
        inflate: inflateZlib,
        config: o.config,
      });
      await gossipd.load();
      const g = gossipd;
      Comlink.expose(gossipLinkOf(g), endpoint(ports.fromConnectd));
    },
    nodeAddresses: (id: string) => need().nodeAddresses(id),
    rpc: (method: 'listnodes' | 'listchannels' | 'getroute', params: Record<string, unknown>) => need().rpc(method, params),
    /** gossipd's info, and which engine checks its signatures ('libsecp256k1' or 'noble'). */
    info: () => ({ ...need().info(), verify_engine: verifier?.engine }),
    async stop(): Promise<void> {
      await gossipd?.close();
      await verifier?.close();
    },
  };
}

type HsmdApi = ReturnType<typeof hsmdPart>;
type ConnectdApi = ReturnType<typeof connectdPart>;
type GossipdApi = ReturnType<typeof gossipdPart>;

/** Builds and starts a whole node in this isolate. */
export async function buildEdgeNode(o: EdgeNodeOptions): Promise<EdgeNode> {
  installErrorTransfer();
  const level = o.log ?? 'warn';
  // The channels between daemons (design.md "Links"), each end given to its daemon when built.
  const ecdh = new MessageChannel(); // connectd ↔ hsmd: ECDH only
  const gossipIn = new MessageChannel(); // connectd → gossipd
  const gossipOut = new MessageChannel(); // gossipd → connectd
  const events = new MessageChannel(); // connectd → lightningd
  const hsmd = link<HsmdApi>(hsmdPart(o.secretStore, { connectd: ecdh.port1 }, o.recover));
  const connectdApi = connectdPart(o.dialer, consoleLog('connectd', level), {
    hsm: ecdh.port2,
    events: events.port2,
    gossipIn: gossipIn.port1,
    gossipOut: gossipOut.port2,
  });
  const connectd = link<ConnectdApi>(connectdApi);
  const gossipd = link<GossipdApi>(
    gossipdPart(
      o.gossipStore ?? new MemoryGossipStore(),
      consoleLog('gossipd', level),
      { fromConnectd: gossipIn.port2, toConnectd: gossipOut.port1 },
      o.verifyWasm,
    ),
  );
  const db = new LightningdDb(o.storage);
  let lightningd: Lightningd | undefined;
  const connectdEvents: ConnectdEvents = {
    peerConnected: (e: PeerConnectedEvent) => lightningd?.peerConnected(e),
    peerDisconnected: (e: PeerDisconnectedEvent) => lightningd?.peerDisconnected(e),
    peerSpoke: (id: string, m: Uint8Array) => lightningd?.peerSpoke(id, m),
  };
  Comlink.expose(connectdEvents, endpoint(events.port1));

  // lightningd's database loads while hsmd loads the secret (design.md "start": in parallel).
  const [nodeId] = await Promise.all([hsmd.init(), db.load()]);
  const gossipLoaded = gossipd.init({ network: o.network, nodeId, config: o.gossipdConfig });
  gossipLoaded.catch(() => undefined); // awaited below
  await hsmd.serve('connectd', ['ecdh']);
  const features = ourFeatures('I').toHex();
  await connectd.init({ network: o.network, nodeId, features, config: o.connectdConfig });
  await gossipLoaded;
  // Listeners start once connectd can take what they accept (as in the Node runtime); a stream
  // cannot cross a port, so it goes to connectd's object directly, as a listener in its thread would.
  const binding = o.listen ? await o.listen(s => connectdApi.acceptStream(s)) : [];

  lightningd = new Lightningd({
    network: o.network,
    version: EDGE_VERSION,
    nodeId,
    alias: o.alias ?? `boltworker-${nodeId.slice(0, 8)}`,
    color: o.color ?? nodeId.slice(2, 8),
    ourFeatures: { init: features, node: ourFeatures('N').toHex(), channel: '', invoice: '' },
    connectd: connectd as never,
    gossipd: gossipd as never,
    db,
    caps: o.caps,
    binding,
    emit: (ev, payload) => o.onEvent?.(ev, payload),
    // `stop` over the RPC stops this node as stop() does.
    stop: () => node.stop(),
  });
  const ld = lightningd;
  let stopping: Promise<void> | undefined;
  const node: EdgeNode = {
    id: nodeId,
    lightningd: ld,
    call: (method, params) => ld.rpc.call(method, params),
    handle: req => ld.rpc.handle(req),
    stop() {
      if (!stopping) o.onStop?.();
      stopping ??= (async () => {
        await connectd.stop().catch(() => undefined);
        await gossipd.stop().catch(() => undefined);
        await db.flush();
      })();
      return stopping;
    },
  };
  return node;
}
