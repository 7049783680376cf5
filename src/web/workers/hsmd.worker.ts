// hsmd in a module Worker: it loads (or creates) the seed itself from IndexedDB, so no secret crosses
// a port, but for the two the user handles: a new node's mnemonic, returned once by init to be
// shown, and a mnemonic to restore, given once to init. lightningd may ask for the node id; a link it
// hands to connectd answers ECDH only (Hsmd.linkFor).
import * as Comlink from 'comlink';
import { Hsmd, type HsmCapability } from '../../core/daemons/hsmd/hsmd.ts';
import { toHex } from '../../core/base/bytes.ts';
import { installErrorTransfer } from '../../links/comlink-errors.ts';
import { loadOrCreateSecretIdb } from '../hsm-secret-idb.ts';
import type { HsmdWorkerApi } from '../worker-api.ts';
import { randomBytes } from './random.ts';

installErrorTransfer();
let hsmd: Hsmd | undefined;

const api = {
  async init(dataName: string, recover?: string): Promise<{ id: string; mnemonic?: string }> {
    if (typeof dataName !== 'string' || dataName === '') throw new Error('hsmd: init needs a data name');
    const { secretData, mnemonic } = await loadOrCreateSecretIdb(dataName, randomBytes, recover);
    hsmd = new Hsmd(secretData);
    secretData.fill(0); // Hsmd keeps what it derived
    return mnemonic === undefined ? { id: toHex(hsmd.nodeId()) } : { id: toHex(hsmd.nodeId()), mnemonic };
  },
  serve(port: MessagePort, caps: HsmCapability[]): void {
    if (!hsmd) throw new Error('hsmd not initialised');
    Comlink.expose(hsmd.linkFor(caps), port);
  },
} satisfies HsmdWorkerApi;

Comlink.expose(api);
