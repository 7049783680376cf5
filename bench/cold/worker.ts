// bench/cold/measure.ts in a new module Worker (Chromium): the IndexedDB store the page just filled.
import { fromHex } from '../../src/core/base/bytes.ts';
import { openIdbGossipStore } from '../../src/web/gossip-store-idb.ts';
import { measureColdStart, type ColdStartRequest } from './measure.ts';

declare const self: { onmessage: ((e: { data: ColdStartRequest & { dbName: string } }) => void) | null; postMessage(m: unknown): void };

self.onmessage = e => {
  const r = e.data;
  measureColdStart(() => openIdbGossipStore({ name: r.dbName }), r, fromHex(r.chainHash)).then(
    result => self.postMessage({ result }),
    err => self.postMessage({ error: String((err as Error)?.stack ?? err) }),
  );
};
