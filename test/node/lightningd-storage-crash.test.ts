// Crash safety of lightningd's database in Node: a child process (fixtures/lightningd-db-writer.ts)
// writes batches through LightningdDb and FileLightningdStorage (compacting often) and is killed
// with SIGKILL at a random moment, again and again. After each kill the database must load with
// every batch whole or absent (lightningdCrashCheck: the records of one batch agree), nothing the
// child acknowledged lost, and the next child must carry on from there. A SIGKILL leaves the page
// cache whole, so every other round also plays a power cut: the log is cut at a random length past
// what the child last reported durable, leaving a torn last line to recover from.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { existsSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LightningdDb } from '../../src/core/daemons/lightningd/db.ts';
import { FileLightningdStorage, LIGHTNINGD_FILES } from '../../src/node/lightningd-storage.ts';
import { lightningdCrashCheck } from '../core/lightningd-storage-contract.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const ROUNDS = Number(process.env['LIGHTNINGD_CRASH_ROUNDS'] ?? 12);
const child = fileURLToPath(new URL('./fixtures/lightningd-db-writer.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ld-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const logPath = join(dir, LIGHTNINGD_FILES.log);

interface Round {
  ready: number;
  acked: number;
  /** The log's length when the child last acknowledged (everything before it fsynced), -1 before any. */
  durable: number;
  signal: string | null;
}

/** Runs the child until a random moment after its first acknowledged batch, then SIGKILLs it. */
function runAndKill(): Promise<Round> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const round: Round = { ready: -1, acked: -1, durable: -1, signal: null };
    let timer: ReturnType<typeof setTimeout> | undefined;
    createInterface({ input: p.stdout }).on('line', line => {
      const [word, arg, bytes] = line.split(' ');
      if (word === 'ready') round.ready = Number(arg);
      else if (word === 'ack') {
        round.acked = Number(arg);
        round.durable = Number(bytes);
        timer ??= setTimeout(() => p.kill('SIGKILL'), Math.random() * 400);
      } else if (word === 'bad') reject(new Error(`the child found a bad database: ${line}`));
    });
    p.on('error', reject);
    // 'close', not 'exit': every line the child wrote has been read by then.
    p.on('close', (_code, signal) => {
      clearTimeout(timer);
      round.signal = signal;
      resolve(round);
    });
  });
}

describe('FileLightningdStorage under SIGKILL', () => {
  it(`keeps every acknowledged batch and no partial one across ${ROUNDS} kills`, { timeout: 600_000 }, async () => {
    let next = 0;
    let cuts = 0;
    let unacked = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const r = await runAndKill();
      equal(r.signal, 'SIGKILL', `round ${round}: the child ended by itself`);
      equal(r.ready, next, `round ${round}: the child resumed at ${r.ready}, the database ended at ${next - 1}`);
      ok(r.acked >= 0, `round ${round}: nothing acknowledged`);
      const size = existsSync(logPath) ? statSync(logPath).size : 0;
      if (round % 2 === 1 && size > r.durable + 1) {
        truncateSync(logPath, r.durable + 1 + Math.floor(Math.random() * (size - r.durable - 1)));
        cuts++;
      }
      const db = new LightningdDb(new FileLightningdStorage(dir));
      await db.load();
      const v = lightningdCrashCheck(db, r.acked);
      deepEqual(v.problems, [], `round ${round}: the database after the kill`);
      unacked += v.last - r.acked;
      next = v.last + 1;
    }
    console.log(
      `# ${ROUNDS} SIGKILL rounds: ${next} iterations; ${cuts} power cuts played; ${unacked} first batches written but not yet acknowledged`,
    );
    const last = await runAndKill();
    equal(last.ready, next);
  });
});
