// BOLT 3 witness scripts and the output scripts that commit to them.
import { Script, type ScriptType } from '@scure/btc-signer';
import { compare, concat } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';
import { hash160, point, ripemd160 } from './ec.ts';
import { Bolt3Error } from './errors.ts';

/** P2WSH: OP_0 <SHA256(witness_script)> (BOLT 3 "Use of Segwit"). */
export function p2wsh(witnessScript: Uint8Array): Uint8Array {
  return concat(new Uint8Array([0x00, 0x20]), sha256(witnessScript));
}

/** P2WPKH: OP_0 <HASH160(pubkey)>. */
export function p2wpkh(pubkey: Uint8Array): Uint8Array {
  point(pubkey);
  return concat(new Uint8Array([0x00, 0x14]), hash160(pubkey));
}

/** The BIP 143 scriptCode a P2WPKH spend signs: OP_DUP OP_HASH160 <HASH160(pubkey)> OP_EQUALVERIFY OP_CHECKSIG. */
export function p2wpkhScriptCode(pubkey: Uint8Array): Uint8Array {
  return Script.encode(['DUP', 'HASH160', hash160(point(pubkey)), 'EQUALVERIFY', 'CHECKSIG']);
}

/**
 * BOLT 3 "Funding Transaction Output": `2 <pubkey1> <pubkey2> 2 OP_CHECKMULTISIG`, pubkey1 the
 * lexicographically lesser of the two `funding_pubkey`s.
 */
export function fundingScript(a: Uint8Array, b: Uint8Array): Uint8Array {
  const [p1, p2] = sortPubkeys(a, b);
  return Script.encode([2, p1, p2, 2, 'CHECKMULTISIG']);
}

export function sortPubkeys(a: Uint8Array, b: Uint8Array): [Uint8Array, Uint8Array] {
  point(a);
  point(b);
  return compare(a, b) <= 0 ? [a, b] : [b, a];
}

/**
 * BOLT 3 "`to_local` Output" (also the output of HTLC-timeout and HTLC-success transactions):
 * OP_IF <revocationpubkey> OP_ELSE `to_self_delay` OP_CSV OP_DROP <local_delayedpubkey> OP_ENDIF OP_CHECKSIG.
 */
export function toLocalScript(revocationPubkey: Uint8Array, toSelfDelay: number, localDelayedPubkey: Uint8Array): Uint8Array {
  if (!Number.isInteger(toSelfDelay) || toSelfDelay < 0 || toSelfDelay > 0xffff) {
    throw new Bolt3Error('bad_delay', `to_self_delay ${toSelfDelay} is not a u16`);
  }
  return Script.encode([
    'IF',
    point(revocationPubkey),
    'ELSE',
    toSelfDelay,
    'CHECKSEQUENCEVERIFY',
    'DROP',
    point(localDelayedPubkey),
    'ENDIF',
    'CHECKSIG',
  ]);
}

/** BOLT 3 "`to_remote` Output" with option_anchors: <remotepubkey> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY. */
export function toRemoteAnchorsScript(remotePubkey: Uint8Array): Uint8Array {
  return Script.encode([point(remotePubkey), 'CHECKSIGVERIFY', 1, 'CHECKSEQUENCEVERIFY']);
}

/**
 * BOLT 3 "`to_local_anchor` and `to_remote_anchor` Output (option_anchors)":
 * <funding_pubkey> OP_CHECKSIG OP_IFDUP OP_NOTIF OP_16 OP_CHECKSEQUENCEVERIFY OP_ENDIF.
 */
export function anchorScript(fundingPubkey: Uint8Array): Uint8Array {
  return Script.encode([point(fundingPubkey), 'CHECKSIG', 'IFDUP', 'NOTIF', 16, 'CHECKSEQUENCEVERIFY', 'ENDIF']);
}

export interface HtlcScriptKeys {
  revocationPubkey: Uint8Array;
  localHtlcPubkey: Uint8Array;
  remoteHtlcPubkey: Uint8Array;
}

/**
 * The opening both HTLC scripts share: OP_DUP OP_HASH160 <RIPEMD160(SHA256(revocationpubkey))>
 * OP_EQUAL OP_IF OP_CHECKSIG OP_ELSE <remote_htlcpubkey> OP_SWAP OP_SIZE 32 OP_EQUAL.
 */
function htlcOpening(keys: HtlcScriptKeys): ScriptType {
  const rev = hash160(point(keys.revocationPubkey));
  return ['DUP', 'HASH160', rev, 'EQUAL', 'IF', 'CHECKSIG', 'ELSE', point(keys.remoteHtlcPubkey), 'SWAP', 'SIZE', 32, 'EQUAL'];
}

/** The 2-of-2 both HTLC scripts take for the second-stage transaction: 2 OP_SWAP <local_htlcpubkey> 2 OP_CHECKMULTISIG. */
function htlcMultisig(keys: HtlcScriptKeys): ScriptType {
  return [2, 'SWAP', point(keys.localHtlcPubkey), 2, 'CHECKMULTISIG'];
}

/** OP_HASH160 <RIPEMD160(payment_hash)> OP_EQUALVERIFY. */
function preimageCheck(paymentHash: Uint8Array): ScriptType {
  if (paymentHash.length !== 32) throw new Bolt3Error('bad_payment_hash', 'a payment_hash is 32 bytes');
  return ['HASH160', ripemd160(paymentHash), 'EQUALVERIFY'];
}

/** With option_anchors both HTLC scripts end in `1 OP_CHECKSEQUENCEVERIFY OP_DROP` before the last OP_ENDIF. */
function closing(anchors: boolean): ScriptType {
  return anchors ? ['ENDIF', 1, 'CHECKSEQUENCEVERIFY', 'DROP', 'ENDIF'] : ['ENDIF', 'ENDIF'];
}

/** BOLT 3 "Offered HTLC Outputs" (with or without option_anchors). */
export function offeredHtlcScript(keys: HtlcScriptKeys, paymentHash: Uint8Array, anchors: boolean): Uint8Array {
  return Script.encode([
    ...htlcOpening(keys),
    'NOTIF',
    // To local node via HTLC-timeout transaction (timelocked).
    'DROP',
    ...htlcMultisig(keys),
    'ELSE',
    // To remote node with preimage.
    ...preimageCheck(paymentHash),
    'CHECKSIG',
    ...closing(anchors),
  ]);
}

/** BOLT 3 "Received HTLC Outputs" (with or without option_anchors). */
export function receivedHtlcScript(keys: HtlcScriptKeys, paymentHash: Uint8Array, cltvExpiry: number, anchors: boolean): Uint8Array {
  if (!Number.isInteger(cltvExpiry) || cltvExpiry < 0 || cltvExpiry > 0xffffffff) {
    throw new Bolt3Error('bad_cltv', `cltv_expiry ${cltvExpiry} is not a u32`);
  }
  return Script.encode([
    ...htlcOpening(keys),
    'IF',
    // To local node via HTLC-success transaction.
    ...preimageCheck(paymentHash),
    ...htlcMultisig(keys),
    'ELSE',
    // To remote node after timeout.
    'DROP',
    cltvExpiry,
    'CHECKLOCKTIMEVERIFY',
    'DROP',
    'CHECKSIG',
    ...closing(anchors),
  ]);
}
