// Everything hsmd derives from the root secret, as Core Lightning's hsmd does (hsmd/libhsmd.c,
// common/derive_basepoints.c), so that one seed gives the same node id, the same channel secrets
// and the same on-chain keys in either implementation. `secretData` is hsmd_init's: the legacy
// 32-byte hsm_secret, or the 64-byte BIP39 seed of a mnemonic (seed.ts). HKDF is RFC 5869
// HKDF-SHA256; a u32 salt is little-endian, as Core Lightning writes its native u32 on x86/ARM.
// README.md "Keys" documents the same steps for people.
import { HDKey } from '@scure/bip32';
import { concat, u64le } from '../base/bytes.ts';
import { getPublicKey, hkdfSha256, isValidSecretKey } from '../crypto/primitives.ts';
import { HsmError } from '../daemons/hsmd/secret.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const EMPTY = new Uint8Array(0);

function u32le(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

export function checkSecretData(secretData: unknown): asserts secretData is Uint8Array {
  if (!(secretData instanceof Uint8Array) || (secretData.length !== 32 && secretData.length !== 64)) {
    throw new HsmError('bad_secret', 'the root secret must be 32 bytes (legacy hsm_secret) or 64 bytes (BIP39 seed)');
  }
}

/** Core Lightning uses the first 32 bytes for the node key and the channel seeds (libhsmd.c). */
const first32 = (secretData: Uint8Array): Uint8Array => secretData.subarray(0, 32);

/**
 * libhsmd.c node_key(): HKDF(ikm = secretData[0..32], salt = u32le(i), info = "nodeid"), 32 bytes,
 * for i = 0, 1, ... until the result is a valid secp256k1 secret key (i = 0 but for ~2^-128).
 */
export function nodeSecretKey(secretData: Uint8Array): Uint8Array {
  checkSecretData(secretData);
  for (let salt = 0; ; salt++) {
    const k = hkdfSha256(first32(secretData), u32le(salt), utf8('nodeid'), 32);
    if (isValidSecretKey(k)) return k;
  }
}

/** Our node id: the compressed public key of nodeSecretKey. */
export function nodeIdOf(secretData: Uint8Array): Uint8Array {
  return getPublicKey(nodeSecretKey(secretData));
}

/**
 * libhsmd.c get_channel_seed(): base = HKDF(ikm = secretData[0..32], no salt, "peer seed");
 * seed = HKDF(ikm = base, salt = peer_id (33 bytes) || u64le(dbid), "per-peer seed").
 */
export function channelSeed(secretData: Uint8Array, peerId: Uint8Array, dbid: bigint): Uint8Array {
  checkSecretData(secretData);
  if (!(peerId instanceof Uint8Array) || peerId.length !== 33) throw new HsmError('bad_request', 'channelSeed: peer_id must be 33 bytes');
  if (typeof dbid !== 'bigint' || dbid < 0n || dbid >= 1n << 64n) throw new HsmError('bad_request', 'channelSeed: dbid must be a u64');
  const base = hkdfSha256(first32(secretData), EMPTY, utf8('peer seed'), 32);
  return hkdfSha256(base, concat(peerId, u64le(dbid)), utf8('per-peer seed'), 32);
}

/** A channel's base secrets (BOLT 3 "Key Derivation"): everything else of the channel comes from these. */
export interface ChannelSecrets {
  funding_privkey: Uint8Array;
  revocation_basepoint_secret: Uint8Array;
  payment_basepoint_secret: Uint8Array;
  delayed_payment_basepoint_secret: Uint8Array;
  htlc_basepoint_secret: Uint8Array;
  /** BOLT 3 per-commitment secret generation's seed (Core Lightning's `shaseed`). */
  shachain_seed: Uint8Array;
}

/**
 * derive_basepoints.c derive_keys(): HKDF(ikm = channelSeed, no salt, "c-lightning"), 192 bytes cut
 * in Core Lightning's `struct keys` order: funding, revocation, htlc, payment, delayed_payment,
 * shaseed (32 bytes each).
 */
export function channelSecrets(secretData: Uint8Array, peerId: Uint8Array, dbid: bigint): ChannelSecrets {
  const keys = hkdfSha256(channelSeed(secretData, peerId, dbid), EMPTY, utf8('c-lightning'), 192);
  const at = (i: number) => keys.slice(32 * i, 32 * i + 32);
  return {
    funding_privkey: at(0),
    revocation_basepoint_secret: at(1),
    htlc_basepoint_secret: at(2),
    payment_basepoint_secret: at(3),
    delayed_payment_basepoint_secret: at(4),
    shachain_seed: at(5),
  };
}

export type WalletAddressType = 'p2wpkh' | 'p2tr';

/**
 * Where the wallet's key k sits, for either address type (one index space, as Core Lightning's):
 * a mnemonic seed uses BIP86's chain m/86'/0'/0'/0 (Core Lightning v25.12+: coin type 0' on every
 * network, and the same key for its bech32 and p2tr addresses); a legacy secret uses Core
 * Lightning's m/0/0 under a master made from HKDF(secretData, salt = u32le(i), "bip32 seed").
 */
export const WALLET_CHAIN = Object.freeze({ mnemonic: "m/86'/0'/0'/0", legacy: 'm/0/0' });

/** BIP32: the master key of `seed` (16 to 64 bytes), then `path` (`m/86'/0'/0'/0`). */
export function deriveBip32(seed: Uint8Array, path: string): HDKey {
  return HDKey.fromMasterSeed(seed).derive(path);
}

/** libhsmd.c hsmd_init(): the legacy BIP32 master seed, 32 bytes, retried until BIP32 accepts it. */
function legacyBip32Seed(secretData: Uint8Array): Uint8Array {
  for (let salt = 0; ; salt++) {
    const s = hkdfSha256(secretData, u32le(salt), utf8('bip32 seed'), 32);
    try {
      HDKey.fromMasterSeed(s);
      return s;
    } catch {
      // an invalid master key (probability ~2^-127): the next salt, as Core Lightning does
    }
  }
}

/** The private extended key of the wallet's external chain: its child k is wallet key k. */
export function walletChain(secretData: Uint8Array): HDKey {
  checkSecretData(secretData);
  return secretData.length === 64
    ? deriveBip32(secretData, WALLET_CHAIN.mnemonic)
    : deriveBip32(legacyBip32Seed(secretData), WALLET_CHAIN.legacy);
}
