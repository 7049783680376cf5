// Feerates from the backend's estimates, never below the floor. Core Lightning works in sat per 1000
// weight units (perkw); a backend answers in sat per 1000 virtual bytes (perkb, 1 vbyte = 4 weight).
// Core Lightning's floor (FEERATE_FLOOR) is 253 perkw: 1 sat/vB is 250 perkw, and a transaction
// whose weight is not a multiple of 4 rounds its vsize up, so 250 could fall under Bitcoin Core's
// 1 sat/vB minimum relay fee; 253 does not.
import type { FeeEstimates } from './backend.ts';

export const FEERATE_FLOOR_PERKW = 253;

export function perkwFromPerkb(perkb: number): number {
  return Math.floor(perkb / 4);
}

export interface Feerates {
  /** The lowest feerate we pay: the backend's floor, and never under FEERATE_FLOOR_PERKW. */
  floor: number;
  /** Per confirmation target, ascending by `blocks`, each at least `floor` (perkw). */
  perkw: { blocks: number; feerate: number }[];
}

/** The backend's estimates in perkw with the floor applied; garbage entries (not finite, not positive) are left out. */
export function feeratesWithFloor(e: FeeEstimates): Feerates {
  const floor = Math.max(FEERATE_FLOOR_PERKW, Number.isFinite(e.feerate_floor) ? perkwFromPerkb(e.feerate_floor) : 0);
  const perkw = e.feerates
    .filter(f => Number.isSafeInteger(f.blocks) && f.blocks > 0 && Number.isFinite(f.feerate) && f.feerate > 0)
    .map(f => ({ blocks: f.blocks, feerate: Math.max(floor, perkwFromPerkb(f.feerate)) }))
    .sort((a, b) => a.blocks - b.blocks);
  return { floor, perkw };
}

/**
 * The feerate (perkw) to confirm within `blocks`: the estimate for the nearest target at or
 * below it (a faster one never costs less than needed), else the fastest known; the floor when the
 * backend has no estimate at all.
 */
export function feerateFor(f: Feerates, blocks: number): number {
  let best: number | undefined;
  for (const e of f.perkw) if (e.blocks <= blocks) best = e.feerate;
  return best ?? f.perkw[0]?.feerate ?? f.floor;
}
