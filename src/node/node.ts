// The Node runtime: lightningd in the main thread, each daemon in its own worker thread, linked as
// design.md draws it (lightningd ↔ each daemon over the worker's port; connectd ↔ hsmd on an
// ECDH-only channel; connectd ↔ gossipd on a channel of their own).
import type { MessagePort } from 'node:worker_threads';
import type { ConnectdConfig } from '../core/daemons/connectd/interface.ts';
import type { GossipdConfig } from '../core/daemons/gossipd/interface.ts';
import type { Lightningd } from '../core/daemons/lightningd/lightningd.ts';
import { defaultPort, parseBridge, parseHostPort, type Host } from '../core/net/address.ts';
import { parseListenHostPort } from '../core/net/host.ts';
import type { NetAddress } from '../core/net/transport.ts';
import { assembleNode, commonNodeOptions, type AssembledNode } from '../core/node/assemble.ts';
import type { Platform } from '../core/node/platform.ts';
import { installErrorTransfer } from '../links/comlink-errors.ts';
import { randomBytes, systemClock } from '../platform/system.ts';
import { NODE_VERSION } from '../platform/version.ts';
import { esploraChain } from '../platform/esplora.ts';

/** lightningd's chain backend: Esplora over Node's fetch, several URLs used in turn. */
import { nodeLinks, type NodeHostCtx } from './workers/links.ts';
import { spawnHost } from './workers/spawn.ts';
import { FileLightningdStorage, FileWalletStorage } from './lightningd-storage.ts';
import { isLoopback, startRpcHttp, type RpcHttpServer } from './rpc-http.ts';
import { startRpcSocket, type RpcSocketServer } from './rpc-socket.ts';
import { inNetworkDir, openNetworkDir } from './network-dir.ts';
import { writeCookie } from './rpc-cookie.ts';
import { nodeLog } from './log.ts';
import { installNodeEcEngine } from './ec-engine.ts';

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
  connectdConfig?: Partial<ConnectdConfig>;
  gossipdConfig?: Partial<GossipdConfig>;
  /** Signature-check workers for gossipd (default: the machine's cores, at most 4). */
  verifyWorkers?: number;
  /** Esplora API base URLs, used in turn when one fails: lightningd's chain backend (default: none; gossipd trusts announcements, as getinfo says). */
  esplora?: string | string[];
  /** How often lightningd asks the chain for new blocks (the platform's `chain.pollIntervalMs`; default 30 s, 1 s on regtest). */
  chainPollMs?: number;
  /** Core Lightning's --rescan: blocks to follow again at start (negative: from that absolute height). */
  rescan?: number;
  /** Core Lightning's --watchtime-blocks: the to_self_delay we ask of peers, blocks (default 144). */
  watchtimeBlocks?: number;
  /** Core Lightning's --max-locktime-blocks: the longest to_self_delay a peer may ask of us (default 2016). */
  maxLocktimeBlocks?: number;
  /** Core Lightning's --min-emergency-msat, in sat: what the wallet keeps while we have anchors channels (default 25,000). */
  minEmergencySat?: number;
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
  try {
    const { type, host, port } = parseListenHostPort(ws ? s.slice(3) : s, defaultPort(network));
    return { kind: ws ? 'ws' : 'tcp', host: { type, host }, port };
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
  // lightningd builds onions and checks invoices in this thread: libsecp256k1 for them.
  await installNodeEcEngine();
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
  let assembled: AssembledNode<MessagePort> | undefined;
  let rpcSocket: RpcSocketServer | undefined;
  let rpcHttp: RpcHttpServer | undefined;
  let cookie: Awaited<ReturnType<typeof writeCookie>> | undefined;
  try {
    const chain = esploraChain(o.esplora, systemClock);
    const platform: Platform<MessagePort, NodeHostCtx> = {
      links: nodeLinks,
      spawnHost,
      ctx: {
        networkDir: dir,
        ...(o.verifyWorkers !== undefined ? { verifyWorkers: o.verifyWorkers } : {}),
      },
      storage: { lightningd: new FileLightningdStorage(dir), wallet: new FileWalletStorage(dir) },
      // Bridges for WebSocket-only targets (Node has TCP and `ws` itself).
      caps: { tcp: true, websocket: true, bridges: (o.bridges ?? []).map(u => parseBridge(u)) },
      clock: systemClock,
      randomBytes,
      log: nodeLog,
      version: NODE_VERSION,
      ...(chain ? { chain: { ...chain, ...(o.chainPollMs !== undefined ? { pollIntervalMs: o.chainPollMs } : {}) } } : {}),
    };
    const binding: NetAddress[] = [];
    const address: NetAddress[] = [...announce];
    const announced = (o.addr ?? []).map(b => parseBind('addr', b, o.network));
    let api: RunningNode | undefined;
    assembled = await assembleNode(platform, {
      ...commonNodeOptions(o),
      listen: binds.map(b => ({ kind: b.kind, host: b.host.host, port: b.port })),
      emit: (ev, payload) => {
        log.debug(`${ev} ${JSON.stringify(payload)}`);
        o.onEvent?.(ev, payload);
      },
      lightningd: ({ listening }) => {
        binds.forEach((b, i) => {
          const port = listening[i]!;
          binding.push(netAddress(b, port));
          // --addr: announce what we listen on (with the port actually bound), never a wildcard address.
          if (announced.some(a => a.kind === b.kind && a.host.host === b.host.host && a.port === b.port) && !WILDCARD.has(b.host.host))
            address.push(netAddress(b, port));
        });
        return {
          binding,
          address,
          lightningDir: dir,
          configs: o.configs ?? (() => defaultConfigs(o, nd.lightningDir)),
          // The `stop` command: the daemons go down, then it answers (as lightningd), then the RPC closes.
          stop: async () => {
            try {
              await assembled?.stop();
            } finally {
              setImmediate(() => void api?.stop());
            }
          },
        };
      },
    });
    const node = assembled;
    const nodeId = node.id;
    const ld = node.lightningd;
    if (o.rpcFile !== null) {
      rpcSocket = await startRpcSocket(ld.rpc, inNetworkDir(dir, o.rpcFile ?? 'lightning-rpc'), o.rpcFileMode ?? 0o600);
      log.info(`JSON-RPC on ${rpcSocket.path}`);
    }
    let httpInfo: RunningNode['rpcHttp'];
    if (o.rpcAddr) {
      let at: { host: string; port: number };
      try {
        at = parseListenHostPort(o.rpcAddr);
      } catch (e) {
        throw new Error(`--rpc-addr: expected HOST:PORT, got ${o.rpcAddr} (${(e as Error).message})`);
      }
      cookie = await writeCookie(cookiePath(dir, o.rpcFile));
      rpcHttp = await startRpcHttp(ld.rpc, { host: at.host, port: at.port, cookie: cookie.value, allowOrigins: o.rpcAllowOrigin });
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
            await node.stop();
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
    await assembled?.stop().catch(() => undefined);
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
