// lightningd's database: the tables other parts of lightningd keep (payments, forwards...), staged
// in memory and made durable with the next write, so a record can ride in a channel's own write;
// each write carries only the records that changed (db-records.ts), counted here key by key.
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { LEGACY_STATE_KEY } from '../../src/core/daemons/lightningd/db-records.ts';
import { deepEqual, equal, rejects } from '../support/assert.ts';
import { fillDb, lightningdStorageContract, testChannel, testInvoice } from './lightningd-storage-contract.ts';

const channel = testChannel('1');

describe('lightningd: database tables', () => {
  it('a staged record is not durable until the next write, which carries it with the channel', async () => {
    const storage = new MemoryLightningdStorage();
    const db = new LightningdDb(storage);
    db.stage('payments', 'a', { status: 'pending', n: 1 });
    equal(storage.state, undefined);
    deepEqual(db.record('payments', 'a'), { status: 'pending', n: 1 });
    await db.saveChannel(channel);
    deepEqual(storage.state?.tables, { payments: { a: { status: 'pending', n: 1 } } });
    deepEqual(storage.state?.channels?.['1']?.state, 'CHANNELD_NORMAL');
  });

  it('removes with undefined, hands out copies, and reloads what was written', async () => {
    const storage = new MemoryLightningdStorage();
    const db = new LightningdDb(storage);
    db.stage('forwards', 'x', { v: 1 });
    db.stage('forwards', 'y', { v: 2 });
    db.stage('forwards', 'x', undefined);
    await db.flush();
    const copy = db.table<{ v: number }>('forwards');
    copy['y']!.v = 9;
    deepEqual(db.table('forwards'), { y: { v: 2 } });
    equal(db.record('forwards', 'x'), undefined);
    equal(db.record('forwards', 'constructor'), undefined);
    const again = new LightningdDb(storage);
    await again.load();
    deepEqual(again.table('forwards'), { y: { v: 2 } });
    deepEqual(again.table('none'), {});
  });
});

lightningdStorageContract('MemoryLightningdStorage', {
  fresh: async () => (memory = new MemoryLightningdStorage()),
  reopen: async s => s,
  seedLegacy: async json => {
    memory.records = new Map([[LEGACY_STATE_KEY, json]]);
  },
});
let memory = new MemoryLightningdStorage();

describe('lightningd: database writes what changed', () => {
  const peer = '03'.repeat(33);
  async function filled(): Promise<{ storage: MemoryLightningdStorage; db: LightningdDb }> {
    const storage = new MemoryLightningdStorage();
    const db = new LightningdDb(storage);
    await fillDb(db);
    await db.saveChannel(testChannel('2'));
    storage.writes = [];
    return { storage, db };
  }

  it("a channel's persist touches that channel's record alone, not its peer, the invoices or the other channel", async () => {
    const { storage, db } = await filled();
    await db.saveChannel(testChannel('1', { channel: 'y'.repeat(2600) }));
    deepEqual(storage.writes, [{ puts: ['channels:1'], deletes: [] }]);
    await db.peerReached(peer, undefined, 2000);
    await db.deleteInvoice('with:colon');
    await db.flush();
    deepEqual(storage.writes.slice(1), [
      { puts: [`peers:${peer}`], deletes: [] },
      { puts: [], deletes: ['invoices:with%3Acolon'] },
    ]);
  });

  it('an invoice adds its own record and meta (the next created_index); a dbid or the chain position touch meta alone', async () => {
    const { storage, db } = await filled();
    await db.addInvoice(testInvoice('new', 'ee'.repeat(32)));
    await db.newDbid();
    await db.setChainState({ height: 102, hashes: ['cc'.repeat(32)] });
    deepEqual(storage.writes, [
      { puts: ['invoices:new', 'meta'], deletes: [] },
      { puts: ['meta'], deletes: [] },
      { puts: ['meta'], deletes: [] },
    ]);
  });

  it("staged table records land in the same batch as the channel's write, and a removal there too", async () => {
    const { storage, db } = await filled();
    db.stage('payments', 'p:2', { status: 'complete' });
    db.stage('payments', 'p:1', undefined);
    equal(storage.writes.length, 0, 'nothing written by stage');
    await db.saveChannel(testChannel('2', { state: 'AWAITING_UNILATERAL' }));
    deepEqual(storage.writes, [{ puts: ['channels:2', 'tables:payments:p%3A2'], deletes: ['tables:payments:p%3A1'] }]);
  });

  it('a flush with nothing changed writes nothing, and a loaded db writes nothing until something changes', async () => {
    const { storage, db } = await filled();
    await db.flush();
    const again = new LightningdDb(storage);
    await again.load();
    await again.flush();
    equal(storage.writes.length, 0);
    await again.saveChannel(testChannel('2', { funding_height: 7 }));
    deepEqual(storage.writes, [{ puts: ['channels:2'], deletes: [] }]);
  });

  it('a field of the state added later is cut into records the same way, and comes back', async () => {
    const { storage, db } = await filled();
    const state = (db as unknown as { state: Record<string, unknown> }).state;
    state['offers'] = { o1: { bolt12: 'lno1' }, o2: { bolt12: 'lno2' } };
    state['next_offer'] = 3;
    await db.flush();
    deepEqual(storage.writes, [{ puts: ['offers:o1', 'offers:o2', 'meta'], deletes: [] }]);
    (state['offers'] as Record<string, unknown>)['o1'] = { bolt12: 'lno1', disabled: true };
    await db.flush();
    deepEqual(storage.writes[1], { puts: ['offers:o1'], deletes: [] });
    const again = new LightningdDb(storage);
    await again.load();
    const s2 = (again as unknown as { state: Record<string, unknown> }).state;
    deepEqual(s2['offers'], { o1: { bolt12: 'lno1', disabled: true }, o2: { bolt12: 'lno2' } });
    equal(s2['next_offer'], 3);
  });

  it('a failed write fails that flush and every later one (nothing is written past a batch that did not land)', async () => {
    const { storage, db } = await filled();
    const real = storage.write.bind(storage);
    storage.write = async () => {
      throw new Error('disk full');
    };
    await rejects(db.saveChannel(testChannel('1', { funding_height: 1 })), Error);
    storage.write = real;
    await rejects(db.saveChannel(testChannel('2', { funding_height: 2 })), Error);
    equal(storage.writes.length, 0);
  });

  it('keeps a record whose key is __proto__ as a record (never the prototype), across a reload', async () => {
    const storage = new MemoryLightningdStorage();
    const db = new LightningdDb(storage);
    db.stage('payments', '__proto__', { v: 1 });
    db.stage('__proto__', 'k', { v: 2 });
    await db.flush();
    deepEqual(db.record('payments', '__proto__'), { v: 1 });
    deepEqual(Object.keys(db.table('payments')), ['__proto__']);
    const again = new LightningdDb(storage);
    await again.load();
    deepEqual(again.record('payments', '__proto__'), { v: 1 });
    deepEqual(again.record('__proto__', 'k'), { v: 2 });
    equal(({} as { v?: number }).v, undefined, 'no prototype touched');
  });
});
