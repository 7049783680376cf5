// gossipd in its own worker thread: the file gossip store in the lightning dir, a pool of
// signature-check workers, and its own links with connectd (gossip in; sends and warnings out).
import { parentPort, type MessagePort } from 'node:worker_threads';
import { inflateSync } from 'node:zlib';
import { join } from 'node:path';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Gossipd } from '../../core/daemons/gossipd/gossipd.ts';
import type { PeerLink } from '../../core/daemons/gossipd/types.ts';
import { chainHash } from '../../core/chain/chains.ts';
import { EsploraChainSource } from '../../core/chain/esplora.ts';
import { installErrorTransfer } from '../../links/comlink-errors.ts';
import { gossipLinkOf } from '../../links/gossip-link.ts';
import { FileGossipStore } from '../gossip-store-file.ts';
import { createNodeVerifyPool } from '../verify-pool.ts';
import { consoleLog, nodeClock } from '../clock.ts';

installErrorTransfer();

export interface GossipdInit {
  network: string;
  nodeId: string;
  lightningDir: string;
  verifyWorkers?: number;
  /** An Esplora API base URL: check each channel's funding output (else: trust announcements). */
  esplora?: string;
  config?: Record<string, number>;
}

let gossipd: Gossipd | undefined;
let closeResources: (() => Promise<void>) | undefined;
const need = (): Gossipd => {
  if (!gossipd) throw new Error('gossipd not initialised');
  return gossipd;
};

const api = {
  /** Opens and loads the store (no signature is checked again), then serves connectd's link. */
  async init(
    o: GossipdInit,
    fromConnectd: MessagePort,
    toConnectd: MessagePort,
    onProgress?: (p: unknown) => void,
  ): Promise<{ channels: number; nodes: number; records: number }> {
    const peers = Comlink.wrap<PeerLink>(toConnectd as unknown as Comlink.Endpoint);
    const store = await FileGossipStore.open(join(o.lightningDir, 'gossip_store'));
    const verifier = createNodeVerifyPool(o.verifyWorkers ? { size: o.verifyWorkers } : {});
    closeResources = async () => {
      await verifier.close();
      await store.close();
    };
    gossipd = new Gossipd({
      chainHash: chainHash(o.network),
      nodeId: o.nodeId,
      store,
      verifier,
      chainSource: o.esplora
        ? new EsploraChainSource({ baseUrl: o.esplora, fetch: (u, i) => fetch(u, i as RequestInit), clock: nodeClock })
        : undefined,
      peers: { send: (id, m) => peers.send(id, m), warn: (id, t, d, r) => peers.warn(id, t, d, r) },
      clock: nodeClock,
      log: consoleLog('gossipd'),
      inflate: (b, max) => new Uint8Array(inflateSync(b, { maxOutputLength: max })),
      onProgress: onProgress ? p => void onProgress(p) : undefined,
      config: o.config,
    } as ConstructorParameters<typeof Gossipd>[0]);
    const loaded = await gossipd.load();
    const g = gossipd;
    Comlink.expose(gossipLinkOf(g), fromConnectd as unknown as Comlink.Endpoint);
    return loaded;
  },
  nodeAddresses: (id: string) => need().nodeAddresses(id),
  rpc: (method: 'listnodes' | 'listchannels' | 'getroute', params: Record<string, unknown>) => need().rpc(method, params),
  info: () => need().info(),
  flush: () => need().flush(),
  async stop(): Promise<void> {
    await gossipd?.close();
    await closeResources?.();
  },
};
export type GossipdWorkerApi = typeof api;
Comlink.expose(api, nodeEndpoint(parentPort!));
