// The Node runtime: lightningd in the main thread, each daemon in its own worker thread, linked as
// design.md draws it (lightningd ↔ each daemon over the worker's port; connectd ↔ hsmd on an
// ECDH-only channel; connectd ↔ gossipd on a channel of their own).
import { MessageChannel } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { Lightningd } from '../core/daemons/lightningd/lightningd.ts';
import { LightningdDb } from '../core/daemons/lightningd/db.ts';
import { ourFeatures } from '../core/features/index.ts';
import { defaultPort, parseBridge, parseHost, parseHostPort, type Bridge, type Host } from '../core/net/address.ts';
import type { NetAddress } from '../core/net/transport.ts';
import { installErrorTransfer } from '../links/comlink-errors.ts';
import { spawnDaemon, type DaemonWorker } from './workers/spawn.ts';
import type { HsmdWorkerApi } from './workers/hsmd-worker.ts';
import type { ConnectdWorkerApi } from './workers/connectd-worker.ts';
import type { GossipdWorkerApi } from './workers/gossipd-worker.ts';
import { FileLightningdStorage } from './lightningd-storage.ts';
import { isLoopback, startRpcHttp, type RpcHttpServer } from './rpc-http.ts';
import { startRpcSocket, type RpcSocketServer } from './rpc-socket.ts';
import { inNetworkDir, openNetworkDir } from './network-dir.ts';
import { writeCookie } from './rpc-cookie.ts';
import { nodeLog } from './log.ts';
import { VERSION } from './version.ts';

export interface NodeOptions {
  network: string;
  /** The lightning-dir: this network's files go in `<lightningDir>/<network>/`, as Core Lightning's. */
  lightningDir: string;
  /** `--bind-addr`: `[ws:]HOST[:PORT]` listeners (the network's port when none is given). */
  bindAddr?: string[];
  /** `--addr`: listen there and announce it (a wildcard address is not announced). */
  addr?: string[];
  /** `--announce-addr`: `HOST[:PORT]` announced (getinfo `address`) without listening. */
  announceAddr?: string[];
  /** The JSON-RPC Unix socket, relative to the network directory (default `lightning-rpc`); null: none. */
  rpcFile?: string | null;
  /** The socket's file mode (default 0o600: the owner only). */
  rpcFileMode?: number;
  /** `HOST:PORT` for JSON-RPC over HTTP (off by default); it requires the cookie beside the socket. */
  rpcAddr?: string;
  /** Origins allowed to call the HTTP endpoint from a web page. */
  rpcAllowOrigin?: string[];
  alias?: string;
  color?: string;
  /** Bridges for WebSocket-only targets (not needed in Node, which has TCP). */
  bridges?: string[];
  /** Timeouts etc. for connectd (tests shorten them). */
  connectdConfig?: Record<string, number>;
  gossipdConfig?: Record<string, number>;
  /** Signature-check workers for gossipd (default: the machine's cores, at most 4). */
  verifyWorkers?: number;
  /** Esplora API base URL for funding-output checks (default: trust announcements, as getinfo says). */
  esplora?: string;
  /** `--recover`: restore from this BIP39 mnemonic (or legacy 64-hex secret) into a new hsm_secret. */
  recover?: string;
  /** listconfigs' `configs` (the command line builds it from the options it parsed). */
  configs?: () => Record<string, unknown>;
  onEvent?: (event: string, payload: unknown) => void;
}

export interface RunningNode {
  id: string;
  lightningd: Lightningd;
  /** `<lightning-dir>/<network>`. */
  networkDir: string;
  binding: NetAddress[];
  address: NetAddress[];
  /** The JSON-RPC Unix socket's path. */
  rpcSocket?: string;
  /** The HTTP endpoint as bound, and its cookie file. */
  rpcHttp?: { host: string; port: number; url: string; cookieFile: string; beyondLoopback: boolean };
  call(method: string, params?: unknown): Promise<unknown>;
  stop(): Promise<void>;
  /** Resolves once the node has stopped (by stop() or the `stop` command). */
  readonly stopped: Promise<void>;
}

interface Bind {
  kind: 'tcp' | 'ws';
  host: Host;
  port: number;
}

/** `[ws:]HOST[:PORT]` as Core Lightning's addr options take it; port 0 (any free port) is allowed for listening. */
function parseBind(option: string, s: string, network: string): Bind {
  const ws = s.startsWith('ws:');
  const rest = ws ? s.slice(3) : s;
  let hostText = rest;
  let portText: string | undefined;
  const close = rest.startsWith('[') ? rest.indexOf(']') : -1;
  if (close > 0) [hostText, portText] = [rest.slice(0, close + 1), rest[close + 1] === ':' ? rest.slice(close + 2) : undefined];
  else if (rest.split(':').length === 2) [hostText, portText] = rest.split(':') as [string, string];
  try {
    if (portText !== undefined && (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)) throw new Error(`bad port '${portText}'`);
    return { kind: ws ? 'ws' : 'tcp', host: parseHost(hostText), port: portText === undefined ? defaultPort(network) : Number(portText) };
  } catch (e) {
    throw new Error(`--${option} ${s}: ${(e as Error).message} (expected [ws:]HOST[:PORT])`);
  }
}

function netAddress(b: Bind, port: number): NetAddress {
  return { type: b.kind === 'ws' ? 'websocket' : b.host.type, address: b.host.host, port };
}

const WILDCARD = new Set(['0.0.0.0', '::']);

export async function startNode(o: NodeOptions): Promise<RunningNode> {
  // The directory and its lock first, in this thread: a bad lightning-dir or a second daemon fails
  // here at once, before any worker starts or any file is written.
  const nd = await openNetworkDir(o.lightningDir, o.network);
  const dir = nd.dir;
  let binds: Bind[];
  let announce: NetAddress[];
  try {
    binds = [
      ...(o.bindAddr ?? []).map(b => parseBind('bind-addr', b, o.network)),
      ...(o.addr ?? []).map(b => parseBind('addr', b, o.network)),
    ];
    announce = (o.announceAddr ?? []).map(a => {
      try {
        const hp = parseHostPort(a, defaultPort(o.network));
        return { type: hp.type, address: hp.host, port: hp.port };
      } catch (e) {
        throw new Error(`--announce-addr ${a}: ${(e as Error).message}`);
      }
    });
  } catch (e) {
    await nd.release();
    throw e;
  }
  installErrorTransfer();
  const log = nodeLog('lightningd');
  const hsmd = spawnDaemon<HsmdWorkerApi>('hsmd', new URL('./workers/hsmd-worker.ts', import.meta.url));
  const connectd = spawnDaemon<ConnectdWorkerApi>('connectd', new URL('./workers/connectd-worker.ts', import.meta.url));
  const gossipd = spawnDaemon<GossipdWorkerApi>('gossipd', new URL('./workers/gossipd-worker.ts', import.meta.url));
  const workers: DaemonWorker<unknown>[] = [hsmd, connectd, gossipd];
  const storage = new FileLightningdStorage(dir);
  const db = new LightningdDb(storage);
  let lightningd: Lightningd | undefined;
  let rpcSocket: RpcSocketServer | undefined;
  let rpcHttp: RpcHttpServer | undefined;
  let cookie: Awaited<ReturnType<typeof writeCookie>> | undefined;
  try {
    // lightningd's db loads while hsmd starts and gossipd loads its store: in parallel.
    const [nodeId] = await Promise.all([hsmd.api.init(dir, o.recover), db.load()]);
    // connectd ↔ gossipd: gossip in on one channel, gossipd's sends and warnings on another.
    const gossipIn = new MessageChannel();
    const gossipOut = new MessageChannel();
    const gossipLoaded = gossipd.api.init(
      { network: o.network, nodeId, lightningDir: dir, verifyWorkers: o.verifyWorkers, esplora: o.esplora, config: o.gossipdConfig },
      Comlink.transfer(gossipIn.port2, [gossipIn.port2]) as never,
      Comlink.transfer(gossipOut.port1, [gossipOut.port1]) as never,
      Comlink.proxy((p: unknown) => o.onEvent?.('gossip_progress', p)) as never,
    );
    const ecdh = new MessageChannel();
    await hsmd.api.serve(Comlink.transfer(ecdh.port1, [ecdh.port1]) as never, ['ecdh']);
    const features = ourFeatures('I').toHex();
    const events = {
      peerConnected: (e: never) => lightningd?.peerConnected(e),
      peerDisconnected: (e: never) => lightningd?.peerDisconnected(e),
      peerSpoke: (id: string, m: Uint8Array) => lightningd?.peerSpoke(id, m),
    };
    await connectd.api.init(
      { network: o.network, nodeId, features, config: o.connectdConfig },
      Comlink.transfer(ecdh.port2, [ecdh.port2]) as never,
      Comlink.proxy(events) as never,
      Comlink.transfer(gossipIn.port1, [gossipIn.port1]) as never,
    );
    await connectd.api.servePeerLink(Comlink.transfer(gossipOut.port2, [gossipOut.port2]) as never);
    await gossipLoaded;
    const binding: NetAddress[] = [];
    const address: NetAddress[] = [...announce];
    const announced = new Set((o.addr ?? []).map(b => parseBind('addr', b, o.network)));
    for (const b of binds) {
      const port = await connectd.api.listen(b.kind, b.host.host, b.port);
      binding.push(netAddress(b, port));
      // --addr: announce what we listen on (with the port actually bound), never a wildcard address.
      if ([...announced].some(a => a.kind === b.kind && a.host.host === b.host.host && a.port === b.port) && !WILDCARD.has(b.host.host))
        address.push(netAddress(b, port));
    }
    const bridges: Bridge[] = (o.bridges ?? []).map(u => parseBridge(u));
    let api: RunningNode | undefined;
    let daemonsDown: Promise<void> | undefined;
    const stopDaemons = () =>
      (daemonsDown ??= (async () => {
        await connectd.api.stop().catch(() => undefined);
        await gossipd.api.stop().catch(() => undefined);
        await db.flush();
        await Promise.all(workers.map(w => w.terminate()));
      })());
    lightningd = new Lightningd({
      network: o.network,
      version: `boltworker-${VERSION}`,
      nodeId,
      alias: o.alias ?? `boltworker-${nodeId.slice(0, 8)}`,
      color: o.color ?? nodeId.slice(2, 8),
      ourFeatures: { init: features, node: ourFeatures('N').toHex(), channel: '', invoice: '' },
      connectd: connectd.api,
      gossipd: gossipd.api,
      db,
      caps: { tcp: true, websocket: true, bridges },
      binding,
      address,
      lightningDir: dir,
      configs: o.configs ?? (() => defaultConfigs(o, nd.lightningDir)),
      // The `stop` command: the daemons go down, then it answers (as lightningd), then the RPC closes.
      stop: async () => {
        try {
          await stopDaemons();
        } finally {
          setImmediate(() => void api?.stop());
        }
      },
      emit: (ev, payload) => {
        log.debug(`${ev} ${JSON.stringify(payload)}`);
        o.onEvent?.(ev, payload);
      },
    });
    const ld = lightningd;
    if (o.rpcFile !== null) {
      rpcSocket = await startRpcSocket(ld.rpc, inNetworkDir(dir, o.rpcFile ?? 'lightning-rpc'), o.rpcFileMode ?? 0o600);
      log.info(`JSON-RPC on ${rpcSocket.path}`);
    }
    let httpInfo: RunningNode['rpcHttp'];
    if (o.rpcAddr) {
      const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(o.rpcAddr);
      if (!m || Number(m[2]) > 65535) throw new Error(`--rpc-addr: expected HOST:PORT, got ${o.rpcAddr}`);
      cookie = await writeCookie(cookiePath(dir, o.rpcFile));
      rpcHttp = await startRpcHttp(ld.rpc, { host: m[1]!, port: Number(m[2]), cookie: cookie.value, allowOrigins: o.rpcAllowOrigin });
      const url = `http://${rpcHttp.host.includes(':') ? `[${rpcHttp.host}]` : rpcHttp.host}:${rpcHttp.port}/`;
      httpInfo = { host: rpcHttp.host, port: rpcHttp.port, url, cookieFile: cookie.path, beyondLoopback: rpcHttp.beyondLoopback };
      log.info(`JSON-RPC over HTTP on ${url} (credential: ${cookie.path})`);
      const warning = rpcAddrWarning(rpcHttp.host, rpcHttp.port);
      if (warning) log.warn(warning);
    }
    let stopping: Promise<void> | undefined;
    let stoppedResolve!: () => void;
    const stopped = new Promise<void>(r => (stoppedResolve = r));
    api = {
      id: nodeId,
      lightningd: ld,
      networkDir: dir,
      binding,
      address,
      rpcSocket: rpcSocket?.path,
      rpcHttp: httpInfo,
      stopped,
      call: (method, params) => ld.rpc.call(method, params),
      stop() {
        stopping ??= (async () => {
          try {
            await rpcHttp?.close();
            await rpcSocket?.close();
            await cookie?.remove();
            await stopDaemons();
          } finally {
            await nd.release();
            stoppedResolve();
          }
        })();
        return stopping;
      },
    };
    return api;
  } catch (e) {
    await rpcHttp?.close().catch(() => undefined);
    await rpcSocket?.close().catch(() => undefined);
    await cookie?.remove().catch(() => undefined);
    await Promise.all(workers.map(w => w.terminate()));
    await nd.release();
    throw e;
  }
}

/** The HTTP endpoint's cookie file: beside the socket, `<rpc-file>.cookie`. */
export function cookiePath(networkDir: string, rpcFile?: string | null): string {
  return `${inNetworkDir(networkDir, rpcFile ?? 'lightning-rpc')}.cookie`;
}

/** The warning printed when the HTTP endpoint is reachable from other machines; none on loopback. */
export function rpcAddrWarning(host: string, port: number): string | undefined {
  if (isLoopback(host)) return undefined;
  const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return `--rpc-addr ${shown} is reachable beyond this machine${WILDCARD.has(host) ? ' (every interface)' : ''}: anyone who can reach it and read the cookie controls the node; prefer the Unix socket or 127.0.0.1`;
}

/** listconfigs for an embedder that gave no configs: what NodeOptions set. */
function defaultConfigs(o: NodeOptions, lightningDir: string): Record<string, unknown> {
  const v = (value_str: string) => ({ value_str, source: 'cmdline' });
  const vs = (values_str: string[]) => ({ values_str, sources: values_str.map(() => 'cmdline') });
  const out: Record<string, unknown> = {
    'lightning-dir': v(lightningDir),
    network: v(o.network),
    'rpc-file': v(o.rpcFile ?? 'lightning-rpc'),
  };
  if (o.alias) out.alias = v(o.alias);
  if (o.bindAddr?.length) out['bind-addr'] = vs(o.bindAddr);
  if (o.addr?.length) out.addr = vs(o.addr);
  if (o.announceAddr?.length) out['announce-addr'] = vs(o.announceAddr);
  if (o.rpcAddr) out['rpc-addr'] = v(o.rpcAddr);
  return out;
}
