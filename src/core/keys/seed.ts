// The node's one seed: a BIP39 mnemonic, and the `hsm_secret` bytes it is kept in, in Core
// Lightning's own format (v25.12+, common/hsm_secret.c) so the file moves between the two:
//   32 bytes  legacy: the raw root secret (Core Lightning before v25.12, boltworker before keys).
//   32 + n    a mnemonic: 32 bytes "passphrase hash" (all zero: no passphrase) then the mnemonic's
//             n ASCII bytes, single-spaced. The root secret is then the 64-byte BIP39 seed.
//   73 bytes  Core Lightning's legacy encrypted secret: not supported (refused, clearly).
// Whatever the format, hsmd gets the root secret (`secretData`: 32 or 64 bytes), exactly what Core
// Lightning's hsmd_init takes; src/core/keys/derive.ts derives everything from it.
import { entropyToMnemonic, mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { fromHex } from '../base/bytes.ts';
import { HsmError } from '../daemons/hsmd/secret.ts';

/** Core Lightning creates 12-word mnemonics (BIP39_ENTROPY_LEN_128). */
const ENTROPY_BYTES = 16;
const PASSPHRASE_HASH_LEN = 32;
const LEGACY_LEN = 32;
/** Core Lightning's encrypted legacy file (xchacha20poly1305 secretstream header + ciphertext). */
const ENCRYPTED_LEN = 73;

export type HsmSecretFormat = 'legacy' | 'mnemonic';

export interface RootSecret {
  format: HsmSecretFormat;
  /** What Core Lightning's hsmd_init gets: the legacy 32 bytes, or the 64-byte BIP39 seed. */
  secretData: Uint8Array;
}

/**
 * A fresh English mnemonic from `bytes` bytes of `random` (a CSPRNG the runtime injects): 12 words
 * from 16 bytes, as Core Lightning makes them (16, 20, 24, 28 or 32 bytes: 12 to 24 words).
 */
export function createMnemonic(random: (n: number) => Uint8Array, bytes = ENTROPY_BYTES): string {
  const entropy = random(bytes);
  if (!(entropy instanceof Uint8Array) || entropy.length !== bytes) {
    throw new HsmError('bad_random', `the random source must return ${bytes} bytes`);
  }
  const m = entropyToMnemonic(entropy, wordlist);
  entropy.fill(0);
  return m;
}

/**
 * The mnemonic as BIP39 spells it (NFKD, lower case, single spaces), or HsmError('bad_mnemonic')
 * when it is not a valid English BIP39 mnemonic. The error never quotes the words.
 */
export function normalizeMnemonic(mnemonic: unknown): string {
  if (typeof mnemonic !== 'string') throw new HsmError('bad_mnemonic', 'the mnemonic must be a string');
  const m = mnemonic.normalize('NFKD').trim().toLowerCase().split(/\s+/).join(' ');
  if (!validateMnemonic(m, wordlist)) {
    const words = m === '' ? 0 : m.split(' ').length;
    throw new HsmError(
      'bad_mnemonic',
      `not a valid BIP39 mnemonic (${words} words; 12, 15, 18, 21 or 24 English words with a valid checksum)`,
    );
  }
  return m;
}

/**
 * BIP39: the 64-byte seed of `mnemonic`. The node always uses the empty passphrase (Core
 * Lightning's default; its hsm-passphrase is not supported); the parameter is for BIP39's vectors.
 */
export function mnemonicSeed(mnemonic: string, passphrase = ''): Uint8Array {
  return mnemonicToSeedSync(normalizeMnemonic(mnemonic), passphrase);
}

/** The `hsm_secret` file for `mnemonic`, in Core Lightning's format (no passphrase). */
export function encodeHsmSecret(mnemonic: string): Uint8Array {
  const m = new TextEncoder().encode(normalizeMnemonic(mnemonic));
  const out = new Uint8Array(PASSPHRASE_HASH_LEN + m.length);
  out.set(m, PASSPHRASE_HASH_LEN);
  return out;
}

/**
 * Reads an `hsm_secret` file (any format above). `what` names it in errors (a path, a database);
 * errors never quote its bytes.
 */
export function decodeHsmSecret(file: unknown, what = 'hsm_secret'): RootSecret {
  if (!(file instanceof Uint8Array)) throw new HsmError('bad_secret', `${what} must be bytes`);
  if (file.length === LEGACY_LEN) return { format: 'legacy', secretData: file.slice() };
  if (file.length === ENCRYPTED_LEN) {
    throw new HsmError('bad_secret', `${what} is Core Lightning's encrypted format: decrypt it first (lightning-hsmtool decrypt)`);
  }
  if (file.length < LEGACY_LEN) throw new HsmError('bad_secret', `${what} is ${file.length} bytes: too short to hold a secret`);
  if (!file.subarray(0, PASSPHRASE_HASH_LEN).every(b => b === 0)) {
    throw new HsmError('bad_secret', `${what} holds a mnemonic with a passphrase, which boltworker does not support`);
  }
  const mnemonic = new TextDecoder().decode(file.subarray(PASSPHRASE_HASH_LEN));
  try {
    return { format: 'mnemonic', secretData: mnemonicSeed(mnemonic) };
  } catch (e) {
    if (e instanceof HsmError) throw new HsmError('bad_secret', `${what}: ${e.message}`);
    throw e;
  }
}

/**
 * What `--recover` takes, as Core Lightning's does: a mnemonic, or (for a legacy node) the 32-byte
 * secret as 64 hex digits. Returns the `hsm_secret` file to write.
 */
export function recoveryFile(recover: unknown): Uint8Array {
  if (typeof recover === 'string' && /^[0-9a-fA-F]{64}$/.test(recover.trim())) {
    return fromHex(recover.trim().toLowerCase());
  }
  return encodeHsmSecret(normalizeMnemonic(recover));
}

/** Where a runtime keeps the hsm_secret bytes: a file, an IndexedDB transaction, Durable Object storage. */
export interface SeedStore {
  load(): Promise<Uint8Array | undefined>;
  save(file: Uint8Array): Promise<void>;
}

/**
 * Loads the seed from `store`, or creates it: from `recover` when given (refused with
 * HsmError('seed_exists') if the store holds a seed, as Core Lightning refuses --recover over an
 * hsm_secret), else a fresh mnemonic from `random`. Bytes it cannot read are an error, never
 * replaced. `what` names the store in errors (a path). Only a seed it created comes back with its
 * `mnemonic` (for a runtime that shows it once).
 */
export async function openSeed(
  store: SeedStore,
  random: (n: number) => Uint8Array,
  recover?: string,
  what = 'the stored hsm_secret',
): Promise<RootSecret & { made?: 'created' | 'recovered'; mnemonic?: string }> {
  const found = await store.load();
  if (found !== undefined) {
    if (recover !== undefined) throw new HsmError('seed_exists', `recover: ${what} already holds a seed; restore into a new node`);
    return decodeHsmSecret(found, what);
  }
  if (recover !== undefined) {
    const file = recoveryFile(recover);
    const root = decodeHsmSecret(file, what);
    await store.save(file);
    return { ...root, made: 'recovered' };
  }
  const mnemonic = createMnemonic(random);
  const file = encodeHsmSecret(mnemonic);
  const root = decodeHsmSecret(file, what);
  await store.save(file);
  return { ...root, made: 'created', mnemonic };
}
