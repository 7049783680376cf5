// Logging for the Node daemon as Core Lightning's `--log-level` and `--log-file`: levels io, debug,
// info, unusual, broken; lines `TIME LEVEL prefix: message` on stderr, or appended to the log file.
// Each worker thread gets the same settings through its workerData and writes the file itself.
import { openSync, writeSync } from 'node:fs';
import { isMainThread, workerData } from 'node:worker_threads';
import type { Log } from '../core/node/daemon.ts';

export const LOG_LEVELS = ['io', 'debug', 'info', 'unusual', 'broken'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogConfig {
  level: LogLevel;
  /** Absolute path; none: stderr. */
  file?: string;
}

/** A daemon's logger, as core takes it. */
export type Logger = Log;

function fromEnv(): LogConfig {
  const env = process.env.BOLTWORKER_LOG;
  const level = env === 'warn' ? 'unusual' : (LOG_LEVELS as readonly string[]).includes(env ?? '') ? (env as LogLevel) : 'info';
  return { level };
}

let config: LogConfig = (!isMainThread && (workerData as { log?: LogConfig } | null)?.log) || fromEnv();
let fd: number | undefined;

/** Main thread: set before the daemons start (they get a copy through spawnDaemon). */
export function setLogConfig(c: LogConfig): void {
  config = c;
  fd = undefined;
  if (c.file) fd = openSync(c.file, 'a', 0o600);
}

export function logConfig(): LogConfig {
  return config;
}

function write(line: string): void {
  if (config.file && fd === undefined) fd = openSync(config.file, 'a', 0o600);
  if (fd !== undefined) writeSync(fd, line);
  else process.stderr.write(line);
}

export function nodeLog(prefix: string): Logger {
  const out = (l: LogLevel, m: string) => {
    if (LOG_LEVELS.indexOf(l) >= LOG_LEVELS.indexOf(config.level))
      write(`${new Date().toISOString()} ${l.toUpperCase().padEnd(7)} ${prefix}: ${m}\n`);
  };
  return { debug: m => out('debug', m), info: m => out('info', m), warn: m => out('unusual', m) };
}
