// The signature checks of gossip, as plain data: validation (validate.ts) turns each new message
// into SignatureChecks, and `verifyGossipSignatures` runs a batch of them. It is pure and takes and
// returns only transferable values, so a pool of workers can run it off the main path.
import { ProtocolError } from '../base/errors.ts';
import { verifyItems } from './verify-pool.ts';

export type SignatureField = 'node_signature_1' | 'node_signature_2' | 'bitcoin_signature_1' | 'bitcoin_signature_2' | 'signature';

/**
 * Structurally a verify-pool.ts `VerifyItem` (sig, digest, pub, and `field` as its key-reuse hint),
 * so a batch goes to the pool as is.
 */
export interface SignatureCheck {
  /** 64-byte compact signature. */
  sig: Uint8Array;
  /** sha256d of the signed part of the raw message (peek.ts `gossipDigest`). */
  digest: Uint8Array;
  /** The 33-byte compressed key that must have signed. */
  pub: Uint8Array;
  /** Which field this is, for the warning sent when it fails. */
  field: SignatureField;
}

/**
 * Verifies every check in this thread with @noble/secp256k1 (the loop verify-pool.ts InlineVerifier
 * runs); result[i] is whether batch[i] holds. Never throws on bad keys or signatures. (A pool's
 * Uint8Array of 1/0 verdicts is accepted by finishGossip too.)
 */
export function verifyGossipSignatures(batch: readonly SignatureCheck[]): boolean[] {
  return Array.from(verifyItems(batch), v => v === 1);
}

/**
 * The error for the first failed check of one message, or undefined when all hold. BOLT 7: a
 * signature that is "invalid OR NOT correct": "SHOULD send a `warning`", "MUST ignore the message".
 */
export function signatureError(checks: readonly SignatureCheck[], results: ArrayLike<boolean | number>): ProtocolError | undefined {
  for (let i = 0; i < checks.length; i++) {
    if (!results[i]) return new ProtocolError('bad_signature', `${checks[i]!.field} is not a valid signature`);
  }
  return undefined;
}
