// lightningd's chain service (src/core/daemons/lightningd/chain.ts) over a MemoryChain: refusing a
// backend on another chain, gossipd_get_txout with and without the backend's position lookup,
// gossipd told of a spend again when it failed to take it (the block is replayed), broadcasts
// shown to listeners, feerates that outlive a failing backend, and the height kept in lightningd's db.
import type { ChainListener } from '../../src/core/chain/backend.ts';
import { parseTx } from '../../src/core/chain/block.ts';
import { ChainSourceError } from '../../src/core/chain/errors.ts';
import { ChainService, dbFollowerStore } from '../../src/core/daemons/lightningd/chain.ts';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { MemoryChain } from '../support/memory-chain.ts';
import { rawTx as tx } from '../support/raw-block.ts';

const quiet = { debug() {}, info() {}, warn() {} };
const P2WSH = Uint8Array.of(0x00, 0x20, ...new Uint8Array(32).fill(9));

function service(chain: MemoryChain, o: Partial<ConstructorParameters<typeof ChainService>[0]> = {}): ChainService {
  return new ChainService({ backend: chain, network: 'regtest', clock: new FakeClock(), log: quiet, ...o });
}

/** A chain with a funding transaction at index 1 of block 5, output 0 a P2WSH. */
function funded(): { chain: MemoryChain; txid: string; scid: bigint } {
  const chain = new MemoryChain(0);
  const funding = tx([{ txid: '11'.repeat(32), vout: 0 }], true);
  chain.txsAt.set(5, [funding]);
  chain.mine(8);
  const txid = parseTx(funding).txid;
  chain.utxos.set(`${txid}:0`, { amount_sat: 100_000, script: P2WSH });
  return { chain, txid, scid: scidFromParts({ block: 5, txindex: 1, outnum: 0 }) };
}

describe('lightningd chain service', () => {
  it('refuses a backend on another chain, for lookups and for following', async () => {
    const { chain, scid } = funded();
    chain.chain = 'main';
    const warnings: string[] = [];
    const clock = new FakeClock();
    const s = service(chain, { clock, log: { ...quiet, warn: (m: string) => void warnings.push(m) } });
    await rejects(s.getTxout(scid), ChainSourceError, 'wrong_chain');
    s.start();
    await clock.tick(0);
    ok(
      warnings.some(w => w.includes('follows main, not regtest')),
      warnings.join('\n'),
    );
    equal(clock.pending, 0, 'not polling a chain that is not ours');
    equal(s.follower.height, undefined);
  });

  it('answers gossipd_get_txout, with or without the backend’s txid-by-position lookup, and watches only P2WSH outputs', async () => {
    for (const positions of [true, false]) {
      const { chain, txid, scid } = funded();
      if (!positions) chain.gettxidbyposition = undefined;
      const s = service(chain);
      deepEqual(await s.getTxout(scid), { amount_sat: 100_000, script: P2WSH, txid });
      equal(await s.getTxout(scidFromParts({ block: 5, txindex: 2, outnum: 0 })), undefined, 'no such transaction');
      equal(await s.getTxout(scidFromParts({ block: 50, txindex: 1, outnum: 0 })), undefined, 'no such block');
      equal(await s.getTxout(scidFromParts({ block: 5, txindex: 1, outnum: 1 })), undefined, 'no such output');
      chain.utxos.set(`${txid}:2`, { amount_sat: 5, script: Uint8Array.of(0x00, 0x14, ...new Uint8Array(20)) });
      ok(await s.getTxout(scidFromParts({ block: 5, txindex: 1, outnum: 2 })));
      equal(s.watches.outputCount, 1, 'the P2WPKH output is not watched');
      if (!positions) {
        await s.getTxout(scid);
        equal(chain.calls.filter(c => c === 'getrawblockbyheight 5').length, 1, 'the block read once, its txids kept');
      }
    }
  });

  it('tells gossipd a spend again when it failed to take it: the block is replayed', async () => {
    const { chain, txid, scid } = funded();
    const s = service(chain);
    const heard: string[] = [];
    let fail = true;
    s.attachGossipd({
      outpointsSpent: (scids: bigint[], h: number) => {
        if (fail && scids.length) throw new Error('gossipd is down');
        heard.push(`${h}: ${scids.join(',')}`);
      },
      outpointsUnspent: () => {},
    });
    await s.sync();
    await s.getTxout(scid);
    chain.txsAt.set(10, [tx([{ txid, vout: 0 }], true)]);
    chain.mine(11);
    await rejects(s.sync(), Error);
    equal(s.blockheight, 9, 'not past the block gossipd did not take');
    fail = false;
    await s.sync();
    deepEqual(heard, ['9: ', `10: ${scid}`, '11: ']);
  });

  it('shows an accepted broadcast to the listeners; feerates outlive a failing backend; the height is kept in the db', async () => {
    const { chain } = funded();
    const db = new LightningdDb(new MemoryLightningdStorage());
    const s = service(chain, { store: dbFollowerStore(db) });
    const seen: Uint8Array[] = [];
    const l: ChainListener = { blockConnected() {}, blockDisconnected() {}, txSeen: t => void seen.push(t) };
    s.addListener(l);
    const t = tx([{ txid: '22'.repeat(32), vout: 1 }], true);
    deepEqual(await s.sendrawtransaction(t), { success: true });
    deepEqual(seen, [t]);
    chain.fees = { feerate_floor: 1000, feerates: [{ blocks: 2, feerate: 8000 }] };
    deepEqual((await s.feerates()).perkw, [{ blocks: 2, feerate: 2000 }]);
    chain.estimatefees = async () => {
      throw new ChainSourceError('http_status', 'down', 503);
    };
    deepEqual((await s.feerates()).perkw, [{ blocks: 2, feerate: 2000 }], 'the last good estimates');
    equal((await service(chain).feerates()).floor, 253, 'none ever: the floor');
    await s.sync();
    chain.mine(10);
    await s.sync();
    deepEqual(db.chainState(), { height: 10, hashes: [chain.blocks[8]!.hash, chain.blocks[9]!.hash, chain.blocks[10]!.hash] });
    const again = service(chain, { store: dbFollowerStore(db) });
    chain.mine(11);
    equal((await again.sync()).connected, 1, 'a restart goes on from the db');
  });
});
