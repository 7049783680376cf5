// lightningd's chain (design.md "Chain, keys and state"): the one ChainBackend of the node, the block
// follower that feeds lightningd's listeners (the watches, the wallet, gossipd's funding outputs),
// the feerates, and broadcasting. No other daemon talks to the chain: gossipd asks lightningd for a
// channel's funding output (Core Lightning's `gossipd_get_txout`) and is told when one is spent
// (`gossipd_outpoints_spent`), as Core Lightning's lightningd/gossip_control.c does.
import type { ChainBackend, ChainListener, SendResult } from '../../chain/backend.ts';
import { parseBlock } from '../../chain/block.ts';
import { bitcoindChainName, type NetworkName } from '../../chain/chains.ts';
import { ChainSourceError } from '../../chain/errors.ts';
import { feeratesWithFloor, type Feerates } from '../../chain/fees.ts';
import { BlockFollower, type FollowerStore, type PollResult } from '../../chain/follow.ts';
import { ChainWatches } from '../../chain/watch.ts';
import { scidParts } from '../../wire/scid.ts';
import type { Clock, Log } from '../connectd/types.ts';
import type { ChainLink, Txout } from '../gossipd/types.ts';
import type { LightningdDb } from './db.ts';

/** What lightningd tells gossipd about the chain (Core Lightning's gossipd_outpoints_spent, and its undoing in a reorganisation). */
export interface GossipdChainApi {
  /** The funding outputs of these channels were spent in the block at `blockheight`; also: the chain is at `blockheight` now. */
  outpointsSpent(short_channel_ids: bigint[], blockheight: number): unknown;
  /** The block at `blockheight` was disconnected: these channels' funding outputs are unspent again. */
  outpointsUnspent(short_channel_ids: bigint[], blockheight: number): unknown;
}

export interface ChainServiceOptions {
  backend: ChainBackend;
  /** Our network: the backend must follow the same chain. */
  network: NetworkName;
  clock: Clock;
  log: Log;
  /** Where the follower records the last block every listener took (lightningd's database). */
  store?: FollowerStore;
  /** How often the backend is asked for new blocks (default 30 s, as Core Lightning polls bitcoind). */
  pollIntervalMs?: number;
  /** A first start follows from this height (default: the block after the tip). */
  startHeight?: number;
  /** Core Lightning's --rescan (BlockFollower's `rescan`). */
  rescan?: number;
  /** For getinfo (e.g. `esplora https://...`). */
  description?: string;
}

/** Blocks whose txids are kept when the backend has no gettxidbyposition (each read whole). */
const TXID_BLOCKS_KEPT = 8;

export class ChainService {
  readonly watches = new ChainWatches();
  readonly follower: BlockFollower;
  /** gossipd's link (ChainLink): its only way to the chain. */
  readonly gossipLink: ChainLink;
  private gossipd: GossipdChainApi | undefined;
  /** Spends (and reorganised-out spends) of gossip funding outputs for the block being connected (disconnected). */
  private spentNow: bigint[] = [];
  private unspentNow: bigint[] = [];
  private readonly blockTxids = new Map<number, { hash: string; txids: string[] }>();
  private timer: unknown;
  private stopped = true;
  private checked: Promise<void> | undefined;
  private lastFeerates: Feerates | undefined;

  constructor(private readonly o: ChainServiceOptions) {
    this.follower = new BlockFollower({
      backend: o.backend,
      ...(o.store ? { store: o.store } : {}),
      ...(o.startHeight !== undefined ? { startHeight: o.startHeight } : {}),
      ...(o.rescan !== undefined ? { rescan: o.rescan } : {}),
    });
    // The watches, then gossipd told what they saw in that block (also on the way back: the
    // follower disconnects listeners in reverse order, and gossipd must hear after the watches).
    this.follower.addListener({
      blockConnected: async b => {
        await this.watches.blockConnected(b);
        // Dropped only once gossipd has them: a failure replays the block, and the watches report a spend once.
        await this.gossipd?.outpointsSpent(this.spentNow, b.height);
        this.spentNow = [];
      },
      blockDisconnected: async b => {
        await this.watches.blockDisconnected(b);
        await this.gossipd?.outpointsUnspent(this.unspentNow, b.height);
        this.unspentNow = [];
      },
    });
    this.gossipLink = {
      getTxout: s => this.getTxout(s),
      watchTxouts: outs => this.watchTxouts(outs),
      ...(o.description ? { description: o.description } : {}),
    };
  }

  get description(): string {
    return this.o.description ?? 'chain backend';
  }

  /** The last block every listener took (getinfo's `blockheight`); 0 before the first. */
  get blockheight(): number {
    return Math.max(0, this.follower.height ?? 0);
  }

  /** The wallet and the channels follow the chain too (after the watches and gossipd, in the order added). */
  addListener(l: ChainListener): void {
    this.follower.addListener(l);
  }

  attachGossipd(g: GossipdChainApi): void {
    this.gossipd = g;
  }

  /** Follows the chain: a poll now, then every `pollIntervalMs`. A backend on another chain stops it (logged). */
  /**
   * Fixes where the follower starts (one getchaininfo on a first start), so that blocks mined once
   * the node is up are followed even if the first poll has not run yet (an address handed out and
   * paid at once). Gives up after `ms` (a backend that is down delays nothing more); the poll does it then.
   */
  async prepare(ms: number): Promise<void> {
    let timer: unknown;
    await Promise.race([
      this.follower.prepare().catch(e => this.o.log.warn(`chain: ${e instanceof Error ? e.message : String(e)}`)),
      new Promise<void>(r => (timer = this.o.clock.setTimeout(r, ms))),
    ]);
    this.o.clock.clearTimeout(timer);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.follower.stop();
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One poll to the backend's tip (tests, and `start`). */
  async sync(): Promise<PollResult> {
    await this.checkChain();
    return this.follower.poll();
  }

  /**
   * Core Lightning's gossipd_get_txout: the unspent output a short_channel_id names (BOLT 7 "Definition
   * of short_channel_id": block height, transaction index, output index), or undefined when there is
   * no such block, transaction or output, or it is spent. A P2WSH output found is watched from then on,
   * and gossipd told when it is spent. Throws ChainSourceError when the backend cannot answer.
   */
  async getTxout(short_channel_id: bigint): Promise<Txout | undefined> {
    await this.checkChain();
    const { block, txindex, outnum } = scidParts(short_channel_id);
    const txid = await this.txidAt(block, txindex);
    if (txid === undefined) return undefined;
    const out = await this.o.backend.getutxout(txid, outnum);
    if (!out) return undefined;
    // BOLT 3 "Funding Transaction Output": P2WSH. Other outputs are no channel's; not watched.
    if (out.script.length === 34 && out.script[0] === 0x00 && out.script[1] === 0x20) this.watchFunding(short_channel_id, txid);
    return { amount_sat: out.amount_sat, script: out.script, txid };
  }

  /** The funding outputs gossipd kept from an earlier run: watched again for their spends. */
  watchTxouts(outs: readonly { short_channel_id: bigint; txid: string }[]): void {
    for (const o of outs) if (/^[0-9a-f]{64}$/.test(o.txid)) this.watchFunding(o.short_channel_id, o.txid);
  }

  /** Feerates with Core Lightning's floor (perkw); the last good answer when the backend cannot give one, else the floor. */
  async feerates(): Promise<Feerates> {
    try {
      this.lastFeerates = feeratesWithFloor(await this.o.backend.estimatefees());
    } catch (e) {
      if (!(e instanceof ChainSourceError)) throw e;
      this.o.log.warn(`chain: estimatefees: ${e.message}`);
    }
    return this.lastFeerates ?? feeratesWithFloor({ feerate_floor: 0, feerates: [] });
  }

  /** Broadcasts; an accepted transaction is shown to the listeners (txSeen) before the answer. */
  async sendrawtransaction(tx: Uint8Array, allowhighfees?: boolean): Promise<SendResult> {
    const r = await this.o.backend.sendrawtransaction(tx, allowhighfees);
    if (r.success) for (const l of this.follower.listening) await l.txSeen?.(tx);
    return r;
  }

  /** A package (submitpackage); without one at the backend, each transaction alone. Accepted ones are shown as sendrawtransaction's. */
  async submitpackage(txs: Uint8Array[]): Promise<SendResult> {
    const b = this.o.backend;
    if (!b.submitpackage) {
      for (const tx of txs) {
        const r = await this.sendrawtransaction(tx);
        if (!r.success) return r;
      }
      return { success: true };
    }
    const r = await b.submitpackage(txs);
    if (r.success) for (const tx of txs) for (const l of this.follower.listening) await l.txSeen?.(tx);
    return r;
  }

  // ------------------------------------------------------------------ internals

  private watchFunding(short_channel_id: bigint, txid: string): void {
    const vout = scidParts(short_channel_id).outnum;
    this.watches.watchOutput(txid, vout, {
      spent: () => void this.spentNow.push(short_channel_id),
      unspent: () => void this.unspentNow.push(short_channel_id),
    });
  }

  private async txidAt(height: number, txindex: number): Promise<string | undefined> {
    const b = this.o.backend;
    if (b.gettxidbyposition) return b.gettxidbyposition(height, txindex);
    const hit = this.blockTxids.get(height);
    if (hit && (!b.getblockhash || (await b.getblockhash(height)) === hit.hash)) return hit.txids[txindex];
    const raw = await b.getrawblockbyheight(height);
    if (!raw) return undefined;
    const p = parseBlock(raw.block);
    const txids = p.txs.map(t => t.txid);
    this.blockTxids.set(height, { hash: p.hash, txids });
    while (this.blockTxids.size > TXID_BLOCKS_KEPT) this.blockTxids.delete(this.blockTxids.keys().next().value!);
    return txids[txindex];
  }

  /** Once: the backend must be on our network (Core Lightning refuses a bitcoind on another chain). */
  private checkChain(): Promise<void> {
    const p = (this.checked ??= (async () => {
      const info = await this.o.backend.getchaininfo();
      const want = bitcoindChainName(this.o.network);
      if (info.chain !== want) throw new ChainSourceError('wrong_chain', `the chain backend follows ${info.chain}, not ${want}`);
    })());
    // A failure to ask is asked again next time; a wrong chain stays wrong.
    p.catch(e => {
      if (!(e instanceof ChainSourceError && e.code === 'wrong_chain')) this.checked = undefined;
    });
    return p;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    try {
      const r = await this.sync();
      if (r.disconnected) this.o.log.info(`chain: reorganisation: ${r.disconnected} blocks disconnected, now at ${r.height}`);
    } catch (e) {
      if (e instanceof ChainSourceError && e.code === 'wrong_chain') {
        this.o.log.warn(`chain: ${e.message}: not following it`);
        this.stopped = true;
        return;
      }
      this.o.log.warn(`chain: following blocks: ${(e as Error)?.message ?? e}`);
    }
    this.schedule(this.o.pollIntervalMs ?? 30_000);
  }
}

/** The follower's state kept in lightningd's database, saved (atomically, with the rest) after each block. */
export function dbFollowerStore(db: LightningdDb): FollowerStore {
  return { load: async () => db.chainState(), save: s => db.setChainState(s) };
}
