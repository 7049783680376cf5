// BOLT 3 "Keys": per-commitment points and the keys derived from basepoints for each commitment.
import { concat } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';
import { memoBytes } from '../crypto/memo.ts';
import { addPoints, addTweak, hashScalar, mulG, mulPoint, point, scalarSecret, secretScalar } from './ec.ts';

/**
 * Each commitment's keys are asked for again and again (per HTLC, when a commitment is built,
 * signed, checked and persisted, by channeld and by hsmd): each derivation below is computed once
 * for its inputs while they are among the last MEMO_ENTRIES asked.
 */
const MEMO_ENTRIES = 4096;

/** BOLT 3 `revocationpubkey` Derivation: per_commitment_point = per_commitment_secret * G. */
export const perCommitmentPoint = memoBytes(MEMO_ENTRIES, (perCommitmentSecret: Uint8Array): Uint8Array =>
  mulG(secretScalar(perCommitmentSecret)),
);

/** Any secret's public key (a basepoint from its basepoint_secret). */
export function pubkeyOf(secret: Uint8Array): Uint8Array {
  return perCommitmentPoint(secret);
}

/**
 * BOLT 3 `localpubkey`, `local_htlcpubkey`, `remote_htlcpubkey`, `local_delayedpubkey`, and
 * `remote_delayedpubkey` Derivation: pubkey = basepoint + SHA256(per_commitment_point || basepoint) * G.
 */
export const derivePubkey = memoBytes(MEMO_ENTRIES, (basepoint: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array => {
  const tweak = hashScalar(sha256(concat(perCommitmentPoint, basepoint)));
  point(perCommitmentPoint);
  return addTweak(basepoint, tweak);
});

/** Same section: privkey = basepoint_secret + SHA256(per_commitment_point || basepoint). */
export function derivePrivkey(basepointSecret: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
  const basepoint = pubkeyOf(basepointSecret);
  const tweak = hashScalar(sha256(concat(perCommitmentPoint, basepoint)));
  return scalarSecret(secretScalar(basepointSecret) + tweak);
}

/**
 * BOLT 3 `revocationpubkey` Derivation:
 * revocation_basepoint * SHA256(revocation_basepoint || per_commitment_point)
 *   + per_commitment_point * SHA256(per_commitment_point || revocation_basepoint).
 */
export const revocationPubkey = memoBytes(MEMO_ENTRIES, (revocationBasepoint: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array => {
  const a = hashScalar(sha256(concat(revocationBasepoint, perCommitmentPoint)));
  const b = hashScalar(sha256(concat(perCommitmentPoint, revocationBasepoint)));
  return addPoints(mulPoint(revocationBasepoint, a), mulPoint(perCommitmentPoint, b));
});

/**
 * Same section: revocationprivkey = revocation_basepoint_secret * SHA256(revocation_basepoint || per_commitment_point)
 *   + per_commitment_secret * SHA256(per_commitment_point || revocation_basepoint).
 */
export function revocationPrivkey(revocationBasepointSecret: Uint8Array, perCommitmentSecret: Uint8Array): Uint8Array {
  const basepoint = pubkeyOf(revocationBasepointSecret);
  const pcp = perCommitmentPoint(perCommitmentSecret);
  const a = hashScalar(sha256(concat(basepoint, pcp)));
  const b = hashScalar(sha256(concat(pcp, basepoint)));
  return scalarSecret(secretScalar(revocationBasepointSecret) * a + secretScalar(perCommitmentSecret) * b);
}

/** BOLT 3 `remotepubkey` Derivation (option_static_remotekey): the remote node's payment_basepoint. */
export function remotePubkey(remotePaymentBasepoint: Uint8Array): Uint8Array {
  point(remotePaymentBasepoint);
  return remotePaymentBasepoint;
}

/** A node's four basepoints, from its `open_channel` or `accept_channel`. */
export interface Basepoints {
  revocationBasepoint: Uint8Array;
  paymentBasepoint: Uint8Array;
  delayedPaymentBasepoint: Uint8Array;
  htlcBasepoint: Uint8Array;
}

/**
 * The keys of the commitment transaction held by `owner`, for that commitment's
 * per_commitment_point (BOLT 3 "Key Derivation"): the revocation key from the other side's
 * revocation_basepoint (only the other side can learn its secret), the delayed key from the
 * owner's, `remotepubkey` the other side's payment_basepoint (option_static_remotekey), and each
 * side's HTLC key from its htlc_basepoint.
 */
export function commitmentKeys(owner: Basepoints, other: Basepoints, perCommitmentPoint: Uint8Array) {
  return {
    revocationPubkey: revocationPubkey(other.revocationBasepoint, perCommitmentPoint),
    localDelayedPubkey: derivePubkey(owner.delayedPaymentBasepoint, perCommitmentPoint),
    remotePubkey: remotePubkey(other.paymentBasepoint),
    localHtlcPubkey: derivePubkey(owner.htlcBasepoint, perCommitmentPoint),
    remoteHtlcPubkey: derivePubkey(other.htlcBasepoint, perCommitmentPoint),
  };
}
