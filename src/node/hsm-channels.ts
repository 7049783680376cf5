// hsmd's channel signer state in the Node runtime: `hsm_channels.json` in the network directory,
// beside hsm_secret, owner-only. Each save writes the whole file to a temporary one, fsyncs it,
// renames it over the old one and fsyncs the directory (so the rename itself survives a power
// loss): a crash leaves the old or the new state, never a mix, and a save resolves only once the
// new state is on disk. Only hsmd's worker opens it; it holds commitment numbers, txids and the
// channel's public keys, no secret.
import type { HsmChannelStore, StoredChannelRecord } from '../core/daemons/hsmd/interface.ts';
import { AtomicJsonFile } from './lightningd-storage.ts';

export const HSM_CHANNELS_FILE = 'hsm_channels.json';

type Records = Record<string, StoredChannelRecord>;

export class FileHsmChannelStore implements HsmChannelStore {
  readonly #file: AtomicJsonFile<Records>;
  #records: Records | undefined;
  /** Saves one after another: each writes the records as they are after it. */
  #tail: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.#file = new AtomicJsonFile<Records>(dir, HSM_CHANNELS_FILE);
  }

  async load(): Promise<Records> {
    this.#records = (await this.#file.load()) ?? {};
    return structuredClone(this.#records);
  }

  save(key: string, record: StoredChannelRecord): Promise<void> {
    const run = this.#tail.then(async () => {
      const next = { ...(this.#records ?? (await this.#file.load()) ?? {}), [key]: record };
      // Until this save is done, what the file holds is read back from it: a failed save may have
      // landed, and the next save (of another channel) must not write over it with older state.
      this.#records = undefined;
      await this.#file.save(next); // fsyncs the directory too
      this.#records = next;
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
