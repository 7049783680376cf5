// The mempool and its acceptance rules, in Bitcoin Core's order and with its reject reasons
// (MemPoolAccept::PreChecks, ReplacementChecks, PolicyScriptChecks in src/validation.cpp;
// CheckTransaction and CheckTxInputs in src/consensus; IsStandardTx in src/policy/policy.cpp).
// Replacement is Bitcoin Core 28's: full RBF (mempoolfullrbf on by default: a conflicting transaction
// is replaceable whether or not it signals BIP 125), with BIP 125's rules 2 to 6 as Core applies them
// (ReplacementChecks in src/validation.cpp, src/policy/rbf.cpp).
import { COIN, COINBASE_MATURITY, MAX_STANDARD_TX_WEIGHT, MIN_RELAY_SAT_PER_KVB, MIN_STANDARD_TX_NONWITNESS_SIZE } from './params.ts';
import { decodeTx, isCoinbase, outpointKey, TxDecodeError, type Tx, type TxOutput } from './tx.ts';
import { dustThreshold, isPushOnly, isStandardOutput, scriptKind } from './policy.ts';
import { isFinalTx, sequenceLocksOk } from './locks.ts';
import type { ScriptVerifier } from './scripts.ts';
import type { ChainState } from './chain-state.ts';

export interface MempoolEntry {
  tx: Tx;
  fee: bigint;
  /** Arrival order. */
  order: number;
}

/** Bitcoin Core's RPC error codes for sendrawtransaction. */
export const RPC_VERIFY_ERROR = -25;
export const RPC_VERIFY_REJECTED = -26;
export const RPC_VERIFY_ALREADY_IN_CHAIN = -27;
export const RPC_DESERIALIZATION_ERROR = -22;

export type AcceptResult =
  | { ok: true; txid: string }
  /** `reason` is Core's reject reason; `message` adds its debug detail as Core prints it ("reason, detail"). */
  | { ok: false; reason: string; message: string; code: number };

const MAX_MONEY = 21_000_000n * COIN;
/** The most transactions the mempool holds by default (a bound on memory; Bitcoin Core bounds its by size). */
export const MAX_MEMPOOL_TXS = 50_000;
const MAX_SCRIPTSIG_SIZE = 1650;
/** BIP 125 rule 5: at most this many transactions evicted by one replacement (Core's MAX_REPLACEMENT_CANDIDATES). */
export const MAX_REPLACEMENT_CANDIDATES = 100;

class Reject {
  constructor(
    readonly reason: string,
    readonly detail = '',
    readonly code = RPC_VERIFY_REJECTED,
  ) {}
}

function minRelayFee(vsize: number): bigint {
  return feeAt(MIN_RELAY_SAT_PER_KVB, vsize);
}

/** CFeeRate::GetFee: sat/kvB × vsize, rounded down. */
function feeAt(satPerKvb: bigint, vsize: number): bigint {
  return (BigInt(vsize) * satPerKvb) / 1000n;
}

/** A transaction checked and not yet added (`check`'s answer). */
interface Checked {
  tx: Tx;
  fee: bigint;
  replaced: Set<string>;
}

export class Mempool {
  private readonly entries = new Map<string, MempoolEntry>();
  /** Outpoint → the mempool transaction spending it. */
  readonly spends = new Map<string, string>();
  private seq = 0;
  /**
   * The mempool's rolling minimum feerate (sat/kvB; Core's CTxMemPool::GetMinFee): the minimum
   * relay feerate until the mempool fills up. Core raises it when TrimToSize evicts the lowest
   * descendant-feerate packages of a full mempool; here a test sets it (setMinFee) to stand for
   * that pressure, and the same eviction happens.
   */
  private rollingMinFee = 0n;

  constructor(
    private readonly chain: ChainState,
    private readonly verify: ScriptVerifier,
    private readonly maxTxs = MAX_MEMPOOL_TXS,
  ) {}

  get(txid: string): MempoolEntry | undefined {
    return this.entries.get(txid);
  }

  /** Entries in the order they entered (parents before children). */
  list(): MempoolEntry[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }

  /** The feerate (sat/kvB) a transaction must pay to enter: Core's `mempoolminfee`. */
  get minFee(): bigint {
    return this.rollingMinFee > MIN_RELAY_SAT_PER_KVB ? this.rollingMinFee : MIN_RELAY_SAT_PER_KVB;
  }

  /**
   * Raises (or lowers) the rolling minimum feerate, as a full mempool would (TrimToSize): every
   * package whose descendant feerate is below it leaves, lowest first, with its descendants.
   */
  setMinFee(satPerKvb: bigint): void {
    this.rollingMinFee = satPerKvb;
    for (;;) {
      let lowest: { txid: string; rate: number } | undefined;
      for (const t of this.entries.keys()) {
        let fee = 0n;
        let vsize = 0;
        for (const d of this.withDescendants([t])) {
          fee += this.entries.get(d)!.fee;
          vsize += this.entries.get(d)!.tx.vsize;
        }
        const rate = (Number(fee) * 1000) / vsize;
        if (!lowest || rate < lowest.rate) lowest = { txid: t, rate };
      }
      if (!lowest || lowest.rate >= Number(this.minFee)) return;
      for (const d of this.withDescendants([lowest.txid])) this.removeOne(d);
    }
  }

  accept(raw: Uint8Array): AcceptResult {
    const tx = decodeOrReject(raw);
    if (!('txid' in tx)) return tx;
    if (this.entries.has(tx.txid)) return { ok: true, txid: tx.txid }; // sendrawtransaction answers the txid again
    if (this.entries.size >= this.maxTxs) return { ok: false, reason: 'mempool full', message: 'mempool full', code: RPC_VERIFY_REJECTED };
    return this.attempt(() => {
      this.admit(this.check(tx));
      return { ok: true, txid: tx.txid };
    });
  }

  /**
   * Bitcoin Core's submitpackage for a child and its one parent (1P1C, Core 28: "1-parent-1-child
   * package relay"): each transaction is first tried alone; a parent refused only for its
   * feerate ("mempool min fee not met", TX_RECONSIDERABLE) is tried again with its child, and the
   * two enter together when their package feerate (fees over vsizes of those not yet in the
   * mempool) meets the mempool minimum (CheckFeeRate on the package). Every other rule still
   * applies to each transaction, and the minimum relay feerate to each alone.
   */
  acceptPackage(raws: Uint8Array[]): { ok: boolean; results: AcceptResult[]; message: string } {
    const txs: Tx[] = [];
    for (const raw of raws) {
      const tx = decodeOrReject(raw);
      if (!('txid' in tx)) return { ok: false, results: [tx], message: 'transaction failed' };
      txs.push(tx);
    }
    const [parent, child] = txs;
    if (txs.length !== 2 || !child!.inputs.some(i => i.txid === parent!.txid))
      return { ok: false, results: [], message: 'package topology disallowed. not child-with-parents or parents depend on each other.' };
    const alone = this.accept(parent!.raw);
    if (alone.ok || alone.reason !== 'mempool min fee not met') {
      const second = alone.ok ? this.accept(child!.raw) : alone;
      return { ok: alone.ok && second.ok, results: [alone, second], message: alone.ok && second.ok ? 'success' : 'transaction failed' };
    }
    const result = this.attempt(() => {
      const p = this.check(parent!, true);
      // Core 28 replaces within a package only a 1P1C cluster (package RBF); this chain not at all.
      if (p.replaced.size > 0) throw new Reject('package RBF failed', 'not supported by this regtest chain');
      this.admit(p);
      try {
        const c = this.check(child!, true);
        // CheckFeeRate on the package: what neither transaction pays alone, both pay together.
        this.checkFeeRate(p.fee + c.fee, parent!.vsize + child!.vsize);
        this.admit(c);
      } catch (e) {
        this.removeOne(parent!.txid);
        throw e;
      }
      return { ok: true, txid: child!.txid };
    });
    const ok = result.ok;
    return {
      ok,
      results: ok ? [{ ok: true, txid: parent!.txid }, result] : [alone, result],
      message: ok ? 'success' : 'transaction failed',
    };
  }

  /** Runs `fn`, turning a refusal into Core's answer. */
  private attempt(fn: () => AcceptResult): AcceptResult {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof Reject)) throw e;
      return { ok: false, reason: e.reason, message: e.detail ? `${e.reason}, ${e.detail}` : e.reason, code: e.code };
    }
  }

  /** CheckFeeRate (validation.cpp): the mempool's minimum feerate, then the minimum relay feerate. */
  private checkFeeRate(fee: bigint, vsize: number): void {
    const min = feeAt(this.minFee, vsize);
    if (this.rollingMinFee > 0n && fee < min) throw new Reject('mempool min fee not met', `${fee} < ${min}`);
    const relay = minRelayFee(vsize);
    if (fee < relay) throw new Reject('min relay fee not met', `${fee} < ${relay}`);
  }

  private admit(c: Checked): void {
    for (const t of c.replaced) this.removeOne(t);
    this.add(c.tx, c.fee);
  }

  /**
   * Every rule (MemPoolAccept's PreChecks to PolicyScriptChecks): the transaction, its fee, what it
   * replaces. In a package (`packaged`) the feerate is checked against the mempool minimum for the
   * package as a whole (m_package_feerates), the minimum relay feerate still for each alone.
   */
  private check(tx: Tx, packaged = false): Checked {
    const chain = this.chain;
    // CheckTransaction (consensus, context-free).
    if (tx.inputs.length === 0) throw new Reject('bad-txns-vin-empty');
    if (tx.outputs.length === 0) throw new Reject('bad-txns-vout-empty');
    if (tx.baseSize * 4 > 4_000_000) throw new Reject('bad-txns-oversize');
    let outTotal = 0n;
    for (const o of tx.outputs) {
      if (o.value > MAX_MONEY) throw new Reject('bad-txns-vout-toolarge');
      outTotal += o.value;
      if (outTotal > MAX_MONEY) throw new Reject('bad-txns-txouttotal-toolarge');
    }
    const keys = tx.inputs.map(i => outpointKey(i.txid, i.vout));
    if (new Set(keys).size !== keys.length) throw new Reject('bad-txns-inputs-duplicate');
    if (isCoinbase(tx)) throw new Reject('coinbase');
    if (tx.inputs.some(i => i.txid === '0'.repeat(64) && i.vout === 0xffffffff)) throw new Reject('bad-txns-prevout-null');

    // IsStandardTx.
    if (tx.version < 1 || tx.version > 3) throw new Reject('version');
    if (tx.weight > MAX_STANDARD_TX_WEIGHT) throw new Reject('tx-size');
    for (const i of tx.inputs) {
      if (i.scriptSig.length > MAX_SCRIPTSIG_SIZE) throw new Reject('scriptsig-size');
      if (!isPushOnly(i.scriptSig)) throw new Reject('scriptsig-not-pushonly');
    }
    let opReturns = 0;
    for (const o of tx.outputs) {
      if (!isStandardOutput(o.script)) throw new Reject('scriptpubkey');
      if (scriptKind(o.script) === 'op_return') opReturns++;
    }
    if (opReturns > 1) throw new Reject('multi-op-return');
    if (tx.outputs.some(o => o.value < dustThreshold(o.script))) throw new Reject('dust');
    if (tx.baseSize < MIN_STANDARD_TX_NONWITNESS_SIZE) throw new Reject('tx-size-small');

    // Final in the next block (BIP 113: against the tip's median time past).
    const tip = chain.tip;
    const nextHeight = tip.height + 1;
    const mtp = chain.medianTimePast(tip);
    if (!isFinalTx(tx, nextHeight, mtp)) throw new Reject('non-final');

    // Conflicts with the mempool: replaceable whether they signal or not (full RBF).
    const conflicts = new Set<string>();
    for (const k of keys) {
      const other = this.spends.get(k);
      if (other !== undefined) conflicts.add(other);
    }
    const replaced = this.withDescendants(conflicts);

    // Inputs: in the UTXO set, or outputs of a mempool transaction not being replaced.
    const prevouts: TxOutput[] = [];
    const coinHeights: number[] = [];
    let inTotal = 0n;
    for (const [n, i] of tx.inputs.entries()) {
      const k = keys[n]!;
      const coin = chain.utxos.get(k);
      if (coin) {
        // CheckTxInputs: a coinbase output matures after 100 blocks.
        if (coin.coinbase && nextHeight - coin.height < COINBASE_MATURITY) {
          throw new Reject('bad-txns-premature-spend-of-coinbase', `tried to spend coinbase at depth ${nextHeight - coin.height}`);
        }
        prevouts.push({ value: coin.value, script: coin.script });
        coinHeights.push(coin.height);
      } else {
        const parent = this.entries.get(i.txid);
        const out = parent?.tx.outputs[i.vout];
        // Core's EntriesAndTxidsDisjoint: spending what it replaces (a conflict is then its ancestor).
        if (parent && out && replaced.has(i.txid))
          throw new Reject('bad-txns-spends-conflicting-tx', `${tx.txid} spends conflicting transaction ${i.txid}`);
        if (!parent || !out) {
          if (chain.txIndex.has(tx.txid)) throw new Reject('txn-already-known', '', RPC_VERIFY_ALREADY_IN_CHAIN);
          throw new Reject('bad-txns-inputs-missingorspent', '', RPC_VERIFY_ERROR);
        }
        prevouts.push(out);
        coinHeights.push(nextHeight);
      }
      inTotal += prevouts[n]!.value;
    }

    // BIP 68 relative locks.
    if (!sequenceLocksOk(tx, coinHeights, nextHeight, mtp, h => chain.medianTimePast(chain.active[h - 1]!)))
      throw new Reject('non-BIP68-final');

    if (inTotal < outTotal) throw new Reject('bad-txns-in-belowout', `value in (${fmtBtc(inTotal)}) < value out (${fmtBtc(outTotal)})`);
    const fee = inTotal - outTotal;
    const minFee = minRelayFee(tx.vsize);
    if (!packaged) this.checkFeeRate(fee, tx.vsize);
    // Core 28 PreChecks: a transaction that is not TRUC pays the minimum relay feerate alone, in a package too.
    else if (fee < minFee) throw new Reject('min relay fee not met', `${fee} < ${minFee}`);

    // BIP 125 rules 6, 5, 2, then 3 and 4 against everything it would evict, in Core's order.
    if (replaced.size > 0) {
      let oldFees = 0n;
      for (const t of replaced) oldFees += this.entries.get(t)!.fee;
      for (const c of conflicts) {
        const e = this.entries.get(c)!;
        // Compare fee rates without division: fee/vsize > oldFee/oldVsize.
        if (fee * BigInt(e.tx.vsize) <= e.fee * BigInt(tx.vsize)) {
          throw new Reject(
            'insufficient fee',
            `rejecting replacement ${tx.txid}; new feerate ${satPerKvb(fee, tx.vsize)} <= old feerate ${satPerKvb(e.fee, e.tx.vsize)}`,
          );
        }
      }
      if (replaced.size > MAX_REPLACEMENT_CANDIDATES)
        throw new Reject(
          'too many potential replacements',
          `rejecting replacement ${tx.txid}; too many potential replacements (${replaced.size} > ${MAX_REPLACEMENT_CANDIDATES})`,
        );
      // Rule 2: no unconfirmed input the replaced transactions did not already spend from.
      const parentsOfConflicts = new Set<string>();
      for (const c of conflicts) for (const i of this.entries.get(c)!.tx.inputs) parentsOfConflicts.add(i.txid);
      for (const [n, i] of tx.inputs.entries())
        if (!parentsOfConflicts.has(i.txid) && this.entries.has(i.txid))
          throw new Reject('replacement-adds-unconfirmed', `replacement ${tx.txid} adds unconfirmed input, idx ${n}`);
      if (fee < oldFees)
        throw new Reject(
          'insufficient fee',
          `rejecting replacement ${tx.txid}, less fees than conflicting txs; ${fmtBtc(fee)} < ${fmtBtc(oldFees)}`,
        );
      if (fee - oldFees < minFee)
        throw new Reject(
          'insufficient fee',
          `rejecting replacement ${tx.txid}, not enough additional fees to relay; ${fmtBtc(fee - oldFees)} < ${fmtBtc(minFee)}`,
        );
    }

    // Every input's script and witness.
    const failure = this.verify(tx, prevouts);
    if (failure) throw new Reject(failure.reason, `input ${failure.input}`);

    return { tx, fee, replaced };
  }

  private add(tx: Tx, fee: bigint): void {
    this.entries.set(tx.txid, { tx, fee, order: this.seq++ });
    for (const i of tx.inputs) this.spends.set(outpointKey(i.txid, i.vout), tx.txid);
  }

  private removeOne(txid: string): void {
    const e = this.entries.get(txid);
    if (!e) return;
    this.entries.delete(txid);
    for (const i of e.tx.inputs) {
      const k = outpointKey(i.txid, i.vout);
      if (this.spends.get(k) === txid) this.spends.delete(k);
    }
  }

  /** `txids` and every mempool transaction descending from them. */
  private withDescendants(txids: Iterable<string>): Set<string> {
    const out = new Set<string>();
    const todo = [...txids];
    while (todo.length > 0) {
      const t = todo.pop()!;
      if (out.has(t)) continue;
      out.add(t);
      const e = this.entries.get(t);
      e?.tx.outputs.forEach((_, n) => {
        const child = this.spends.get(outpointKey(t, n));
        if (child !== undefined) todo.push(child);
      });
    }
    return out;
  }

  /**
   * The miner's floor (sat/kvB; Core's -blockmintxfee, 1 sat/vB by default): a transaction enters
   * a block only when its package with its unconfirmed ancestors pays it (BlockAssembler's
   * ancestor feerate). A test raises it to stand for blocks full of better-paying transactions.
   */
  blockMinFee = MIN_RELAY_SAT_PER_KVB;

  /** Transactions for the next block, up to `maxWeight`: each with its ancestors when together they pay blockMinFee, parents first. */
  blockTemplate(maxWeight: number): Tx[] {
    const picked: Tx[] = [];
    const taken = new Set<string>();
    let weight = 0;
    for (const txid of this.entries.keys()) {
      if (taken.has(txid)) continue;
      const pkg = [...this.ancestors(txid)].filter(t => !taken.has(t));
      const fee = pkg.reduce((n, t) => n + this.entries.get(t)!.fee, 0n);
      const vsize = pkg.reduce((n, t) => n + this.entries.get(t)!.tx.vsize, 0);
      const w = pkg.reduce((n, t) => n + this.entries.get(t)!.tx.weight, 0);
      if (fee < feeAt(this.blockMinFee, vsize) || weight + w > maxWeight) continue;
      // Entry order puts parents first.
      for (const t of [...this.entries.keys()].filter(k => pkg.includes(k))) {
        picked.push(this.entries.get(t)!.tx);
        taken.add(t);
      }
      weight += w;
    }
    return picked;
  }

  /** `txid` and its ancestors in the mempool. */
  private ancestors(txid: string): Set<string> {
    const out = new Set<string>();
    const todo = [txid];
    while (todo.length > 0) {
      const t = todo.pop()!;
      if (out.has(t)) continue;
      out.add(t);
      for (const i of this.entries.get(t)?.tx.inputs ?? []) if (this.entries.has(i.txid)) todo.push(i.txid);
    }
    return out;
  }

  /** After a block: drop its transactions and whatever conflicted with them (with descendants). */
  removeForBlock(txs: Tx[]): void {
    const gone = new Set<string>();
    for (const tx of txs) {
      if (this.entries.has(tx.txid)) this.removeOne(tx.txid);
      for (const i of tx.inputs) {
        const other = this.spends.get(outpointKey(i.txid, i.vout));
        if (other !== undefined) gone.add(other);
      }
    }
    for (const t of this.withDescendants(gone)) this.removeOne(t);
  }

  /** After a reorganisation: offers the disconnected transactions, then the old mempool, again. */
  resubmit(disconnected: Tx[]): void {
    const old = this.list().map(e => e.tx);
    this.entries.clear();
    this.spends.clear();
    for (const tx of [...disconnected, ...old]) {
      if (!this.chain.txIndex.has(tx.txid)) this.accept(tx.raw);
    }
  }
}

function decodeOrReject(raw: Uint8Array): Tx | Extract<AcceptResult, { ok: false }> {
  try {
    return decodeTx(raw);
  } catch (e) {
    const msg = e instanceof TxDecodeError ? 'TX decode failed' : String(e);
    return { ok: false, reason: msg, message: msg, code: RPC_DESERIALIZATION_ERROR };
  }
}

/** Amounts as Core's FormatMoney prints them in reject details (8 decimals, trailing zeros cut to 2). */
export function fmtBtc(sat: bigint): string {
  const neg = sat < 0n;
  const a = neg ? -sat : sat;
  const frac = (a % COIN)
    .toString()
    .padStart(8, '0')
    .replace(/0{1,6}$/, '');
  return `${neg ? '-' : ''}${a / COIN}.${frac}`;
}

function satPerKvb(fee: bigint, vsize: number): string {
  return `${fmtBtc((fee * 1000n) / BigInt(vsize))} BTC/kvB`;
}
