// How Node's realms join: Comlink over worker_threads MessagePorts, through Comlink's node adapter.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { comlinkLinks } from '../../links/comlink-links.ts';

export const nodeLinks = comlinkLinks<MessagePort>({
  channel() {
    const c = new MessageChannel();
    return [c.port1, c.port2];
  },
  endpoint: p => nodeEndpoint(p),
  transferable: p => p,
  close: p => p.close(),
});

/** What every daemon host in this Node node is told (core/node/host.ts StartRequest `ctx`). */
export interface NodeHostCtx {
  /** The network directory (`<lightning-dir>/<network>`): hsm_secret, gossip_store. */
  networkDir: string;
  /** gossipd's signature-check threads (default: the machine's cores, at most 4). */
  verifyWorkers?: number;
  /** An Esplora API base URL: gossipd checks each channel's funding output (else: trust announcements). */
}
