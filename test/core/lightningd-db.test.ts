// lightningd's database: the tables other parts of lightningd keep (payments, forwards...), staged
// in memory and made durable with the next write, so a record can ride in a channel's own write.
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { deepEqual, equal } from '../support/assert.ts';

const channel = {
  dbid: '1',
  peer_id: '02'.repeat(33),
  state: 'CHANNELD_NORMAL' as const,
  opener: 'local' as const,
  channel_id: '00'.repeat(32),
  funding_txid: '00'.repeat(32),
  funding_outnum: 0,
  funding_sat: '100000',
  push_msat: '0',
  channel_type: '',
  announce: false,
  minimum_depth: 3,
  funded: '{}',
};

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
