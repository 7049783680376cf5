// lightningd's watch on funding outputs (onchain-control.ts) for a mutual close: a closing
// transaction (BOLT 3: locktime 0, sequence 0xFFFFFFFF, no commitment number) spending the funding
// output is recorded ONCHAIN with the block's height and no onchaind is started (nothing to sweep:
// its outputs pay the wallet and the peer); a reorganisation that removes its block undoes it; once
// it is 100 blocks deep the channel moves to closed_channels. And forceClose refuses a channel whose
// state option_data_loss_protect proved stale before anything is signed.
import { Transaction } from '@scure/btc-signer';
import { toHex } from '../../src/core/base/bytes.ts';
import type { ConnectedBlock } from '../../src/core/chain/backend.ts';
import { LightningdDb, MemoryLightningdStorage, type ChannelRecord } from '../../src/core/daemons/lightningd/db.ts';
import { ForceCloseRefused, OnchainControl } from '../../src/core/daemons/lightningd/onchain-control.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { block } from './onchain-fixture.ts';

const FUNDING_TXID = 'ab'.repeat(32);
const quiet = { debug() {}, info() {}, warn() {} };
const refuse = () => {
  throw new Error('not expected for a mutual close');
};

function record(o: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    dbid: '1',
    peer_id: '02'.padEnd(66, '1'),
    state: 'CLOSINGD_COMPLETE',
    opener: 'local',
    channel_id: 'cd'.repeat(32),
    funding_txid: FUNDING_TXID,
    funding_outnum: 1,
    funding_sat: '100000',
    push_msat: '0',
    channel_type: '1000',
    announce: false,
    minimum_depth: 3,
    funded: '{}',
    ...o,
  };
}

/** A transaction spending `txid:vout` with the given locktime and sequence. */
function spending(txid: string, vout: number, lockTime: number, sequence: number): Uint8Array {
  const tx = new Transaction({ version: 2, lockTime, allowUnknownOutputs: true });
  tx.addInput({ txid, index: vout, sequence });
  tx.addOutput({ script: Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(1)), amount: 99_000n });
  return tx.unsignedTx;
}

async function setup(c: ChannelRecord) {
  const db = new LightningdDb(new MemoryLightningdStorage());
  await db.saveChannel(c);
  const ended: string[] = [];
  let tip = 0;
  const control = new OnchainControl({
    db,
    daemons: { start: refuse, serve: refuse, channel: refuse } as never,
    hsmd: { api: {}, guard: refuse, attach: refuse, detach: refuse } as never,
    wallet: { newKey: refuse } as never,
    broadcast: refuse,
    feeratePerKw: async () => 253,
    tip: () => tip,
    endChannel: async dbid => void ended.push(dbid),
    log: quiet,
  });
  const connect = async (b: ConnectedBlock) => {
    tip = b.height;
    await control.blockConnected(b);
  };
  return { db, control, ended, connect };
}

describe('lightningd: funding outputs spent on chain', () => {
  it('a mutual close: ONCHAIN at its height without onchaind, undone by a reorganisation, forgotten 100 blocks deep', async () => {
    const { db, control, ended, connect } = await setup(record());
    const other = spending(FUNDING_TXID, 0, 0, 0xffffffff);
    await connect(block(200, [other]));
    equal(db.channels()[0]!.state, 'CLOSINGD_COMPLETE', 'another output of the funding transaction is not the channel');

    const closing = spending(FUNDING_TXID, 1, 0, 0xffffffff);
    await connect(block(201, [closing]));
    const c = db.channels()[0]!;
    deepEqual([c.state, c.onchain?.close, c.onchain?.spend?.height, c.onchain?.spend?.tx], ['ONCHAIN', 'mutual', 201, toHex(closing)]);
    deepEqual(ended, ['1'], 'its daemon ended');
    deepEqual(control.status(c), ['ONCHAIN:Tracking mutual close transaction']);

    // The block goes: the funding output is unspent again; the same close in the new block is seen again.
    await control.blockDisconnected({ height: 201 });
    deepEqual([db.channels()[0]!.state, db.channels()[0]!.onchain?.spend], ['CLOSINGD_COMPLETE', undefined]);
    await connect(block(201, []));
    await connect(block(202, [closing]));
    equal(db.channels()[0]!.onchain?.spend?.height, 202);

    // Core Lightning forgets it once it is 100 blocks deep (202 + 99 = 301 holds the 100th confirmation).
    await connect(block(300));
    equal(db.channels().length, 1, 'still held at 99 confirmations');
    await connect(block(301));
    equal(db.channels().length, 0);
    deepEqual(
      db.closedChannels().map(x => [x.dbid, x.state, x.onchain?.resolved_height]),
      [['1', 'ONCHAIN', 301]],
    );
  });

  it('forceClose refuses a channel option_data_loss_protect found behind, signing nothing', async () => {
    const { db, control } = await setup(
      record({ state: 'AWAITING_UNILATERAL', failure: { code: 'we_are_behind', message: 'old', action: 'data_loss' } }),
    );
    const e = await rejects<ForceCloseRefused>(control.forceClose('1', 'user'), ForceCloseRefused);
    equal(e.reason, 'data_loss');
    equal(db.channels()[0]!.onchain, undefined, 'nothing recorded');
    ok(control.status(db.channels()[0]!)[0]!.includes('behind'));
  });
});
