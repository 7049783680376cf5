// Transaction weight and feerates, in Core Lightning's units: feerates per kiloweight ("perkw",
// sat per 1000 weight units) inside, sat/kvB ("perkb" = 4 x perkw) at the backend and on request.
// Weights per BIP 141: non-witness bytes count 4, witness bytes 1.
import type { FeeEstimates } from '../chain/backend.ts';
import type { WalletKeyType } from './signer.ts';

/** Core Lightning's FEERATE_FLOOR: 253 perkw, just above 1 sat/vB once rounded (bitcoin/feerate.h). */
export const FEERATE_FLOOR_PERKW = 253;
/** Core Lightning treats every output below 546 sat as dust (common/... is_dust, chainparams dust_limit). */
export const DUST_LIMIT_SAT = 546;

/** version + locktime (4 + 4 bytes), one-byte input and output counts, and the segwit marker and flag (2 witness bytes). */
export const TX_OVERHEAD_WEIGHT = (4 + 4 + 1 + 1) * 4 + 2;
/** outpoint (36) + empty scriptSig (1) + nSequence (4). */
const INPUT_WEIGHT = 41 * 4;
/** Witness of a spend: item count, then the items with their lengths. */
const WITNESS_WEIGHT: Record<WalletKeyType, number> = {
  // ECDSA signature (at most 72 bytes with its sighash byte) and a compressed key.
  p2wpkh: 1 + 1 + 72 + 1 + 33,
  // One BIP 340 signature with SIGHASH_DEFAULT (64 bytes).
  p2tr: 1 + 1 + 64,
};

export function inputWeight(type: WalletKeyType): number {
  return INPUT_WEIGHT + WITNESS_WEIGHT[type];
}

/** value (8) + script length (a one-byte CompactSize below 253) + script. */
export function outputWeight(scriptLength: number): number {
  return (8 + (scriptLength < 253 ? 1 : 3) + scriptLength) * 4;
}

/** Fee for `weight` at `perkw`, rounded up (Core Lightning's amount_tx_fee). */
export function feeFor(perkw: number, weight: number): number {
  return Math.ceil((perkw * weight) / 1000);
}

/** The backend's floor in perkw, never below Core Lightning's. */
export function floorPerkw(est: FeeEstimates): number {
  return Math.max(FEERATE_FLOOR_PERKW, Math.floor(est.feerate_floor / 4));
}

/**
 * The feerate (perkw) to confirm within `blocks`: linear between the backend's targets, the
 * nearest one beyond them (Core Lightning does not extrapolate), never below the floor; undefined
 * when the backend gave no estimate.
 */
export function feerateForBlocks(est: FeeEstimates, blocks: number): number | undefined {
  const list = [...est.feerates].sort((a, b) => a.blocks - b.blocks);
  if (list.length === 0) return undefined;
  let perkb: number;
  if (blocks <= list[0]!.blocks) perkb = list[0]!.feerate;
  else if (blocks >= list[list.length - 1]!.blocks) perkb = list[list.length - 1]!.feerate;
  else {
    const hi = list.findIndex(e => e.blocks >= blocks);
    const a = list[hi - 1]!;
    const b = list[hi]!;
    perkb = a.feerate + ((b.feerate - a.feerate) * (blocks - a.blocks)) / (b.blocks - a.blocks);
  }
  return Math.max(floorPerkw(est), Math.floor(perkb / 4));
}

/** Core Lightning's named feerates (doc/schemas/feerates.json "notes"). */
export const NAMED_TARGETS: Record<string, number> = { urgent: 6, normal: 12, slow: 100 };

export class FeerateError extends Error {
  override name = 'FeerateError';
}

/**
 * A `feerate` parameter as Core Lightning reads it: urgent | normal | slow | minimum, `Nblocks`,
 * `Nperkw`, `Nperkb` or a bare number (perkb). Answers perkw, at least the floor.
 */
export function parseFeerate(v: unknown, est: FeeEstimates): number {
  const floor = floorPerkw(est);
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string') throw new FeerateError('feerate: should be a string or a number');
  if (s === 'minimum') return floor;
  const named = NAMED_TARGETS[s];
  const m = named === undefined ? /^(\d+)(blocks|perkw|perkb)?$/.exec(s) : undefined;
  if (named === undefined && !m) throw new FeerateError(`feerate: should be a feerate, not '${s}'`);
  if (named !== undefined || m![2] === 'blocks') {
    const blocks = named ?? Number(m![1]);
    if (blocks < 1) throw new FeerateError('feerate: blocks must be at least 1');
    const r = feerateForBlocks(est, blocks);
    if (r === undefined) throw new FeerateError('Cannot estimate fees (the chain backend has no estimate)');
    return r;
  }
  const n = Number(m![1]);
  if (!Number.isSafeInteger(n) || n > 0xffffffff) throw new FeerateError(`feerate: ${s} is too large`);
  // Below the floor a transaction would not relay: raised to it, as Core Lightning does.
  return Math.max(floor, m![2] === 'perkw' ? n : Math.floor(n / 4));
}
