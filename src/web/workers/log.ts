// Console logging for the daemons in the browser, one prefix per daemon.
import type { Log } from '../../core/daemons/connectd/types.ts';
import type { LogLevel } from '../worker-api.ts';

const RANK = { debug: 0, info: 1, warn: 2, silent: 3 } as const;

export function consoleLog(prefix: string, level: LogLevel = 'info'): Log {
  const min = RANK[level] ?? RANK.info;
  return {
    debug: m => void (min <= RANK.debug && console.debug(`${prefix}: ${m}`)),
    info: m => void (min <= RANK.info && console.info(`${prefix}: ${m}`)),
    warn: m => void (min <= RANK.warn && console.warn(`${prefix}: ${m}`)),
  };
}
