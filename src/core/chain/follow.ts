// Following the best chain for lightningd, block by block (Core Lightning's chaintopology): each new
// block is read whole (`getrawblockbyheight`), checked to be the block asked for and to follow the
// last one connected, and handed to every ChainListener in order. When it does not follow (a
// reorganisation), the last block is disconnected (listeners in reverse order) and the follower
// steps back until the backend's chain and ours meet, then connects the new branch. The height is
// recorded only once every listener has resolved, so a crash (or a listener's failure) replays a
// block, never skips one: listeners must take a block they have seen again without harm.
// Pure: the backend and the store are injected.
import type { ChainBackend, ChainListener, ConnectedBlock } from './backend.ts';
import { parseBlock } from './block.ts';
import { ChainSourceError } from './errors.ts';

/** What the follower records after each block: where it stands, and enough hashes to step back over a reorganisation. */
export interface FollowerState {
  /** The last block every listener has taken (-1: none yet, start from the genesis block). */
  height: number;
  /** Hashes of the last blocks connected, oldest first, the last one at `height` (display order hex). */
  hashes: string[];
}

export interface FollowerStore {
  load(): Promise<FollowerState | undefined>;
  save(state: FollowerState): Promise<void>;
}

export interface FollowerOptions {
  backend: ChainBackend;
  /** Where the state is kept across restarts; without it every start is a first start. */
  store?: FollowerStore;
  /** A first start (nothing stored) connects blocks from this height on; default the block after the tip. */
  startHeight?: number;
  /**
   * Core Lightning's --rescan, at start: go back this many blocks from where the follower stood (from
   * the tip, on a first start); negative: start again from that absolute height (-N: block N is the
   * first connected). The blocks are connected again: listeners take a block they saw without harm,
   * and a wallet restored from its seed finds the coins paid to it before it ran.
   */
  rescan?: number;
  /** Hashes kept to step back over a reorganisation (default 144, a day of blocks). */
  keep?: number;
}

/** Core Lightning's --rescan value as text: a whole number of blocks (negative: an absolute height); undefined if it is not one. */
export function parseRescan(text: string): number | undefined {
  return /^-?\d{1,9}$/.test(text) ? Number(text) : undefined;
}

export interface PollResult {
  /** The last block connected after this poll. */
  height: number;
  connected: number;
  disconnected: number;
}

export class BlockFollower {
  private readonly listeners: ChainListener[] = [];
  private state: FollowerState | undefined;
  private starting: Promise<FollowerState> | undefined;
  private running: Promise<PollResult> | undefined;
  private stopped = false;
  private readonly keep: number;

  constructor(private readonly o: FollowerOptions) {
    this.keep = Math.max(2, o.keep ?? 144);
  }

  /** Listeners are called in the order they were added (disconnections in reverse order). */
  addListener(l: ChainListener): void {
    this.listeners.push(l);
  }

  /** The listeners, in order (ChainService shows them the transactions it broadcasts). */
  get listening(): readonly ChainListener[] {
    return this.listeners;
  }

  /** The last block every listener has taken; undefined before the first poll. */
  get height(): number | undefined {
    return this.state?.height;
  }

  /** The hash of the last block connected, if known. */
  get tipHash(): string | undefined {
    return this.state?.hashes.at(-1);
  }

  /**
   * Fixes where following starts (the stored place, or on a first start the tip now) without
   * connecting anything: whatever is mined after this is connected, even before the first poll.
   */
  async prepare(): Promise<void> {
    this.state ??= await (this.starting ??= this.start().finally(() => (this.starting = undefined)));
  }

  /** Ends a poll in progress after its current block (the next poll runs as usual). */
  stop(): void {
    if (this.running) this.stopped = true;
  }

  /**
   * Brings the listeners up to the backend's tip. One poll at a time: a call during a poll gets
   * that poll's result. Throws what the backend or a listener threw; the blocks connected before
   * stay connected, and the next poll goes on from there.
   */
  poll(): Promise<PollResult> {
    if (this.running) return this.running;
    const p = this.run().finally(() => {
      this.stopped = false;
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }

  private async start(): Promise<FollowerState> {
    const loaded = await this.o.store?.load();
    const stored =
      loaded && Number.isSafeInteger(loaded.height) && loaded.height >= -1 && Array.isArray(loaded.hashes)
        ? { height: loaded.height, hashes: loaded.hashes.slice(-this.keep) }
        : undefined;
    if (stored && this.o.rescan === undefined) return stored;
    const tip = (await this.o.backend.getchaininfo()).blockcount;
    let height: number;
    let hashes: string[] = [];
    if (this.o.rescan !== undefined) {
      const from = stored?.height ?? tip;
      const r = this.o.rescan;
      height = Math.max(-1, Math.min(from, r < 0 ? -r - 1 : from - r));
      // The hashes kept below the new height still guard against a reorganisation there.
      if (stored) hashes = stored.hashes.slice(0, Math.max(0, stored.hashes.length - (stored.height - height)));
    } else {
      // From startHeight (waiting for it when the chain is not there yet), else after the tip.
      height = (this.o.startHeight ?? tip + 1) - 1;
    }
    if (!hashes.length && height >= 0 && height <= tip) {
      const hash = await this.hashAt(height);
      if (hash) hashes = [hash];
    }
    const s = { height, hashes };
    await this.o.store?.save(s);
    return s;
  }

  private async hashAt(height: number): Promise<string | undefined> {
    const b = this.o.backend;
    return b.getblockhash ? b.getblockhash(height) : (await b.getrawblockbyheight(height))?.blockhash;
  }

  private async run(): Promise<PollResult> {
    await this.prepare();
    const s = this.state!;
    const out: PollResult = { height: s.height, connected: 0, disconnected: 0 };
    const tip = (await this.o.backend.getchaininfo()).blockcount;
    // A backend behind us (another server that has not seen the last blocks yet) is waited for:
    // the best chain is the one with the most work, never a shorter one.
    while (!this.stopped) {
      const ours = s.hashes.at(-1);
      if (s.height >= tip) {
        // Nothing new: our last block may still have been replaced by another at the same height.
        if (ours !== undefined && s.height === tip) {
          const now = await this.hashAt(s.height);
          if (now !== undefined && now !== ours) {
            await this.disconnect(s);
            out.disconnected++;
            continue;
          }
        }
        break;
      }
      const rb = await this.o.backend.getrawblockbyheight(s.height + 1);
      if (!rb) break; // the tip moved back meanwhile
      const b = parseBlock(rb.block);
      if (b.hash !== rb.blockhash)
        throw new ChainSourceError('bad_block', `block ${s.height + 1}: asked for ${rb.blockhash}, got ${b.hash}`);
      if (ours !== undefined && b.prevHash !== ours) {
        // A reorganisation: our last block is not in the best chain any more.
        await this.disconnect(s);
        out.disconnected++;
        continue;
      }
      const block: ConnectedBlock = {
        height: s.height + 1,
        hash: b.hash,
        prevHash: b.prevHash,
        time: b.time,
        txs: b.txs.map(t => t.raw),
        txids: b.txs.map(t => t.txid),
        inputs: b.txs.map(t => t.inputs),
      };
      for (const l of this.listeners) await l.blockConnected(block);
      s.height = block.height;
      s.hashes.push(b.hash);
      if (s.hashes.length > this.keep) s.hashes.splice(0, s.hashes.length - this.keep);
      await this.o.store?.save({ height: s.height, hashes: [...s.hashes] });
      out.connected++;
    }
    out.height = s.height;
    return out;
  }

  /**
   * Takes our last block back. Past the hashes kept (a reorganisation deeper than `keep`), the
   * follower cannot name the blocks to disconnect: it goes on from the backend's chain as it is.
   */
  private async disconnect(s: FollowerState): Promise<void> {
    const hash = s.hashes.at(-1)!;
    const gone = { height: s.height, hash };
    for (const l of [...this.listeners].reverse()) await l.blockDisconnected(gone);
    s.hashes.pop();
    s.height--;
    await this.o.store?.save({ height: s.height, hashes: [...s.hashes] });
  }
}
