// gossipd's sync progress: the state and counts getinfo and the UI's progress bar show, and the
// paced reports to `onProgress`.
import type { Graph } from '../../gossip/graph.ts';
import type { Syncer } from './sync.ts';
import type { Clock, SyncProgress } from './types.ts';

/** onProgress reports at most this often while the state stays the same (ms). */
const PROGRESS_MS = 250;

export interface ProgressDeps {
  graph: Graph;
  syncer: () => Syncer;
  /** gossipd's options: its clock, and whom to tell (read when needed: gossipd builds this before its constructor runs). */
  options: () => { clock: Clock; onProgress?: ((p: SyncProgress) => void) | undefined };
  /**
   * Channels some peer listed (the syncer's `expected`) that the graph does not hold, kept by
   * gossipd as they come and go: walking every listed channel on each report cost more than a fifth
   * of a mainnet sync in Chromium (bench/wire-profile.ts).
   */
  expectedMissing: () => number;
  closed: () => boolean;
}

export class Progress {
  /** reply_short_channel_ids_end received whose answers are not all applied yet: not `synced` before. */
  unapplied = 0;
  private last: { at: number; state: string } | undefined;
  private timer: unknown;

  constructor(private readonly d: ProgressDeps) {}

  progress(): SyncProgress {
    const g = this.d.graph;
    return {
      state: this.state(),
      peers_syncing: this.d.syncer().syncing,
      channels_known: g.channelCount,
      channels_expected: g.channelCount + this.d.expectedMissing(),
      nodes_known: g.nodeCount,
    };
  }

  /** `synced` only once every query's answer has come (the syncer is done) and been applied. */
  state(): SyncProgress['state'] {
    const s = this.d.syncer();
    return s.syncing > 0 || this.unapplied > 0 ? 'syncing' : s.completed > 0 ? 'synced' : 'idle';
  }

  /**
   * Tells `onProgress` (the UI's progress bar): at once when the state changes, otherwise at most
   * every PROGRESS_MS, with a last report after a burst so the final counts always arrive.
   */
  changed(): void {
    const { clock, onProgress } = this.d.options();
    if (!onProgress || this.d.closed()) return;
    // Called for every accepted message: the full report is built only when it is sent.
    const state = this.state();
    const now = clock.now();
    if (!this.last || this.last.state !== state || now - this.last.at >= PROGRESS_MS) {
      this.last = { at: now, state };
      onProgress(this.progress());
      return;
    }
    if (this.timer === undefined) {
      this.timer = clock.setTimeout(
        () => {
          this.timer = undefined;
          this.last = undefined;
          this.changed();
        },
        PROGRESS_MS - (now - this.last.at),
      );
    }
  }

  close(): void {
    if (this.timer !== undefined) this.d.options().clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
