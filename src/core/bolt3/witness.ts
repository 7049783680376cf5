// BOLT 3 witness stacks, one per spending path, each ending in the witness script (BOLT 3 "Use of
// Segwit": the last item is the script, omitted from the spec's listings for brevity). Signatures
// are DER with the sighash byte appended, as Bitcoin script takes them.
import { Bolt3Error } from './errors.ts';
import { sortPubkeys } from './scripts.ts';
import { equal } from '../base/bytes.ts';

export const SIGHASH_ALL = 0x01;
export const SIGHASH_SINGLE_ANYONECANPAY = 0x83;

const EMPTY = new Uint8Array(0);
const ONE = new Uint8Array([1]);

/** A DER signature with its sighash byte, as a witness item. */
export function scriptSig(der: Uint8Array, sighash: number): Uint8Array {
  const out = new Uint8Array(der.length + 1);
  out.set(der);
  out[der.length] = sighash;
  return out;
}

/** BOLT 3 "Commitment Transaction", `txin[0]` witness: `0 <signature_for_pubkey1> <signature_for_pubkey2>`. */
export function fundingWitness(
  fundingScript: Uint8Array,
  a: { pubkey: Uint8Array; sig: Uint8Array },
  b: { pubkey: Uint8Array; sig: Uint8Array },
): Uint8Array[] {
  const [p1] = sortPubkeys(a.pubkey, b.pubkey);
  const [first, second] = equal(p1, a.pubkey) ? [a, b] : [b, a];
  return [EMPTY, first.sig, second.sig, fundingScript];
}

/** BOLT 3 "`to_local` Output" after `to_self_delay` (input nSequence = to_self_delay): `<local_delayedsig> <>`. Also the HTLC transactions' output. */
export function toLocalDelayedWitness(script: Uint8Array, localDelayedSig: Uint8Array): Uint8Array[] {
  return [localDelayedSig, EMPTY, script];
}

/** BOLT 3 "`to_local` Output", revoked: `<revocation_sig> 1` (also the HTLC transactions' output). */
export function toLocalRevokedWitness(script: Uint8Array, revocationSig: Uint8Array): Uint8Array[] {
  return [revocationSig, ONE, script];
}

/** BOLT 3 "`to_remote` Output" with option_anchors (input nSequence = 1): `<remote_sig>`. */
export function toRemoteAnchorsWitness(script: Uint8Array, remoteSig: Uint8Array): Uint8Array[] {
  return [remoteSig, script];
}

/** BOLT 3 "`to_remote` Output" without option_anchors: P2WPKH, `<remote_sig> <remotepubkey>`. */
export function toRemoteP2wpkhWitness(remotePubkey: Uint8Array, remoteSig: Uint8Array): Uint8Array[] {
  return [remoteSig, remotePubkey];
}

/** BOLT 3 anchor outputs: `<local_sig/remote_sig>` by the owner of the funding key. */
export function anchorOwnerWitness(script: Uint8Array, sig: Uint8Array): Uint8Array[] {
  return [sig, script];
}

/** BOLT 3 anchor outputs: "After 16 blocks, anyone can sweep the anchor with witness: `<>`". */
export function anchorAnyoneWitness(script: Uint8Array): Uint8Array[] {
  return [EMPTY, script];
}

/** BOLT 3 "Offered HTLC Outputs" and "Received HTLC Outputs", revoked: `<revocation_sig> <revocationpubkey>`. */
export function htlcRevokedWitness(script: Uint8Array, revocationSig: Uint8Array, revocationPubkey: Uint8Array): Uint8Array[] {
  return [revocationSig, revocationPubkey, script];
}

/** BOLT 3 "Offered HTLC Outputs": the remote node redeems with `<remotehtlcsig> <payment_preimage>` (nSequence 1 with anchors). */
export function offeredHtlcPreimageWitness(script: Uint8Array, remoteHtlcSig: Uint8Array, preimage: Uint8Array): Uint8Array[] {
  if (preimage.length !== 32) throw new Bolt3Error('bad_preimage', 'a payment_preimage is 32 bytes');
  return [remoteHtlcSig, preimage, script];
}

/** BOLT 3 "Received HTLC Outputs": the remote node times out with `<remotehtlcsig> <>` (nSequence 1 with anchors). */
export function receivedHtlcTimeoutWitness(script: Uint8Array, remoteHtlcSig: Uint8Array): Uint8Array[] {
  return [remoteHtlcSig, EMPTY, script];
}

/** BOLT 3 "HTLC-Timeout and HTLC-Success Transactions": HTLC-timeout `0 <remotehtlcsig> <localhtlcsig> <>`. */
export function htlcTimeoutWitness(script: Uint8Array, remoteHtlcSig: Uint8Array, localHtlcSig: Uint8Array): Uint8Array[] {
  return [EMPTY, remoteHtlcSig, localHtlcSig, EMPTY, script];
}

/** Same section: HTLC-success `0 <remotehtlcsig> <localhtlcsig> <payment_preimage>`. */
export function htlcSuccessWitness(
  script: Uint8Array,
  remoteHtlcSig: Uint8Array,
  localHtlcSig: Uint8Array,
  preimage: Uint8Array,
): Uint8Array[] {
  if (preimage.length !== 32) throw new Bolt3Error('bad_preimage', 'a payment_preimage is 32 bytes');
  return [EMPTY, remoteHtlcSig, localHtlcSig, preimage, script];
}
