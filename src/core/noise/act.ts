// The three fixed-size handshake messages of BOLT 8 ("Handshake Exchange"): their sizes, their
// parsing (length, version, key checks before any ECDH) and the injected static-key ECDH.
import { isValidPublicKey, isValidSecretKey } from '../crypto/primitives.ts';
import { isBoltError, NoiseError } from '../base/errors.ts';

/** BOLT 8 "Authenticated Key Exchange Handshake Specification": exact act sizes. */
export const ACT_ONE_SIZE = 50;
export const ACT_TWO_SIZE = 50;
export const ACT_THREE_SIZE = 66;

/** BOLT 8 "Handshake Versioning": the only version we know. */
export const HANDSHAKE_VERSION = 0;

/**
 * `ECDH(rk, ls.priv)` with the node's static secret, which hsmd owns: SHA-256 of the compressed
 * shared point, 32 bytes. The key passed in has already been checked to be a valid point.
 */
export type Ecdh = (remotePub: Uint8Array) => Uint8Array | Promise<Uint8Array>;

export type ActName = 'act one' | 'act two' | 'act three';

/** Receiver actions 1 and 3: read exactly `size` bytes; an unknown version MUST abort. */
function checkFrame(m: Uint8Array, size: number, act: ActName): void {
  if (!(m instanceof Uint8Array)) throw new NoiseError('bad_length', `${act}: expected bytes`);
  if (m.length !== size) {
    throw new NoiseError('bad_length', `${act}: expected exactly ${size} bytes, got ${m.length}`);
  }
  if (m[0] !== HANDSHAKE_VERSION) throw new NoiseError('bad_version', `${act}: unknown handshake version ${m[0]}`);
}

/**
 * Act One / Act Two receiver actions 1–3: `m = v || re || c` (1 + 33 + 16 bytes). `re` must be a
 * valid compressed secp256k1 point before it is hashed or used.
 */
export function readEphemeralAct(m: Uint8Array, act: 'act one' | 'act two'): { re: Uint8Array; c: Uint8Array } {
  checkFrame(m, ACT_ONE_SIZE, act);
  const re = m.slice(1, 34);
  if (!isValidPublicKey(re)) throw new NoiseError('bad_pubkey', `${act}: ephemeral key is not a valid compressed point`);
  return { re, c: m.slice(34, 50) };
}

/** Act Three receiver actions 1–3: `m = v || c || t` (1 + 49 + 16 bytes). */
export function readActThree(m: Uint8Array): { c: Uint8Array; t: Uint8Array } {
  checkFrame(m, ACT_THREE_SIZE, 'act three');
  return { c: m.slice(1, 50), t: m.slice(50, 66) };
}

/** Sender action 7 of Acts One and Two: `m = 0 || e.pub || c`. */
export function writeEphemeralAct(ePub: Uint8Array, c: Uint8Array): Uint8Array {
  const m = new Uint8Array(ACT_ONE_SIZE);
  m[0] = HANDSHAKE_VERSION;
  m.set(ePub, 1);
  m.set(c, 34);
  return m;
}

/** Act Three sender action 8: `m = 0 || c || t`. */
export function writeActThree(c: Uint8Array, t: Uint8Array): Uint8Array {
  const m = new Uint8Array(ACT_THREE_SIZE);
  m[0] = HANDSHAKE_VERSION;
  m.set(c, 1);
  m.set(t, 50);
  return m;
}

/** Runs the injected static-key ECDH and checks its answer; a failure of hsmd is a NoiseError. */
export async function staticEcdh(ecdh: Ecdh, remotePub: Uint8Array): Promise<Uint8Array> {
  let ss: unknown;
  try {
    ss = await ecdh(remotePub);
  } catch (e) {
    if (isBoltError(e)) throw e;
    throw new NoiseError('ecdh_failed', `static-key ECDH failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!(ss instanceof Uint8Array) || ss.length !== 32) {
    throw new NoiseError('ecdh_failed', 'static-key ECDH did not return 32 bytes');
  }
  return ss;
}

/** Checks the options every handshake side is given (our own keys: lengths and ranges only). */
export function checkLocalKeys(localStatic: Uint8Array, ephemeralSecret: Uint8Array, ecdh: Ecdh): void {
  if (!(localStatic instanceof Uint8Array) || localStatic.length !== 33 || (localStatic[0] !== 2 && localStatic[0] !== 3)) {
    throw new NoiseError('bad_pubkey', 'localStatic must be a 33-byte compressed public key');
  }
  if (!(ephemeralSecret instanceof Uint8Array) || ephemeralSecret.length !== 32 || !isValidSecretKey(ephemeralSecret)) {
    throw new NoiseError('bad_secret', 'ephemeralSecret must be a valid 32-byte secp256k1 secret key');
  }
  if (typeof ecdh !== 'function') throw new NoiseError('ecdh_failed', 'ecdh must be a function');
}
