// The HTTP endpoint's credential: a fresh random cookie per start in a file only the owner can read
// (`__cookie__:HEX`, as bitcoind's `.cookie`), beside the RPC socket. `cli` reads it to use HTTP;
// it is sent as `Authorization: Basic base64(__cookie__:HEX)` (curl --user "$(cat FILE)").
import { randomBytes } from 'node:crypto';
import { open, readFile, unlink } from 'node:fs/promises';

export async function writeCookie(path: string): Promise<{ path: string; value: string; remove(): Promise<void> }> {
  const value = `__cookie__:${randomBytes(32).toString('hex')}`;
  await unlink(path).catch(() => undefined);
  // 'wx' with mode 0600: never readable by others, not even for a moment.
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(value);
  } finally {
    await fh.close();
  }
  return {
    path,
    value,
    async remove() {
      if ((await readFile(path, 'utf8').catch(() => '')) === value) await unlink(path).catch(() => undefined);
    },
  };
}

export function basicAuth(cookie: string): string {
  return `Basic ${Buffer.from(cookie.trim()).toString('base64')}`;
}
