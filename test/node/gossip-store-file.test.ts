// The file-backed GossipStore: the shared contract, the file format, recovery from a torn tail,
// compaction, and loading a mainnet-sized store.
import { mkdtempSync, readFileSync, writeFileSync, statSync, existsSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileGossipStore, crc32cRange } from '../../src/node/gossip-store-file.ts';
import { GossipStoreError, channelUpdateKey, type GossipRecord, type GossipStore } from '../../src/core/gossip/store.ts';
import { crc32c } from '../../src/core/gossip/checksum.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { gossipStoreContract, loadAll, nodeId, rec, syntheticRecord } from '../core/gossip-store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'gossip-store-'));
let n = 0;
const freshPath = (): string => join(dir, `store-${n++}`);
after(() => rmSync(dir, { recursive: true, force: true }));

async function openLoaded(path: string): Promise<FileGossipStore> {
  const s = await FileGossipStore.open(path);
  await loadAll(s);
  return s;
}

gossipStoreContract('FileGossipStore', {
  fresh: async () => FileGossipStore.open(freshPath()),
  reopen: async s => {
    await s.close();
    return FileGossipStore.open((s as FileGossipStore).path);
  },
});

const tags = (rs: GossipRecord[]): string[] => rs.map(r => new TextDecoder().decode(r.raw.subarray(2)).split('#')[0]!);

describe('FileGossipStore file format', () => {
  it('checksums with CRC32C: the RFC 3720 check value, and the same as checksum.ts at every length and offset', () => {
    const check = new TextEncoder().encode('123456789');
    equal(crc32cRange(check, 0, 9), 0xe3069283);
    const buf = new Uint8Array(300).map((_, i) => (i * 167 + 13) & 0xff);
    for (let from = 0; from < 9; from++) {
      for (let to = from; to <= buf.length; to += 7) equal(crc32cRange(buf, from, to), crc32c(buf.subarray(from, to)), `[${from}, ${to})`);
    }
  });

  it('refuses an entry whose CRC holds but which cannot be read, with GossipStoreError(corrupt), and clear() starts it again', async () => {
    const path = freshPath();
    let s = await openLoaded(path);
    await s.writeBatch([rec(256, 7n, 'a')]);
    await s.close();
    // Turn the record into one of type 999 (no such key layout) and seal it again: a CRC-valid entry
    // only another program could have written. Nothing after the header may be trusted or cut.
    const f = new Uint8Array(readFileSync(path));
    const dv = new DataView(f.buffer, f.byteOffset);
    dv.setUint16(8 + 6, 999);
    dv.setUint32(8, crc32c(f.subarray(12, 8 + 16 + dv.getUint32(8 + 8))));
    writeFileSync(path, f);
    s = await FileGossipStore.open(path);
    await rejects(
      s.load(() => ok(false, 'no record before the whole file is read')),
      GossipStoreError,
      'corrupt',
    );
    equal(statSync(path).size, f.length, 'the file was not cut');
    await s.clear();
    await s.writeBatch([rec(256, 8n, 'b')]);
    await s.close();
    s = await openLoaded(path);
    deepEqual(
      (await loadAll(s)).map(r => r.key),
      [8n],
    );
    await s.close();
  });

  it('writes the header, then entries whose CRC32C covers everything after the crc field', async () => {
    const path = freshPath();
    const s = await openLoaded(path);
    const r = { ...rec(256, 0x0102030405060708n, 'x', 0x11223344), extra: { amount_sat: 1000 } };
    await s.writeBatch([r]);
    await s.close();
    const f = new Uint8Array(readFileSync(path));
    deepEqual(f.subarray(0, 8), new Uint8Array([0x42, 0x57, 0x47, 0x53, 1, 0, 0, 0]));
    const dv = new DataView(f.buffer, f.byteOffset);
    // record entry
    const len = dv.getUint32(8 + 8);
    equal(dv.getUint32(8), crc32c(f.subarray(12, 8 + 16 + len)));
    equal(f[12], 1);
    equal(dv.getUint16(14), 256);
    equal(dv.getUint32(20), 0x11223344);
    equal(dv.getBigUint64(24), 0x0102030405060708n);
    equal(f[32], 10); // extra: TLV 1, length 8, amount_sat
    deepEqual(f.subarray(33, 35), new Uint8Array([1, 8]));
    equal(dv.getBigUint64(35), 1000n);
    deepEqual(f.subarray(43, 8 + 16 + len), r.raw);
    // commit entry: seq 1, count 1
    const c = 8 + 16 + len;
    equal(f[c + 4], 3);
    equal(dv.getBigUint64(c + 16), 1n);
    equal(dv.getUint32(c + 24), 1);
    equal(f.length, c + 28);
  });

  it('refuses a file that is not a gossip store, or of another version', async () => {
    const p1 = freshPath();
    writeFileSync(p1, 'hello, this is not a store');
    const s1 = await FileGossipStore.open(p1);
    await rejects(
      s1.load(() => undefined),
      GossipStoreError,
      'bad_header',
    );
    await s1.close();
    equal(readFileSync(p1, 'utf8'), 'hello, this is not a store');
    const p2 = freshPath();
    writeFileSync(p2, new Uint8Array([0x42, 0x57, 0x47, 0x53, 2, 0, 0, 0]));
    const s2 = await FileGossipStore.open(p2);
    await rejects(
      s2.load(() => undefined),
      GossipStoreError,
      'version',
    );
    await s2.close();
  });

  it('finishes a header cut short at creation', async () => {
    const p = freshPath();
    writeFileSync(p, new Uint8Array([0x42, 0x57, 0x47]));
    const s = await openLoaded(p);
    await s.writeBatch([rec(256, 1n, 'a')]);
    await s.close();
    const again = await FileGossipStore.open(p);
    equal(tags(await loadAll(again)).join(), 'a');
    await again.close();
    const zeros = freshPath();
    writeFileSync(zeros, new Uint8Array(8)); // space allocated, header never written
    const z = await openLoaded(zeros);
    await z.close();
    deepEqual(new Uint8Array(readFileSync(zeros)), new Uint8Array([0x42, 0x57, 0x47, 0x53, 1, 0, 0, 0]));
  });

  it('refuses writes before load', async () => {
    const s = await FileGossipStore.open(freshPath());
    await rejects(s.writeBatch([rec(256, 1n, 'a')]), GossipStoreError, 'not_loaded');
    await s.close();
  });
});

describe('FileGossipStore recovery', () => {
  async function twoBatches(): Promise<{ path: string; firstEnd: number; size: number }> {
    const path = freshPath();
    const s = await openLoaded(path);
    await s.writeBatch([rec(256, 1n, 'a'), rec(258, 2n, 'b')]);
    const firstEnd = (await s.stats()).bytes;
    await s.writeBatch([rec(256, 3n, 'c'), rec(257, nodeId(1), 'd'), rec(258, 2n, 'b2')], [{ type: 256, key: 1n }]);
    const size = (await s.stats()).bytes;
    await s.close();
    equal(statSync(path).size, size);
    return { path, firstEnd, size };
  }

  it('a batch cut anywhere before the end of its commit is dropped whole, and the file cut back', async () => {
    const { path, firstEnd, size } = await twoBatches();
    const whole = readFileSync(path);
    for (let cut = firstEnd; cut < size; cut++) {
      writeFileSync(path, whole.subarray(0, cut));
      const s = await FileGossipStore.open(path);
      const got: GossipRecord[] = [];
      const res = await s.load(r => got.push(r));
      deepEqual(tags(got), ['a', 'b'], `cut at ${cut}`);
      equal(res.discarded, cut - firstEnd);
      equal(statSync(path).size, firstEnd);
      // ingestion resumes after the cut
      await s.writeBatch([rec(256, 9n, 'z')]);
      await s.close();
      const again = await FileGossipStore.open(path);
      deepEqual(tags(await loadAll(again)), ['a', 'b', 'z']);
      await again.close();
    }
  });

  it('a byte flipped anywhere in the last batch drops that batch only', async () => {
    const { path, firstEnd, size } = await twoBatches();
    const whole = new Uint8Array(readFileSync(path));
    for (let at = firstEnd; at < size; at += 3) {
      const bad = whole.slice();
      bad[at]! ^= 0x40;
      writeFileSync(path, bad);
      const s = await FileGossipStore.open(path);
      const got = await loadAll(s);
      await s.close();
      deepEqual(tags(got), ['a', 'b'], `flip at ${at}`);
    }
    writeFileSync(path, whole);
    const s = await FileGossipStore.open(path);
    deepEqual(tags(await loadAll(s)), ['c', 'd', 'b2']);
    await s.close();
  });

  it('a batch after the torn point is lost with it (nothing past a bad entry is trusted)', async () => {
    const { path, firstEnd } = await twoBatches();
    const bad = new Uint8Array(readFileSync(path));
    bad[20]! ^= 1; // the first batch's first record
    writeFileSync(path, bad);
    const s = await FileGossipStore.open(path);
    const res = await s.load(() => ok(false, 'nothing survives'));
    equal(res.discarded, bad.length - 8);
    ok(firstEnd > 8);
    await s.close();
    equal(statSync(path).size, 8);
  });

  it('zeros where a batch should be (space allocated, data never written) are a torn tail', async () => {
    const { path, size } = await twoBatches();
    const f = new Uint8Array(size + 4096);
    f.set(readFileSync(path));
    writeFileSync(path, f);
    const s = await FileGossipStore.open(path);
    const res = await s.load(() => undefined);
    equal(res.discarded, 4096);
    equal(res.live, 3);
    await s.close();
  });
});

describe('FileGossipStore compaction', () => {
  it('counts dead entries, rewrites live records in write order, shrinks the file', async () => {
    const path = freshPath();
    let s: GossipStore = await openLoaded(path);
    for (let i = 0; i < 100; i++)
      await s.writeBatch([rec(258, channelUpdateKey(BigInt(i % 5), 0), `u${i}`), rec(256, BigInt(1000 + i), `c${i}`)]);
    await s.delete([
      { type: 256, key: 1000n },
      { type: 256, key: 1001n },
    ]);
    const before = await s.stats();
    equal(before.live, 5 + 98);
    equal(before.dead, 95 + 2 + 2); // superseded updates, deleted channels, their tombstones
    const order = tags(await loadAll(s));
    await s.compact();
    const st = await s.stats();
    deepEqual({ live: st.live, dead: st.dead }, { live: 103, dead: 0 });
    ok(st.bytes < before.bytes / 1.5);
    equal(statSync(path).size, st.bytes);
    deepEqual(tags(await loadAll(s)), order);
    // superseding still works against the renumbered index
    await s.writeBatch([rec(256, 1050n, 'c50-new')]);
    equal((await s.stats()).dead, 1);
    await s.close();
    s = await FileGossipStore.open(path);
    const got = tags(await loadAll(s));
    deepEqual(got, [...order.filter(t => t !== 'c50'), 'c50-new']);
    await s.close();
  });

  it('a compaction cut short (its temporary file left behind) changes nothing', async () => {
    const path = freshPath();
    const s = await openLoaded(path);
    await s.writeBatch([rec(256, 1n, 'a'), rec(256, 1n, 'b')]);
    await s.close();
    writeFileSync(`${path}.compact`, new Uint8Array([0x42, 0x57, 0x47, 0x53, 1, 0, 0, 0, 9, 9, 9]));
    const again = await FileGossipStore.open(path);
    equal(existsSync(`${path}.compact`), false);
    deepEqual(tags(await loadAll(again)), ['b']);
    await again.close();
  });
});

describe('FileGossipStore at mainnet size', () => {
  it('loads 170,000 records (~45 MB) intact', async () => {
    const path = freshPath();
    const s = await FileGossipStore.open(path, { sync: false });
    await loadAll(s);
    const N = 170_000;
    const per = 10_000;
    for (let b = 0; b < N; b += per) {
      const batch: GossipRecord[] = [];
      for (let i = b; i < b + per; i++) batch.push(syntheticRecord(i));
      await s.writeBatch(batch);
    }
    await s.close();
    const size = statSync(path).size;
    ok(size > 40e6, `file is ${size} bytes`);
    const t0 = performance.now();
    const r = await FileGossipStore.open(path);
    let count = 0;
    let sum = 0;
    const res = await r.load(x => {
      count++;
      sum += x.raw.length;
    });
    const ms = performance.now() - t0;
    console.log(`# FileGossipStore: loaded ${count} records, ${(size / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms`);
    equal(count, N);
    equal(res.live, N);
    ok(sum > 35e6);
    // spot checks, byte for byte
    const want = new Map([0, 1, 2, 77_777, N - 1].map(i => [i, syntheticRecord(i)]));
    const seen = new Map<number, GossipRecord>();
    await r.load(x => {
      const i = Number(new DataView(x.raw.buffer, x.raw.byteOffset).getUint32(2));
      if (want.has(i)) seen.set(i, x);
    });
    for (const [i, w] of want) deepEqual(seen.get(i), w, `record ${i}`);
    await r.close();
    truncateSync(path, 0);
  });
});
