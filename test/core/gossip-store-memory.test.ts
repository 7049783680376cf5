// The in-memory GossipStore (tests, edge) against the shared contract, plus what is its own.
import { MemoryGossipStore } from '../../src/core/gossip/store-memory.ts';
import { GossipStoreError, checkRecord, keyId, shouldCompact, channelUpdateKey } from '../../src/core/gossip/store.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';
import { gossipStoreContract, loadAll, rec } from './gossip-store-contract.ts';

gossipStoreContract('MemoryGossipStore', { fresh: async () => new MemoryGossipStore() });

describe('MemoryGossipStore', () => {
  it('loads in write order; a rewritten key moves to the end', async () => {
    const s = new MemoryGossipStore();
    await s.writeBatch([rec(256, 1n, 'a'), rec(256, 2n, 'b'), rec(257, `03${'ab'.repeat(32)}`, 'n')]);
    await s.writeBatch([rec(256, 1n, 'a2')]);
    deepEqual(
      (await loadAll(s)).map(r => keyId(r.type, r.key)),
      ['256:2', `257:03${'ab'.repeat(32)}`, '256:1'],
    );
  });

  it('counts live records and bytes, never dead ones', async () => {
    const s = new MemoryGossipStore();
    const a = rec(256, 1n, 'a');
    await s.writeBatch([a, rec(256, 1n, 'a'), rec(258, 3n, 'u')]);
    const st = await s.stats();
    equal(st.live, 2);
    equal(st.dead, 0);
    ok(st.bytes > 0);
    await s.delete([
      { type: 256, key: 1n },
      { type: 258, key: 3n },
    ]);
    deepEqual(await s.stats(), { live: 0, dead: 0, bytes: 0 });
  });
});

describe('gossip store helpers', () => {
  it('channelUpdateKey is short_channel_id * 2 + direction', () => {
    equal(channelUpdateKey(5n, 0), 10n);
    equal(channelUpdateKey(5n, 1), 11n);
    equal(channelUpdateKey((1n << 64n) - 1n, 1), (1n << 65n) - 1n);
  });

  it('checkRecord throws only GossipStoreError', () => {
    throws(() => checkRecord(null as never), GossipStoreError, 'bad_record');
    throws(() => checkRecord({ type: 256, key: 1n, timestamp: 0, raw: undefined } as never), GossipStoreError, 'bad_record');
    checkRecord(rec(258, (1n << 65n) - 1n, 'max'));
  });

  it('shouldCompact when dead records outnumber live ones', () => {
    equal(shouldCompact({ live: 100, dead: 50, bytes: 0 }, 10), false);
    equal(shouldCompact({ live: 100, dead: 101, bytes: 0 }, 10), true);
    equal(shouldCompact({ live: 1, dead: 5, bytes: 0 }), false);
    // or when a load would read too many pieces (IndexedDB values)
    equal(shouldCompact({ live: 100, dead: 0, bytes: 0, fragments: 1_001 }), true);
    equal(shouldCompact({ live: 100, dead: 0, bytes: 0, fragments: 1_000 }), false);
  });
});
