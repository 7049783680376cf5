// gossipd's writes to its store, in order: accepted gossip is queued and written in batches (a
// batch at `storeBatchMax` records or `storeFlushMs` after the first, one transaction each, so a
// mainnet sync is a few hundred writes, not 170,000), and deletes and compactions wait their turn
// behind what is queued. A failed write is logged, not thrown: the graph keeps what it has, and
// what the store lost is fetched from peers again after a restart.
import type { GossipKey, GossipKeyRef, GossipRecord, GossipRecordType, GossipStore } from '../../gossip/store.ts';
import type { Clock, Log } from './types.ts';

export interface StoreWriterOptions {
  store: GossipStore;
  clock: Clock;
  log: Log;
  batchMax: number;
  flushMs: number;
  /** Called with the number of records each successful batch wrote. */
  stored(n: number): void;
}

export class StoreWriter {
  private buffer: GossipRecord[] = [];
  /** Batches handed to the store and not yet written. */
  private inFlight = new Set<GossipRecord[]>();
  /**
   * The newest record queued or in flight for each key, by type then key, kept as records are
   * queued and written, so that read() looks keys up without building anything.
   */
  private pending = new Map<GossipRecordType, Map<GossipKey, GossipRecord>>();
  private timer: unknown;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: StoreWriterOptions) {}

  /** Queues a record; written with the next batch. */
  queue(rec: GossipRecord): void {
    this.buffer.push(rec);
    let byKey = this.pending.get(rec.type);
    if (!byKey) this.pending.set(rec.type, (byKey = new Map()));
    byKey.set(rec.key, rec);
    if (this.buffer.length >= this.o.batchMax) void this.flush();
    else if (this.timer === undefined) {
      this.timer = this.o.clock.setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.o.flushMs);
    }
  }

  /** Writes what is queued now; resolves once it and everything before it is done. */
  flush(): Promise<void> {
    this.stopTimer();
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length) {
      this.inFlight.add(batch);
      this.chain = this.chain.then(async () => {
        try {
          await this.o.store.writeBatch(batch);
          this.o.stored(batch.length);
        } catch (e) {
          this.o.log.warn(`gossipd: gossip store write of ${batch.length} records failed: ${(e as Error)?.message ?? e}`);
        } finally {
          this.inFlight.delete(batch);
          // A key queued again since stays pending: its newer record is in a later batch.
          for (const r of batch) {
            const byKey = this.pending.get(r.type);
            if (byKey?.get(r.key) === r) byKey.delete(r.key);
          }
        }
      });
    }
    return this.chain;
  }

  /**
   * The raw messages of these keys as they will be once everything queued is written: the store's
   * (GossipStore.read), or the newer record still queued or being written. Waits for no write.
   */
  async read(keys: readonly GossipKeyRef[]): Promise<(Uint8Array | undefined)[]> {
    const got = await this.o.store.read(keys);
    // Looked at only now: a batch still in flight here was queued in the store after this read.
    if (this.buffer.length === 0 && this.inFlight.size === 0) return got;
    for (let i = 0; i < keys.length; i++) {
      const r = this.pending.get(keys[i]!.type)?.get(keys[i]!.key);
      if (r) got[i] = r.raw;
    }
    return got;
  }

  /** Runs `fn` on the store after everything queued so far; a failure is logged as `what` and swallowed. */
  async after(what: string, fn: (store: GossipStore) => Promise<void>): Promise<boolean> {
    await this.flush();
    let ok = true;
    this.chain = this.chain.then(async () => {
      try {
        await fn(this.o.store);
      } catch (e) {
        ok = false;
        this.o.log.warn(`gossipd: ${what} failed: ${(e as Error)?.message ?? e}`);
      }
    });
    await this.chain;
    return ok;
  }

  /** Stops the flush timer (what is queued stays queued; call flush() first to keep it). */
  stopTimer(): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
