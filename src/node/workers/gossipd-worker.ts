// gossipd in its own worker thread: the file gossip store in the lightning dir, a pool of
// signature-check workers, and its own links with connectd (gossip in; sends and warnings out).
import { parentPort, type MessagePort } from 'node:worker_threads';
import { inflateSync } from 'node:zlib';
import { join } from 'node:path';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Gossipd } from '../../core/daemons/gossipd/gossipd.ts';
import type { ChainLink, PeerLink } from '../../core/daemons/gossipd/types.ts';
import { chainHash } from '../../core/chain/chains.ts';
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
  /** With `chain` (init's link to lightningd): which backend lightningd asks, for info(). */
  chainDescription?: string;
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
    chain?: Pick<ChainLink, 'getTxout' | 'watchTxouts'>,
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
      // lightningd's chain (gossipd_get_txout); without it: trust announcements.
      chain: chain
        ? {
            getTxout: s => chain.getTxout(s),
            watchTxouts: outs => chain.watchTxouts(outs),
            ...(o.chainDescription ? { description: o.chainDescription } : {}),
          }
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
  /** lightningd → gossipd: gossipd_outpoints_spent, and its undoing in a reorganisation. */
  outpointsSpent: (scids: bigint[], blockheight: number) => need().outpointsSpent(scids, blockheight),
  outpointsUnspent: (scids: bigint[], blockheight: number) => need().outpointsUnspent(scids, blockheight),
  flush: () => need().flush(),
  async stop(): Promise<void> {
    await gossipd?.close();
    await closeResources?.();
  },
};
export type GossipdWorkerApi = typeof api;
Comlink.expose(api, nodeEndpoint(parentPort!));
