// Crash safety of the IndexedDB gossip store in Chromium: a module Worker ingests batches and is
// terminated (worker.terminate()) at a random moment, again and again. After each termination the
// database is opened again, alternately from this page and from a new Worker: every record intact,
// every acknowledged batch whole, no batch in part, and the next Worker carries on where it ends.
import { openIdbGossipStore } from '../../src/web/gossip-store-idb.ts';
import type { GossipRecord } from '../../src/core/gossip/store.ts';
import { verifyStore, type Verdict } from '../core/gossip-store-workload.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const ROUNDS = 20;
const WORKER_URL = new URL('./fixtures/idb-ingest-worker.ts', import.meta.url);

function startWorker(): Worker {
  return new Worker(WORKER_URL, { type: 'module' });
}

interface Round {
  ready: number;
  acked: number;
  /** The last batch the worker said it started writing. */
  writing: number;
  /** Terminated while a compaction was under way. */
  compacting: boolean;
  compactions: number;
}

/** Starts an ingesting Worker, terminates it at a random moment after it is ready. */
function ingestAndTerminate(name: string): Promise<Round> {
  return new Promise((resolve, reject) => {
    const w = startWorker();
    const round: Round = { ready: -1, acked: -1, writing: -1, compacting: false, compactions: 0 };
    w.onerror = e => reject(new Error(`worker error: ${e.message}`));
    w.onmessage = (
      e: MessageEvent<{ ready?: number; writing?: number; ack?: number; compacting?: number; compacted?: number; error?: string }>,
    ) => {
      const m = e.data;
      if (m.error !== undefined) {
        w.terminate();
        reject(new Error(m.error));
      } else if (m.ready !== undefined) {
        round.ready = m.ready;
        setTimeout(() => {
          w.terminate(); // messages posted after this are never delivered: `acked` is what we saw
          resolve(round);
        }, Math.random() * 300);
      } else if (m.writing !== undefined) {
        round.writing = m.writing;
      } else if (m.ack !== undefined) {
        round.acked = m.ack;
      } else if (m.compacting !== undefined) {
        round.compacting = true;
      } else if (m.compacted !== undefined) {
        round.compacting = false;
        round.compactions++;
      }
    };
    w.postMessage({ cmd: 'ingest', name });
  });
}

function verifyInWorker(name: string, acked: number): Promise<Verdict & { live: number }> {
  return new Promise((resolve, reject) => {
    const w = startWorker();
    w.onerror = e => reject(new Error(`worker error: ${e.message}`));
    w.onmessage = (e: MessageEvent<{ verdict?: Verdict; live?: number; error?: string }>) => {
      w.terminate();
      if (e.data.error !== undefined) reject(new Error(e.data.error));
      else resolve({ ...e.data.verdict!, live: e.data.live! });
    };
    w.postMessage({ cmd: 'verify', name, acked });
  });
}

async function verifyInPage(name: string, acked: number): Promise<Verdict & { live: number }> {
  const store = await openIdbGossipStore({ name });
  const records: GossipRecord[] = [];
  await store.load(r => records.push(r));
  await store.close();
  return { ...verifyStore(records, acked), live: records.length };
}

describe('IdbGossipStore when its Worker is terminated', () => {
  it(`keeps every acknowledged batch and no partial one across ${ROUNDS} terminations`, async () => {
    const name = `gossip-crash-${Date.now()}-${Math.random()}`;
    let next = 0;
    let acks = 0;
    let unacked = 0;
    let inFlight = 0;
    let inCompaction = 0;
    let compactions = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const r = await ingestAndTerminate(name);
      equal(r.ready, next, `round ${round}: the worker resumed at ${r.ready}, the store ended at ${next - 1}`);
      const v = round % 2 === 0 ? await verifyInPage(name, r.acked) : await verifyInWorker(name, r.acked);
      deepEqual(v.problems, [], `round ${round}`);
      ok(v.next >= r.acked + 1);
      if (r.writing > r.acked) inFlight++;
      if (r.compacting) inCompaction++;
      compactions += r.compactions;
      if (r.acked >= 0) acks += r.acked - r.ready + 1;
      unacked += v.next - (r.acked >= 0 ? r.acked + 1 : r.ready);
      next = v.next;
    }
    ok(next > ROUNDS / 2, `only ${next} batches were written`);
    ok(compactions > 0, 'no compaction finished: the test did not exercise them');
    console.log(
      `IndexedDB: ${ROUNDS} worker terminations (${inFlight} with a batch started and not acknowledged, ${inCompaction} during a compaction; ${compactions} compactions finished), ` +
        `${next} batches (${acks} acknowledged, ${unacked} committed but not yet acknowledged)`,
    );
    const last = await ingestAndTerminate(name);
    equal(last.ready, next);
    indexedDB.deleteDatabase(name);
  });
});
