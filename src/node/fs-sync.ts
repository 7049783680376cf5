// Durability of directory entries in Node (and Deno's node:fs): a create, rename or unlink is on
// disk only once its directory is fsynced (POSIX).
import { open, type FileHandle } from 'node:fs/promises';

/** fsync of directory `dir`; where a directory cannot be fsynced (Windows: EPERM/EISDIR) nothing more can be done. */
export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EBADF') throw e;
  } finally {
    await fh?.close();
  }
}
