// The Node runtime: lightningd in the main thread, each daemon in its own worker thread, linked as
// design.md draws it (lightningd ↔ each daemon over the worker's port; connectd ↔ hsmd on an
// ECDH-only channel; connectd ↔ gossipd on a channel of their own).
import { MessageChannel } from 'node:worker_threads';
import { createRequire } from 'node:module';
import * as Comlink from 'comlink';
import { Lightningd } from '../core/daemons/lightningd/lightningd.ts';
import { LightningdDb } from '../core/daemons/lightningd/db.ts';
import { ourFeatures } from '../core/features.ts';
import { parseBridge, type Bridge } from '../core/address.ts';
import type { NetAddress } from '../core/transport.ts';
import { installErrorTransfer } from '../links/comlink-errors.ts';
import { spawnDaemon, type DaemonWorker } from './workers/spawn.ts';
import type { HsmdWorkerApi } from './workers/hsmd-worker.ts';
import type { ConnectdWorkerApi } from './workers/connectd-worker.ts';
import type { GossipdWorkerApi } from './workers/gossipd-worker.ts';
import { FileLightningdStorage } from './lightningd-storage.ts';
import { startRpcHttp } from './rpc-http.ts';
import { consoleLog } from './clock.ts';

export interface NodeOptions {
  network: string;
  lightningDir: string;
  /** `HOST:PORT` (TCP) or `ws:HOST:PORT` (WebSocket) listeners. */
  bindAddr?: string[];
  /** `HOST:PORT` for JSON-RPC over HTTP; none: no RPC server (call `lightningd.rpc` directly). */
  rpcAddr?: string;
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
  onEvent?: (event: string, payload: unknown) => void;
}

export interface RunningNode {
  id: string;
  lightningd: Lightningd;
  binding: NetAddress[];
  rpcPort?: number;
  call(method: string, params?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

function parseBind(s: string): { kind: 'tcp' | 'ws'; host: string; port: number } {
  const ws = s.startsWith('ws:');
  const rest = ws ? s.slice(3) : s;
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(rest);
  if (!m) throw new Error(`--bind-addr: expected [ws:]HOST:PORT, got ${s}`);
  return { kind: ws ? 'ws' : 'tcp', host: m[1]!, port: Number(m[2]) };
}

export async function startNode(o: NodeOptions): Promise<RunningNode> {
  installErrorTransfer();
  const log = consoleLog('lightningd');
  const hsmd = spawnDaemon<HsmdWorkerApi>('hsmd', new URL('./workers/hsmd-worker.ts', import.meta.url));
  const connectd = spawnDaemon<ConnectdWorkerApi>('connectd', new URL('./workers/connectd-worker.ts', import.meta.url));
  const gossipd = spawnDaemon<GossipdWorkerApi>('gossipd', new URL('./workers/gossipd-worker.ts', import.meta.url));
  const workers: DaemonWorker<unknown>[] = [hsmd, connectd, gossipd];
  const storage = new FileLightningdStorage(o.lightningDir);
  const db = new LightningdDb(storage);
  let lightningd: Lightningd | undefined;
  try {
    // lightningd's db loads while hsmd starts and gossipd loads its store: in parallel.
    const [nodeId] = await Promise.all([hsmd.api.init(o.lightningDir), db.load()]);
    // connectd ↔ gossipd: gossip in on one channel, gossipd's sends and warnings on another.
    const gossipIn = new MessageChannel();
    const gossipOut = new MessageChannel();
    const gossipLoaded = gossipd.api.init(
      { network: o.network, nodeId, lightningDir: o.lightningDir, verifyWorkers: o.verifyWorkers, esplora: o.esplora, config: o.gossipdConfig },
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
    for (const b of o.bindAddr ?? []) {
      const p = parseBind(b);
      const port = await connectd.api.listen(p.kind, p.host, p.port);
      binding.push({ type: p.kind === 'ws' ? 'websocket' : p.host.includes(':') ? 'ipv6' : 'ipv4', address: p.host, port });
    }
    const bridges: Bridge[] = (o.bridges ?? []).map((u) => parseBridge(u));
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
      emit: (ev, payload) => {
        log.debug(`${ev} ${JSON.stringify(payload)}`);
        o.onEvent?.(ev, payload);
      },
    });
    const ld = lightningd;
    let rpcServer: Awaited<ReturnType<typeof startRpcHttp>> | undefined;
    if (o.rpcAddr) {
      const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(o.rpcAddr);
      if (!m) throw new Error(`--rpc-addr: expected HOST:PORT, got ${o.rpcAddr}`);
      rpcServer = await startRpcHttp(ld.rpc, m[1]!, Number(m[2]));
    }
    let stopping: Promise<void> | undefined;
    return {
      id: nodeId,
      lightningd: ld,
      binding,
      rpcPort: rpcServer?.port,
      call: (method, params) => ld.rpc.call(method, params),
      stop() {
        stopping ??= (async () => {
          await rpcServer?.close();
          await connectd.api.stop().catch(() => undefined);
          await gossipd.api.stop().catch(() => undefined);
          await db.flush();
          await Promise.all(workers.map((w) => w.terminate()));
        })();
        return stopping;
      },
    };
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
}
