// hsmd in its own worker thread: it loads (or creates) the root secret itself, so no secret crosses a
// port (`--recover`'s mnemonic comes in once, from the command line, to be written). lightningd may
// ask for the node id; a link it hands to connectd answers ECDH only.
import { parentPort, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Hsmd, type HsmCapability } from '../../core/daemons/hsmd/hsmd.ts';
import { toHex } from '../../core/base/bytes.ts';
import { installErrorTransfer } from '../../links/comlink-errors.ts';
import { loadOrCreateSecret } from '../hsm-secret.ts';
import { nodeLog } from '../log.ts';

installErrorTransfer();
let hsmd: Hsmd | undefined;

const api = {
  async init(dir: string, recover?: string): Promise<string> {
    const root = await loadOrCreateSecret(dir, recover);
    hsmd = new Hsmd(root.secretData);
    root.secretData.fill(0);
    // Where to read the mnemonic, never the mnemonic itself.
    if (root.made === 'created')
      nodeLog('hsmd').info(
        `created a new node seed in ${root.path}: its BIP39 mnemonic is the text after the first 32 bytes (tail -c +33 ${root.path}); write it down and keep it offline, it restores the node (--recover)`,
      );
    if (root.made === 'recovered') nodeLog('hsmd').info(`restored the node seed into ${root.path}`);
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
