// One side's commitment transaction and its HTLC transactions, built with BOLT 3 from a CommitSpec,
// and the checks of the remote's signatures over ours (BOLT 2 commitment_signed, "A receiving node").
import {
  buildCommitment,
  commitmentKeys,
  derFromCompact,
  htlcSighashType,
  htlcTxsOf,
  SIGHASH_ALL,
  verifyInput,
  type Commitment,
  type HtlcTx,
} from '../bolt3/index.ts';
import { ChannelError } from './errors.ts';
import { other, ownerIsOpener, type Owner } from './spec.ts';
import type { ChannelParams, CommitSpec } from './state.ts';
import type { ToSign } from './signer.ts';

export interface BuiltCommitment {
  commitment: Commitment;
  /** In the order of the commitment's HTLC outputs: the order of BOLT 2's `htlc_signature`s. */
  htlcTxs: { htlcTx: HtlcTx; witnessScript: Uint8Array; amount: bigint }[];
  /** The owner's HTLC key and the other side's, for this commitment's per_commitment_point. */
  localHtlcPubkey: Uint8Array;
  remoteHtlcPubkey: Uint8Array;
}

/** `owner`'s commitment number `index`, with `owner`'s per_commitment_point for it. */
export function buildFor(params: ChannelParams, owner: Owner, spec: CommitSpec, index: bigint, point: Uint8Array): BuiltCommitment {
  const mine = params[owner];
  const theirs = params[other(owner)];
  const keys = commitmentKeys(mine.basepoints, theirs.basepoints, point);
  const commitment = buildCommitment({
    fundingTxid: params.fundingTxid,
    fundingOutputIndex: params.fundingOutputIndex,
    fundingSatoshis: params.fundingSatoshis,
    localFundingPubkey: mine.fundingPubkey,
    remoteFundingPubkey: theirs.fundingPubkey,
    commitmentNumber: index,
    obscuringFactor: params.obscuringFactor,
    anchors: params.anchors,
    localIsOpener: ownerIsOpener(params, owner),
    toLocalMsat: spec.toLocalMsat,
    toRemoteMsat: spec.toRemoteMsat,
    feeratePerKw: spec.feeratePerKw,
    dustLimitSatoshis: mine.dustLimitSatoshis,
    // The delay the other side asked this one to wait.
    toSelfDelay: theirs.toSelfDelay,
    keys,
    htlcs: spec.htlcs.map(h => ({
      offered: h.offered,
      amountMsat: h.add.amountMsat,
      paymentHash: h.add.paymentHash,
      cltvExpiry: h.add.cltvExpiry,
      id: h.add.id,
    })),
  });
  const htlcTxs = htlcTxsOf(commitment, {
    feeratePerKw: spec.feeratePerKw,
    anchors: params.anchors,
    toSelfDelay: theirs.toSelfDelay,
    revocationPubkey: keys.revocationPubkey,
    localDelayedPubkey: keys.localDelayedPubkey,
  }).map(({ output, htlcTx }) => ({ htlcTx, witnessScript: output.witnessScript!, amount: output.amount }));
  return { commitment, htlcTxs, localHtlcPubkey: keys.localHtlcPubkey, remoteHtlcPubkey: keys.remoteHtlcPubkey };
}

export function fundingInput(params: ChannelParams, c: BuiltCommitment): ToSign {
  return { tx: c.commitment.tx, witnessScript: c.commitment.fundingScript, amount: params.fundingSatoshis };
}

export function htlcInputs(c: BuiltCommitment): ToSign[] {
  return c.htlcTxs.map(h => ({ tx: h.htlcTx.tx, witnessScript: h.witnessScript, amount: h.amount }));
}

/**
 * BOLT 2 commitment_signed, "A receiving node": "if `signature` is not valid for its local
 * commitment transaction OR non-compliant with LOW-S-standard rule", "if `num_htlcs` is not equal
 * to the number of HTLC outputs in the local commitment transaction", "if any `htlc_signature` is
 * not valid for the corresponding HTLC transaction": MUST send a `warning` and close the
 * connection, or send an `error` and fail the channel. (verifyDer requires low S.)
 */
export function checkRemoteSignatures(
  params: ChannelParams,
  ours: BuiltCommitment,
  signature: Uint8Array,
  htlcSignatures: readonly Uint8Array[],
): void {
  const f = fundingInput(params, ours);
  if (!verifyInput(f.tx, 0, f.witnessScript, f.amount, params.remote.fundingPubkey, derFromCompact(signature), SIGHASH_ALL)) {
    throw new ChannelError('bad_commitment_signature', 'commitment_signed signature does not sign our commitment');
  }
  if (htlcSignatures.length !== ours.htlcTxs.length) {
    throw new ChannelError('htlc_signature_count', `${htlcSignatures.length} HTLC signatures for ${ours.htlcTxs.length} HTLC outputs`);
  }
  const type = htlcSighashType(params.anchors, true);
  ours.htlcTxs.forEach((h, i) => {
    if (!verifyInput(h.htlcTx.tx, 0, h.witnessScript, h.amount, ours.remoteHtlcPubkey, derFromCompact(htlcSignatures[i]!), type)) {
      throw new ChannelError('bad_htlc_signature', `htlc_signature ${i} does not sign its HTLC transaction`);
    }
  });
}
