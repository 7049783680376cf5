// hsmd's key for the backups we leave with peers (BOLT 1 "Peer Storage": "the blob ... SHOULD be
// encrypted"): derived from the root secret, so the same seed restored on an empty node opens
// them again, and never handed out: hsmd seals and opens, lightningd sees only ciphertext and the
// plaintext it asked to seal. ChaCha20-Poly1305 with a random 96-bit nonce per blob.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { concat } from '../../base/bytes.ts';
import { hkdfSha256 } from '../../crypto/primitives.ts';
import { checkSecretData } from '../../keys/derive.ts';
import { HsmError } from './secret.ts';

const NONCE = 12;
const TAG = 16;
/** What sealing adds to the plaintext: the nonce before it, the Poly1305 tag after. */
export const PEER_BACKUP_OVERHEAD = NONCE + TAG;
/** BOLT 1: "The data stored must not exceed 65531 bytes" (peer_storage's blob). */
export const MAX_PEER_STORAGE_BLOB = 65531;
/** The largest plaintext whose sealed blob still fits in a peer_storage. */
export const MAX_PEER_BACKUP_PLAINTEXT = MAX_PEER_STORAGE_BLOB - PEER_BACKUP_OVERHEAD;

const utf8 = (s: string) => new TextEncoder().encode(s);
/** Binds every blob to its purpose (and version): a key or blob from elsewhere never opens as ours. */
const AAD = utf8('boltworker peer_storage backup v1');

export class PeerBackupCipher {
  readonly #key: Uint8Array;

  /** `secretData`: hsmd's root secret (a BIP39 seed or a legacy hsm_secret); only the derived key is kept. */
  constructor(
    secretData: Uint8Array,
    private readonly randomBytes: (n: number) => Uint8Array,
  ) {
    checkSecretData(secretData);
    this.#key = hkdfSha256(secretData, new Uint8Array(0), utf8('boltworker peer storage key'), 32);
  }

  /** nonce || ChaCha20-Poly1305(plaintext) || tag. `bad_request` for a plaintext that would not fit in a peer_storage. */
  seal(plaintext: Uint8Array): Uint8Array {
    if (!(plaintext instanceof Uint8Array)) throw new HsmError('bad_request', 'sealPeerBackup: the backup must be a Uint8Array');
    if (plaintext.length > MAX_PEER_BACKUP_PLAINTEXT)
      throw new HsmError('bad_request', `sealPeerBackup: ${plaintext.length} bytes is over ${MAX_PEER_BACKUP_PLAINTEXT}`);
    const nonce = this.randomBytes(NONCE);
    return concat(nonce, chacha20poly1305(this.#key, nonce, AAD).encrypt(plaintext));
  }

  /** The plaintext of a blob this key sealed; undefined for anything else (wrong key, altered, truncated). */
  open(blob: Uint8Array): Uint8Array | undefined {
    if (!(blob instanceof Uint8Array) || blob.length < PEER_BACKUP_OVERHEAD || blob.length > MAX_PEER_STORAGE_BLOB) return undefined;
    try {
      return chacha20poly1305(this.#key, blob.subarray(0, NONCE), AAD).decrypt(blob.subarray(NONCE));
    } catch {
      return undefined;
    }
  }
}
