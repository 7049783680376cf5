// Coin selection for a withdrawal: the largest available outputs first until the amount and the
// fee are covered; change only when it is not dust (below it, the excess goes to the fee, as Core
// Lightning does); `all` sweeps every candidate into one output. Pure arithmetic on weights.
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
