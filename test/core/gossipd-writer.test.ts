// gossipd's store writer (writer.ts): read() answers with the newest record of each key, whether it
// is still queued, in flight, or written, and keeps no record of a batch once it is written or lost.
import { StoreWriter } from '../../src/core/daemons/gossipd/writer.ts';
import { MemoryGossipStore } from '../../src/core/gossip/store-memory.ts';
import { STORE_CHANNEL_ANNOUNCEMENT, STORE_CHANNEL_UPDATE, type GossipKeyRef, type GossipRecord } from '../../src/core/gossip/store.ts';
import { deepEqual, equal } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { settle } from '../support/memory-stream.ts';

/** A memory store whose writes wait until the test lets each one through (or fails it). */
class GatedStore extends MemoryGossipStore {
  gates: { open: () => void; fail: () => void }[] = [];
  override writeBatch(records: readonly GossipRecord[], deletes?: readonly GossipKeyRef[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.gates.push({
        open: () => resolve(super.writeBatch(records, deletes)),
        fail: () => reject(new Error('disk full')),
      });
    });
  }
}

const ann = (key: bigint, b: number): GossipRecord => ({
  type: STORE_CHANNEL_ANNOUNCEMENT,
  key,
  timestamp: 0,
  raw: new Uint8Array([1, 0, b]),
});
const upd = (key: bigint, b: number): GossipRecord => ({ type: STORE_CHANNEL_UPDATE, key, timestamp: b, raw: new Uint8Array([1, 2, b]) });
/** The last byte of each answer (what tells the records apart). */
const bytes = (got: (Uint8Array | undefined)[]) => got.map(r => (r ? [r[r.length - 1]] : undefined));

async function setup() {
  const store = new GatedStore();
  await store.load(() => {});
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} } as never;
  const w = new StoreWriter({ store, clock: new FakeClock(), log, batchMax: 100, flushMs: 10, stored: () => {} });
  return { store, w, warnings };
}

describe('gossipd store writer reads', () => {
  it('the newest record of a key wins across queued, in-flight and written batches', async () => {
    const { store, w, warnings } = await setup();
    const k = [
      { type: STORE_CHANNEL_ANNOUNCEMENT, key: 5n },
      { type: STORE_CHANNEL_UPDATE, key: 5n },
    ] as const;
    w.queue(ann(5n, 1));
    const first = w.flush(); // batch 1 in flight
    await settle();
    w.queue(ann(5n, 2)); // queued behind it
    w.queue(upd(5n, 9)); // same key value, other type: its own record
    deepEqual(bytes(await w.read(k)), [[2], [9]]);
    store.gates[0]!.open();
    await first;
    deepEqual(bytes(await w.read(k)), [[2], [9]], 'batch 1 written: the newer record is still the answer');
    const second = w.flush();
    await settle();
    store.gates[1]!.open();
    await second;
    equal(warnings.length, 0);
    deepEqual(bytes(await w.read(k)), [[2], [9]], 'from the store once written');
    deepEqual(bytes(await store.read(k)), [[2], [9]]);
  });

  it('a lost batch is no longer answered from memory', async () => {
    const { store, w, warnings } = await setup();
    w.queue(ann(7n, 1));
    const done = w.flush();
    await settle();
    deepEqual(bytes(await w.read([{ type: STORE_CHANNEL_ANNOUNCEMENT, key: 7n }])), [[1]]);
    store.gates[0]!.fail();
    await done;
    equal(warnings.length, 1);
    w.queue(ann(8n, 3)); // something else pending, so read() looks at what is held
    deepEqual(bytes(await w.read([{ type: STORE_CHANNEL_ANNOUNCEMENT, key: 7n }])), [undefined]);
  });
});
