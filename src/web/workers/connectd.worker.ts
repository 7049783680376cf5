// connectd in a module Worker: every peer connection lives here (a WebSocket cannot move between
// realms, a MessagePort can). A browser has no TCP and cannot listen, so connectd dials WebSockets
// only: a peer's own WebSocket listener, or a WebSocket-to-TCP bridge that lightningd's dial plan
// put in the target's URL. ECDH goes to hsmd over a port that answers nothing else; gossip goes to
// gossipd over a port of its own, and gossipd's sends and warnings come back on another.
import { smallMessageAead } from '../../core/crypto/aead.ts';
import * as Comlink from 'comlink';
import { Connectd } from '../../core/daemons/connectd/connectd.ts';
import type { Clock, ConnectdEvents, GossipLink } from '../../core/daemons/connectd/types.ts';
import type { DialTarget } from '../../core/net/transport.ts';
import { chainHash } from '../../core/chain/chains.ts';
import { fromHex } from '../../core/base/bytes.ts';
import { installErrorTransfer } from '../../links/comlink-errors.ts';
import { gossipLinkTo, noGossip } from '../../links/gossip-link.ts';
import { combineDialers } from '../../transports/dialer.ts';
import { BrowserWebSocketDialer } from '../../transports/browser-websocket.ts';
import type { ConnectdInit, ConnectdWorkerApi } from '../worker-api.ts';
import { consoleLog } from './log.ts';
import { randomBytes } from './random.ts';

installErrorTransfer();

// Bound: the platform timers throw "Illegal invocation" when called on another `this`.
const clock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: h => clearTimeout(h as number),
};

let connectd: Connectd | undefined;
const need = (): Connectd => {
  if (!connectd) throw new Error('connectd not initialised');
  return connectd;
};

const api = {
  init(o: ConnectdInit, hsmPort: MessagePort, events: ConnectdEvents, gossipPort?: MessagePort): void {
    if (connectd) throw new Error('connectd already initialised');
    const hsm = Comlink.wrap<{ ecdh(pub: Uint8Array): Uint8Array }>(hsmPort);
    const gossip = gossipPort ? Comlink.wrap<GossipLink>(gossipPort) : undefined;
    connectd = new Connectd({
      chainHash: chainHash(o.network),
      ourFeatures: fromHex(o.features),
      nodeId: fromHex(o.nodeId),
      ecdhLink: { ecdh: pub => hsm.ecdh(pub) },
      dialer: combineDialers({ websocket: new BrowserWebSocketDialer() }),
      randomBytes,
      clock,
      log: consoleLog('connectd', o.log),
      events,
      gossipLink: gossip ? gossipLinkTo(gossip) : noGossip,
      config: o.config,
      aead: smallMessageAead(),
    });
  },
  connectToPeer: (id: string, targets: DialTarget[]) => need().connectToPeer(id, targets),
  listPeers: () => need().listPeers(),
  ping: (id: string, len: number, pongbytes: number) => need().ping(id, len, pongbytes),
  disconnect: (id: string, force: boolean) => need().disconnect(id, force),
  sendToPeer: (id: string, msg: Uint8Array) => need().sendToPeer(id, msg),
  addImportantPeer: (id: string, targets: DialTarget[]) => need().addImportantPeer(id, targets),
  /** gossipd's way back to peers, on a channel of its own: sends and warnings only. */
  servePeerLink(port: MessagePort): void {
    const c = need();
    Comlink.expose(
      {
        send: (id: string, m: Uint8Array) => c.sendToPeer(id, m),
        warn: (id: string, text: string, disconnect: boolean, redialAfterMs?: number) =>
          c.sendWarning(id, text, { disconnect, ...(redialAfterMs !== undefined ? { redialAfterMs } : {}) }),
      },
      port,
    );
  },
  stop(): void {
    connectd?.stop();
  },
} satisfies ConnectdWorkerApi;

Comlink.expose(api);
