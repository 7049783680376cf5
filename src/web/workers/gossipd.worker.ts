// gossipd in a module Worker (the browser's twin of src/node/workers/gossipd-worker.ts): the
// IndexedDB gossip store of this node's data name, a pool of signature-check Workers (nested in this
// one), and its own links with connectd: gossip in on one port, sends and warnings out on another.
// The store is trusted on load (it only ever holds what passed validation): a restart checks no
// signature (design.md "start").
import { inflateZlib } from '../../platform/inflate.ts';
import * as Comlink from 'comlink';
import { Gossipd } from '../../core/daemons/gossipd/gossipd.ts';
import type { Clock, PeerLink, SyncProgress } from '../../core/daemons/gossipd/types.ts';
import type { SigVerifier } from '../../core/gossip/verify-pool.ts';
import type { GossipStore } from '../../core/gossip/store.ts';
import { chainHash } from '../../core/chain/chains.ts';
import { installErrorTransfer } from '../../links/comlink-errors.ts';
import { gossipLinkOf } from '../../links/gossip-link.ts';
import { openOrRecreateIdbGossipStore } from '../gossip-store-idb.ts';
import { createWebVerifyPool } from '../verify-pool.ts';
import { gossipDbName, type GossipdInit, type GossipdWorkerApi } from '../worker-api.ts';
import { consoleLog } from './log.ts';

installErrorTransfer();

// Bound: the platform timers throw "Illegal invocation" when called on another `this`.
const clock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: h => clearTimeout(h as number),
};

/** Counts the signatures handed to the verifier (tests: a restart must count none). */
function counting(v: SigVerifier): SigVerifier & { checks: number } {
  const c = {
    checks: 0,
    verifyBatch(items: Parameters<SigVerifier['verifyBatch']>[0]) {
      c.checks += items.length;
      return v.verifyBatch(items);
    },
    close: () => v.close(),
  };
  return c;
}

let gossipd: Gossipd | undefined;
let verifier: (SigVerifier & { checks: number }) | undefined;
let store: GossipStore | undefined;
let stopping: Promise<void> | undefined;
const testPeers = new Set<string>();
const need = (): Gossipd => {
  if (!gossipd) throw new Error('gossipd not initialised');
  return gossipd;
};

const api = {
  async init(o: GossipdInit, fromConnectd: MessagePort, toConnectd: MessagePort, onProgress?: (p: SyncProgress) => void) {
    if (gossipd || store) throw new Error('gossipd already initialised');
    const peers = Comlink.wrap<PeerLink>(toConnectd);
    const log = consoleLog('gossipd', o.log);
    store = await openOrRecreateIdbGossipStore({ name: gossipDbName(o.dataName) }, e =>
      log.warn(`gossipd: ${e.message}; starting from an empty gossip store`),
    );
    verifier = counting(createWebVerifyPool(o.verifyWorkers ? { size: o.verifyWorkers } : {}));
    gossipd = new Gossipd({
      chainHash: chainHash(o.network),
      nodeId: o.nodeId,
      store,
      verifier,
      peers: { send: (id, m) => peers.send(id, m), warn: (id, t, d, r) => peers.warn(id, t, d, r) },
      clock,
      log,
      inflate: inflateZlib,
      ...(onProgress ? { onProgress: p => void onProgress(p) } : {}),
      ...(o.config ? { config: o.config } : {}),
    });
    const loaded = await gossipd.load();
    const g = gossipd;
    Comlink.expose(gossipLinkOf(g), fromConnectd);
    return loaded;
  },
  nodeAddresses: (id: string) => need().nodeAddresses(id),
  rpc: (method: 'listnodes' | 'listchannels' | 'getroute', params: Record<string, unknown>) => need().rpc(method, params),
  info: () => ({ ...need().info(), verifier_checks: verifier?.checks ?? 0 }),
  flush: () => need().flush(),
  ingestForTest(peerId: string, msgs: Uint8Array[]): void {
    const g = need();
    if (!testPeers.has(peerId)) {
      testPeers.add(peerId);
      g.newPeer(peerId, '');
    }
    for (const m of msgs) g.gossip(peerId, m);
  },
  stop(): Promise<void> {
    stopping ??= (async () => {
      try {
        await gossipd?.close();
      } finally {
        await verifier?.close();
        await store?.close();
      }
    })();
    return stopping;
  },
} satisfies GossipdWorkerApi;

Comlink.expose(api);
