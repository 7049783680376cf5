// The real clock for daemons running in Node (core takes time as an injected interface).
import type { Clock } from '../core/daemons/connectd/types.ts';
import { nodeLog } from './log.ts';

export const nodeClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: h => clearTimeout(h as NodeJS.Timeout),
};

/** A daemon's logger, at the level and to the file `--log-level` and `--log-file` set (src/node/log.ts). */
export const consoleLog = nodeLog;
