// The pure part of gossipd's signature-check pool: the packed format, the in-thread verifier, the
// worker's message handler, and the pool's scheduling (split, order, retry once, reject, close)
// driven through in-thread fake workers whose deaths the test decides.
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { curvesEngine, engineSelfTest, highSTwin, nobleEngine, selectEngine } from '../../src/core/crypto/verify-engines.ts';
import {
  ITEM_BYTES,
  InlineVerifier,
  VerifyPool,
  VerifyPoolError,
  keyReused,
  packItems,
  serveVerifyWorker,
  verifyItems,
  verifyPacked,
  type FromVerifyWorker,
  type SpawnVerifyWorker,
  type ToVerifyWorker,
  type VerifyWorkerEvents,
} from '../../src/core/gossip/verify-pool.ts';
import { verifyGossipSignatures } from '../../src/core/gossip/signatures.ts';
import { expectedVerdicts, firstMismatch, mixedItems, type LabelledItem } from '../support/verify-items.ts';

const tick = () => new Promise<void>(r => Promise.resolve().then(() => r()));
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await tick();
}

/** A worker in this thread: messages wait in `inbox` until `run()`, so a test can kill it mid-batch. */
interface FakeWorker {
  index: number;
  events: VerifyWorkerEvents;
  inbox: ToVerifyWorker[];
  terminated: boolean;
  run(): void;
  die(reason?: string): void;
}

function fakeSpawner(opts: { autoRun?: boolean } = {}) {
  const workers: FakeWorker[] = [];
  const spawn: SpawnVerifyWorker = (events, index) => {
    const w: FakeWorker = {
      index,
      events,
      inbox: [],
      terminated: false,
      run() {
        for (const m of w.inbox.splice(0)) if (!w.terminated) handle(m);
      },
      die(reason = 'killed by test') {
        w.terminated = true;
        events.died(reason);
      },
    };
    const handle = serveVerifyWorker(
      (msg: FromVerifyWorker) => void tick().then(() => !w.terminated && events.message(msg)),
      () => 7,
    );
    handle({ t: 'init', engine: 'noble' });
    workers.push(w);
    return {
      post(msg) {
        if (w.terminated) return;
        // The transfer detaches the sender's copy; model that with a copy here.
        const copy = msg.t === 'verify' ? { ...msg, items: msg.items.slice(0) } : msg;
        w.inbox.push(copy);
        if (opts.autoRun !== false) void tick().then(() => w.run());
      },
      terminate() {
        w.terminated = true;
      },
    };
  };
  return { spawn, workers };
}

describe('verify pool: packed format and engines', () => {
  let items: LabelledItem[];
  before(() => {
    items = mixedItems(72);
  });

  it('packs 130 bytes per item and verifies the packed buffer in order', () => {
    const packed = packItems(items);
    equal(ITEM_BYTES, 130);
    equal(packed.length, items.length * ITEM_BYTES);
    deepEqual(packed.subarray(ITEM_BYTES, ITEM_BYTES + 64), items[1]!.sig);
    deepEqual(packed.subarray(ITEM_BYTES + 64, ITEM_BYTES + 96), items[1]!.digest);
    deepEqual(packed.subarray(ITEM_BYTES + 96, ITEM_BYTES + 129), items[1]!.pub);
    equal(firstMismatch(items, verifyPacked(packed, nobleEngine)), undefined);
    equal(packItems(items, 10, 20).length, 10 * ITEM_BYTES);
  });

  it('carries the key-reuse hint: a bitcoin_signature_* key is single-use, any other key may sign again', () => {
    const v = items[0]!;
    const fields = ['bitcoin_signature_1', 'bitcoin_signature_2', 'node_signature_1', 'signature', undefined];
    deepEqual(
      fields.map(field => keyReused({ ...v, ...(field ? { field } : {}) })),
      [false, false, true, true, true],
    );
    const packed = packItems(fields.map(field => ({ ...v, ...(field ? { field } : {}) })));
    deepEqual(
      Array.from({ length: 5 }, (_, i) => packed[i * ITEM_BYTES + 129]),
      [0, 0, 1, 1, 1],
    );
    // The hint reaches the engine and changes no verdict.
    const seen: boolean[] = [];
    const spy = {
      name: 'noble' as const,
      verify: (s: Uint8Array, d: Uint8Array, p: Uint8Array, r?: boolean) => (seen.push(!!r), nobleEngine.verify(s, d, p)),
    };
    deepEqual(verifyPacked(packed, spy), Uint8Array.from([1, 1, 1, 1, 1]));
    deepEqual(seen, [false, false, true, true, true]);
  });

  it('verifyGossipSignatures and InlineVerifier run one loop (verifyItems) with one verdict', async () => {
    const want = expectedVerdicts(items);
    deepEqual(verifyItems(items), want);
    const checks = items.map(it => ({ ...it, field: 'signature' as const }));
    deepEqual(
      verifyGossipSignatures(checks),
      Array.from(want, v => v === 1),
    );
    deepEqual(await new InlineVerifier().verifyBatch(items), want);
    const out = new Uint8Array(items.length).fill(9);
    verifyItems(items, curvesEngine, out, 10, 20);
    deepEqual(out.subarray(10, 20), want.subarray(10, 20));
    equal(out[9], 9);
    equal(out[20], 9);
  });

  it('every kind of broken item is refused and every valid one holds, by noble and curves alike', () => {
    const kinds = new Set(items.map(i => i.kind));
    ok(kinds.size >= 13, `kinds covered: ${[...kinds].join(',')}`);
    for (const engine of [nobleEngine, curvesEngine]) {
      const got = Uint8Array.from(items, it => (engine.verify(it.sig, it.digest, it.pub) ? 1 : 0));
      equal(firstMismatch(items, got), undefined, engine.name);
    }
  });

  it('the high-S twin of a valid signature is refused (BOLT 1 low-S)', () => {
    const v = items.find(i => i.valid)!;
    ok(nobleEngine.verify(v.sig, v.digest, v.pub));
    ok(!nobleEngine.verify(highSTwin(v.sig), v.digest, v.pub));
    deepEqual(highSTwin(highSTwin(v.sig)), v.sig);
  });

  it('engines pass their self-test; selectEngine falls back to noble without a usable wasm', async () => {
    ok(engineSelfTest(nobleEngine));
    ok(engineSelfTest(curvesEngine));
    equal((await selectEngine('auto', undefined, () => 1)).name, 'noble');
    equal((await selectEngine('libsecp256k1', { not: 'a module' }, () => 1)).name, 'noble');
    equal((await selectEngine('curves', undefined, () => 1)).name, 'curves');
  });

  it('malformed items (wrong lengths) are invalid, not errors', async () => {
    const v = items.find(i => i.valid)!;
    const bad = [
      { sig: v.sig.subarray(0, 63), digest: v.digest, pub: v.pub },
      { sig: v.sig, digest: v.digest.subarray(1), pub: v.pub },
      { sig: v.sig, digest: v.digest, pub: new Uint8Array(65) },
      v,
    ];
    deepEqual(await new InlineVerifier().verifyBatch(bad), Uint8Array.from([0, 0, 0, 1]));
    const packed = packItems(bad);
    deepEqual(packed.subarray(0, 3 * ITEM_BYTES), new Uint8Array(3 * ITEM_BYTES));
    deepEqual(verifyPacked(packed, nobleEngine), Uint8Array.from([0, 0, 0, 1]));
  });
});

describe('verify pool: InlineVerifier', () => {
  it('verifies in order and pauses between chunks', async () => {
    const items = mixedItems(40);
    let pauses = 0;
    const v = new InlineVerifier({ engine: curvesEngine, chunk: 16, pause: async () => void pauses++ });
    equal(v.engine, 'curves');
    deepEqual(await v.verifyBatch(items), expectedVerdicts(items));
    equal(pauses, 2);
    await v.close();
    await rejects(v.verifyBatch(items), VerifyPoolError, 'closed');
  });
});

describe('verify pool: worker message handler', () => {
  it('answers batches that arrive before init, in order, and reports its engine', async () => {
    const items = mixedItems(30);
    const posted: FromVerifyWorker[] = [];
    const handle = serveVerifyWorker(
      m => posted.push(m),
      () => 1,
    );
    handle({ t: 'verify', id: 1, items: packItems(items, 0, 10).buffer });
    handle({ t: 'verify', id: 2, items: packItems(items, 10, 30).buffer });
    await settle();
    equal(posted.length, 0);
    handle({ t: 'init', engine: 'noble' });
    await settle();
    const results = posted.filter(m => m.t === 'result');
    deepEqual(
      results.map(m => m.id),
      [1, 2],
    );
    const all = new Uint8Array(30);
    all.set(new Uint8Array(results[0]!.verdicts), 0);
    all.set(new Uint8Array(results[1]!.verdicts), 10);
    deepEqual(all, expectedVerdicts(items));
    deepEqual(
      posted.find(m => m.t === 'ready'),
      { t: 'ready', engine: 'noble' },
    );
  });
});

describe('verify pool: scheduling over fake workers', () => {
  let items: LabelledItem[];
  let want: Uint8Array;
  before(() => {
    items = mixedItems(90);
    want = expectedVerdicts(items);
  });

  it('splits a batch across every worker and keeps the order', async () => {
    const { spawn, workers } = fakeSpawner();
    const pool = new VerifyPool({ size: 3, spawn, maxChunk: 7 });
    equal(await pool.engine(), 'noble');
    const [a, b, c] = await Promise.all([pool.verifyBatch(items), pool.verifyBatch(items.slice(5, 50)), pool.verifyBatch([])]);
    deepEqual(a, want);
    deepEqual(b, want.slice(5, 50));
    equal(c.length, 0);
    equal(workers.length, 3);
    await pool.close();
  });

  it('a small batch still goes to several workers', async () => {
    const { spawn, workers } = fakeSpawner({ autoRun: false });
    const pool = new VerifyPool({ size: 2, spawn });
    const p = pool.verifyBatch(items.slice(0, 4));
    await settle();
    deepEqual(
      workers.map(w => w.inbox.length),
      [1, 1],
    );
    for (const w of workers) w.run();
    deepEqual(await p, want.slice(0, 4));
    await pool.close();
  });

  it('keeps up to `depth` chunks in flight per worker, every worker getting one before any gets two', async () => {
    const { spawn, workers } = fakeSpawner({ autoRun: false });
    const pool = new VerifyPool({ size: 2, spawn, maxChunk: 10 });
    const p = pool.verifyBatch(items.slice(0, 60));
    await settle();
    deepEqual(
      workers.map(w => w.inbox.length),
      [2, 2],
    );
    workers[1]!.run();
    await settle();
    // Worker 1 answered both: it gets the last two chunks; worker 0 still holds two.
    deepEqual(
      workers.map(w => w.inbox.length),
      [2, 2],
    );
    for (let i = 0; i < 3; i++) {
      for (const w of workers) w.run();
      await settle();
    }
    deepEqual(await p, want.slice(0, 60));
    await pool.close();

    const one = fakeSpawner({ autoRun: false });
    const single = new VerifyPool({ size: 2, spawn: one.spawn, maxChunk: 10, depth: 1 });
    const q = single.verifyBatch(items.slice(0, 60));
    await settle();
    deepEqual(
      one.workers.map(w => w.inbox.length),
      [1, 1],
    );
    for (let i = 0; i < 4; i++) {
      for (const w of one.workers) w.run();
      await settle();
    }
    deepEqual(await q, want.slice(0, 60));
    await single.close();
  });

  it('a worker that dies holding two chunks has both retried, in order', async () => {
    const { spawn, workers } = fakeSpawner({ autoRun: false });
    const pool = new VerifyPool({ size: 2, spawn, maxChunk: 15 });
    const p = pool.verifyBatch(items.slice(0, 60));
    await settle();
    deepEqual(
      workers.map(w => w.inbox.length),
      [2, 2],
    );
    workers[0]!.die();
    await settle();
    equal(pool.spawned, 3);
    for (let i = 0; i < 3; i++) {
      for (const w of workers) w.run();
      await settle();
    }
    deepEqual(await p, want.slice(0, 60));
    await pool.close();
  });

  it('a worker that dies mid-batch is replaced and its chunk retried', async () => {
    const { spawn, workers } = fakeSpawner({ autoRun: false });
    const pool = new VerifyPool({ size: 2, spawn });
    const p = pool.verifyBatch(items);
    await settle();
    workers[0]!.die();
    await settle();
    equal(pool.spawned, 3);
    for (const w of workers) w.run();
    deepEqual(await p, want);
    await pool.close();
  });

  it('a chunk whose retry dies too rejects the batch with worker_died; the pool goes on', async () => {
    const { spawn, workers } = fakeSpawner({ autoRun: false });
    const pool = new VerifyPool({ size: 1, spawn });
    const p = pool.verifyBatch(items);
    const failed = rejects(p, VerifyPoolError, 'worker_died');
    await settle();
    workers[0]!.die();
    await settle();
    equal(workers.length, 2);
    equal(workers[1]!.inbox.length, 1);
    workers[1]!.die();
    await failed;
    // The next batch gets a fresh worker.
    const q = pool.verifyBatch(items.slice(0, 10));
    await settle();
    equal(workers.length, 3);
    workers[2]!.run();
    deepEqual(await q, want.slice(0, 10));
    await pool.close();
  });

  it('a worker that answers with the wrong number of verdicts fails the batch', async () => {
    const liar: SpawnVerifyWorker = events => ({
      post(msg) {
        if (msg.t === 'verify') void tick().then(() => events.message({ t: 'result', id: msg.id, verdicts: new ArrayBuffer(1) }));
      },
      terminate() {},
    });
    const pool = new VerifyPool({ size: 1, spawn: liar });
    await rejects(pool.verifyBatch(items.slice(0, 5)), VerifyPoolError, 'worker_failed');
    await pool.close();
  });

  it('a spawn that throws rejects instead of hanging', async () => {
    const pool = new VerifyPool({
      size: 2,
      spawn: () => {
        throw new Error('no workers here');
      },
    });
    await rejects(pool.verifyBatch(items.slice(0, 5)), VerifyPoolError, 'worker_died');
    await pool.close();
    // No worker was ever ready: engine() settles as closed rather than never.
    await rejects(pool.engine(), VerifyPoolError, 'closed');
  });

  it('close() rejects pending batches, refuses new ones and terminates every worker', async () => {
    const { spawn, workers } = fakeSpawner({ autoRun: false });
    const pool = new VerifyPool({ size: 2, spawn });
    const p = pool.verifyBatch(items);
    const closedErr = rejects(p, VerifyPoolError, 'closed');
    await settle();
    await pool.close();
    await closedErr;
    ok(workers.every(w => w.terminated));
    await rejects(pool.verifyBatch(items), VerifyPoolError, 'closed');
    await pool.close();
  });
});
