// connectd as the node assembly starts it: the Connectd class with its links (hsmd's ECDH, gossipd,
// lightningd's events) and what the runtime gives it (its dialer, and listeners where it can), in
// its own realm. It answers gossipd on their link: sends and warnings only.
import { fromHex } from '../../base/bytes.ts';
import { chainHash } from '../../chain/chains.ts';
import type { DaemonDefinition } from '../../node/daemon.ts';
import type { PeerLink } from '../gossipd/interface.ts';
import { Connectd } from './connectd.ts';
import {
  CHANNEL_LINK,
  type ChannelLinkArgs,
  type ChannelOwner,
  type ChannelPeerSend,
  type ConnectdDaemonApi,
  type ConnectdSpec,
  type Listening,
} from './interface.ts';

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
    // Each channel daemon's link (attach), by lightningd's key: its peer, owner and the ids it answers to.
    const channels = new Map<string, { peerId: string; counter: number; owner: ChannelOwner; ids: Uint8Array[] }>();
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
      holdChannel: (id, channelId, held) => c.holdChannel(id, channelId, held),
      addChannelId(key, channelId) {
        const ch = channels.get(key);
        if (!ch) throw new Error(`connectd holds no channel link '${key}'`);
        c.setOwner(ch.peerId, channelId, ch.owner, ch.counter);
        ch.ids.push(channelId);
      },
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
      // A channel daemon's link: its messages flow between it and its peer only (design.md "Links").
      attach(name, key, args, link) {
        if (name !== CHANNEL_LINK || !link) throw new Error(`connectd takes no link '${name}' after start`);
        const { peerId, channelId, counter = c.counterOf(peerId) } = args as ChannelLinkArgs;
        const owner = link as ChannelOwner;
        c.setOwner(peerId, channelId, owner, counter);
        channels.set(key, { peerId, counter, owner, ids: [channelId] });
        // Bound to that connection (ChannelLinkArgs.counter).
        const send: ChannelPeerSend = { send: msg => c.sendToPeer(peerId, msg, counter) };
        return send;
      },
      detach(key) {
        const ch = channels.get(key);
        channels.delete(key);
        for (const id of ch?.ids ?? []) c.releaseOwner(ch!.peerId, id, ch!.owner);
      },
      stop,
    };
  },
};
