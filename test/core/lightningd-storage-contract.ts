// What every LightningdStorage must do (src/core/daemons/lightningd/db.ts), as one suite each
// runtime's test runs: memory (test/core), file (test/node), IndexedDB (test/browser), Durable
// Object storage (test/edge under miniflare). Not a test file itself. Each test ends with a reopen:
// what counts is what the storage gives back, not what it holds in memory.
import { LightningdDb, MemoryLightningdStorage, type ChannelRecord, type LightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { LEGACY_STATE_KEY } from '../../src/core/daemons/lightningd/db-records.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

export interface LightningdStorageHarness {
  /** A new, empty storage. */
  fresh(): Promise<LightningdStorage>;
  /** Closes `s` (if it has anything to close) and opens the same storage again. */
  reopen(s: LightningdStorage): Promise<LightningdStorage>;
  /** Puts `json` where the runtime kept lightningd's whole state before records (the migration's input). */
  seedLegacy(json: string): Promise<void>;
}

export const testChannel = (dbid: string, extra: Partial<ChannelRecord> = {}): ChannelRecord => ({
  dbid,
  peer_id: '02'.repeat(33),
  state: 'CHANNELD_NORMAL',
  opener: 'local',
  channel_id: dbid.padStart(64, '0'),
  funding_txid: '11'.repeat(32),
  funding_outnum: 0,
  funding_sat: '100000',
  push_msat: '0',
  channel_type: '',
  announce: false,
  minimum_depth: 3,
  funded: '{}',
  ...extra,
});

export const testInvoice = (label: string, payment_hash: string) => ({
  label,
  bolt11: `lnbcrt1${label}`,
  payment_hash,
  payment_secret: '22'.repeat(32),
  payment_preimage: '33'.repeat(32),
  amount_msat: '1000',
  description: `for ${label}`,
  expires_at: 1_900_000_000,
  status: 'unpaid' as const,
});

const hash = (i: number): string => i.toString(16).padStart(64, '0');

/** Fills a db with every kind of record lightningd keeps, odd keys included. */
export async function fillDb(db: LightningdDb): Promise<void> {
  await db.peerReached('03'.repeat(33), { kind: 'tcp', type: 'ipv4', host: '127.0.0.1', port: 9735 }, 1000, true);
  await db.setChainState({ height: 101, hashes: ['aa'.repeat(32), 'bb'.repeat(32)] });
  equal(await db.newDbid(), 1n);
  await db.saveChannel(
    testChannel('1', {
      channel: 'x'.repeat(2600),
      htlcs: { 'in:0': { direction: 'in', id: '0', amount_msat: '5000', payment_hash: hash(9), cltv_expiry: 500, state: 'incoming' } },
    }),
  );
  for (const label of ['plain', 'with:colon', '100%', '__proto__', 'ünïcødé'])
    await db.addInvoice(testInvoice(label, hash(label.length + label.charCodeAt(0))));
  db.stage('payments', 'p:1', { status: 'pending', parts: [1, 2] });
  db.stage('forwards', 'f:1', { v: 1 });
  db.stage('empty', 'x', { v: 1 });
  db.stage('empty', 'x', undefined);
  await db.flush();
}

/** The whole visible content of a db, through its public methods. */
export function dbContent(db: LightningdDb): unknown {
  return {
    peers: db.peers(),
    chain: db.chainState(),
    channels: db.channels(),
    invoices: db.invoices(),
    payments: db.table('payments'),
    forwards: db.table('forwards'),
    empty: db.table('empty'),
    protoInvoice: db.invoice('__proto__'),
  };
}

export function lightningdStorageContract(name: string, h: LightningdStorageHarness): void {
  describe(`${name}: the LightningdStorage contract`, () => {
    it('starts empty, and gives back what batches put and not what they deleted', async () => {
      const s = await h.fresh();
      equal((await s.load()).size, 0);
      await s.write(
        [
          ['a', '{"v":1}'],
          ['b', '"two"'],
          ['c', '[3]'],
        ],
        [],
      );
      await s.write([['a', '{"v":11}']], ['b', 'never-there']);
      const again = await h.reopen(s);
      deepEqual([...(await again.load())].sort(), [
        ['a', '{"v":11}'],
        ['c', '[3]'],
      ]);
    });

    it('takes a batch of many keys, a value over 128 KiB and a key of 3000 characters', async () => {
      const s = await h.fresh();
      const many: [string, string][] = Array.from({ length: 300 }, (_, i) => [
        `invoices:${i}`,
        JSON.stringify({ i, pad: 'p'.repeat(500) }),
      ]);
      const big = JSON.stringify({ htlcs: 'h'.repeat(300_000), wide: 'é'.repeat(70_000) });
      const longKey = `invoices:${'k'.repeat(3000)}`;
      await s.write([...many, ['channels:1', big], [longKey, '"long"']], []);
      let again = await h.reopen(s);
      let got = await again.load();
      equal(got.size, 302);
      equal(got.get('channels:1'), big);
      equal(got.get('invoices:299'), many[299]![1]);
      equal(got.get(longKey), '"long"');
      // Smaller again, and the long key gone: nothing of the old value is left behind.
      await again.write([['channels:1', '"small"']], [longKey, ...many.slice(0, 150).map(([k]) => k)]);
      again = await h.reopen(again);
      got = await again.load();
      equal(got.size, 151);
      equal(got.get('channels:1'), '"small"');
      ok(!got.has(longKey));
    });

    it('round-trips every kind of record of lightningd through a db', async () => {
      const s = await h.fresh();
      const db = new LightningdDb(s);
      await db.load();
      await fillDb(db);
      const again = new LightningdDb(await h.reopen(s));
      await again.load();
      deepEqual(dbContent(again), dbContent(db));
      equal(again.invoices().length, 5);
      equal(await again.newDbid(), 2n);
    });

    it('loads the whole-state record of an older store and rewrites it as records on the first write', async () => {
      const memory = new LightningdDb(new MemoryLightningdStorage());
      await fillDb(memory);
      const legacyJson = JSON.stringify((memory as unknown as { state: unknown }).state);
      const s = await h.fresh();
      await h.seedLegacy(legacyJson);
      const reopened = await h.reopen(s);
      const loaded = await reopened.load();
      equal(loaded.get(LEGACY_STATE_KEY), legacyJson);
      const db = new LightningdDb(reopened);
      await db.load();
      deepEqual(dbContent(db), dbContent(memory));
      await db.peerReached('04'.repeat(33), undefined, 2000);
      const after = await (await h.reopen(reopened)).load();
      ok(!after.has(LEGACY_STATE_KEY), 'the old record is gone');
      ok(after.has('meta') && after.has('channels:1') && after.has(`peers:${'04'.repeat(33)}`));
      const third = new LightningdDb(await h.reopen(reopened));
      await third.load();
      deepEqual(dbContent(third), dbContent(db));
    });
  });
}

/** The invoice iteration `n` of the crash writer (test/node/fixtures/lightningd-db-writer.ts) adds. */
export const crashInvoice = (n: number) => ({
  ...testInvoice(`inv-${n}`, hash(n + 1_000_000)),
  description: `crash ${n} ${'d'.repeat(200)}`,
});

/**
 * Checks a db the crash writer wrote: every batch whole or absent. Returns the last iteration whose
 * first batch is there (-1 for none) and what is wrong; `acked` is the last one acknowledged.
 */
export function lightningdCrashCheck(db: LightningdDb, acked: number): { last: number; problems: string[] } {
  const problems: string[] = [];
  const crash = db.table<{ n: number }>('crash');
  const last = crash['a']?.n ?? -1;
  if (last < acked) problems.push(`iteration ${acked} was acknowledged, the store ends at ${last}`);
  if ((crash['b']?.n ?? -1) !== last) problems.push(`crash:b is ${crash['b']?.n}, crash:a ${last}: a torn batch`);
  const funded = db.channels().find(c => c.dbid === '1')?.funded;
  if ((funded === undefined ? -1 : (JSON.parse(funded) as { n: number }).n) !== last)
    problems.push(`channel 1 holds ${funded}, crash:a ${last}`);
  const gone = Object.keys(crash).filter(k => k.startsWith('gone-'));
  if (last >= 0 && (gone.length !== 1 || gone[0] !== `gone-${last}`)) problems.push(`gone records ${gone.join(',')} at ${last}`);
  const invoices = new Set(db.invoices().map(i => i.label));
  for (let n = Math.max(0, last - 29); n < last; n++) if (!invoices.has(`inv-${n}`)) problems.push(`inv-${n} is missing at ${last}`);
  if (last >= 30 && !invoices.has(`inv-${last - 30}`) && !invoices.has(`inv-${last}`))
    problems.push(`inv-${last - 30} went before inv-${last} came`);
  for (const label of invoices) {
    const n = Number(label.slice(4));
    if (n > last || n < last - 30) problems.push(`${label} should not be there at ${last}`);
  }
  return { last, problems };
}
