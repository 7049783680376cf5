// lightningd's close-control.ts without daemons: the feerates it gives closingd (Core Lightning's
// floor / 100 blocks / the larger of 6 blocks and the final commitment's fee, or `feerange`), the
// `close` call's unilateraltimeout (a fake clock: the fallback runs once the time is up, never
// before), a refused second `close` that leaves the first one waiting, and states it refuses.
import { closeFeerates, CloseControl, CloseFailed, type CloseControlOptions } from '../../src/core/daemons/lightningd/close-control.ts';
import { LightningdDb, MemoryLightningdStorage, type ChannelRecord } from '../../src/core/daemons/lightningd/db.ts';
import { deepEqual, equal, rejects } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { settle } from '../support/memory-stream.ts';

const SCRIPT = '0014' + 'aa'.repeat(20);
const quiet = { debug() {}, info() {}, warn() {} };

function record(state: ChannelRecord['state']): ChannelRecord {
  return {
    dbid: '1',
    peer_id: '02' + '11'.repeat(32),
    state,
    opener: 'local',
    channel_id: '22'.repeat(32),
    funding_txid: '33'.repeat(32),
    funding_outnum: 0,
    funding_sat: '100000',
    push_msat: '0',
    channel_type: '1000',
    announce: false,
    minimum_depth: 3,
    funded: '{}',
    // Our script already chosen (a restart in CHANNELD_SHUTTING_DOWN): no wallet needed.
    closing: { local_script: SCRIPT, destination: { index: 0, type: 'p2wpkh' } },
  };
}

async function control(state: ChannelRecord['state']) {
  const db = new LightningdDb(new MemoryLightningdStorage());
  await db.saveChannel(record(state));
  const clock = new FakeClock();
  const o: CloseControlOptions = {
    db,
    links: { start: () => Promise.reject(new Error('no daemons here')), end: async () => undefined },
    ourFeatures: '',
    theirFeatures: async () => undefined,
    channeldOf: () => undefined,
    failChannel: async () => undefined,
    disconnect: async () => undefined,
    clock,
    log: quiet,
  };
  return { closes: new CloseControl(o), db, clock };
}

describe('lightningd: close-control', () => {
  it('feerates: floor, 100 blocks, and at most the larger of 6 blocks and the final commitment fee over the close weight; feerange replaces min and max', () => {
    // The backend's estimates are per kvB (perkb): 2,000 and 500 perkw.
    const est = {
      feerate_floor: 1_012,
      feerates: [
        { blocks: 6, feerate: 8_000 },
        { blocks: 100, feerate: 2_000 },
      ],
    };
    // A final commitment fee of 1,000 sat over a 700-weight close: 1,428 perkw, below the 6-block 2,000.
    deepEqual(closeFeerates(est, { commitmentFeeSat: 1_000n, closingWeight: 700 }), { min: 253, ideal: 500, max: 2_000 });
    // Flat estimates (regtest): the commitment's fee is the ceiling, as Core Lightning's.
    const flat = { feerate_floor: 1_012, feerates: [{ blocks: 6, feerate: 1_012 }] };
    deepEqual(closeFeerates(flat, { commitmentFeeSat: 183n, closingWeight: 556 }), { min: 253, ideal: 253, max: 329 });
    deepEqual(closeFeerates(est, { commitmentFeeSat: 1_000n, closingWeight: 700 }, [300, 400]), { min: 300, ideal: 400, max: 400 });
  });

  it('unilateraltimeout: the fallback runs when the time is up, not before; `close` answers what it gives', async () => {
    const { closes, db, clock } = await control('CHANNELD_NORMAL');
    let calls = 0;
    const outcome = { tx: 'aa', txid: 'bb', type: 'unilateral' };
    const p = closes.close('1', {}, 60_000, async () => {
      calls++;
      return outcome;
    });
    await settle();
    equal(db.channels()[0]!.state, 'CHANNELD_SHUTTING_DOWN', 'our shutdown is durable at once');
    await clock.tick(59_999);
    equal(calls, 0, 'not before the timeout');
    await clock.tick(1);
    equal(calls, 1);
    deepEqual(await p, outcome);
    equal(clock.pending, 0);
  });

  it('a refused second close (another destination once our script is chosen) leaves the first waiting; closed states are refused', async () => {
    const { closes, clock } = await control('CHANNELD_SHUTTING_DOWN');
    let fired = false;
    const first = closes.close('1', {}, 1_000, async () => {
      fired = true;
      return { tx: '', txid: '' };
    });
    const other = Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(0xbb));
    const err = await rejects(closes.close('1', { destination: other }), CloseFailed);
    equal((err as CloseFailed).reason, 'bad_destination');
    await settle();
    await clock.tick(1_000);
    equal(fired, true, 'the first close still waited for its timeout');
    await first;
    const failed = await control('AWAITING_UNILATERAL');
    equal(((await rejects(failed.closes.close('1', {}), CloseFailed)) as CloseFailed).reason, 'not_closable');
  });
});
