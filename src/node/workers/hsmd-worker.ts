// hsmd in its own worker thread: it loads (or creates) the node secret itself, so the secret never
// crosses a port. lightningd may ask for the node id; a link it hands to connectd answers ECDH only.
import { parentPort, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Hsmd, isValidNodeSecret, type HsmCapability } from '../../core/daemons/hsmd/hsmd.ts';
import { toHex } from '../../core/base/bytes.ts';
import { installErrorTransfer } from '../../links/comlink-errors.ts';
import { loadOrCreateSecret } from '../hsm-secret.ts';

installErrorTransfer();
let hsmd: Hsmd | undefined;

const api = {
  async init(dir: string): Promise<string> {
    hsmd = new Hsmd(await loadOrCreateSecret(dir, isValidNodeSecret));
    return toHex(hsmd.nodeId());
  },
  /** Serves a link on `port` that exposes exactly `caps` (Core Lightning's per-client permissions). */
  serve(port: MessagePort, caps: HsmCapability[]): void {
    if (!hsmd) throw new Error('hsmd not initialised');
    Comlink.expose(hsmd.linkFor(caps), port as unknown as Comlink.Endpoint);
  },
};
export type HsmdWorkerApi = typeof api;
Comlink.expose(api, nodeEndpoint(parentPort!));
