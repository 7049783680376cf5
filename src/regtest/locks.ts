// Time locks as the mempool applies them to the next block (height tip+1, median time past of the
// tip): nLockTime (IsFinalTx, BIP 113) and BIP 68 relative locks in nSequence
// (CalculateSequenceLocks / EvaluateSequenceLocks, src/consensus/tx_verify.cpp).
import {
  LOCKTIME_THRESHOLD,
  SEQUENCE_FINAL,
  SEQUENCE_LOCKTIME_DISABLE_FLAG,
  SEQUENCE_LOCKTIME_GRANULARITY,
  SEQUENCE_LOCKTIME_MASK,
  SEQUENCE_LOCKTIME_TYPE_FLAG,
} from './params.ts';
import type { Tx } from './tx.ts';

/** IsFinalTx: nLockTime 0, or below the block height / time it names, or every input final. */
export function isFinalTx(tx: Tx, blockHeight: number, blockTime: number): boolean {
  if (tx.lockTime === 0) return true;
  if (tx.lockTime < (tx.lockTime < LOCKTIME_THRESHOLD ? blockHeight : blockTime)) return true;
  return tx.inputs.every(i => i.sequence === SEQUENCE_FINAL);
}

/**
 * BIP 68 for a version ≥ 2 transaction to go in a block at `blockHeight` whose previous block's
 * median time past is `prevMtp`. `coinHeight[i]` is the height of the block holding input i's
 * output (tip+1 for an output still in the mempool); `mtpBefore(h)` is the median time past of
 * the block before height h.
 */
export function sequenceLocksOk(
  tx: Tx,
  coinHeight: number[],
  blockHeight: number,
  prevMtp: number,
  mtpBefore: (h: number) => number,
): boolean {
  if (tx.version < 2) return true;
  let minHeight = -1;
  let minTime = -1;
  tx.inputs.forEach((input, i) => {
    if (input.sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG) return;
    const h = coinHeight[i]!;
    const value = input.sequence & SEQUENCE_LOCKTIME_MASK;
    if (input.sequence & SEQUENCE_LOCKTIME_TYPE_FLAG) {
      const coinTime = mtpBefore(Math.max(h, 1));
      minTime = Math.max(minTime, coinTime + (value << SEQUENCE_LOCKTIME_GRANULARITY) - 1);
    } else {
      minHeight = Math.max(minHeight, h + value - 1);
    }
  });
  return minHeight < blockHeight && minTime < prevMtp;
}
