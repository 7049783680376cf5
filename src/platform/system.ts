// The system's clock, random source and console logger for the daemons, the same in every runtime
// (browser Workers, worker threads, workerd, Deno); core takes each as an injected interface.
import type { Clock, Log } from '../core/node/daemon.ts';

/**
 * The global timers, bound (a browser's `setTimeout` called on another `this` throws "Illegal
 * invocation"). Where a timer can be unref'd (Node), it does not keep the process alive.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t: unknown = setTimeout(fn, ms);
    if (typeof t === 'object' && t !== null && 'unref' in t && typeof t.unref === 'function') t.unref();
    return t;
  },
  clearTimeout: h => clearTimeout(h as Parameters<typeof clearTimeout>[0]),
};

/** A CSPRNG: crypto.getRandomValues fills at most 65,536 bytes a call. */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** A random signed 32-bit integer (seeds tiny-secp256k1's context blinding; our build ignores it). */
export function randomInt32(): number {
  return crypto.getRandomValues(new Int32Array(1))[0]!;
}

export type ConsoleLevel = 'debug' | 'info' | 'warn' | 'silent';

const RANK = { debug: 0, info: 1, warn: 2, silent: 3 } as const;

/** Console logging, one prefix per daemon, from `level` up. */
export function consoleLog(prefix: string, level: ConsoleLevel = 'info'): Log {
  const min = RANK[level] ?? RANK.info;
  return {
    debug: m => void (min <= RANK.debug && console.debug(`${prefix}: ${m}`)),
    info: m => void (min <= RANK.info && console.info(`${prefix}: ${m}`)),
    warn: m => void (min <= RANK.warn && console.warn(`${prefix}: ${m}`)),
  };
}
