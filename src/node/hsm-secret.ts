// The root secret on disk for the Node runtime: `hsm_secret` in the network directory, as Core
// Lightning names and formats it (src/core/keys/seed.ts): a new node writes 32 zero bytes and then
// its BIP39 mnemonic, so the mnemonic is read with `tail -c +33 hsm_secret` (Core Lightning:
// `lightning-hsmtool getsecret hsm_secret`). A legacy 32-byte file keeps working. Owner-only
// (0600). Only the hsmd worker calls this; the mnemonic is never logged.
import { mkdir, open, readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openSeed, type RootSecret } from '../core/keys/seed.ts';
import type { OptionSpec } from './options.ts';

/** `boltworker node` options that reach hsmd (Core Lightning's `--recover`). */
export const HSM_OPTIONS: OptionSpec[] = [
  {
    name: 'recover',
    arg: 'MNEMONIC',
    cmdlineOnly: true,
    help: 'Restore the node from its BIP39 mnemonic (or a legacy secret as 64 hex digits); fails if hsm_secret exists',
  },
];

export interface LoadedSecret extends RootSecret {
  path: string;
  /** 'created': a new mnemonic was written; 'recovered': --recover wrote it; undefined: it was there. */
  made?: 'created' | 'recovered';
}

async function writeNew(path: string, bytes: Uint8Array): Promise<void> {
  // 'wx': never overwrite a secret another process wrote meanwhile.
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readIfThere(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Loads `<dir>/hsm_secret`, or creates it: from `recover` when given (refused if the file exists,
 * as Core Lightning refuses), else from a fresh 12-word mnemonic. The network directory's lock
 * (lightningd.pid) is held meanwhile, so no other daemon writes it; 'wx' refuses to overwrite anyway.
 */
export async function loadOrCreateSecret(dir: string, recover?: string): Promise<LoadedSecret> {
  const path = join(dir, 'hsm_secret');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const root = await openSeed(
    { load: () => readIfThere(path), save: file => writeNew(path, file) },
    n => new Uint8Array(randomBytes(n)),
    recover,
    path,
  );
  return { ...root, path };
}
