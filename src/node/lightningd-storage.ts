// lightningd's database in Node: JSON files in the lightning dir, each replaced atomically
// (write a temporary file, fsync, rename), so a crash leaves the old or the new state:
// lightningd.json (peers, config) and wallet.json (the on-chain wallet, written once per block).
import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LightningdState, LightningdStorage } from '../core/daemons/lightningd/db.ts';
import type { WalletState, WalletStorage } from '../core/wallet/state.ts';

export class AtomicJsonFile<T> {
  private readonly path: string;
  constructor(
    private readonly dir: string,
    name: string,
  ) {
    this.path = join(dir, name);
  }
  async load(): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`cannot read ${this.path}: ${(e as Error).message}`);
    }
  }
  async save(state: T): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(state, null, 1));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
  }
}

export class FileLightningdStorage extends AtomicJsonFile<LightningdState> implements LightningdStorage {
  constructor(dir: string) {
    super(dir, 'lightningd.json');
  }
}

export class FileWalletStorage extends AtomicJsonFile<WalletState> implements WalletStorage {
  constructor(dir: string) {
    super(dir, 'wallet.json');
  }
}
