// A minimal block follower for the wallet's tests (the chain helper builds the node's own): brings
// a ChainListener to the backend's tip, disconnecting its stale blocks first (tip down) when the
// chain reorganised, then connecting the new ones in height order.
import type { ChainBackend, ChainListener } from '../../src/core/chain/backend.ts';
import { decodeBlock } from '../../src/regtest/block.ts';

export class TestFollower {
  private readonly known: { height: number; hash: string }[];
  constructor(
    private readonly backend: ChainBackend,
    private readonly listener: ChainListener,
    /** Blocks the listener already has, oldest first (Wallet.recentBlocks()). */
    known: { height: number; hash: string }[] = [],
    /** Where to start when `known` is empty. */
    private readonly fromHeight = 0,
  ) {
    this.known = [...known];
  }

  async sync(): Promise<number> {
    for (;;) {
      const top = this.known[this.known.length - 1];
      if (!top) break;
      const b = await this.backend.getrawblockbyheight(top.height);
      if (b?.blockhash === top.hash) break;
      await this.listener.blockDisconnected(top);
      this.known.pop();
    }
    let connected = 0;
    for (;;) {
      const top = this.known[this.known.length - 1];
      const height = top ? top.height + 1 : this.fromHeight;
      const b = await this.backend.getrawblockbyheight(height);
      if (!b) return connected;
      const block = decodeBlock(b.block);
      // The chain moved under us: find the fork point again.
      if (top && block.header.prevHash !== top.hash) return connected + (await this.sync());
      await this.listener.blockConnected({
        height,
        hash: block.hash,
        prevHash: block.header.prevHash,
        time: block.header.time,
        txs: block.txs.map(t => t.raw),
      });
      this.known.push({ height, hash: block.hash });
      connected++;
    }
  }
}
