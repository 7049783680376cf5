// BOLT 3 "Transaction Output Ordering": BIP 69 with the CLTV tiebreak.
import { compare } from '../base/bytes.ts';

export interface Sortable {
  /** Whole satoshis (for HTLC outputs the millisatoshi part is already dropped). */
  readonly amount: bigint;
  readonly script: Uint8Array;
  /** HTLC outputs only. */
  readonly cltvExpiry?: number;
}

/**
 * Value, smallest first; then `scriptpubkey`, the common-length prefix compared as by memcmp and
 * the shorter script first; finally, for HTLC outputs, increasing `cltv_expiry`.
 */
export function compareOutputs(a: Sortable, b: Sortable): number {
  if (a.amount !== b.amount) return a.amount < b.amount ? -1 : 1;
  const s = compare(a.script, b.script);
  if (s !== 0) return s;
  return (a.cltvExpiry ?? 0) - (b.cltvExpiry ?? 0);
}

/** A sorted copy (Array.prototype.sort is stable, so fully equal outputs keep their order). */
export function sortOutputs<T extends Sortable>(outputs: readonly T[]): T[] {
  return [...outputs].sort(compareOutputs);
}
