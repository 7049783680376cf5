// The browser runtime: lightningd in the calling realm (the page), each daemon in a module Worker
// of its own (one generic host, workers/host.worker.ts), assembled from the node table by
// core/node/assemble.ts with the browser's platform: module Workers, IndexedDB, WebSockets, Web
// Locks for one node per data name. The node secret is loaded inside the hsmd Worker and never
// crosses a port; peer WebSockets live in connectd; the gossip store (IndexedDB) lives in gossipd.
import type { ConnectdConfig } from '../core/daemons/connectd/interface.ts';
import type { GossipdConfig } from '../core/daemons/gossipd/interface.ts';
import type { Lightningd } from '../core/daemons/lightningd/lightningd.ts';
import {
  defaultPort,
  parseBridge,
  parsePeerAddress,
  planDial,
  type Bridge,
  type DialCapabilities,
  type PeerAddress,
} from '../core/net/address.ts';
import { isBoltError } from '../core/base/errors.ts';
import { recoveryFile } from '../core/keys/seed.ts';
import { assembleNode, commonNodeOptions } from '../core/node/assemble.ts';
import type { Platform } from '../core/node/platform.ts';
import { installErrorTransfer } from '../links/comlink-errors.ts';
import { consoleLog, randomBytes, systemClock } from '../platform/system.ts';
import { NODE_VERSION, VERSION } from '../platform/version.ts';
import { esploraChain } from '../platform/esplora.ts';
import { WebNodeError } from './errors.ts';
import { Emitter, type Listener, type WebNodeEventName } from './events.ts';
import { flushOnHide } from './flush-on-hide.ts';
import { IdbLightningdStorage, IdbWalletStorage } from './lightningd-storage-idb.ts';
import { lockName, tryLock } from './lock.ts';
import { defaultWorker, spawnHost, type DaemonName } from './spawn.ts';
import { installWebEcEngine } from './ec-engine.ts';
import { webLinks, type LogLevel, type WebHostCtx } from './worker-api.ts';
import { locktimeProblem } from '../core/daemons/lightningd/channel-config.ts';

/** The platform's chain from the `esplora` option; a malformed URL is the caller's bad option. */
function chainOf(urls: string | string[] | undefined): Pick<Platform<MessagePort, WebHostCtx>, 'chain'> {
  try {
    const chain = esploraChain(urls, systemClock);
    return chain ? { chain } : {};
  } catch (e) {
    throw new WebNodeError('bad_option', `esplora: ${(e as Error).message}`);
  }
}

/** Mirrors package.json's version (test/browser/web-node.test.ts checks that they agree). */
export const BOLTWORKER_VERSION = VERSION;

export interface WebNodeOptions {
  /** 'bitcoin', 'testnet', 'testnet4', 'signet' or 'regtest'. */
  network: string;
  /** Names this node's data (secret, database) in this origin; one running node per name. Default 'default'. */
  dataName?: string;
  /**
   * A WebSocket-to-TCP bridge for peers that listen on TCP only: a URL template with `{host}` and
   * `{port}` (e.g. 'ws://127.0.0.1:8080/{host}:{port}'), or a base URL to which `/{host}:{port}` is
   * appended. Without one, only peers with a WebSocket listener are reachable.
   */
  bridge?: string;
  /** Peers to keep connected from the start (`id@host:port`): connected now, reconnected with backoff. */
  peers?: string[];
  alias?: string;
  /** Six hex digits. */
  color?: string;
  /**
   * Restores a node from its BIP39 mnemonic (or a legacy secret as 64 hex digits) into a data name
   * that holds no seed yet; one that does is refused (WebNodeError 'seed_exists').
   */
  recover?: string;
  /**
   * Esplora servers for the chain (e.g. 'https://blockstream.info/api', or `boltworker regtest`'s URL):
   * lightningd follows blocks, checks funding outputs and runs the on-chain wallet (newaddr, listfunds,
   * withdraw) over them, each used in turn when one fails. Without one the node has no chain and no wallet.
   */
  esplora?: string | string[];
  /**
   * Core Lightning's --rescan: at start, follow the chain again from this many blocks back, or from
   * block -N when negative (a node restored with `recover` finds the coins paid to its seed before).
   */
  rescan?: number;
  /** Core Lightning's --watchtime-blocks: the to_self_delay we ask of peers, blocks (default 144). */
  watchtimeBlocks?: number;
  /** Core Lightning's --max-locktime-blocks: the longest to_self_delay a peer may ask of us (default 2016). */
  maxLocktimeBlocks?: number;
  /** Core Lightning's --min-emergency-msat, in sat: what the wallet keeps while we have anchors channels (default 25,000). */
  minEmergencySat?: number;
  /** connectd's timeouts (tests shorten them). */
  connectdConfig?: Partial<ConnectdConfig>;
  /** gossipd's batching and sync settings (tests shorten them). */
  gossipdConfig?: Partial<GossipdConfig>;
  /** Signature-check Workers under gossipd (default: one per core, at most 4). */
  verifyWorkers?: number;
  /** Daemons' console logging (default 'warn'). */
  log?: LogLevel;
  /**
   * Creates the module Worker for a daemon kind. Default: the bundled host entry
   * `./workers/host.worker.ts`, named `boltworker-KIND`. For a build that serves it
   * elsewhere, or a test that wraps them.
   */
  createWorker?: (daemon: DaemonName) => Worker;
}

export interface WebNode {
  /** Our node id, hex. */
  readonly id: string;
  readonly dataName: string;
  readonly network: string;
  /**
   * Core Lightning's JSON-RPC methods and shapes: getinfo, connect, listpeers, ping, disconnect,
   * listnodes, listchannels, getroute, listconfigs, help, stop. Rejects with RpcError, whose `code` is
   * Core Lightning's number (`e.code === 205`: no route); after stop(), with WebNodeError 'stopped'.
   * `stop` stops the node as stop() does and answers "Shutdown complete".
   */
  call(method: string, params?: unknown): Promise<unknown>;
  /**
   * The BIP39 mnemonic of a node this startNode created, once: the first call returns it (show it to
   * the user to write down; `recover` restores the node from it), every later call, and any call on
   * a node that was loaded or restored, returns undefined. hsmd keeps the seed; nothing else does.
   */
  takeMnemonic(): string | undefined;
  /** lightningd in this page (as Node's startNode gives it): what drives channels directly (bench/htlc-round-trip.ts). */
  readonly lightningd: Lightningd;
  on<K extends WebNodeEventName>(event: K, fn: Listener<K>): void;
  off<K extends WebNodeEventName>(event: K, fn: Listener<K>): void;
  /** Closes every connection, saves, ends the Workers and releases the data name. Idempotent. */
  stop(): Promise<void>;
}

export type { WebNodeEvents, WebNodeEventName } from './events.ts';

const STOP_GRACE_MS = 3000;
/** gossipd's stop writes what it still holds to IndexedDB first: allow it longer. */
const GOSSIPD_STOP_GRACE_MS = 15000;

function checkOptions(o: WebNodeOptions): { dataName: string; bridges: Bridge[]; peers: PeerAddress[] } {
  const bad = (m: string): never => {
    throw new WebNodeError('bad_option', m);
  };
  if (!o || typeof o !== 'object') bad('startNode needs an options object');
  const port = (() => {
    try {
      return defaultPort(o.network);
    } catch (e) {
      return bad(`network: ${(e as Error).message}`);
    }
  })();
  const dataName = o.dataName ?? 'default';
  if (typeof dataName !== 'string' || dataName === '') bad('dataName must be a non-empty string');
  const wrap = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (isBoltError(e)) throw new WebNodeError('bad_option', `${what}: ${e.message}`);
      throw e;
    }
  };
  if (o.recover !== undefined) wrap('recover', () => recoveryFile(o.recover!));
  if (o.rescan !== undefined && (!Number.isSafeInteger(o.rescan) || Math.abs(o.rescan) > 1e8))
    bad('rescan: expected a whole number of blocks');
  const locktimes = locktimeProblem(o);
  if (locktimes) bad(locktimes);
  const bridges = o.bridge === undefined ? [] : [wrap('bridge', () => parseBridge(o.bridge!))];
  const peers = (o.peers ?? []).map(p => wrap(`peers (${p})`, () => parsePeerAddress(p, { network: o.network, port })));
  for (const p of peers) if (!p.endpoint) bad(`peers (${p.id}): an address is needed (id@host:port)`);
  return { dataName, bridges, peers };
}

export async function startNode(options: WebNodeOptions): Promise<WebNode> {
  installErrorTransfer();
  // lightningd builds onions and checks invoices in the page: libsecp256k1 for them.
  await installWebEcEngine();
  const { dataName, bridges, peers } = checkOptions(options);
  const lock = await tryLock(lockName(dataName));
  if (!lock) {
    throw new WebNodeError(
      'node_locked',
      `a boltworker node with data name '${dataName}' is already running in this origin (another tab, or this page): stop it first or use another dataName`,
    );
  }
  // Ask the browser not to evict our data under storage pressure; a refusal changes nothing here.
  void navigator.storage?.persist?.().catch(() => false);

  const emitter = new Emitter();
  const create = options.createWorker ?? defaultWorker;
  const storage = new IdbLightningdStorage(dataName);
  const walletStorage = new IdbWalletStorage(dataName);
  const level = options.log ?? 'warn';
  // A browser opens WebSockets only; from an https page, `wss:` or loopback `ws:` only.
  const caps: DialCapabilities = { tcp: false, websocket: true, bridges, secureContext: location.protocol === 'https:' };
  const platform: Platform<MessagePort, WebHostCtx> = {
    links: webLinks,
    spawnHost: kind => spawnHost(kind, create, message => emitter.emit('daemon_error', { daemon: kind, message })),
    ctx: { dataName, log: level, ...(options.verifyWorkers !== undefined ? { verifyWorkers: options.verifyWorkers } : {}) },
    storage: { lightningd: storage, wallet: walletStorage },
    ...chainOf(options.esplora),
    caps,
    clock: systemClock,
    randomBytes,
    log: prefix => consoleLog(prefix, level),
    version: NODE_VERSION,
    stopGraceMs: kind => (kind === 'gossipd' ? GOSSIPD_STOP_GRACE_MS : STOP_GRACE_MS),
  };
  let stopping: Promise<void> | undefined;
  let assembled;
  try {
    assembled = await assembleNode(platform, {
      ...commonNodeOptions(options),
      emit: (event, payload) => emitter.emit(event, payload),
      lightningd: () => ({
        binding: [], // a browser cannot listen
        // `stop` over the RPC stops the node as stop() does.
        stop: () => node.stop(),
      }),
    });
  } catch (e) {
    await storage.close();
    await walletStorage.close();
    await lock.release();
    const code = (e as { code?: unknown } | undefined)?.code;
    throw code === 'seed_exists' ? new WebNodeError('seed_exists', String((e as Error).message)) : e;
  }
  const n = assembled;
  // Hidden or left (pagehide, visibilitychange): lightningd's database writes what it holds (flush-on-hide.ts).
  const log = consoleLog('lightningd', level);
  // (A node started in a Worker has no page to hide.)
  const unhide =
    typeof window === 'undefined' || typeof document === 'undefined'
      ? () => undefined
      : flushOnHide(
          () => n.db.flush(),
          e => log.warn(`saving lightningd's database as the page was hidden failed: ${e instanceof Error ? e.message : String(e)}`),
          window,
          document,
        );
  // hsmd hands a new seed's mnemonic over once; the page gets it once (takeMnemonic).
  let mnemonic = await n.hsmd.guard(n.hsmd.api.takeMnemonic());
  const node: WebNode = {
    id: n.id,
    dataName,
    network: options.network,
    lightningd: n.lightningd,
    takeMnemonic() {
      const m = mnemonic;
      mnemonic = undefined;
      return m;
    },
    call(method, params) {
      if (stopping) return Promise.reject(new WebNodeError('stopped', `the node '${dataName}' was stopped`));
      // Every failure comes back as an RpcError with Core Lightning's numeric code.
      return n.lightningd.rpc.call(method, params);
    },
    on: (event, fn) => emitter.on(event, fn),
    off: (event, fn) => emitter.off(event, fn),
    stop() {
      stopping ??= (async () => {
        unhide();
        try {
          await n.stop();
        } finally {
          await storage.close();
          await walletStorage.close();
          emitter.clear();
          await lock.release();
        }
      })();
      return stopping;
    },
  };
  try {
    for (const p of peers) {
      const targets = planDial(p.endpoint!, caps);
      if (targets.length === 0)
        throw new WebNodeError('bad_option', `peers (${p.id}): no way to reach it from a browser (configure a bridge)`);
      await n.connectd.guard(n.connectd.api.addImportantPeer(p.id, targets));
    }
  } catch (e) {
    await node.stop();
    throw e;
  }
  return node;
}
