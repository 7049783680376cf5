// lightningd's database in Node: one JSON file in the lightning dir, replaced atomically
// (write a temporary file, fsync, rename), so a crash leaves the old or the new state.
import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LightningdState, LightningdStorage } from '../core/daemons/lightningd/db.ts';

export class FileLightningdStorage implements LightningdStorage {
  private readonly path: string;
  constructor(private readonly dir: string) {
    this.path = join(dir, 'lightningd.json');
  }
  async load(): Promise<LightningdState | undefined> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as LightningdState;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`cannot read ${this.path}: ${(e as Error).message}`);
    }
  }
  async save(state: LightningdState): Promise<void> {
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
