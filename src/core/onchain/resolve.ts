// BOLT 5 after the close: the outputs we watch, what spent them, and when each is resolved. Pure:
// onchaind feeds it the blocks and the spends lightningd reports, and asks it which of our spends
// are valid in the next block. An output is "irrevocably resolved" once the transaction that spent
// it is `depth` blocks deep (BOLT 5: 100 blocks "well beyond any reasonable reorganization"); one
// we have no spend for (the peer's, an anchor, one not worth its fee) once the closing transaction is.
import type { Transaction } from '@scure/btc-signer';
import { equal, toHex } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';
import type { HtlcStub, Tracked } from './outputs.ts';

/** BOLT 5 "irrevocably resolved": 100 blocks deep. */
export const IRREVOCABLE_DEPTH = 100;

export interface Watched extends Tracked {
  /** The height of the block holding the transaction that created it (its CSV counts from there). */
  height: number;
  /**
   * The transaction that spent it, in the block at `height`; `byUs`: our own spend; `preimage`:
   * its witness carries the HTLC's payment preimage (a claim, not a timeout).
   */
  spent?: { txid: string; height: number; byUs: boolean; preimage: boolean };
  /**
   * Our spend of it once built: broadcast again each block until it confirms; a sweep is replaced
   * (BIP 125) when the feerate has risen enough (`feeratePerKw` it was built at; `replaced`: the
   * txids it replaced, any of which may still confirm).
   */
  ours?: { txid: string; raw: Uint8Array; feeratePerKw?: number; replaced: string[] };
  /** Not worth its fee at the feerate we had: left (BOLT 5 MAY ignore it). */
  uneconomical?: boolean;
  /** The txid of the spend that created this output (a second stage), undone with that spend. */
  from?: string;
}

export interface Learned {
  /** Preimages the peer revealed spending an HTLC output (lightningd fulfills upstream with them). */
  preimages: { paymentHash: Uint8Array; preimage: Uint8Array }[];
  /** Outputs of a second stage now watched. */
  added: Watched[];
}

export class Resolution {
  readonly outputs: Watched[];
  #tip: number;

  constructor(
    readonly close: { txid: string; height: number },
    tracked: readonly Tracked[],
    readonly depth: number = IRREVOCABLE_DEPTH,
    tip = close.height,
  ) {
    this.outputs = tracked.map(t => ({ ...t, height: close.height }));
    this.#tip = tip;
  }

  get tip(): number {
    return this.#tip;
  }

  /** The outpoints to watch for spends (every output not yet irrevocably resolved). */
  watching(): { txid: string; vout: number }[] {
    return this.outputs.filter(w => !this.isResolved(w)).map(w => ({ txid: w.txid, vout: w.vout }));
  }

  /**
   * A new block at `height`. At or below the tip it replaces blocks (a reorganisation): spends seen
   * in blocks from `height` up are undone, and the second stages they created forgotten.
   */
  block(height: number): void {
    if (height <= this.#tip) {
      const undone = new Set<string>();
      for (const w of this.outputs) {
        if (w.spent && w.spent.height >= height) {
          undone.add(w.spent.txid);
          w.spent = undefined;
        }
      }
      for (let i = this.outputs.length - 1; i >= 0; i--) if (undone.has(this.outputs[i]!.from ?? '')) this.outputs.splice(i, 1);
    }
    this.#tip = height;
  }

  /** `tx`, in the block at `height`, spends outputs we watch: record it and learn what it tells. */
  spend(tx: Transaction, height: number): Learned {
    const learned: Learned = { preimages: [], added: [] };
    const txid = tx.id;
    for (let i = 0; i < tx.inputsLength; i++) {
      const input = tx.getInput(i);
      if (!input.txid) continue;
      const w = this.outputs.find(o => o.txid === toHex(input.txid!) && o.vout === input.index);
      if (!w || w.spent?.txid === txid) continue;
      const byUs = w.ours !== undefined && (w.ours.txid === txid || w.ours.replaced.includes(txid));
      // BOLT 5: "MUST extract the payment preimage from the transaction input witness" (the peer's
      // HTLC-success, or its claim of our offered HTLC with the preimage).
      const preimage = w.htlc && (input.finalScriptWitness ?? []).find(x => x.length === 32 && equal(sha256(x), w.htlc!.paymentHash));
      w.spent = { txid, height, byUs, preimage: !!preimage };
      if (w.htlc && preimage && !byUs) learned.preimages.push({ paymentHash: w.htlc.paymentHash, preimage });
      const then = w.plan?.then;
      const out = i < tx.outputsLength ? tx.getOutput(i) : undefined;
      if (then && out?.script && equal(out.script, then.script) && !this.outputs.some(o => o.txid === txid && o.vout === i)) {
        const next: Watched = {
          txid,
          vout: i,
          amount: out.amount!,
          script: out.script,
          kind: then.kind,
          plan: then.plan,
          height,
          from: txid,
        };
        this.outputs.push(next);
        learned.added.push(next);
      }
    }
    return learned;
  }

  /** Our spends valid in the next block: CSV (BIP 68) and CLTV met, the output unspent, the preimage known. */
  due(hasPreimage: (paymentHash: Uint8Array) => boolean): Watched[] {
    const next = this.#tip + 1;
    return this.outputs.filter(
      w =>
        w.plan &&
        !w.spent &&
        !w.uneconomical &&
        next >= w.height + w.plan.csv &&
        // BIP 65 / IsFinalTx: nLockTime below the height of the block that includes it.
        w.plan.lockTime < next &&
        (!w.plan.needsPreimage || (w.htlc !== undefined && hasPreimage(w.htlc.paymentHash))),
    );
  }

  /**
   * HTLCs we offered that are now failed for good (BOLT 5 "MUST fail the corresponding incoming
   * HTLC"): timed out on chain (spent without the preimage) `depth` blocks deep, or, once the
   * closing transaction is that deep, missing from it (trimmed, or on another commitment).
   */
  failedHtlcs(ours: readonly HtlcStub[], depth: number): HtlcStub[] {
    const deep = (h: number) => this.#tip - h + 1 >= depth;
    const out: HtlcStub[] = [];
    const offered = this.outputs.filter(w => w.htlc?.offeredByUs && (w.kind === 'our_htlc' || w.kind === 'revoked_htlc'));
    for (const w of offered) if (w.spent && !w.spent.preimage && deep(w.spent.height)) out.push(w.htlc!);
    if (deep(this.close.height)) {
      for (const h of ours) if (h.offeredByUs && !offered.some(w => sameHtlc(w.htlc!, h))) out.push(h);
    }
    return out;
  }

  isResolved(w: Watched): boolean {
    if (w.spent) return this.#tip - w.spent.height + 1 >= this.depth;
    if (!w.plan || w.uneconomical) return this.#tip - w.height + 1 >= this.depth;
    return false;
  }

  /** Every output irrevocably resolved, and the closing transaction irrevocably deep. */
  done(): boolean {
    return this.#tip - this.close.height + 1 >= this.depth && this.outputs.every(w => this.isResolved(w));
  }
}

/** The same HTLC: payment hash and expiry, and id where both know it. */
export function sameHtlc(a: HtlcStub, b: HtlcStub): boolean {
  return (
    equal(a.paymentHash, b.paymentHash) && a.cltvExpiry === b.cltvExpiry && (a.id === undefined || b.id === undefined || a.id === b.id)
  );
}

/**
 * Whether a sweep built at `built` sat/kw is worth replacing at `now` (BIP 125: the replacement must
 * pay more, by at least the incremental relay feerate, 1 sat/vB = 250 sat/kw): by a quarter, and at
 * least 500 sat/kw.
 */
export function worthReplacing(built: number, now: number): boolean {
  return now >= built + Math.max(500, Math.ceil(built / 4));
}
