// BOLT 3 Appendix C and F signing, shared by test/core/bolt3-commitment.test.ts and the engine
// tests (test/node/ec-engine.test.ts): the spec's keys, a commitment's parameters from a vector, and
// both sides' signatures of a commitment and its HTLC transactions compared with the vector's.
import { fromHex, toHex } from '../../../src/core/base/bytes.ts';
import { sha256 } from '../../../src/core/crypto/primitives.ts';
import {
  commitmentKeys,
  derivePrivkey,
  fundingWitness,
  htlcSighashType,
  htlcSuccessWitness,
  htlcTimeoutWitness,
  htlcTxsOf,
  obscuringFactor,
  perCommitmentPoint,
  pubkeyOf,
  setWitness,
  signInput,
  SIGHASH_ALL,
  type Commitment,
  type CommitmentSpec,
  type Htlc,
} from '../../../src/core/bolt3/index.ts';
import { equal } from '../../support/assert.ts';
import { common, htlcs as vectorHtlcs, type tests as appendixC } from './appendix-c.ts';
import type { tests as appendixF } from './appendix-f.ts';

export const hex = (s: string): Uint8Array => fromHex(s.replace(/^0x/, '').toLowerCase());
/** Appendix C: "Private keys are displayed as 32 bytes plus a trailing 1". */
export const priv = (s: string): Uint8Array => {
  const b = hex(s);
  equal(b.length, 33);
  equal(b[32], 1);
  return b.subarray(0, 32);
};

// Appendix C's keys, from the secrets in its comment block and the keys it lists.
export const localPerCommitmentSecret = priv(common.x_local_per_commitment_secret);
export const pcp = perCommitmentPoint(localPerCommitmentSecret);
export const localPaymentBasepointSecret = priv(common.internal_local_payment_basepoint_secret);
export const remotePaymentBasepointSecret = priv(common.internal_remote_payment_basepoint_secret);
export const localFundingPrivkey = priv(common.local_funding_privkey);
export const remoteFundingPrivkey = priv(common.internal_remote_funding_privkey);
// "We use the same values for the HTLC basepoints" as the payment basepoints, so the HTLC secrets
// are the payment basepoint secrets.
export const localHtlcPrivkey = derivePrivkey(localPaymentBasepointSecret, pcp);
export const remoteHtlcPrivkey = derivePrivkey(remotePaymentBasepointSecret, pcp);
// Appendix C does not give the local revocation basepoint nor the remote delayed one: the local
// commitment does not use them, so any point stands in.
const unused = pubkeyOf(new Uint8Array(32).fill(0x55));
export const keys = commitmentKeys(
  {
    revocationBasepoint: unused,
    paymentBasepoint: hex(common.local_payment_basepoint),
    delayedPaymentBasepoint: hex(common.internal_local_delayed_payment_basepoint),
    htlcBasepoint: hex(common.local_htlc_basepoint),
  },
  {
    revocationBasepoint: hex(common.internal_remote_revocation_basepoint),
    paymentBasepoint: hex(common.remote_payment_basepoint),
    delayedPaymentBasepoint: unused,
    htlcBasepoint: hex(common.remote_htlc_basepoint),
  },
  pcp,
);

/** Appendix C: HTLCs 0-4 in every test with HTLCs but the last; HTLCs 5 and 6 (with 1) only in the "same amount and preimage" test. */
export function htlcsFor(name: string, toLocalMsat: bigint, toRemoteMsat: bigint): Htlc[] {
  if (toLocalMsat + toRemoteMsat === BigInt(common.funding_amount_satoshi) * 1000n) return [];
  const ids = name.includes('same amount and preimage') ? [1, 5, 6] : [0, 1, 2, 3, 4];
  return ids.map(id => {
    const h = (vectorHtlcs as Record<string, { direction: string; amount_msat: string; expiry: string; payment_preimage: string }>)[id]!;
    return {
      id: BigInt(id),
      offered: h.direction === 'local->remote',
      amountMsat: BigInt(h.amount_msat),
      paymentHash: sha256(hex(h.payment_preimage)),
      cltvExpiry: Number(h.expiry),
    };
  });
}

export function preimageOf(id: bigint): Uint8Array {
  return hex((vectorHtlcs as Record<string, { payment_preimage: string }>)[String(id)]!.payment_preimage);
}

export function spec(
  name: string,
  toLocalMsat: bigint,
  toRemoteMsat: bigint,
  feeratePerKw: number,
  dust: bigint,
  anchors: boolean,
): CommitmentSpec {
  return {
    fundingTxid: common.funding_tx_id,
    fundingOutputIndex: Number(common.funding_output_index),
    fundingSatoshis: BigInt(common.funding_amount_satoshi),
    localFundingPubkey: hex(common.local_funding_pubkey),
    remoteFundingPubkey: hex(common.remote_funding_pubkey),
    commitmentNumber: BigInt(common.commitment_number),
    obscuringFactor: obscuringFactor(hex(common.local_payment_basepoint), hex(common.remote_payment_basepoint)),
    anchors,
    localIsOpener: true,
    toLocalMsat,
    toRemoteMsat,
    feeratePerKw,
    dustLimitSatoshis: dust,
    toSelfDelay: Number(common.local_delay),
    keys,
    htlcs: htlcsFor(name, toLocalMsat, toRemoteMsat),
  };
}

/** Both funding signatures (SIGHASH_ALL), installed in the witness; returns them. */
export function signCommitment(c: Commitment, fundingSatoshis: bigint): { local: Uint8Array; remote: Uint8Array } {
  const local = signInput(c.tx, 0, c.fundingScript, fundingSatoshis, localFundingPrivkey, SIGHASH_ALL);
  const remote = signInput(c.tx, 0, c.fundingScript, fundingSatoshis, remoteFundingPrivkey, SIGHASH_ALL);
  setWitness(
    c.tx,
    0,
    fundingWitness(
      c.fundingScript,
      { pubkey: hex(common.local_funding_pubkey), sig: local },
      { pubkey: hex(common.remote_funding_pubkey), sig: remote },
    ),
  );
  return { local, remote };
}

export const der = (sig: Uint8Array): string => toHex(sig.subarray(0, sig.length - 1));

/** Builds, signs and finalizes every HTLC transaction of `c`, in output order. */
export function signHtlcTxs(c: Commitment, feeratePerKw: number, anchors: boolean) {
  return htlcTxsOf(c, {
    feeratePerKw,
    anchors,
    toSelfDelay: Number(common.local_delay),
    revocationPubkey: keys.revocationPubkey,
    localDelayedPubkey: keys.localDelayedPubkey,
  }).map(({ output, outputIndex, htlcTx }) => {
    const ws = output.witnessScript!;
    const remote = signInput(htlcTx.tx, 0, ws, output.amount, remoteHtlcPrivkey, htlcSighashType(anchors, true));
    const local = signInput(htlcTx.tx, 0, ws, output.amount, localHtlcPrivkey, htlcSighashType(anchors, false));
    const htlc = output.htlc!;
    setWitness(
      htlcTx.tx,
      0,
      htlc.offered ? htlcTimeoutWitness(ws, remote, local) : htlcSuccessWitness(ws, remote, local, preimageOf(htlc.id!)),
    );
    return { output, outputIndex, htlcTx, remote, local };
  });
}

/** Signs the commitment and its HTLC transactions as both sides and compares them with a vector's. */
export function checkSigned(
  c: Commitment,
  s: CommitmentSpec,
  want: { remoteSig: string; localSig?: string; tx: string },
  wantHtlcs: { remoteSig: string; tx: string }[],
) {
  const sigs = signCommitment(c, s.fundingSatoshis);
  equal(der(sigs.remote), want.remoteSig, 'remote signature');
  if (want.localSig) equal(der(sigs.local), want.localSig, 'local signature');
  equal(toHex(c.tx.toBytes(true, true)), want.tx, 'commitment transaction');
  const htlcTxs = signHtlcTxs(c, s.feeratePerKw, s.anchors);
  equal(htlcTxs.length, wantHtlcs.length, 'HTLC transactions');
  wantHtlcs.forEach((w, i) => {
    equal(der(htlcTxs[i]!.remote), w.remoteSig, `remote HTLC signature #${i}`);
    equal(toHex(htlcTxs[i]!.htlcTx.tx.toBytes(true, true)), w.tx, `HTLC transaction #${i}`);
  });
  return htlcTxs;
}

/** The commitment of an Appendix C vector. */
export function appendixCSpec(v: (typeof appendixC)[number]): CommitmentSpec {
  return spec(
    v.name,
    BigInt(v.to_local_msat),
    BigInt(v.to_remote_msat),
    Number(v.local_feerate_per_kw),
    BigInt(common.local_dust_limit_satoshi),
    false,
  );
}

/** The commitment of an Appendix F vector (option_anchors). */
export function appendixFSpec(v: (typeof appendixF)[number]): CommitmentSpec {
  return spec(v.Name, BigInt(v.LocalBalance), BigInt(v.RemoteBalance), v.FeePerKw, BigInt(v.DustLimitSatoshis), true);
}
