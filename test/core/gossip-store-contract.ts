// What every GossipStore must do (src/core/gossip/store.ts), as one suite each backend's test runs:
// memory (test/core), file (test/node), IndexedDB (test/browser). Not a test file itself.
import { GossipStoreError, channelUpdateKey, type GossipRecord, type GossipStore } from '../../src/core/gossip/store.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';

export interface StoreHarness {
  /** A new, empty store. */
  fresh(): Promise<GossipStore>;
  /** Closes `store` and opens the same storage again (undefined: the backend does not persist). */
  reopen?(store: GossipStore): Promise<GossipStore>;
}

let counter = 0;

/** A record whose raw message starts with its type and carries `tag`. */
export function rec(type: 256 | 257 | 258, key: bigint | string, tag: string, timestamp = 1_700_000_000): GossipRecord {
  const body = new TextEncoder().encode(`${tag}#${counter++}`);
  const raw = new Uint8Array(2 + body.length);
  raw[0] = type >> 8;
  raw[1] = type & 0xff;
  raw.set(body, 2);
  return { type, key, timestamp, raw };
}

/** A syntactically valid node_id for key `i`. */
export function nodeId(i: number): string {
  return `02${toHex(sha256(new TextEncoder().encode(`node ${i}`)))}`;
}

export async function loadAll(store: GossipStore): Promise<GossipRecord[]> {
  const out: GossipRecord[] = [];
  await store.load(r => out.push(r));
  return out;
}

function tagOf(r: GossipRecord): string {
  return new TextDecoder().decode(r.raw.subarray(2)).split('#')[0]!;
}

function byKey(rs: GossipRecord[]): Map<string, GossipRecord> {
  return new Map(rs.map(r => [`${r.type}:${r.key}`, r]));
}

export function gossipStoreContract(name: string, h: StoreHarness): void {
  describe(`${name}: the GossipStore contract`, () => {
    it('starts empty', async () => {
      const s = await h.fresh();
      const res = await s.load(() => ok(false, 'no record expected'));
      equal(res.live, 0);
      equal(res.discarded, 0);
      deepEqual(await s.stats().then(x => x.live), 0);
      await s.close();
    });

    it('gives back what was written, field for field', async () => {
      let s = await h.fresh();
      await loadAll(s);
      const scid = (800_000n << 40n) | (5n << 16n) | 1n;
      const written: GossipRecord[] = [
        { ...rec(256, scid, 'chan'), timestamp: 0, extra: { amount_sat: 2_100_000_000_000_000 } },
        rec(258, channelUpdateKey(scid, 0), 'upd0', 1_700_000_001),
        rec(258, channelUpdateKey(scid, 1), 'upd1', 0xffffffff),
        rec(257, nodeId(1), 'node'),
        { ...rec(256, (1n << 64n) - 1n, 'maxscid'), extra: { amount_sat: 0 } },
        { ...rec(256, 77n, 'funded'), extra: { amount_sat: 250_000, funding_txid: 'ab'.repeat(31) + '01' } },
        { ...rec(256, 78n, 'spent'), extra: { funding_txid: '00'.repeat(32), spent_height: 0xffffffff } },
        { ...rec(256, 79n, 'spent1'), extra: { spent_height: 1 } },
      ];
      // extra keeps only the fields it defines
      const emptyExtra = { ...rec(256, 12n, 'noextra'), extra: {} };
      const moreExtra = { ...rec(256, 13n, 'more'), extra: { amount_sat: 5, note: 'x' } as never };
      await s.writeBatch([...written, emptyExtra, moreExtra]);
      written.push({ ...emptyExtra, extra: undefined }, { ...moreExtra, extra: { amount_sat: 5 } });
      const check = (got: GossipRecord[]): void => {
        equal(got.length, written.length);
        const m = byKey(got);
        for (const w of written) deepEqual(m.get(`${w.type}:${w.key}`), w, `record ${w.type}:${w.key}`);
      };
      check(await loadAll(s));
      equal((await s.stats()).live, written.length);
      if (h.reopen) {
        s = await h.reopen(s);
        check(await loadAll(s));
      }
      await s.close();
    });

    it('a later record for the same type and key replaces the earlier one; types never collide', async () => {
      let s = await h.fresh();
      await loadAll(s);
      await s.writeBatch([rec(256, 7n, 'chan7'), rec(258, 7n, 'upd-old'), rec(257, nodeId(2), 'node-old')]);
      await s.writeBatch([rec(258, 7n, 'upd-new'), rec(257, nodeId(2), 'node-new')]);
      await s.writeBatch([rec(258, 7n, 'upd-a'), rec(258, 7n, 'upd-b')]);
      const check = (got: GossipRecord[]): void => {
        equal(got.length, 3);
        const m = byKey(got);
        equal(tagOf(m.get('256:7')!), 'chan7');
        equal(tagOf(m.get('258:7')!), 'upd-b');
        equal(tagOf(m.get(`257:${nodeId(2)}`)!), 'node-new');
      };
      check(await loadAll(s));
      equal((await s.stats()).live, 3);
      if (h.reopen) {
        s = await h.reopen(s);
        check(await loadAll(s));
      }
      await s.close();
    });

    it('deletes, in a batch of their own or applied before the batch’s records', async () => {
      let s = await h.fresh();
      await loadAll(s);
      await s.writeBatch([rec(256, 1n, 'c1'), rec(256, 2n, 'c2'), rec(258, 2n, 'u2'), rec(257, nodeId(3), 'n3')]);
      await s.delete([
        { type: 256, key: 1n },
        { type: 256, key: 99n },
        { type: 257, key: nodeId(3) },
        { type: 257, key: nodeId(3) },
      ]);
      await s.writeBatch(
        [rec(256, 2n, 'c2-again')],
        [
          { type: 256, key: 2n },
          { type: 258, key: 2n },
        ],
      );
      const check = (got: GossipRecord[]): void => {
        deepEqual(
          got.map(r => `${r.type}:${r.key}:${tagOf(r)}`),
          ['256:2:c2-again'],
        );
      };
      check(await loadAll(s));
      equal((await s.stats()).live, 1);
      if (h.reopen) {
        s = await h.reopen(s);
        check(await loadAll(s));
      }
      await s.close();
    });

    it('loads each channel_announcement before the updates and node_announcements written after it', async () => {
      let s = await h.fresh();
      await loadAll(s);
      for (let i = 0; i < 20; i++) {
        await s.writeBatch([rec(256, BigInt(100 - i), `c${i}`), rec(258, channelUpdateKey(BigInt(100 - i), 1), `u${i}`)]);
        await s.writeBatch([rec(257, nodeId(100 + i), `n${i}`), rec(258, channelUpdateKey(BigInt(100 - i), 0), `v${i}`)]);
      }
      const check = (got: GossipRecord[]): void => {
        equal(got.length, 80);
        const seen = new Set<bigint>();
        for (const r of got) {
          if (r.type === 256) seen.add(r.key as bigint);
          else if (r.type === 258) ok(seen.has((r.key as bigint) >> 1n), `update ${r.key} before its channel`);
          else ok(seen.has(BigInt(100 - Number(tagOf(r).slice(1)))), `node ${tagOf(r)} before the channel written before it`);
        }
      };
      check(await loadAll(s));
      if (h.reopen) {
        s = await h.reopen(s);
        check(await loadAll(s));
      }
      await s.close();
    });

    it('refuses a bad record or key with GossipStoreError(bad_record), writing nothing of that batch', async () => {
      const s = await h.fresh();
      await loadAll(s);
      const good = rec(256, 5n, 'good');
      const bad: unknown[] = [
        { ...rec(256, 5n, 'x'), key: '5' },
        { ...rec(256, 5n, 'x'), key: -1n },
        { ...rec(256, 5n, 'x'), key: 1n << 64n },
        { ...rec(258, 5n, 'x'), key: 1n << 65n },
        { ...rec(257, nodeId(1), 'x'), key: nodeId(1).toUpperCase() },
        { ...rec(257, nodeId(1), 'x'), key: `04${nodeId(1).slice(2)}` },
        { ...rec(257, nodeId(1), 'x'), key: 7n },
        { ...rec(256, 5n, 'x'), type: 259 },
        { ...rec(256, 5n, 'x'), timestamp: -1 },
        { ...rec(256, 5n, 'x'), timestamp: 2 ** 32 },
        { ...rec(256, 5n, 'x'), timestamp: 1.5 },
        { ...rec(256, 5n, 'x'), raw: new Uint8Array(1) },
        { ...rec(256, 5n, 'x'), raw: new Uint8Array(65536) },
        { ...rec(256, 5n, 'x'), raw: [1, 0, 0] },
        { ...rec(256, 5n, 'x'), extra: { amount_sat: -1 } },
        { ...rec(256, 5n, 'x'), extra: { amount_sat: 2 ** 53 } },
        { ...rec(256, 5n, 'x'), extra: { funding_txid: 'AB'.repeat(32) } },
        { ...rec(256, 5n, 'x'), extra: { funding_txid: 'ab'.repeat(31) } },
        { ...rec(256, 5n, 'x'), extra: { spent_height: 0 } },
        { ...rec(256, 5n, 'x'), extra: { spent_height: 2 ** 32 } },
      ];
      for (const b of bad) await rejects(s.writeBatch([good, b as GossipRecord]), GossipStoreError, 'bad_record');
      await rejects(s.delete([{ type: 258, key: 'x' }]), GossipStoreError, 'bad_record');
      await rejects(s.writeBatch([good], [{ type: 257, key: 1n }]), GossipStoreError, 'bad_record');
      equal((await loadAll(s)).length, 0);
      equal((await s.stats()).live, 0);
      await s.close();
    });

    it('shares no buffer with the caller', async () => {
      const s = await h.fresh();
      await loadAll(s);
      const r = rec(256, 9n, 'mine');
      const before = r.raw.slice();
      await s.writeBatch([r]);
      r.raw.fill(0);
      const [a] = await loadAll(s);
      deepEqual(a!.raw, before);
      a!.raw.fill(1);
      const [b] = await loadAll(s);
      deepEqual(b!.raw, before);
      await s.close();
    });

    it('keeps meta values across a reopen, apart from the log (clear and compact leave them)', async () => {
      let s = await h.fresh();
      await loadAll(s);
      if (!s.getMeta || !s.setMeta) return void (await s.close());
      equal(await s.getMeta('spent_check_height'), undefined);
      await s.setMeta('spent_check_height', '812345');
      await s.setMeta('other', 'x');
      await s.setMeta('spent_check_height', '812346');
      await s.writeBatch([rec(256, 1n, 'a')], []);
      await s.clear();
      await s.compact();
      if (h.reopen) {
        s = await h.reopen(s);
        await loadAll(s);
      }
      equal(await s.getMeta!('spent_check_height'), '812346');
      equal(await s.getMeta!('other'), 'x');
      equal(await s.getMeta!('schema'), undefined);
      await s.close();
    });

    it('clears every record, and takes writes after', async () => {
      let s = await h.fresh();
      await loadAll(s);
      await s.writeBatch([rec(256, 1n, 'a'), rec(258, channelUpdateKey(1n, 0), 'u'), rec(257, nodeId(1), 'n')]);
      await s.writeBatch([], [{ type: 256, key: 1n }]);
      await s.clear();
      equal((await loadAll(s)).length, 0);
      equal((await s.stats()).live, 0);
      await s.writeBatch([rec(256, 2n, 'b')]);
      if (h.reopen) s = await h.reopen(s);
      deepEqual(
        (await loadAll(s)).map(r => `${r.type}:${r.key}`),
        ['256:2'],
      );
      await s.close();
    });

    it('compacts without losing a live record', async () => {
      let s = await h.fresh();
      await loadAll(s);
      for (let i = 0; i < 50; i++)
        await s.writeBatch(
          [rec(256, BigInt(i % 10), `c${i}`), rec(258, BigInt(i % 7), `u${i}`)],
          i % 5 === 4 ? [{ type: 256, key: BigInt((i + 3) % 10) }] : [],
        );
      const want = (await loadAll(s)).map(r => `${r.type}:${r.key}:${tagOf(r)}`).sort();
      await s.compact();
      const st = await s.stats();
      equal(st.dead, 0);
      equal(st.live, want.length);
      deepEqual((await loadAll(s)).map(r => `${r.type}:${r.key}:${tagOf(r)}`).sort(), want);
      await s.writeBatch([rec(256, 1000n, 'after')]);
      want.push('256:1000:after');
      want.sort();
      deepEqual((await loadAll(s)).map(r => `${r.type}:${r.key}:${tagOf(r)}`).sort(), want);
      if (h.reopen) {
        s = await h.reopen(s);
        deepEqual((await loadAll(s)).map(r => `${r.type}:${r.key}:${tagOf(r)}`).sort(), want);
      }
      await s.close();
    });

    it('reads back the raw message of each live record by key, in the order asked', async () => {
      let s = await h.fresh();
      await loadAll(s);
      const c = rec(256, 5n, 'chan');
      const u0 = rec(258, channelUpdateKey(5n, 0), 'u0');
      const n = rec(257, nodeId(4), 'node');
      await s.writeBatch([c, u0, n, rec(256, 6n, 'gone')]);
      // Superseded, deleted, and never written: the newest or nothing.
      const u0b = rec(258, channelUpdateKey(5n, 0), 'u0-newer');
      await s.writeBatch([u0b], [{ type: 256, key: 6n }]);
      // Many batches, so a read spans several of the store's pieces (IndexedDB values, file reads).
      const many = Array.from({ length: 300 }, (_, i) => rec(258, channelUpdateKey(BigInt(1000 + i), (i & 1) as 0 | 1), `m${i}`));
      for (let i = 0; i < many.length; i += 7) await s.writeBatch(many.slice(i, i + 7));
      const keys = [
        { type: 257 as const, key: nodeId(4) },
        { type: 256 as const, key: 6n },
        { type: 258 as const, key: channelUpdateKey(5n, 0) },
        { type: 258 as const, key: channelUpdateKey(5n, 1) },
        { type: 256 as const, key: 5n },
        { type: 257 as const, key: nodeId(5) },
        ...many.map(r => ({ type: r.type, key: r.key })).reverse(),
      ];
      const want = [n.raw, undefined, u0b.raw, undefined, c.raw, undefined, ...many.map(r => r.raw).reverse()].map(x => (x ? toHex(x) : x));
      const check = async (): Promise<void> => {
        deepEqual(
          (await s.read(keys)).map(x => (x ? toHex(x) : x)),
          want,
        );
        deepEqual(await s.read([]), []);
      };
      await check();
      // A read queued behind a write sees it.
      const late = rec(256, 6n, 'back');
      const [w, r] = await Promise.all([s.writeBatch([late]), s.read([{ type: 256, key: 6n }])]);
      equal(w, undefined);
      equal(toHex(r[0]!), toHex(late.raw));
      want[1] = toHex(late.raw);
      await check();
      await rejects(s.read([{ type: 257, key: 5n }]), GossipStoreError, 'bad_record');
      await s.compact();
      await check();
      if (h.reopen) {
        s = await h.reopen(s);
        await loadAll(s);
        await check();
      }
      await s.close();
      await rejects(s.read(keys), GossipStoreError, 'closed');
    });

    it('runs concurrent calls one after the other', async () => {
      const s = await h.fresh();
      await loadAll(s);
      await Promise.all(Array.from({ length: 20 }, (_, i) => s.writeBatch([rec(256, 1n, `v${i}`), rec(256, BigInt(100 + i), 'x')])));
      const got = byKey(await loadAll(s));
      equal(got.size, 21);
      equal(tagOf(got.get('256:1')!), 'v19');
      await s.close();
    });

    it('fails every call after close with GossipStoreError(closed)', async () => {
      const s = await h.fresh();
      await loadAll(s);
      await s.close();
      await s.close();
      await rejects(s.writeBatch([rec(256, 1n, 'late')]), GossipStoreError, 'closed');
      await rejects(
        s.load(() => undefined),
        GossipStoreError,
        'closed',
      );
      await rejects(s.stats(), GossipStoreError, 'closed');
    });
  });
}

/**
 * A record of mainnet's mix (~30% channels, ~60% updates, ~10% nodes, ~265 bytes on average), its
 * index in bytes 2..6: the stores' mainnet-size load tests write 170,000 of them.
 */
export function syntheticRecord(i: number): GossipRecord {
  const kind = i % 10;
  const type = kind < 3 ? 256 : kind < 9 ? 258 : 257;
  const len = type === 256 ? 430 : type === 258 ? 136 + (i % 8) : 150 + (i % 100);
  const raw = new Uint8Array(len);
  raw[0] = type >> 8;
  raw[1] = type & 0xff;
  new DataView(raw.buffer).setUint32(2, i);
  for (let j = 6; j < len; j++) raw[j] = (i * 31 + j * 7) & 0xff;
  const key = type === 257 ? nodeId(i) : type === 256 ? BigInt(i) : channelUpdateKey(BigInt(i), (i & 1) as 0 | 1);
  const r: GossipRecord = { type, key, timestamp: 1_700_000_000 + i, raw };
  if (type === 256) r.extra = { amount_sat: 100_000 + i };
  return r;
}
