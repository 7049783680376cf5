// The node secret in the browser: 32 bytes in an IndexedDB database of its own per data name, which
// only the hsmd Worker opens (lightningd's database is another one), so the secret is read in that
// worker and never crosses a port. Loading and creating happen in one readwrite transaction, so two
// tabs starting at once cannot both create a secret: one creates it, the other reads it.
import { openDB } from 'idb';
import { createNodeSecret, isValidNodeSecret, HsmError } from '../core/daemons/hsmd/hsmd.ts';

/** Where the secret lives (Core Lightning's `hsm_secret`, by name). Tests read it from here. */
export const HSM_SECRET_DB = Object.freeze({
  name: (dataName: string): string => `boltworker-hsm:${dataName}`,
  version: 1,
  store: 'hsm',
  key: 'hsm_secret',
});

export async function loadOrCreateSecretIdb(dataName: string, random: (n: number) => Uint8Array): Promise<Uint8Array> {
  const db = await openDB(HSM_SECRET_DB.name(dataName), HSM_SECRET_DB.version, {
    upgrade(d) {
      if (!d.objectStoreNames.contains(HSM_SECRET_DB.store)) d.createObjectStore(HSM_SECRET_DB.store);
    },
  });
  try {
    const tx = db.transaction(HSM_SECRET_DB.store, 'readwrite');
    const store = tx.objectStore(HSM_SECRET_DB.store);
    const found: unknown = await store.get(HSM_SECRET_DB.key);
    let secret: Uint8Array;
    if (found === undefined) {
      secret = createNodeSecret(random);
      // add(), not put(): never overwrite a secret.
      await store.add(secret, HSM_SECRET_DB.key);
    } else if (isValidNodeSecret(found)) {
      secret = found;
    } else {
      tx.abort();
      throw new HsmError('bad_secret', `IndexedDB ${HSM_SECRET_DB.name(dataName)} holds no valid 32-byte node secret`);
    }
    await tx.done;
    return secret;
  } finally {
    db.close();
  }
}
