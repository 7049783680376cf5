// gossipd as the node assembly starts it: its store and signature checker from the runtime (opened
// in its own realm), loaded before it answers (the store is trusted on load: a restart checks no
// signature, design.md "start"); its links to connectd (sends and warnings) and lightningd
// (progress). It answers connectd's gossip on their link.
import { chainHash } from '../../chain/chains.ts';
import type { GossipLink } from '../connectd/interface.ts';
import type { DaemonDefinition } from '../../node/daemon.ts';
import { Gossipd } from './gossipd.ts';
import type { GossipdDaemonApi, GossipdSpec } from './interface.ts';

export const daemon: DaemonDefinition<GossipdSpec> = {
  kind: 'gossipd',
  async start(o, uses, env) {
    const store = await env.openStore();
    const closeAll = async (g?: Gossipd) => {
      try {
        await g?.close();
      } finally {
        await verifier?.close();
        await store.close();
      }
    };
    let verifier: Awaited<ReturnType<typeof env.verifier>> | undefined;
    let g: Gossipd;
    let loaded: { channels: number; nodes: number; records: number };
    try {
      verifier = await env.verifier();
      g = new Gossipd({
        chainHash: chainHash(o.network),
        nodeId: o.nodeId,
        store,
        verifier,
        peers: uses.peers,
        clock: env.clock,
        log: env.log,
        ...(env.inflate ? { inflate: env.inflate } : {}),
        // The link's two methods, and the description lightningd gave in the init (a remote has no plain fields).
        ...(o.chain
          ? { chain: { getTxout: s => uses.chain.getTxout(s), watchTxouts: outs => uses.chain.watchTxouts(outs), description: o.chain } }
          : {}),
        onProgress: p => void uses.events.progress(p),
        ...(o.config ? { config: o.config } : {}),
      });
      loaded = await g.load();
    } catch (e) {
      await closeAll().catch(() => undefined);
      throw e;
    }
    const gd = g;
    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= closeAll(gd));
    const testPeers = new Set<string>();
    const api: GossipdDaemonApi = {
      nodeAddresses: id => gd.nodeAddresses(id),
      rpc: (method, params) => gd.rpc(method, params),
      routes: q => gd.routes(q),
      info: () => ({ ...gd.info(), ...(env.info?.() ?? {}) }),
      flush: () => gd.flush(),
      loaded: () => loaded,
      ingestForTest(peerId, msgs) {
        if (!testPeers.has(peerId)) {
          testPeers.add(peerId);
          gd.newPeer(peerId, '');
        }
        for (const m of msgs) gd.gossip(peerId, m);
      },
      addLocalGossip: msgs => gd.addLocalGossip(msgs),
      stop,
      outpointsSpent: (s, h) => gd.outpointsSpent(s, h),
      outpointsUnspent: (s, h) => gd.outpointsUnspent(s, h),
    };
    // connectd's gossip: only the link's three methods.
    const gossip: GossipLink = {
      newPeer: (id, f) => gd.newPeer(id, f),
      gossipBatch: (id, b) => gd.gossipBatch(id, b),
      peerGone: id => gd.peerGone(id),
    };
    return {
      api,
      serve(name) {
        if (name !== 'gossip') throw new Error(`gossipd answers no link '${name}'`);
        return gossip;
      },
      stop,
    };
  },
};
