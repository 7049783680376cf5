// The browser runtime: lightningd in the calling realm (the page), hsmd, connectd and gossipd each in
// a module Worker, linked as design.md draws it: lightningd ↔ each daemon over the Worker's own port
// (Comlink), connectd ↔ hsmd on a MessageChannel that answers ECDH and nothing else, connectd ↔
// gossipd on two channels of their own (gossip in; gossipd's sends and warnings out), so gossip never
// passes through the page. The node secret is loaded inside the hsmd Worker and never crosses a
// port; peer WebSockets live in connectd; the gossip store (IndexedDB) lives in gossipd.
import * as Comlink from 'comlink';
import { Lightningd } from '../core/daemons/lightningd/lightningd.ts';
import { LightningdDb } from '../core/daemons/lightningd/db.ts';
import type { ConnectdConfig, ConnectdEvents, PeerConnectedEvent, PeerDisconnectedEvent } from '../core/daemons/connectd/types.ts';
import type { GossipdConfig, SyncProgress } from '../core/daemons/gossipd/types.ts';
import { ourFeatures } from '../core/features/index.ts';
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
import { installErrorTransfer } from '../links/comlink-errors.ts';
import { WebNodeError } from './errors.ts';
import { Emitter, type Listener, type WebNodeEventName } from './events.ts';
import { IdbLightningdStorage } from './lightningd-storage-idb.ts';
import { lockName, tryLock } from './lock.ts';
import { defaultWorker, spawnDaemon, type DaemonName, type DaemonWorker } from './spawn.ts';
import type { ConnectdWorkerApi, GossipdWorkerApi, HsmdWorkerApi, LogLevel } from './worker-api.ts';

/** Mirrors package.json's version (test/browser/web-node.test.ts checks that they agree). */
export const BOLTWORKER_VERSION = '0.1.0';

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
  /** connectd's timeouts (tests shorten them). */
  connectdConfig?: Partial<ConnectdConfig>;
  /** gossipd's batching and sync settings (tests shorten them). */
  gossipdConfig?: Partial<GossipdConfig>;
  /** Signature-check Workers under gossipd (default: one per core, at most 4). */
  verifyWorkers?: number;
  /** Daemons' console logging (default 'warn'). */
  log?: LogLevel;
  /**
   * Creates each daemon's module Worker. Default: the bundled entries `./workers/hsmd.worker.ts`,
   * `./workers/connectd.worker.ts` and `./workers/gossipd.worker.ts`. For a build that serves them
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
  if (o.recover !== undefined) wrap('recover', () => recoveryFile(o.recover));
  const bridges = o.bridge === undefined ? [] : [wrap('bridge', () => parseBridge(o.bridge!))];
  const peers = (o.peers ?? []).map(p => wrap(`peers (${p})`, () => parsePeerAddress(p, { network: o.network, port })));
  for (const p of peers) if (!p.endpoint) bad(`peers (${p.id}): an address is needed (id@host:port)`);
  return { dataName, bridges, peers };
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let t: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p.catch(() => undefined), new Promise<void>(r => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}

export async function startNode(options: WebNodeOptions): Promise<WebNode> {
  installErrorTransfer();
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
  const workers: DaemonWorker<unknown>[] = [];
  const daemonError = (daemon: DaemonName) => (message: string) => emitter.emit('daemon_error', { daemon, message });
  const storage = new IdbLightningdStorage(dataName);
  let lightningd: Lightningd | undefined;
  let gossipd: DaemonWorker<GossipdWorkerApi> | undefined;
  try {
    const hsmd = spawnDaemon<HsmdWorkerApi>('hsmd', create, daemonError('hsmd'));
    workers.push(hsmd as DaemonWorker<unknown>);
    const connectd = spawnDaemon<ConnectdWorkerApi>('connectd', create, daemonError('connectd'));
    workers.push(connectd as DaemonWorker<unknown>);
    gossipd = spawnDaemon<GossipdWorkerApi>('gossipd', create, daemonError('gossipd'));
    workers.push(gossipd as DaemonWorker<unknown>);
    const gd = gossipd;
    const db = new LightningdDb(storage);
    // lightningd's database loads while hsmd loads the secret and the other modules load.
    const [seed] = await Promise.all([
      hsmd.guard(hsmd.api.init(dataName, options.recover)).catch((e: { code?: unknown; message?: string }) => {
        throw e?.code === 'seed_exists' ? new WebNodeError('seed_exists', String(e.message)) : e;
      }),
      db.load(),
    ]);
    const nodeId = seed.id;
    let mnemonic = seed.mnemonic;

    // connectd ↔ gossipd: gossip in on one channel, gossipd's sends and warnings on another. The
    // gossip store loads while connectd starts (design.md "start": in parallel, nothing re-verified).
    const gossipIn = new MessageChannel();
    const gossipOut = new MessageChannel();
    const gossipLoaded = gd.guard(
      gd.api.init(
        {
          network: options.network,
          nodeId,
          dataName,
          log: options.log ?? 'warn',
          ...(options.verifyWorkers !== undefined ? { verifyWorkers: options.verifyWorkers } : {}),
          ...(options.gossipdConfig ? { config: options.gossipdConfig } : {}),
        },
        Comlink.transfer(gossipIn.port2, [gossipIn.port2]),
        Comlink.transfer(gossipOut.port1, [gossipOut.port1]),
        Comlink.proxy((p: SyncProgress) => emitter.emit('gossip_progress', p)),
      ),
    );
    gossipLoaded.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile

    const ecdh = new MessageChannel();
    await hsmd.guard(hsmd.api.serve(Comlink.transfer(ecdh.port1, [ecdh.port1]), ['ecdh']));
    const features = ourFeatures('I').toHex();
    // connectd → lightningd. Comlink calls these fire-and-forget.
    const events: ConnectdEvents = {
      peerConnected: (e: PeerConnectedEvent) => lightningd?.peerConnected(e),
      peerDisconnected: (e: PeerDisconnectedEvent) => lightningd?.peerDisconnected(e),
      peerSpoke: (id: string, m: Uint8Array) => lightningd?.peerSpoke(id, m),
    };
    await connectd.guard(
      connectd.api.init(
        { network: options.network, nodeId, features, config: options.connectdConfig, log: options.log ?? 'warn' },
        Comlink.transfer(ecdh.port2, [ecdh.port2]),
        Comlink.proxy(events),
        Comlink.transfer(gossipIn.port1, [gossipIn.port1]),
      ),
    );
    await connectd.guard(connectd.api.servePeerLink(Comlink.transfer(gossipOut.port2, [gossipOut.port2])));
    await gossipLoaded;

    // A browser opens WebSockets only; from an https page, `wss:` or loopback `ws:` only.
    const caps: DialCapabilities = { tcp: false, websocket: true, bridges, secureContext: location.protocol === 'https:' };
    lightningd = new Lightningd({
      network: options.network,
      version: `boltworker-${BOLTWORKER_VERSION}`,
      nodeId,
      alias: options.alias ?? `boltworker-${nodeId.slice(0, 8)}`,
      color: options.color ?? nodeId.slice(2, 8),
      ourFeatures: { init: features, node: ourFeatures('N').toHex(), channel: '', invoice: '' },
      connectd: connectd.api,
      gossipd: gd.api,
      db,
      caps,
      binding: [], // a browser cannot listen
      emit: (event, payload) => emitter.emit(event, payload),
      // `stop` over the RPC stops the node as stop() does.
      stop: () => node.stop(),
    });
    const ld = lightningd;

    for (const p of peers) {
      const targets = planDial(p.endpoint!, caps);
      if (targets.length === 0)
        throw new WebNodeError('bad_option', `peers (${p.id}): no way to reach it from a browser (configure a bridge)`);
      await connectd.guard(connectd.api.addImportantPeer(p.id, targets));
    }

    let stopping: Promise<void> | undefined;
    const node: WebNode = {
      id: nodeId,
      dataName,
      network: options.network,
      takeMnemonic() {
        const m = mnemonic;
        mnemonic = undefined;
        return m;
      },
      call(method, params) {
        if (stopping) return Promise.reject(new WebNodeError('stopped', `the node '${dataName}' was stopped`));
        // Every failure comes back as an RpcError with Core Lightning's numeric code.
        return ld.rpc.call(method, params);
      },
      on: (event, fn) => emitter.on(event, fn),
      off: (event, fn) => emitter.off(event, fn),
      stop() {
        stopping ??= (async () => {
          try {
            await withTimeout(connectd.api.stop(), STOP_GRACE_MS);
            // Closes gossipd (after writing what it holds), its verify pool and its store.
            await withTimeout(gd.guard(gd.api.stop()), GOSSIPD_STOP_GRACE_MS);
            await db.flush().catch(e => console.warn('boltworker: saving lightningd state failed', e));
          } finally {
            for (const w of workers) w.terminate();
            await storage.close();
            emitter.clear();
            lock.release();
          }
        })();
        return stopping;
      },
    };
    return node;
  } catch (e) {
    // The store's connection closes with its Worker (IndexedDB commits a batch whole or not at all).
    if (gossipd) await withTimeout(gossipd.guard(gossipd.api.stop()), STOP_GRACE_MS);
    for (const w of workers) w.terminate();
    await storage.close();
    lock.release();
    throw e;
  }
}
