// BOLT 3 "Fees": expected weights, the fees of commitment and HTLC transactions, and which HTLCs
// are trimmed ("Trimmed Outputs").
import { Bolt3Error } from './errors.ts';

/** BOLT 3 "Fee Calculation" expected weights (Appendix A derives them). */
export const WEIGHT = {
  commitment: 724,
  commitmentAnchors: 1124,
  htlcOutput: 172,
  htlcTimeout: 663,
  htlcTimeoutAnchors: 666,
  htlcSuccess: 703,
  htlcSuccessAnchors: 706,
} as const;

/** BOLT 3 "`to_local_anchor` and `to_remote_anchor` Output": "fixed at 330 sats". */
export const ANCHOR_SATOSHIS = 330n;

export function checkFeerate(feeratePerKw: number): void {
  if (!Number.isSafeInteger(feeratePerKw) || feeratePerKw < 0 || feeratePerKw > 0xffffffff) {
    throw new Bolt3Error('bad_feerate', `feerate_per_kw ${feeratePerKw} is not a u32`);
  }
}

/** `feerate_per_kw` times `weight` divided by 1000, rounding down (BOLT 3 "Fee Calculation"). */
export function feeFor(feeratePerKw: number, weight: number): bigint {
  checkFeerate(feeratePerKw);
  return (BigInt(feeratePerKw) * BigInt(weight)) / 1000n;
}

/** BOLT 3 "Fee Calculation" requirements: the HTLC-timeout fee (0 with option_anchors, else feerate * 663 / 1000). */
export function htlcTimeoutFee(feeratePerKw: number, anchors: boolean): bigint {
  return anchors ? 0n : feeFor(feeratePerKw, WEIGHT.htlcTimeout);
}

/** The HTLC-success fee (0 with option_anchors, else feerate * 703 / 1000). */
export function htlcSuccessFee(feeratePerKw: number, anchors: boolean): bigint {
  return anchors ? 0n : feeFor(feeratePerKw, WEIGHT.htlcSuccess);
}

/** The base fee of a commitment transaction: (724 or 1124) + 172 per untrimmed HTLC, times the feerate, / 1000. */
export function commitmentFee(feeratePerKw: number, untrimmedHtlcs: number, anchors: boolean): bigint {
  return feeFor(feeratePerKw, (anchors ? WEIGHT.commitmentAnchors : WEIGHT.commitment) + WEIGHT.htlcOutput * untrimmedHtlcs);
}

/**
 * BOLT 3 "Trimmed Outputs": an offered HTLC is trimmed when its amount (whole satoshis) minus the
 * HTLC-timeout fee is below the owner's `dust_limit_satoshis`; a received one, minus the HTLC-success fee.
 */
export function isTrimmed(
  offered: boolean,
  amountMsat: bigint,
  feeratePerKw: number,
  dustLimitSatoshis: bigint,
  anchors: boolean,
): boolean {
  const fee = offered ? htlcTimeoutFee(feeratePerKw, anchors) : htlcSuccessFee(feeratePerKw, anchors);
  return amountMsat / 1000n - fee < dustLimitSatoshis;
}

/**
 * BOLT 3 Appendix A "Expected Weight of the Funding Transaction (v2 Channel Establishment)":
 * 4 * (43 + num_inputs * 41 + num_outputs * 9 + sum(scriptlen) + 10) + 2 + sum(witness_len), where
 * the outputs are the non-funding ones and each witness length is its serialized size.
 */
export function fundingTxExpectedWeight(inputs: number, nonFundingScriptLens: readonly number[], witnessLens: readonly number[]): number {
  const scripts = nonFundingScriptLens.reduce((a, b) => a + b, 0);
  const fundingTransaction = 43 + inputs * 41 + nonFundingScriptLens.length * 9 + scripts;
  return 4 * (fundingTransaction + 10) + 2 + witnessLens.reduce((a, b) => a + b, 0);
}
