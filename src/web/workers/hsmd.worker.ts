// hsmd in a module Worker: it loads (or creates) the node secret itself from IndexedDB, so the
// secret never crosses a port. lightningd may ask for the node id; a link it hands to connectd
// answers ECDH only (Hsmd.linkFor).
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
  async init(dataName: string): Promise<string> {
    if (typeof dataName !== 'string' || dataName === '') throw new Error('hsmd: init needs a data name');
    const secret = await loadOrCreateSecretIdb(dataName, randomBytes);
    hsmd = new Hsmd(secret);
    secret.fill(0); // Hsmd keeps its own copy
    return toHex(hsmd.nodeId());
  },
  serve(port: MessagePort, caps: HsmCapability[]): void {
    if (!hsmd) throw new Error('hsmd not initialised');
    Comlink.expose(hsmd.linkFor(caps), port);
  },
} satisfies HsmdWorkerApi;

Comlink.expose(api);
