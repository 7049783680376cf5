// A clock for the injected `Clock` interface of the daemons: time moves only when a test says so.
import { settle } from './memory-stream.ts';

interface Timer {
  at: number;
  id: number;
  fn: () => void;
}

export class FakeClock {
  private t = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + Math.max(0, ms), id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order, each at its own time, and letting the
   * asynchronous work each one starts run to the end (settle) before the next fires.
   */
  async tick(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const x of this.timers.values()) if (x.at <= end && (!next || x.at < next.at || (x.at === next.at && x.id < next.id))) next = x;
      if (!next) break;
      this.timers.delete(next.id);
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}
