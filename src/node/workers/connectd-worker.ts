// connectd in its own worker thread with Node's transports (TCP and `ws`), its ECDH link to hsmd,
// its own link to gossipd, and listeners for --bind-addr.
import { parentPort, type MessagePort } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Connectd } from '../../core/daemons/connectd/connectd.ts';
import type { ConnectdEvents, GossipLink, ConnectdConfig } from '../../core/daemons/connectd/types.ts';
import type { DialTarget } from '../../core/net/transport.ts';
import { chainHash } from '../../core/chain/chains.ts';
import { fromHex } from '../../core/base/bytes.ts';
import { installErrorTransfer } from '../../links/comlink-errors.ts';
import { gossipLinkTo, noGossip } from '../../links/gossip-link.ts';
import { combineDialers } from '../../transports/dialer.ts';
import { TcpDialer, listenTcp, type Listener } from '../../transports/tcp-node.ts';
import { WsDialer } from '../../transports/ws-node.ts';
import { listenWebSocket } from '../../transports/ws-listener-node.ts';
import { consoleLog, nodeClock } from '../clock.ts';
import { nodeTransportAead } from '../aead.ts';

installErrorTransfer();

export interface ConnectdInit {
  network: string;
  nodeId: string;
  features: string;
  config?: Partial<ConnectdConfig>;
}

let connectd: Connectd | undefined;
const listeners: Listener[] = [];
const need = (): Connectd => {
  if (!connectd) throw new Error('connectd not initialised');
  return connectd;
};

const api = {
  init(o: ConnectdInit, hsmPort: MessagePort, events: ConnectdEvents, gossipPort?: MessagePort): void {
    const ecdh = Comlink.wrap<{ ecdh(pub: Uint8Array): Uint8Array }>(hsmPort as unknown as Comlink.Endpoint);
    const gossip = gossipPort ? Comlink.wrap<GossipLink>(gossipPort as unknown as Comlink.Endpoint) : undefined;
    connectd = new Connectd({
      chainHash: chainHash(o.network),
      ourFeatures: fromHex(o.features),
      nodeId: fromHex(o.nodeId),
      ecdhLink: { ecdh: pub => ecdh.ecdh(pub) },
      dialer: combineDialers({ tcp: new TcpDialer(), websocket: new WsDialer() }),
      randomBytes: n => new Uint8Array(randomBytes(n)),
      clock: nodeClock,
      log: consoleLog('connectd'),
      events,
      gossipLink: gossip ? gossipLinkTo(gossip) : noGossip,
      config: o.config,
      aead: nodeTransportAead,
    });
  },
  /** `--bind-addr HOST:PORT` (TCP) or `--bind-addr ws:HOST:PORT` (WebSocket): returns the bound port. */
  async listen(kind: 'tcp' | 'ws', host: string, port: number): Promise<number> {
    const c = need();
    const l =
      kind === 'tcp' ? await listenTcp(host, port, s => c.acceptStream(s)) : await listenWebSocket(host, port, s => c.acceptStream(s));
    listeners.push(l);
    return l.port;
  },
  /** gossipd's way back to peers, on a channel of its own: sends and warnings only. */
  servePeerLink(port: MessagePort): void {
    const c = need();
    Comlink.expose(
      {
        send: (id: string, m: Uint8Array) => c.sendToPeer(id, m),
        warn: (id: string, text: string, disconnect: boolean, redialAfterMs?: number) =>
          c.sendWarning(id, text, { disconnect, ...(redialAfterMs !== undefined ? { redialAfterMs } : {}) }),
      },
      port as unknown as Comlink.Endpoint,
    );
  },
  connectToPeer: (id: string, targets: DialTarget[]) => need().connectToPeer(id, targets),
  listPeers: () => need().listPeers(),
  ping: (id: string, len: number, pongbytes: number) => need().ping(id, len, pongbytes),
  disconnect: (id: string, force: boolean) => need().disconnect(id, force),
  sendToPeer: (id: string, msg: Uint8Array) => need().sendToPeer(id, msg),
  addImportantPeer: (id: string, targets: DialTarget[]) => need().addImportantPeer(id, targets),
  async stop(): Promise<void> {
    connectd?.stop();
    await Promise.all(listeners.map(l => l.close()));
  },
};
export type ConnectdWorkerApi = typeof api;
Comlink.expose(api, nodeEndpoint(parentPort!));
