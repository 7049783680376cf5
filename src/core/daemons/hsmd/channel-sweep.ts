// What hsmd checks before it signs onchaind's spends of a channel's outputs once the funding output
// is spent (BOLT 5), Core Lightning's hsmd_sign_delayed_payment_to_us, hsmd_sign_penalty_to_us,
// hsmd_sign_remote_htlc_to_us, hsmd_sign_local_htlc_tx and its to_remote and anchor sweeps. hsmd
// rebuilds the script it signs from its own keys where it can (to_local, to_remote, anchor), and
// otherwise checks that the script onchaind gives holds the key it signs with (an HTLC script's
// payment hash and expiry are not hsmd's to know). Every output must pay the wallet key named,
// except an HTLC transaction of ours, whose output 0 is the delayed to_local script BOLT 3 gives it.
import type { Transaction } from '@scure/btc-signer';
import { equal, toHex } from '../../base/bytes.ts';
import {
  anchorScript,
  derivePrivkey,
  derivePubkey,
  hash160,
  p2wpkhScriptCode,
  p2wsh,
  perCommitmentPoint,
  pubkeyOf,
  revocationPrivkey,
  revocationPubkey,
  toLocalScript,
  toRemoteAnchorsScript,
} from '../../bolt3/index.ts';
import type { ChannelSecrets } from '../../keys/derive.ts';
import { asHsmError, bytes, commitmentNumber, ourPoint, parseTx } from './channel-checks.ts';
import type { ChannelRecord, ChannelSetup } from './channel-state.ts';
import { HsmError } from './secret.ts';
import { walletKeyOf, walletScript, type WithdrawalInput } from './withdrawal.ts';

/** An input of ours for onchaind to spend; outputs must pay `destination` (see the top of this file). */
export type SweepRequest = {
  tx: Uint8Array;
  /** The input to sign, and the amount of the output it spends. */
  input: number;
  amount: bigint;
  destination: WithdrawalInput;
} & (
  | {
      /**
       * Our to_local on our commitment `commitmentNumber` after its CSV delay, or the output of one of
       * our HTLC transactions on it (the same script) (BOLT 5 "Local Commitment").
       */
      kind: 'delayed';
      commitmentNumber: bigint;
    }
  | {
      /** The peer's to_local on its revoked commitment, or its HTLC transaction's output (BOLT 5 "Revoked Transaction Close"). */
      kind: 'penalty';
      perCommitmentSecret: Uint8Array;
    }
  | {
      /** An HTLC output of the peer's revoked commitment, by the revocation key (`witnessScript` holds its hash). */
      kind: 'revoked_htlc';
      perCommitmentSecret: Uint8Array;
      witnessScript: Uint8Array;
    }
  | {
      /** Our to_remote on the peer's commitment (option_static_remotekey: P2WPKH; option_anchors: 1-block CSV). */
      kind: 'to_remote';
    }
  | {
      /** An HTLC output of the peer's commitment `perCommitmentPoint`, by preimage or timeout (our HTLC key). */
      kind: 'remote_htlc';
      perCommitmentPoint: Uint8Array;
      witnessScript: Uint8Array;
    }
  | {
      /** Our HTLC-timeout or HTLC-success transaction on our commitment `commitmentNumber` (our HTLC signature). */
      kind: 'local_htlc';
      commitmentNumber: bigint;
      witnessScript: Uint8Array;
    }
  | {
      /** Our anchor (option_anchors), spent with wallet inputs to bump the commitment (CPFP). */
      kind: 'anchor';
    }
);

export interface CheckedSweep {
  tx: Transaction;
  input: number;
  /** The script signed (BIP 143 scriptCode): hsmd's own, or the caller's once checked. */
  witnessScript: Uint8Array;
  key: Uint8Array;
}

const holds = (script: Uint8Array, piece: Uint8Array) => toHex(script).includes(toHex(piece));

function scriptHolding(v: unknown, piece: Uint8Array, what: string, name: string): Uint8Array {
  const script = bytes(v, undefined, `${what}: witnessScript`);
  if (!holds(script, piece)) throw new HsmError('not_our_output', `${what}: the script does not hold ${name}`);
  return script;
}

/** Our commitment `n`, neither unknown to hsmd nor revoked. */
function ourLiveCommitment(rec: ChannelRecord, v: unknown, what: string): bigint {
  const n = commitmentNumber(v, `${what}: commitmentNumber`);
  if (!rec.holder || n > rec.holder.number) throw new HsmError('not_validated', `${what}: commitment ${n} of ours was never validated`);
  if (rec.revealed !== undefined && n <= rec.revealed) throw new HsmError('revoked', `${what}: commitment ${n} has been revoked`);
  return n;
}

/** BOLT 3 "to_local Output" of our commitment with point `pcp` (also our HTLC transactions' output). */
function ourToLocal(setup: ChannelSetup, s: ChannelSecrets, pcp: Uint8Array): Uint8Array {
  return toLocalScript(
    revocationPubkey(setup.remoteBasepoints.revocationBasepoint, pcp),
    setup.holderToSelfDelay,
    derivePubkey(pubkeyOf(s.delayed_payment_basepoint_secret), pcp),
  );
}

function sequenceAtLeast(tx: Transaction, input: number, n: number, what: string): void {
  // BIP 68: an input's sequence below the script's CSV makes the transaction invalid.
  if ((tx.getInput(input).sequence ?? 0xffffffff) < n) throw new HsmError('bad_sequence', `${what}: the input's sequence is below ${n}`);
}

/** The transaction and input of a sweep, once every output is checked to pay the wallet key named (see the top of this file). */
function checkedSweepTx(
  req: { tx: Uint8Array; input: number; amount: bigint; destination: WithdrawalInput; kind: SweepRequest['kind'] },
  walletPub: (index: number) => Uint8Array,
  what: string,
): { tx: Transaction; input: number } {
  const tx = parseTx(req?.tx, `${what}: tx`);
  if (!Number.isInteger(req.input) || req.input < 0 || req.input >= tx.inputsLength) {
    throw new HsmError('bad_request', `${what}: input must name one of the transaction's inputs`);
  }
  if (typeof req.amount !== 'bigint' || req.amount <= 0n) throw new HsmError('bad_request', `${what}: amount must be a positive bigint`);
  const dest = walletKeyOf(req.destination, `${what}: destination`);
  const ours = walletScript(walletPub(dest.index), dest.type);
  // An HTLC transaction of ours keeps its output 0 (BOLT 3); anything else pays only the wallet.
  const first = req.kind === 'local_htlc' ? 1 : 0;
  let others = 0;
  for (let i = first; i < tx.outputsLength; i++) {
    const script = tx.getOutput(i).script;
    if (!script || !equal(script, ours)) throw new HsmError('not_to_wallet', `${what}: every output must pay the wallet key named`);
    others++;
  }
  if (first === 0 && others === 0) throw new HsmError('not_to_wallet', `${what}: the transaction pays nothing to the wallet`);
  return { tx, input: req.input };
}

/**
 * BOLT 3 "to_remote Output": our payment_basepoint's P2WPKH (option_static_remotekey), or with
 * option_anchors `<payment_basepoint> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`, spent by the
 * payment_basepoint's secret (no per-commitment tweak with either type).
 */
function toRemoteScriptAndKey(tx: Transaction, input: number, anchors: boolean, s: ChannelSecrets, what: string): CheckedSweep {
  const pub = pubkeyOf(s.payment_basepoint_secret);
  if (anchors) sequenceAtLeast(tx, input, 1, what);
  const witnessScript = anchors ? toRemoteAnchorsScript(pub) : p2wpkhScriptCode(pub);
  return { tx, input, witnessScript, key: s.payment_basepoint_secret.slice() };
}

/** A to_remote sweep of a channel hsmd holds no state for, with the type the backup gave the channel. */
export type RecoveredToRemoteRequest = Extract<SweepRequest, { kind: 'to_remote' }> & { anchors: boolean };

/**
 * Our to_remote on the peer's commitment of a channel hsmd holds no state for: one a node restored
 * from its seed learnt of from a peer's copy of its backup (BOLT 1 peer storage). Only the
 * channel's type is taken on trust, and only to choose between the two scripts above: hsmd derives
 * the key itself, and the spend pays nothing but the wallet key named.
 */
export function recoveredToRemoteScriptAndKey(
  req: RecoveredToRemoteRequest,
  s: ChannelSecrets,
  walletPub: (index: number) => Uint8Array,
): CheckedSweep {
  const what = 'signRecoveredToRemote';
  if (req?.kind !== 'to_remote' || typeof req.anchors !== 'boolean') {
    throw new HsmError('bad_request', `${what}: a to_remote sweep with anchors true or false`);
  }
  const { tx, input } = checkedSweepTx(req, walletPub, what);
  return toRemoteScriptAndKey(tx, input, req.anchors, s, what);
}

/** The checked sweep: the transaction, the input, the script and the key (see the top of this file). */
export function sweepScriptAndKey(
  req: SweepRequest,
  setup: ChannelSetup,
  rec: ChannelRecord,
  s: ChannelSecrets,
  walletPub: (index: number) => Uint8Array,
): CheckedSweep {
  const what = 'signSweep';
  const { tx, input } = checkedSweepTx(req, walletPub, what);
  switch (req.kind) {
    case 'delayed': {
      const n = ourLiveCommitment(rec, req.commitmentNumber, what);
      sequenceAtLeast(tx, input, setup.holderToSelfDelay, what);
      const pcp = ourPoint(s, n);
      return { tx, input, witnessScript: ourToLocal(setup, s, pcp), key: derivePrivkey(s.delayed_payment_basepoint_secret, pcp) };
    }
    case 'penalty':
    case 'revoked_htlc': {
      const secret = bytes(req.perCommitmentSecret, 32, `${what}: perCommitmentSecret`);
      const pcp = asHsmError(what, () => perCommitmentPoint(secret));
      const revocation = revocationPubkey(pubkeyOf(s.revocation_basepoint_secret), pcp);
      const witnessScript =
        req.kind === 'penalty'
          ? toLocalScript(revocation, setup.counterpartyToSelfDelay, derivePubkey(setup.remoteBasepoints.delayedPaymentBasepoint, pcp))
          : scriptHolding(req.witnessScript, hash160(revocation), what, 'the revocation key');
      return { tx, input, witnessScript, key: revocationPrivkey(s.revocation_basepoint_secret, secret) };
    }
    case 'to_remote':
      return toRemoteScriptAndKey(tx, input, setup.anchors, s, what);
    case 'remote_htlc': {
      const pcp = bytes(req.perCommitmentPoint, 33, `${what}: perCommitmentPoint`);
      const key = asHsmError(what, () => derivePrivkey(s.htlc_basepoint_secret, pcp));
      return { tx, input, witnessScript: scriptHolding(req.witnessScript, pubkeyOf(key), what, 'our HTLC key'), key };
    }
    case 'local_htlc': {
      const n = ourLiveCommitment(rec, req.commitmentNumber, what);
      const pcp = ourPoint(s, n);
      const out = tx.getOutput(0);
      if (!out.script || !equal(out.script, p2wsh(ourToLocal(setup, s, pcp)))) {
        throw new HsmError('bad_tx', `${what}: output 0 of an HTLC transaction must be our delayed to_local script`);
      }
      const key = derivePrivkey(s.htlc_basepoint_secret, pcp);
      return { tx, input, witnessScript: scriptHolding(req.witnessScript, pubkeyOf(key), what, 'our HTLC key'), key };
    }
    case 'anchor': {
      const pub = pubkeyOf(s.funding_privkey);
      return { tx, input, witnessScript: anchorScript(pub), key: s.funding_privkey.slice() };
    }
  }
  throw new HsmError('bad_request', `${what}: unknown kind`);
}
