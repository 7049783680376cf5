// The edge runtime's node: a whole node in one isolate (a Durable Object, or a Deno process). There
// are no workers here, so each daemon runs in a host object in this isolate, but the node is
// assembled from the same table as every runtime (core/node/assemble.ts) and its links are drawn as
// design.md draws them, Comlink over MessageChannels, so the daemon classes run unchanged and each
// sees only what its link allows (connectd ↔ hsmd: ECDH only). workerd cannot move a port through a
// port: every link's ends are handed to its daemons as they start, never later.
// The seed is read by hsmd's host env alone (through `SecretStore`) and never crosses a
// port. Peer sockets live in connectd and die with the isolate: state worth keeping lives in the
// injected stores (Durable Object storage on Cloudflare). Gossip signatures are checked in this
// isolate too (no workers), by libsecp256k1 compiled to WASM when the runtime hands its module in
// (`verifyWasm`), else by @noble/secp256k1.
import * as Comlink from 'comlink';
import type { ConnectdConfig, Listening } from '../core/daemons/connectd/interface.ts';
import type { GossipdConfig } from '../core/daemons/gossipd/interface.ts';
import { openSeed, type SeedStore } from '../core/keys/seed.ts';
import type { HsmChannelStore } from '../core/daemons/hsmd/interface.ts';
import type { LightningdStorage } from '../core/daemons/lightningd/db.ts';
import type { WalletStorage } from '../core/wallet/state.ts';
import { esploraChain } from '../platform/esplora.ts';
import type { Lightningd } from '../core/daemons/lightningd/lightningd.ts';
import { selectEngine } from '../core/crypto/verify-engines.ts';
import { MemoryGossipStore } from '../core/gossip/store-memory.ts';
import type { GossipStore } from '../core/gossip/store.ts';
import { InlineVerifier } from '../core/gossip/verify-pool.ts';
import type { DialCapabilities } from '../core/net/address.ts';
import type { ByteStream, Dialer, NetAddress } from '../core/net/transport.ts';
import { assembleNode, commonNodeOptions } from '../core/node/assemble.ts';
import { daemonHost, envByKind, type RuntimeEnvs } from '../core/node/host.ts';
import type { HostHandle, Platform } from '../core/node/platform.ts';
import { comlinkLinks } from '../links/comlink-links.ts';
import { installErrorTransfer } from '../links/comlink-errors.ts';
import { inflateZlib } from '../platform/inflate.ts';
import { consoleLog, randomBytes, randomInt32, systemClock } from '../platform/system.ts';
import { NODE_VERSION } from '../platform/version.ts';

/** Version reported by getinfo (src/platform/version.ts). */
export const EDGE_VERSION = NODE_VERSION;

// workerd (compatibility date ≥ 2025) and Deno have MessageChannel; the default workers-types do
// not declare it.
declare const MessageChannel: new () => { port1: MessagePort; port2: MessagePort };

/** The hsm_secret bytes' store (Durable Object storage, a file in Deno). */
export type SecretStore = SeedStore;

export interface EdgeNodeOptions {
  network: string;
  secretStore: SecretStore;
  /** hsmd's channel signer state, durable (src/edge/hsm-channels-kv.ts); without it hsmd signs nothing for channels. */
  hsmChannels?: HsmChannelStore;
  storage: LightningdStorage;
  /** How connectd reaches peers: `CloudflareSocketDialer` on Workers, a Deno dialer in Deno. */
  dialer: Dialer;
  /** What `dialer` can do (planDial picks targets from it). */
  caps: DialCapabilities;
  /**
   * gossipd's store (the platform's storage slot for gossip): opened for gossipd and closed when it
   * stops. Default: an in-memory store (gossip is re-learnt after an eviction).
   */
  gossipStore?: GossipStore;
  /**
   * Esplora servers for the chain (used in turn when one fails): lightningd follows blocks, checks
   * funding outputs and runs the on-chain wallet over them. Without one: no chain, no wallet.
   */
  esplora?: string | string[];
  /** Core Lightning's --rescan: at start, follow the chain again from this many blocks back (negative: from that absolute height). */
  rescan?: number;
  /** Core Lightning's --watchtime-blocks: the to_self_delay we ask of peers, blocks (default 144). */
  watchtimeBlocks?: number;
  /** Core Lightning's --max-locktime-blocks: the longest to_self_delay a peer may ask of us (default 2016). */
  maxLocktimeBlocks?: number;
  /** Core Lightning's --min-emergency-msat, in sat: what the wallet keeps while we have anchors channels (default 25,000). */
  minEmergencySat?: number;
  /** The on-chain wallet's state (a key of the Durable Object's storage: keyValueWalletStorage); needs `esplora`. */
  walletStorage?: WalletStorage;
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
   * Where connectd listens once it runs (Deno: --bind-addr), through `listener`, which hands each
   * accepted stream to connectd (we are the BOLT 8 responder) and says where it listens (getinfo
   * `binding`). Absent on Workers, which take no inbound TCP.
   */
  bind?: { host: string; port: number }[];
  listener?: (host: string, port: number, accept: (stream: ByteStream) => void) => Promise<Listening>;
  onEvent?: (event: string, payload: unknown) => void;
  /** Called once when the node starts stopping (stop(), or `stop` over the RPC). */
  onStop?: () => void;
  /**
   * Restores the node from its BIP39 mnemonic (or a legacy secret as 64 hex digits) into a store
   * that holds no seed yet (Core Lightning's --recover); one that holds a seed is refused.
   */
  recover?: string;
}

export interface EdgeNode {
  /** Our node id, hex. */
  readonly id: string;
  readonly lightningd: Lightningd;
  /** Where connectd listens (getinfo `binding`). */
  readonly binding: NetAddress[];
  call(method: string, params?: unknown): Promise<unknown>;
  /** Follows the chain up to its tip now (one poll; nothing without a chain backend). */
  sync(): Promise<void>;
  /** One JSON-RPC 2.0 request object in, one response object out (never throws). */
  handle(req: unknown): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * A port as a Comlink endpoint. workerd's postMessage takes no transfer list (and cannot move a
 * port through a port), so messages are cloned.
 */
function endpoint(p: MessagePort): Comlink.Endpoint {
  return {
    postMessage: (m: unknown) => p.postMessage(m),
    addEventListener: (t: string, f: EventListenerOrEventListenerObject) => p.addEventListener(t as 'message', f as never),
    removeEventListener: (t: string, f: EventListenerOrEventListenerObject) => p.removeEventListener(t as 'message', f as never),
    start: () => p.start(),
  } as Comlink.Endpoint;
}

const edgeLinks = comlinkLinks<MessagePort>({
  channel() {
    const c = new MessageChannel();
    return [c.port1, c.port2];
  },
  endpoint,
  close: p => p.close(),
});

/** What each daemon of the table gets in this isolate, by kind (core/node/host.ts envByKind). */
function edgeEnvs(o: EdgeNodeOptions): RuntimeEnvs<undefined> {
  return {
    hsmd: base => ({
      ...base,
      // The stored bytes are an hsm_secret in Core Lightning's format (src/core/keys/seed.ts).
      loadOrCreateSecret: recover => openSeed(o.secretStore, randomBytes, recover),
      ...(o.hsmChannels ? { openChannelStore: async () => o.hsmChannels! } : {}),
    }),
    connectd: base => {
      const listener = o.listener;
      return {
        ...base,
        dialer: o.dialer,
        ...(listener ? { listen: (_kind, host, port, accept) => listener(host, port, accept) } : {}),
      };
    },
    gossipd: base => {
      let verifier: InlineVerifier | undefined;
      return {
        ...base,
        openStore: async () => o.gossipStore ?? new MemoryGossipStore(),
        // In this thread, a chunk at a time so requests and peers are served between chunks.
        verifier: async () =>
          (verifier = new InlineVerifier({
            engine: await selectEngine('auto', await Promise.resolve(o.verifyWasm).catch(() => undefined), randomInt32),
            pause: () => new Promise(r => setTimeout(r, 0)),
          })),
        inflate: inflateZlib,
        // Which engine checks its signatures ('libsecp256k1' or 'noble').
        info: () => ({ verify_engine: verifier?.engine }),
      };
    },
  };
}

/** A daemon host in this isolate: its control called directly, its main daemon's API over a channel. */
function isolateHost(o: EdgeNodeOptions): HostHandle<MessagePort, undefined> {
  const own = new MessageChannel();
  const control = daemonHost<MessagePort, undefined>({
    links: edgeLinks,
    env: envByKind<undefined>(kind => ({ clock: systemClock, log: consoleLog(kind, o.log ?? 'warn'), randomBytes }), edgeEnvs(o)),
    main: api => api && edgeLinks.expose(api, own.port1),
  });
  return {
    control,
    main: () => edgeLinks.wrap(own.port2),
    failed: new Promise<never>(() => undefined),
    async terminate() {
      own.port1.close();
      own.port2.close();
    },
  };
}

/** Builds and starts a whole node in this isolate. */
export async function buildEdgeNode(o: EdgeNodeOptions): Promise<EdgeNode> {
  installErrorTransfer();
  const chain = esploraChain(o.esplora, systemClock);
  const platform: Platform<MessagePort, undefined> = {
    links: edgeLinks,
    spawnHost: () => isolateHost(o),
    ctx: undefined,
    storage: { lightningd: o.storage, ...(o.walletStorage ? { wallet: o.walletStorage } : {}) },
    ...(chain ? { chain } : {}),
    caps: o.caps,
    clock: systemClock,
    randomBytes,
    log: prefix => consoleLog(prefix, o.log ?? 'warn'),
    version: EDGE_VERSION,
  };
  const binding: NetAddress[] = [];
  const bind = o.listener ? (o.bind ?? []) : [];
  const n = await assembleNode(platform, {
    ...commonNodeOptions(o),
    listen: bind.map(b => ({ kind: 'tcp', host: b.host, port: b.port })),
    emit: (ev, payload) => o.onEvent?.(ev, payload),
    lightningd: ({ listening }) => {
      bind.forEach((b, i) => binding.push({ type: 'ipv4', address: b.host, port: listening[i]! }));
      // `stop` over the RPC stops this node as stop() does.
      return { binding, stop: () => node.stop() };
    },
  });
  let stopping: Promise<void> | undefined;
  const node: EdgeNode = {
    id: n.id,
    lightningd: n.lightningd,
    binding,
    call: (method, params) => n.lightningd.rpc.call(method, params),
    async sync() {
      await n.chain?.sync();
    },
    handle: req => n.lightningd.rpc.handle(req),
    stop() {
      if (!stopping) o.onStop?.();
      stopping ??= n.stop();
      return stopping;
    },
  };
  return node;
}
