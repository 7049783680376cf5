// A ChainBackend over a chain of real raw blocks held in memory (test/support/raw-block.ts), for the
// tests of the block follower, the watches and lightningd's chain service: blocks mined on demand
// with chosen transactions, reorganisations, corrupt blocks, and a call log.
import type { ChainBackend, ChainInfo, FeeEstimates, RawBlock, SendResult, UtxOut } from '../../src/core/chain/backend.ts';
import { parseBlock } from '../../src/core/chain/block.ts';
import { rawBlock } from './raw-block.ts';

export class MemoryChain implements ChainBackend {
  /** Index = height. */
  readonly blocks: { hash: string; raw: Uint8Array }[] = [];
  /** Transactions mined into the block at a height (when it is mined, or mined again in a reorganisation). */
  readonly txsAt = new Map<number, Uint8Array[]>();
  /** Heights served truncated. */
  readonly corrupt = new Set<number>();
  /** Unspent outputs getutxout answers, by `txid:vout`. */
  readonly utxos = new Map<string, UtxOut>();
  readonly sent: Uint8Array[] = [];
  /** Every call, as `method arg...`. */
  readonly calls: string[] = [];
  chain = 'regtest';
  fees: FeeEstimates = { feerate_floor: 1000, feerates: [] };
  /** Set undefined to be a backend without the optional methods. */
  getblockhash?: (height: number) => Promise<string | undefined> = async h => {
    this.calls.push(`getblockhash ${h}`);
    return this.blocks[h]?.hash;
  };
  gettxidbyposition?: (height: number, txindex: number) => Promise<string | undefined> = async (h, i) => {
    this.calls.push(`gettxidbyposition ${h} ${i}`);
    const b = this.blocks[h];
    return b ? parseBlock(b.raw).txs[i]?.txid : undefined;
  };
  private salt = 0;

  constructor(tip = 0) {
    this.mine(tip);
  }

  get tip(): number {
    return this.blocks.length - 1;
  }

  /** Mines up to height `to`. */
  mine(to: number): void {
    for (let h = this.blocks.length; h <= to; h++)
      this.blocks.push(rawBlock(this.blocks[h - 1]?.hash ?? '00'.repeat(32), h, this.txsAt.get(h) ?? [], this.salt));
  }

  /** Replaces the top `depth` blocks with others (txsAt read again), up to `to` (default one higher than before). */
  reorg(depth: number, to = this.tip + 1): void {
    this.blocks.length = this.tip + 1 - depth;
    this.salt++;
    this.mine(to);
  }

  async getchaininfo(): Promise<ChainInfo> {
    this.calls.push('getchaininfo');
    return { chain: this.chain, headercount: this.tip, blockcount: this.tip, ibd: false };
  }

  async estimatefees(): Promise<FeeEstimates> {
    return this.fees;
  }

  async getrawblockbyheight(h: number): Promise<RawBlock | undefined> {
    this.calls.push(`getrawblockbyheight ${h}`);
    const b = this.blocks[h];
    if (!b) return undefined;
    return { blockhash: b.hash, block: this.corrupt.has(h) ? b.raw.subarray(0, 90) : b.raw };
  }

  async getutxout(txid: string, vout: number): Promise<UtxOut | undefined> {
    this.calls.push(`getutxout ${txid} ${vout}`);
    return this.utxos.get(`${txid}:${vout}`);
  }

  async sendrawtransaction(tx: Uint8Array): Promise<SendResult> {
    this.sent.push(tx);
    return { success: true };
  }
}
