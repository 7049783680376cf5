// Crash safety of the file-backed gossip store: a child process ingests a stream of batches
// (test/node/fixtures/gossip-store-ingest.ts) and is killed with SIGKILL at a random moment, again
// and again. After each kill the store must load; every record must be intact; every batch the child
// acknowledged (after its fsync) must be there whole; no batch may be there in part; and the next
// child must carry on from where the store ends. A SIGKILL leaves the page cache whole, so in half
// of the rounds the test also plays a power cut: it cuts the file at a random length past the last
// fsync the child reported (what a power cut may lose), which leaves a torn tail to recover from.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileGossipStore } from '../../src/node/gossip-store-file.ts';
import type { GossipRecord } from '../../src/core/gossip/store.ts';
import { verifyStore } from '../core/gossip-store-workload.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const ROUNDS = 20;
const child = fileURLToPath(new URL('./fixtures/gossip-store-ingest.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gossip-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Round {
  ready: number;
  acked: number;
  /** The file length the child last reported durable (after an fsync), -1 before any. */
  durable: number;
  compacting: boolean;
  signal: string | null;
}

/** Runs the child until a random moment after it is ready (or inside a compaction), then SIGKILLs it. */
function runAndKill(path: string, killInCompaction: boolean): Promise<Round> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const round: Round = { ready: -1, acked: -1, durable: -1, compacting: false, signal: null };
    let buf = '';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const kill = (): void => {
      p.kill('SIGKILL');
    };
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [word, arg, bytes] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (word === 'ready') {
          round.ready = Number(arg);
          if (!killInCompaction) timer = setTimeout(kill, Math.random() * 250);
        } else if (word === 'ack') {
          round.acked = Number(arg);
          round.durable = Number(bytes);
        } else if (word === 'compacting') {
          round.compacting = true;
          if (killInCompaction && !timer) timer = setTimeout(kill, Math.random() * 15);
        } else if (word === 'compacted') {
          round.compacting = false;
          round.durable = Number(bytes);
        } else if (word === 'bad') {
          reject(new Error(`the child found a bad store: ${arg}`));
        }
      }
    });
    p.on('error', reject);
    p.on('exit', (_code, signal) => {
      clearTimeout(timer);
      round.signal = signal;
      resolve(round);
    });
  });
}

async function loadAndVerify(path: string, acked: number): Promise<{ next: number; discarded: number; live: number }> {
  const store = await FileGossipStore.open(path);
  const records: GossipRecord[] = [];
  const res = await store.load(r => records.push(r));
  await store.close();
  const v = verifyStore(records, acked);
  deepEqual(v.problems, [], 'store after the kill');
  equal(res.live, records.length);
  return { next: v.next, discarded: res.discarded, live: records.length };
}

describe('FileGossipStore under SIGKILL', () => {
  it(`keeps every acknowledged batch and no partial one across ${ROUNDS} kills`, async () => {
    const path = join(dir, 'gossip_store');
    let next = 0;
    let torn = 0;
    let inCompaction = 0;
    let unacked = 0;
    let cuts = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const r = await runAndKill(path, round % 4 === 3);
      equal(r.signal, 'SIGKILL', `round ${round}: the child ended by itself`);
      equal(r.ready, next, `round ${round}: the child resumed at ${r.ready}, the store ended at ${next - 1}`);
      // A power cut loses some of what was written after the last fsync (never inside a compaction:
      // its new file was fsynced whole before the rename, the old one is whole too).
      const size = statSync(path).size;
      if (round % 2 === 1 && !r.compacting && r.durable > 0 && size > r.durable) {
        truncateSync(path, r.durable + Math.floor(Math.random() * (size - r.durable)));
        cuts++;
      }
      const v = await loadAndVerify(path, r.acked);
      ok(v.next >= r.acked + 1 && v.next >= r.ready);
      if (v.discarded > 0) torn++;
      if (r.compacting) inCompaction++;
      unacked += v.next - (r.acked >= 0 ? r.acked + 1 : r.ready);
      next = v.next;
    }
    ok(next > ROUNDS, `only ${next} batches were written`);
    console.log(
      `# ${ROUNDS} SIGKILL rounds: ${next} batches, ${(statSync(path).size / 1e6).toFixed(1)} MB; ${cuts} power cuts played; ` +
        `${torn} loads cut a torn tail, ${inCompaction} kills inside a compaction, ${unacked} batches committed but not yet acknowledged`,
    );
    // A last child runs to its ready line: ingestion resumes after the final kill.
    const last = await runAndKill(path, false);
    equal(last.ready, next);
  });
});
