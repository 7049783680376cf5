// gossipd's housekeeping, on its own timers so every runtime (browser Worker, Node worker thread,
// edge) gets it without doing anything: pruning stale channels and compacting the store every hour
// or so, and reading new blocks for spent funding outputs (gossipd.ts `maintain`, `checkSpends`).
// Runs are never concurrent: each job is armed again only once its run has finished, and runs of
// different jobs wait for each other. A failing run is logged, never thrown out of a timer.
import type { Clock, Log } from './types.ts';

export interface MaintenanceJob {
  name: string;
  /** ms between the end of one run and the start of the next; 0 or less: never. */
  everyMs: number;
  /** ms from start to the first run. */
  firstMs: number;
  run(): Promise<void>;
}

export class Maintenance {
  private readonly timers = new Map<MaintenanceJob, unknown>();
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly jobs: readonly MaintenanceJob[],
    private readonly onError: (job: string, e: unknown) => void = () => {},
  ) {
    for (const j of jobs) if (j.everyMs > 0) this.arm(j, j.firstMs);
  }

  /** Stops the timers; resolves once a run under way has finished. */
  close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
    return this.running;
  }

  private arm(j: MaintenanceJob, ms: number): void {
    if (this.closed) return;
    this.timers.set(
      j,
      this.clock.setTimeout(
        () => {
          this.timers.delete(j);
          this.running = this.running.then(async () => {
            if (this.closed) return;
            try {
              await j.run();
            } catch (e) {
              this.onError(j.name, e);
              this.log.warn(`gossipd: ${j.name} failed: ${(e as Error)?.message ?? e}`);
            }
            this.arm(j, j.everyMs);
          });
        },
        Math.max(0, ms),
      ),
    );
  }
}

/**
 * The funding txid of each channel lightningd checked (gossipd_get_txout), kept in the store with
 * its announcement so that after a restart lightningd can watch the output again (the output index
 * is the short_channel_id's, BOLT 7 "Definition of short_channel_id").
 */
export class FundingIndex {
  private readonly byScid = new Map<bigint, string>();

  get size(): number {
    return this.byScid.size;
  }

  add(short_channel_id: bigint, txid: string): void {
    this.byScid.set(short_channel_id, txid);
  }

  /** The funding transaction of a channel, if known. */
  txidOf(short_channel_id: bigint): string | undefined {
    return this.byScid.get(short_channel_id);
  }

  /** Every channel with its funding txid (for lightningd to watch again after a restart). */
  entries(): { short_channel_id: bigint; txid: string }[] {
    return [...this.byScid].map(([short_channel_id, txid]) => ({ short_channel_id, txid }));
  }

  /** Keeps only the channels `keep` accepts (after channels were forgotten). */
  retain(keep: (short_channel_id: bigint) => boolean): void {
    for (const s of this.byScid.keys()) if (!keep(s)) this.byScid.delete(s);
  }
}
