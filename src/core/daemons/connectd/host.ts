// connectd as the node assembly starts it: the Connectd class with its links (hsmd's ECDH, gossipd,
// lightningd's events) and what the runtime gives it (its dialer, and listeners where it can), in
// its own realm. It answers gossipd on their link: sends and warnings only.
import { fromHex } from '../../base/bytes.ts';
import { chainHash } from '../../chain/chains.ts';
import type { DaemonDefinition } from '../../node/daemon.ts';
import type { PeerLink } from '../gossipd/interface.ts';
import { Connectd } from './connectd.ts';
import type { ConnectdDaemonApi, ConnectdSpec, Listening } from './interface.ts';

export const daemon: DaemonDefinition<ConnectdSpec> = {
  kind: 'connectd',
  start(o, uses, env) {
    const c = new Connectd({
      chainHash: chainHash(o.network),
      ourFeatures: fromHex(o.features),
      nodeId: fromHex(o.nodeId),
      ecdhLink: uses.ecdh,
      dialer: env.dialer,
      randomBytes: env.randomBytes,
      clock: env.clock,
      log: env.log,
      ...(env.aead ? { aead: env.aead } : {}),
      events: uses.events,
      gossipLink: uses.gossip,
      config: o.config,
    });
    const listeners: Listening[] = [];
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        c.stop();
        await Promise.all(listeners.map(l => l.close()));
      })());
    const api: ConnectdDaemonApi = {
      connectToPeer: (id, targets) => c.connectToPeer(id, targets),
      listPeers: () => c.listPeers(),
      ping: (id, len, pongbytes) => c.ping(id, len, pongbytes),
      disconnect: (id, force) => c.disconnect(id, force),
      addImportantPeer: (id, targets) => c.addImportantPeer(id, targets),
      sendToPeer: (id, msg) => c.sendToPeer(id, msg),
      async listen(kind, host, port) {
        if (!env.listen) throw new Error('connectd cannot listen in this runtime');
        const l = await env.listen(kind, host, port, s => c.acceptStream(s));
        listeners.push(l);
        return l.port;
      },
      stop,
    };
    // gossipd's way back to peers.
    const peers: PeerLink = {
      send: (id, m) => c.sendToPeer(id, m),
      warn: (id, text, disconnect, redialAfterMs) =>
        c.sendWarning(id, text, { disconnect, ...(redialAfterMs !== undefined ? { redialAfterMs } : {}) }),
    };
    return {
      api,
      serve(name) {
        if (name !== 'peers') throw new Error(`connectd answers no link '${name}'`);
        return peers;
      },
      stop,
    };
  },
};
