// The seed in the browser: the hsm_secret bytes (Core Lightning's format, src/core/keys/seed.ts) in
// an IndexedDB database of its own per data name, which only the hsmd Worker opens (lightningd's
// database is another one), so the seed is read in that worker and never crosses a port. Two
// exceptions, both by the user's hand: a new node's mnemonic goes out once, to be shown and written
// down; a mnemonic to restore comes in once. Loading and creating happen in one readwrite
// transaction, so two tabs starting at once cannot both create a seed: one creates it, the other
// reads it. A legacy 32-byte value (before mnemonics) keeps working as a legacy hsm_secret.
import { openDB, type IDBPDatabase } from 'idb';
import { openSeed, type SeedStore } from '../core/keys/seed.ts';

/** Where the seed lives (Core Lightning's `hsm_secret`, by name). Tests read it from here. */
export const HSM_SECRET_DB = Object.freeze({
  name: (dataName: string): string => `boltworker-hsm:${dataName}`,
  version: 1,
  store: 'hsm',
  key: 'hsm_secret',
});

/** hsmd's database of `dataName` (the seed, and hsmd's channel records: hsm-channels-idb.ts). */
export function openHsmDb(dataName: string): Promise<IDBPDatabase> {
  return openDB(HSM_SECRET_DB.name(dataName), HSM_SECRET_DB.version, {
    upgrade(d) {
      if (!d.objectStoreNames.contains(HSM_SECRET_DB.store)) d.createObjectStore(HSM_SECRET_DB.store);
    },
  });
}

export interface LoadedSecretIdb {
  /** hsmd's root secret (32 or 64 bytes). */
  secretData: Uint8Array;
  /** Only when this call created the seed: its mnemonic, for the user to write down. */
  mnemonic?: string;
}

/**
 * Loads the seed of `dataName`, or creates it: from `recover` (a mnemonic, or a legacy secret as 64
 * hex digits) when given, refused with HsmError('seed_exists') if a seed is there; else a fresh
 * 12-word mnemonic from `random`.
 */
export async function loadOrCreateSecretIdb(
  dataName: string,
  random: (n: number) => Uint8Array,
  recover?: string,
): Promise<LoadedSecretIdb> {
  const db = await openHsmDb(dataName);
  try {
    const tx = db.transaction(HSM_SECRET_DB.store, 'readwrite');
    const store = tx.objectStore(HSM_SECRET_DB.store);
    // Only IndexedDB requests are awaited in between, so the transaction stays open from get to add;
    // add(), not put(): never overwrite a seed.
    const seedStore: SeedStore = {
      load: async () => ((await store.get(HSM_SECRET_DB.key)) as Uint8Array | undefined) ?? undefined,
      save: async file => void (await store.add(file, HSM_SECRET_DB.key)),
    };
    let out: LoadedSecretIdb;
    try {
      const root = await openSeed(seedStore, random, recover, `IndexedDB ${HSM_SECRET_DB.name(dataName)}`);
      out = root.mnemonic === undefined ? { secretData: root.secretData } : { secretData: root.secretData, mnemonic: root.mnemonic };
    } catch (e) {
      tx.abort();
      await tx.done.catch(() => undefined);
      throw e;
    }
    await tx.done;
    return out;
  } finally {
    db.close();
  }
}
