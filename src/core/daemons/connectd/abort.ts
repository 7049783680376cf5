// The part of AbortController connectd needs to cancel a dial (src/core has no DOM types). It
// follows the DOM's behaviour: listeners run once, on the first abort only.
import type { AbortSignalLike } from '../../net/transport.ts';

class Signal implements AbortSignalLike {
  aborted = false;
  private listeners: (() => void)[] = [];
  addEventListener(type: 'abort', fn: () => void): void {
    if (type === 'abort' && !this.aborted) this.listeners.push(fn);
  }
  fire(): void {
    if (this.aborted) return;
    this.aborted = true;
    const fns = this.listeners;
    this.listeners = [];
    for (const fn of fns) {
      try {
        fn();
      } catch {
        // A dialer's abort handler failing must not stop the others, nor reach connectd.
      }
    }
  }
}

export class AbortControl {
  private readonly s = new Signal();
  get signal(): AbortSignalLike {
    return this.s;
  }
  abort(): void {
    this.s.fire();
  }
}
