// lightningd's database in Node (src/node/lightningd-storage.ts): the LightningdStorage contract on
// files, the log and its compaction into the snapshot, a torn last line, a crash inside a
// compaction, and the whole-state lightningd.json of before records.
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LightningdDb } from '../../src/core/daemons/lightningd/db.ts';
import { FileLightningdStorage, LIGHTNINGD_FILES } from '../../src/node/lightningd-storage.ts';
import { dbContent, fillDb, lightningdStorageContract, testChannel } from '../core/lightningd-storage-contract.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';

const root = mkdtempSync(join(tmpdir(), 'ld-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(root, `d${n++}`);
const dirOf = new WeakMap<object, string>();
let current = '';

lightningdStorageContract('FileLightningdStorage', {
  fresh: async () => {
    current = freshDir();
    const s = new FileLightningdStorage(current);
    dirOf.set(s, current);
    return s;
  },
  reopen: async s => {
    const again = new FileLightningdStorage(dirOf.get(s)!);
    dirOf.set(again, dirOf.get(s)!);
    return again;
  },
  seedLegacy: async json => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(current, { recursive: true });
    writeFileSync(join(current, LIGHTNINGD_FILES.legacy), json);
  },
});

const path = (dir: string, f: keyof typeof LIGHTNINGD_FILES): string => join(dir, LIGHTNINGD_FILES[f]);

describe('FileLightningdStorage: log and snapshot', () => {
  it('appends one line per batch, compacts into the snapshot once the log outgrows it, and loads the same either way', async () => {
    const dir = freshDir();
    const s = new FileLightningdStorage(dir, { minCompactBytes: 4096 });
    await s.load();
    await s.write([['meta', '{"v":0}']], []);
    equal(readFileSync(path(dir, 'log'), 'utf8').split('\n').length, 2, 'one line and the newline');
    ok(!existsSync(path(dir, 'snapshot')));
    let compactions = 0;
    for (let i = 1; i <= 60; i++) {
      const before = statSync(path(dir, 'log')).size;
      await s.write([[`channels:${i % 3}`, JSON.stringify({ i, pad: 'x'.repeat(300) })]], i % 10 === 0 ? [`channels:${(i + 1) % 3}`] : []);
      if (statSync(path(dir, 'log')).size < before) compactions++;
    }
    ok(compactions >= 3, `${compactions} compactions`);
    ok(statSync(path(dir, 'log')).size <= Math.max(4096, statSync(path(dir, 'snapshot')).size) + 400);
    const got = await new FileLightningdStorage(dir).load();
    deepEqual([...got].sort(), [
      ['channels:0', JSON.stringify({ i: 60, pad: 'x'.repeat(300) })],
      ['channels:2', JSON.stringify({ i: 59, pad: 'x'.repeat(300) })],
      ['meta', '{"v":0}'],
    ]);
  });

  it('skips batches the snapshot already holds (a compaction that died before emptying the log)', async () => {
    const dir = freshDir();
    const s = new FileLightningdStorage(dir, { minCompactBytes: 1 << 20 });
    await s.load();
    for (let i = 0; i < 5; i++) await s.write([[`k${i % 2}`, String(i)]], i === 4 ? ['k1'] : []);
    const oldLog = readFileSync(path(dir, 'log'));
    // Compact (a tiny floor), then put the log back as it was before it was emptied.
    const c = new FileLightningdStorage(dir, { minCompactBytes: 1 });
    await c.load();
    await c.write([['k2', '"two"']], []);
    ok(existsSync(path(dir, 'snapshot')));
    equal(statSync(path(dir, 'log')).size, 0);
    writeFileSync(path(dir, 'log'), oldLog);
    const again = new FileLightningdStorage(dir);
    deepEqual([...(await again.load())].sort(), [
      ['k0', '4'],
      ['k2', '"two"'],
    ]);
    await again.write([['k3', '3']], []);
    deepEqual([...(await new FileLightningdStorage(dir).load())].sort(), [
      ['k0', '4'],
      ['k2', '"two"'],
      ['k3', '3'],
    ]);
  });

  it('drops a torn last line, cuts it off, and the next batch starts a line of its own', async () => {
    const dir = freshDir();
    const db = new LightningdDb(new FileLightningdStorage(dir));
    await db.load();
    await fillDb(db);
    const whole = dbContent(db);
    const good = statSync(path(dir, 'log')).size;
    await db.saveChannel(testChannel('1', { channel: 'z'.repeat(2600) }));
    const line = readFileSync(path(dir, 'log')).subarray(good);
    // Every cut of the last line inside it (and a cut that leaves its newline out) loads the state before it.
    for (const cut of [1, 100, line.length >> 1, line.length - 1]) {
      truncateSync(path(dir, 'log'), good);
      appendFileSync(path(dir, 'log'), line.subarray(0, cut));
      const again = new LightningdDb(new FileLightningdStorage(dir));
      await again.load();
      deepEqual(dbContent(again), whole, `cut at ${cut}`);
      equal(statSync(path(dir, 'log')).size, good, 'the torn line is cut off');
    }
    // Zeros past the last line (a power cut that grew the file but not its data) are a torn tail too.
    appendFileSync(path(dir, 'log'), Buffer.alloc(512));
    const after = new LightningdDb(new FileLightningdStorage(dir));
    await after.load();
    await after.saveChannel(testChannel('1', { funding_height: 9 }));
    const third = new LightningdDb(new FileLightningdStorage(dir));
    await third.load();
    equal(third.channels().find(c => c.dbid === '1')?.funding_height, 9);
    deepEqual(third.invoices(), after.invoices());
  });

  it('refuses a log damaged before its last line, naming the file, rather than lose what follows', async () => {
    const dir = freshDir();
    const s = new FileLightningdStorage(dir);
    await s.load();
    for (let i = 0; i < 3; i++) await s.write([[`k${i}`, String(i)]], []);
    const text = readFileSync(path(dir, 'log'), 'utf8').split('\n');
    text[1] = text[1]!.slice(0, 10);
    writeFileSync(path(dir, 'log'), text.join('\n'));
    const e = await rejects(new FileLightningdStorage(dir).load(), Error);
    ok(e.message.includes(LIGHTNINGD_FILES.log) && e.message.includes('bad batch'), e.message);
    // And a batch missing in the middle (a gap in seq) too.
    text[1] = '';
    writeFileSync(path(dir, 'log'), text.filter(l => l).join('\n') + '\n');
    const gap = await rejects(new FileLightningdStorage(dir).load(), Error);
    ok(gap.message.includes('missing'), gap.message);
  });

  it("moves an older node's lightningd.json into records on the first write and removes it", async () => {
    const dir = freshDir();
    const first = new LightningdDb(new FileLightningdStorage(dir));
    await first.load();
    await fillDb(first);
    const state = (first as unknown as { state: unknown }).state;
    rmSync(dir, { recursive: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(path(dir, 'legacy'), JSON.stringify(state, null, 1));
    const db = new LightningdDb(new FileLightningdStorage(dir));
    await db.load();
    deepEqual(dbContent(db), dbContent(first));
    ok(existsSync(path(dir, 'legacy')), 'kept until the records are written');
    await db.setChainState({ height: 500, hashes: [] });
    ok(!existsSync(path(dir, 'legacy')));
    const again = new LightningdDb(new FileLightningdStorage(dir));
    await again.load();
    equal(again.chainState()?.height, 500);
    deepEqual(again.invoices(), first.invoices());
    // A copy of the old file left beside the records (a crash before it was removed) is ignored, then removed.
    writeFileSync(path(dir, 'legacy'), JSON.stringify(state));
    const third = new LightningdDb(new FileLightningdStorage(dir));
    await third.load();
    equal(third.chainState()?.height, 500);
    await third.peerReached('05'.repeat(33), undefined, 1);
    ok(!existsSync(path(dir, 'legacy')));
  });
});
