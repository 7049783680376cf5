// Following the chain block by block to learn which funding outputs were spent, for BOLT 7
// "Pruning the Network View" ("once its funding output has been spent OR reorganized out: SHOULD
// forget a channel after a 12-block delay"). One raw block per new block, whatever the number of
// channels watched (never one `outspend` request per channel). Each block is checked to be the one
// asked for (its header hashes to that hash) and to follow the block scanned before it; when it
// does not (a reorganisation), the scan steps back over the blocks it remembers and reads the new
// branch. Pure: the backend is injected (esplora.ts gives it).
import { parseBlock } from './block.ts';
import { ChainSourceError } from './errors.ts';

/** What the follower asks of a backend. */
export interface BlockSource {
  tipHeight(): Promise<number>;
  /** The best chain's block hash at `height` now (no cache: it may change in a reorganisation); undefined past the tip. */
  currentBlockHash(height: number): Promise<string | undefined>;
  /** The block, serialized as on the wire (segwit included). */
  rawBlock(hash: string): Promise<Uint8Array>;
}

/** A watched output seen spent: `txid` in display order, `blockheight` of the spending block. */
export interface SpentOutput {
  txid: string;
  vout: number;
  blockheight: number;
}

export interface SpendScan {
  /** The last block scanned (the tip when the scan finished). */
  height: number;
  spent: SpentOutput[];
  /** Blocks read by this scan. */
  blocks: number;
  /** Set when the scan stopped early: what it found before is still reported. */
  error?: ChainSourceError;
  /** Blocks passed over unread because the scan was too far behind (their spends are not seen). */
  skipped?: number;
  /**
   * Spends reported by an earlier scan from a block a reorganisation has since replaced: not
   * spent there any more (if the new branch spends them too, `spent` says so again).
   */
  unspent?: SpentOutput[];
}

export interface SpendFollowerOptions {
  /** At most this many blocks per scan; further behind, the scan skips to the last ones (default 36, six hours). */
  maxBlocksPerScan?: number;
  /** The first scan starts this many blocks below the tip (default 0: spends from now on). */
  lookbackBlocks?: number;
  /** Hashes of this many recent blocks are kept to step back over a reorganisation (default 24). */
  keepHashes?: number;
}

export class SpendFollower {
  /** The next height to read; -1 before the first scan. */
  private next = -1;
  /** The spends reported from each remembered block, to take back if a reorganisation replaces it. */
  private readonly reported = new Map<number, SpentOutput[]>();
  /** height → hash of the blocks read lately. */
  private readonly hashes = new Map<number, string>();
  private readonly maxBlocks: number;
  private readonly lookback: number;
  private readonly keep: number;

  constructor(
    private readonly src: BlockSource,
    o: SpendFollowerOptions = {},
  ) {
    this.maxBlocks = Math.max(1, o.maxBlocksPerScan ?? 36);
    this.lookback = Math.max(0, o.lookbackBlocks ?? 0);
    this.keep = Math.max(2, o.keepHashes ?? 24);
  }

  /** The last height scanned, or undefined before the first scan. */
  get height(): number | undefined {
    return this.next < 0 ? undefined : this.next - 1;
  }

  /**
   * Reads the blocks mined since the last scan and returns the spends of outputs `watched`
   * accepts. Throws ChainSourceError when the tip cannot be had; a failure after that ends the
   * scan early with `error` set (the next scan goes on from there).
   */
  async scan(watched: (txid: string, vout: number) => boolean, after?: number): Promise<SpendScan> {
    const tip = await this.src.tipHeight();
    // The first scan goes on from `after` (the last block an earlier run read) when given.
    if (this.next < 0) this.next = after !== undefined && after >= 0 ? Math.min(after + 1, tip + 1) : Math.max(0, tip + 1 - this.lookback);
    let skipped = 0;
    if (tip + 1 - this.next > this.maxBlocks) {
      // Too far behind (a sleeping tab, a long pause): read only the last blocks.
      skipped = tip + 1 - this.maxBlocks - this.next;
      this.next = tip + 1 - this.maxBlocks;
      this.hashes.clear();
      this.reported.clear();
    }
    const out: SpendScan = { height: this.next - 1, spent: [], blocks: 0, ...(skipped ? { skipped } : {}) };
    // Each step either moves up one block or steps back over one remembered block.
    for (let steps = 0; this.next <= tip && steps < this.maxBlocks + 2 * this.keep; steps++) {
      const h = this.next;
      try {
        const hash = await this.src.currentBlockHash(h);
        if (hash === undefined) break; // the tip moved back meanwhile
        const b = parseBlock(await this.src.rawBlock(hash));
        out.blocks++;
        if (b.hash !== hash) throw new ChainSourceError('bad_block', `block ${h}: asked for ${hash}, got ${b.hash}`);
        const prev = this.hashes.get(h - 1);
        if (prev !== undefined && prev !== b.prevHash) {
          // A reorganisation: block h-1 as we read it is no longer in the best chain, nor the
          // spends found in it (found in this scan: not reported at all; earlier: taken back).
          this.hashes.delete(h - 1);
          for (const sp of this.reported.get(h - 1) ?? []) {
            const here = out.spent.indexOf(sp);
            if (here >= 0) out.spent.splice(here, 1);
            else (out.unspent ??= []).push(sp);
          }
          this.reported.delete(h - 1);
          this.next = h - 1;
          continue;
        }
        const found: SpentOutput[] = [];
        for (const i of b.inputs) if (watched(i.txid, i.vout)) found.push({ txid: i.txid, vout: i.vout, blockheight: h });
        out.spent.push(...found);
        this.hashes.set(h, hash);
        this.hashes.delete(h - this.keep);
        if (found.length) this.reported.set(h, found);
        this.reported.delete(h - this.keep);
        this.next = h + 1;
      } catch (e) {
        if (!(e instanceof ChainSourceError)) throw e;
        out.error = e;
        break;
      }
    }
    out.height = this.next - 1;
    return out;
  }
}
