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
 * Funding outpoints gossipd watches for spends: txid → the short_channel_id(s) funded by it (the
 * output index is the short_channel_id's, BOLT 7 "Definition of short_channel_id"). Keyed by txid
 * alone so the txid string is the only copy; a transaction funding several channels (a batch
 * open) maps to a list.
 */
export class FundingIndex {
  private readonly byTxid = new Map<string, bigint | bigint[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(short_channel_id: bigint, txid: string): void {
    const have = this.byTxid.get(txid);
    if (have === undefined) this.byTxid.set(txid, short_channel_id);
    else if (typeof have === 'bigint') {
      if (have === short_channel_id) return;
      this.byTxid.set(txid, [have, short_channel_id]);
    } else {
      if (have.includes(short_channel_id)) return;
      have.push(short_channel_id);
    }
    this.count++;
  }

  /** The channel funded by output `vout` of `txid`, if watched. */
  match(txid: string, vout: number): bigint | undefined {
    const have = this.byTxid.get(txid);
    if (have === undefined) return undefined;
    for (const s of typeof have === 'bigint' ? [have] : have) if (Number(s & 0xffffn) === vout) return s;
    return undefined;
  }

  /** Keeps only the channels `keep` accepts (after channels were forgotten). */
  retain(keep: (short_channel_id: bigint) => boolean): void {
    for (const [txid, have] of this.byTxid) {
      const list = (typeof have === 'bigint' ? [have] : have).filter(keep);
      this.count -= (typeof have === 'bigint' ? 1 : have.length) - list.length;
      if (!list.length) this.byTxid.delete(txid);
      else this.byTxid.set(txid, list.length === 1 ? list[0]! : list);
    }
  }
}
