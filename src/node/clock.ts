// The real clock for daemons running in Node (core takes time as an injected interface).
import type { Clock } from '../core/daemons/connectd/types.ts';

export const nodeClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export function consoleLog(prefix: string, level: 'debug' | 'info' | 'warn' = (process.env.BOLTWORKER_LOG as 'debug') ?? 'info') {
  const rank = { debug: 0, info: 1, warn: 2 } as const;
  const out = (l: keyof typeof rank, m: string) => {
    if (rank[l] >= rank[level]) process.stderr.write(`${new Date().toISOString()} ${l.toUpperCase()} ${prefix}: ${m}\n`);
  };
  return { debug: (m: string) => out('debug', m), info: (m: string) => out('info', m), warn: (m: string) => out('warn', m) };
}
