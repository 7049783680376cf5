// Watches on the chain for lightningd's parts (Core Lightning's txwatch and txowatch): an output
// watch reports the transaction that spends the output and the height of its block; a txid watch
// reports the depth of the transaction's block after each new block. Both follow reorganisations:
// a spend or a confirmation whose block is disconnected is taken back. A ChainListener fed by the
// block follower (follow.ts); pure. Watches are not persisted here: their owners register them again
// at start (the follower replays from the last block every listener took).
import type { ChainListener, ConnectedBlock } from './backend.ts';
import { parseTx } from './block.ts';

export interface OutputSpent {
  /** The watched output (txid display order hex). */
  txid: string;
  vout: number;
  /** The transaction spending it, and the height of the block holding that transaction. */
  spendingTxid: string;
  height: number;
}

export interface OutputWatcher {
  spent(e: OutputSpent): void | Promise<void>;
  /** The block that spent it was disconnected (a reorganisation): the output is unspent again. */
  unspent?(e: { txid: string; vout: number; height: number }): void | Promise<void>;
}

export interface TxDepth {
  txid: string;
  /** The height of the block that holds it. */
  height: number;
  /** 1 in its own block, 2 one block later, ... */
  depth: number;
}

export interface TxWatcher {
  /** After each block while the transaction is confirmed; return 'done' to end the watch. */
  depth(e: TxDepth): void | 'done' | Promise<void | 'done'>;
  /** Its block was disconnected: unconfirmed again (the watch goes on). */
  unconfirmed?(e: { txid: string; height: number }): void | Promise<void>;
}

interface OutputEntry {
  vout: number;
  w: OutputWatcher;
  /** Height of the block that spent it, once spent. */
  spentAt?: number;
}

interface TxEntry {
  w: TxWatcher;
  height?: number;
}

export interface WatchOptions {
  /** An output spent this many blocks deep is final: its watch ends (default 100, as coinbase maturity). */
  finalDepth?: number;
}

export class ChainWatches implements ChainListener {
  /** Output watches by the txid of the output (one map entry per transaction, whatever its outputs). */
  private readonly outputs = new Map<string, OutputEntry[]>();
  private readonly txs = new Map<string, TxEntry>();
  private readonly finalDepth: number;
  private count = 0;

  constructor(o: WatchOptions = {}) {
    this.finalDepth = Math.max(1, o.finalDepth ?? 100);
  }

  /** Output watches in place. */
  get outputCount(): number {
    return this.count;
  }

  get txCount(): number {
    return this.txs.size;
  }

  /** Watches output `vout` of `txid` for its spend. A second watch of the same output replaces the first. */
  watchOutput(txid: string, vout: number, w: OutputWatcher): void {
    const list = this.outputs.get(txid);
    const e: OutputEntry = { vout, w };
    if (!list) this.outputs.set(txid, [e]);
    else {
      const at = list.findIndex(x => x.vout === vout);
      if (at >= 0) return void (list[at] = e);
      list.push(e);
    }
    this.count++;
  }

  unwatchOutput(txid: string, vout: number): void {
    const list = this.outputs.get(txid);
    const at = list?.findIndex(x => x.vout === vout) ?? -1;
    if (at < 0) return;
    list!.splice(at, 1);
    this.count--;
    if (!list!.length) this.outputs.delete(txid);
  }

  /** Watches `txid` for confirmations; a second watch replaces the first. */
  watchTx(txid: string, w: TxWatcher): void {
    this.txs.set(txid, { w });
  }

  unwatchTx(txid: string): void {
    this.txs.delete(txid);
  }

  async blockConnected(b: ConnectedBlock): Promise<void> {
    const txids = b.txids;
    const inputs = b.inputs;
    for (let i = 0; i < b.txs.length; i++) {
      let txid = txids?.[i];
      let ins = inputs?.[i];
      if (txid === undefined || ins === undefined) {
        const p = parseTx(b.txs[i]!);
        txid = p.txid;
        ins = p.inputs;
      }
      for (const spent of ins) {
        const list = this.outputs.get(spent.txid);
        const e = list?.find(x => x.vout === spent.vout && x.spentAt === undefined);
        if (!e) continue;
        e.spentAt = b.height;
        await e.w.spent({ txid: spent.txid, vout: spent.vout, spendingTxid: txid, height: b.height });
      }
      const t = this.txs.get(txid);
      if (t) t.height = b.height;
    }
    for (const [txid, t] of this.txs) {
      if (t.height === undefined) continue;
      const r = await t.w.depth({ txid, height: t.height, depth: b.height - t.height + 1 });
      if (r === 'done') this.txs.delete(txid);
    }
    // Spends buried deep enough are final.
    for (const [txid, list] of this.outputs) {
      for (let k = list.length - 1; k >= 0; k--) {
        const at = list[k]!.spentAt;
        if (at !== undefined && b.height - at + 1 >= this.finalDepth) {
          list.splice(k, 1);
          this.count--;
        }
      }
      if (!list.length) this.outputs.delete(txid);
    }
  }

  async blockDisconnected(b: { height: number; hash: string }): Promise<void> {
    for (const [txid, list] of this.outputs)
      for (const e of list)
        if (e.spentAt !== undefined && e.spentAt >= b.height) {
          e.spentAt = undefined;
          await e.w.unspent?.({ txid, vout: e.vout, height: b.height });
        }
    for (const [txid, t] of this.txs)
      if (t.height !== undefined && t.height >= b.height) {
        t.height = undefined;
        await t.w.unconfirmed?.({ txid, height: b.height });
      }
  }
}
