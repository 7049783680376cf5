// Coin selection for a withdrawal: the largest available outputs first until the amount and the
// fee are covered; change only when it is not dust (below it, the excess goes to the fee, as Core
// Lightning does); `all` sweeps every candidate into one output. Pure arithmetic on weights.
// With an emergency reserve to keep (Core Lightning's min-emergency-msat, wallet/reservation.c
// change_for_emergency), the spend leaves that much in the wallet: in the wallet's other confirmed
// coins, else in the change, else (for `all`) taken from the output into a change output.
import { DUST_LIMIT_SAT, feeFor, inputWeight, outputWeight, TX_OVERHEAD_WEIGHT } from './fees.ts';
import { WalletError } from './errors.ts';
import type { WalletKeyType } from './signer.ts';

export interface Candidate {
  /** `txid:output`. */
  key: string;
  amount_sat: number;
  type: WalletKeyType;
}

export interface Selection {
  inputs: Candidate[];
  /** Paid to the destination. */
  amount_sat: number;
  /** 0: no change output. */
  change_sat: number;
  fee_sat: number;
}

export interface SelectRequest {
  candidates: Candidate[];
  amount: number | 'all';
  perkw: number;
  destScriptLength: number;
  changeScriptLength: number;
  /** Spend every candidate (the caller named them: withdraw's `utxos`). */
  useAll?: boolean;
  /** Keep `sat` in the wallet: `others` are its confirmed unreserved coins (those this spend takes do not count). */
  emergency?: { sat: number; others: Candidate[] };
}

/** CompactSize counts above 252 take 3 bytes instead of 1. */
const countWeight = (n: number) => (n < 253 ? 0 : 2 * 4);

function weightOf(inputs: Candidate[], outputScripts: number[]): number {
  return (
    TX_OVERHEAD_WEIGHT +
    countWeight(inputs.length) +
    countWeight(outputScripts.length) +
    inputs.reduce((w, c) => w + inputWeight(c.type), 0) +
    outputScripts.reduce((w, len) => w + outputWeight(len), 0)
  );
}

const sum = (cs: Candidate[]) => cs.reduce((s, c) => s + c.amount_sat, 0);

export function selectCoins(r: SelectRequest): Selection {
  const sel = select(r);
  return r.emergency && r.emergency.sat > 0 ? keepEmergency(sel, r, r.emergency) : sel;
}

/**
 * Core Lightning's change_for_emergency: nothing to do when the wallet's other confirmed coins
 * hold the reserve (wallet_has_funds, which counts them without what spending them costs); else
 * what they lack must be the change, or, for `all`, comes out of the output into a change output.
 * Otherwise FUND_CANNOT_AFFORD_WITH_EMERGENCY (313).
 */
function keepEmergency(sel: Selection, r: SelectRequest, e: { sat: number; others: Candidate[] }): Selection {
  const used = new Set(sel.inputs.map(c => c.key));
  const needed = e.sat - sum(e.others.filter(c => !used.has(c.key)));
  if (needed <= 0 || sel.change_sat >= needed) return sel;
  const refuse = () => new WalletError('emergency', `We would not have enough left for min-emergency-msat ${e.sat}sat`);
  if (r.amount !== 'all') throw refuse();
  // A change output is never dust (the option itself is over the dust limit).
  const change = Math.max(needed, DUST_LIMIT_SAT);
  const fee = feeFor(r.perkw, weightOf(sel.inputs, [r.destScriptLength, r.changeScriptLength]));
  const amount = sum(sel.inputs) - fee - change;
  if (amount < DUST_LIMIT_SAT) throw refuse();
  return { inputs: sel.inputs, amount_sat: amount, change_sat: change, fee_sat: fee };
}

function select(r: SelectRequest): Selection {
  const sorted = [...r.candidates].sort((a, b) => b.amount_sat - a.amount_sat || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (r.amount === 'all') {
    const total = sum(sorted);
    const fee = feeFor(r.perkw, weightOf(sorted, [r.destScriptLength]));
    if (sorted.length === 0 || total <= fee)
      throw new WalletError('cannot_afford', `Could not afford all: ${total}sat available in ${sorted.length} UTXOs, fee ${fee}sat`);
    if (total - fee < DUST_LIMIT_SAT)
      throw new WalletError('dust', `Output ${total - fee}sat would be dust (below ${DUST_LIMIT_SAT}sat) after the ${fee}sat fee`);
    return { inputs: sorted, amount_sat: total - fee, change_sat: 0, fee_sat: fee };
  }
  const amount = r.amount;
  if (amount < DUST_LIMIT_SAT) throw new WalletError('dust', `Output ${amount}sat would be dust (below ${DUST_LIMIT_SAT}sat)`);
  const picked: Candidate[] = [];
  let lastShort = amount;
  for (const c of sorted) {
    picked.push(c);
    if (!r.useAll || picked.length === sorted.length) {
      const got = finish(picked, amount, r);
      if (got) return got;
      lastShort = amount + feeFor(r.perkw, weightOf(picked, [r.destScriptLength])) - sum(picked);
    }
  }
  if (sorted.length === 0) lastShort = amount + feeFor(r.perkw, weightOf([], [r.destScriptLength]));
  throw new WalletError('cannot_afford', `Could not afford ${amount}sat using all ${sorted.length} available UTXOs: ${lastShort}sat short`);
}

function finish(inputs: Candidate[], amount: number, r: SelectRequest): Selection | undefined {
  const total = sum(inputs);
  const feeNoChange = feeFor(r.perkw, weightOf(inputs, [r.destScriptLength]));
  if (total < amount + feeNoChange) return undefined;
  const feeChange = feeFor(r.perkw, weightOf(inputs, [r.destScriptLength, r.changeScriptLength]));
  const change = total - amount - feeChange;
  if (change >= DUST_LIMIT_SAT) return { inputs: [...inputs], amount_sat: amount, change_sat: change, fee_sat: feeChange };
  return { inputs: [...inputs], amount_sat: amount, change_sat: 0, fee_sat: total - amount };
}
