// The node secret on disk for the Node runtime: `hsm_secret` in the lightning dir, as Core
// Lightning names it, 32 bytes, readable by the owner only. Only the hsmd worker calls this.
import { mkdir, open, readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export async function loadOrCreateSecret(dir: string, isValid: (k: Uint8Array) => boolean): Promise<Uint8Array> {
  const path = join(dir, 'hsm_secret');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    const b = new Uint8Array(await readFile(path));
    if (b.length !== 32 || !isValid(b)) throw new Error(`${path} is not a valid 32-byte secret`);
    return b;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let k: Uint8Array;
  do k = new Uint8Array(randomBytes(32));
  while (!isValid(k));
  // 'wx': never overwrite a secret another process wrote meanwhile.
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(k);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return k;
}
