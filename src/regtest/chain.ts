// The regtest chain: a block index (every block ever seen, the longest branch active), the UTXO
// set of the active chain with undo data for reorganisations, and a mempool that accepts a
// transaction only as Bitcoin Core's AcceptToMemoryPool would (mempool.ts). Pure: no I/O; the
// caller persists blocks through `onBlock` and reloads them with `loadBlock`, and gives the script
// interpreter (scripts.ts) so that this file and its imports stay free of Node built-ins.
import { checkProofOfWork, decodeBlock, genesisBlock, makeCoinbase, merkleRoot, mineBlock, type Block } from './block.ts';
import { blockSubsidy, MAX_BLOCK_WEIGHT, MTP_SPAN, REGTEST_BITS } from './params.ts';
import { isCoinbase, outpointKey, type Tx, type TxOutput } from './tx.ts';
import { Mempool, type AcceptResult } from './mempool.ts';
import type { ScriptVerifier } from './scripts.ts';
import { RegtestWallet } from './wallet.ts';
import type { BlockEntry, ChainState, Coin, TxLocation } from './chain-state.ts';

export type { BlockEntry, Coin, TxLocation } from './chain-state.ts';

export interface ChainOptions {
  /** UNIX seconds for new blocks' timestamps (default the wall clock). */
  now?: () => number;
  /**
   * Evaluates input scripts: `bitcoreVerifier` from scripts.ts (bitcore-lib, which needs Node's
   * crypto, buffer and assert modules or a bundler's polyfills, hence not imported here).
   */
  verifier: ScriptVerifier;
  /** The most transactions the mempool holds (default MAX_MEMPOOL_TXS); beyond, "mempool full". */
  maxMempoolTxs?: number;
  /** Called with each block this chain makes (mined or by a reorg), to persist it. */
  onBlock?: (raw: Uint8Array) => void;
}

export class ChainError extends Error {
  override name = 'ChainError';
}

export class RegtestChain implements ChainState {
  readonly index = new Map<string, BlockEntry>();
  /** The active chain by height; [0] is genesis. */
  readonly active: BlockEntry[] = [];
  readonly utxos = new Map<string, Coin>();
  /** Outputs the active chain spends: outpoint → spending txid and input index. */
  readonly spentBy = new Map<string, { txid: string; vin: number }>();
  readonly txIndex = new Map<string, TxLocation>();
  readonly mempool: Mempool;
  readonly wallet: RegtestWallet;
  private readonly now: () => number;
  private readonly onBlock: ((raw: Uint8Array) => void) | undefined;

  constructor(opts: ChainOptions) {
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.onBlock = opts.onBlock;
    this.mempool = new Mempool(this, opts.verifier, opts.maxMempoolTxs);
    this.wallet = new RegtestWallet(this);
    const g = genesisBlock();
    const entry: BlockEntry = { block: g, height: 0, prev: undefined, undo: [] };
    this.index.set(g.hash, entry);
    this.active.push(entry);
    // Bitcoin Core never adds the genesis coinbase to the UTXO set; Esplora still serves it.
    this.txIndex.set(g.txs[0]!.txid, { entry, index: 0 });
  }

  get tip(): BlockEntry {
    return this.active[this.active.length - 1]!;
  }

  get height(): number {
    return this.tip.height;
  }

  /** Median time past of `entry` (BIP 113: the median of the last 11 block times). */
  medianTimePast(entry: BlockEntry): number {
    const times: number[] = [];
    for (let e: BlockEntry | undefined = entry; e && times.length < MTP_SPAN; e = e.prev) times.push(e.block.header.time);
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  }

  /** The active block at `height`, if any. */
  at(height: number): BlockEntry | undefined {
    return Number.isSafeInteger(height) && height >= 0 ? this.active[height] : undefined;
  }

  isActive(entry: BlockEntry): boolean {
    return this.active[entry.height] === entry;
  }

  /** A transaction by txid: in the active chain (with where) or in the mempool. */
  findTx(txid: string): { tx: Tx; location?: TxLocation } | undefined {
    const loc = this.txIndex.get(txid);
    if (loc) return { tx: loc.entry.block.txs[loc.index]!, location: loc };
    const m = this.mempool.get(txid);
    return m ? { tx: m.tx } : undefined;
  }

  /** The output `txid:vout` as created (spent or not), from the active chain or the mempool. */
  output(txid: string, vout: number): TxOutput | undefined {
    return this.findTx(txid)?.tx.outputs[vout];
  }

  // ------------------------------------------------------------------ blocks

  /** Mines `n` blocks on the tip with the mempool's transactions, paying `script` (default the chain's wallet). */
  mine(n: number, script?: Uint8Array): string[] {
    const hashes: string[] = [];
    for (let k = 0; k < n; k++) hashes.push(this.mineOn(this.tip, script ?? this.wallet.script, true).hash);
    return hashes;
  }

  /**
   * Replaces the last `depth` blocks by `depth + 1` new empty ones (a longer branch from the block
   * below them); the replaced blocks' transactions go back to the mempool when still valid.
   */
  reorg(depth: number): string[] {
    if (!Number.isSafeInteger(depth) || depth < 1 || depth > this.height) throw new ChainError(`reorg depth must be 1..${this.height}`);
    let parent = this.active[this.height - depth]!;
    const hashes: string[] = [];
    for (let k = 0; k <= depth; k++) {
      const b = this.mineOn(parent, this.wallet.script, false);
      hashes.push(b.hash);
      parent = this.index.get(b.hash)!;
    }
    return hashes;
  }

  private mineOn(parent: BlockEntry, script: Uint8Array, withMempool: boolean): Block {
    const height = parent.height + 1;
    const txs = withMempool ? this.mempool.blockTemplate(MAX_BLOCK_WEIGHT - 4000) : [];
    const fees = txs.reduce((s, t) => s + this.mempool.get(t.txid)!.fee, 0n);
    // index.size never repeats, so blocks at one height (a reorg's) differ in their coinbase.
    const coinbase = makeCoinbase(height, this.index.size, script, blockSubsidy(height) + fees, txs);
    const time = Math.max(this.now(), this.medianTimePast(parent) + 1);
    const block = mineBlock({ prevHash: parent.block.hash, time, bits: REGTEST_BITS }, [coinbase, ...txs]);
    this.addBlock(block);
    this.onBlock?.(block.raw);
    return block;
  }

  /** Adds a serialized block (from the data directory): checked, then indexed and activated if longest. */
  loadBlock(raw: Uint8Array): void {
    const b = decodeBlock(raw);
    if (!checkProofOfWork(b.hash, b.header.bits) || b.header.bits !== REGTEST_BITS) throw new ChainError(`block ${b.hash}: high-hash`);
    if (merkleRoot(b.txs.map(t => t.txid)) !== b.header.merkleRoot) throw new ChainError(`block ${b.hash}: bad-txnmrklroot`);
    if (b.txs.length === 0 || !isCoinbase(b.txs[0]!)) throw new ChainError(`block ${b.hash}: bad-cb-missing`);
    this.addBlock(b);
  }

  private addBlock(b: Block): void {
    if (this.index.has(b.hash)) return;
    const prev = this.index.get(b.header.prevHash);
    if (!prev) throw new ChainError(`block ${b.hash}: prev-blk-not-found`);
    const entry: BlockEntry = { block: b, height: prev.height + 1, prev };
    this.index.set(b.hash, entry);
    // Every regtest block has the same work: the longest branch is the most-work one.
    if (entry.height > this.height) this.activate(entry);
  }

  /** Makes `entry`'s branch active: disconnects down to the fork, connects up to `entry`. */
  private activate(entry: BlockEntry): void {
    const branch: BlockEntry[] = [];
    let fork: BlockEntry | undefined = entry;
    while (fork && !this.isActive(fork)) {
      branch.unshift(fork);
      fork = fork.prev;
    }
    if (!fork) throw new ChainError(`block ${entry.block.hash}: not connected to genesis`);
    const disconnected: Tx[][] = [];
    while (this.tip !== fork) disconnected.unshift(this.disconnectTip().slice(1));
    for (const e of branch) this.connect(e);
    if (disconnected.length > 0) this.mempool.resubmit(disconnected.flat());
    else for (const e of branch) this.mempool.removeForBlock(e.block.txs);
  }

  private connect(entry: BlockEntry): void {
    const undo: [string, Coin][] = [];
    const created = new Set<string>();
    // Check every input first, so a bad stored block changes nothing.
    for (const tx of entry.block.txs.slice(1)) {
      for (const i of tx.inputs) {
        const k = outpointKey(i.txid, i.vout);
        if (!this.utxos.has(k) && !created.has(k)) throw new ChainError(`block ${entry.block.hash}: bad-txns-inputs-missingorspent`);
        created.delete(k);
      }
      tx.outputs.forEach((_, n) => created.add(outpointKey(tx.txid, n)));
    }
    entry.block.txs.forEach((tx, index) => {
      const cb = index === 0;
      if (!cb) {
        tx.inputs.forEach((i, vin) => {
          const k = outpointKey(i.txid, i.vout);
          undo.push([k, this.utxos.get(k)!]);
          this.utxos.delete(k);
          this.spentBy.set(k, { txid: tx.txid, vin });
        });
      }
      tx.outputs.forEach((o, n) => {
        if (o.script[0] !== 0x6a)
          this.utxos.set(outpointKey(tx.txid, n), { value: o.value, script: o.script, height: entry.height, coinbase: cb });
      });
      this.txIndex.set(tx.txid, { entry, index });
    });
    entry.undo = undo;
    this.active.push(entry);
  }

  /** Disconnects the tip; returns its transactions. */
  private disconnectTip(): Tx[] {
    const entry = this.active.pop()!;
    const txs = entry.block.txs;
    for (let index = txs.length - 1; index >= 0; index--) {
      const tx = txs[index]!;
      tx.outputs.forEach((_, n) => this.utxos.delete(outpointKey(tx.txid, n)));
      const loc = this.txIndex.get(tx.txid);
      if (loc?.entry === entry) this.txIndex.delete(tx.txid);
    }
    for (const [k, coin] of entry.undo ?? []) {
      this.utxos.set(k, coin);
      this.spentBy.delete(k);
    }
    entry.undo = undefined;
    return txs;
  }

  /** Offers a transaction to the mempool (Bitcoin Core's rules and reject reasons). */
  accept(raw: Uint8Array): AcceptResult {
    return this.mempool.accept(raw);
  }

  /** Offers a child and its parent together (Bitcoin Core's submitpackage, 1P1C). */
  acceptPackage(raws: Uint8Array[]): ReturnType<Mempool['acceptPackage']> {
    return this.mempool.acceptPackage(raws);
  }
}
