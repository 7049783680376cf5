// A signature verifier for tests that counts what it is asked to check (a restart from the store
// must check none; a sync must check only what it fetched), checking for real in this thread.
import { InlineVerifier, type SigVerifier, type VerifyItem } from '../../src/core/gossip/verify-pool.ts';

export class CountingVerifier implements SigVerifier {
  calls = 0;
  items = 0;
  /** While set, every check waits for it (a slow verifier: gossipd falls behind). */
  gate: Promise<void> | undefined;
  private readonly inner = new InlineVerifier();
  async verifyBatch(items: readonly VerifyItem[]): Promise<Uint8Array> {
    this.calls++;
    this.items += items.length;
    if (this.gate) await this.gate;
    return this.inner.verifyBatch(items);
  }
  async close(): Promise<void> {}
}
