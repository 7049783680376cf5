// The chain as lightningd follows it (src/core/chain): the raw block parser, the block follower
// (order, reorganisations, crash replay, restarts), the watches on outputs and txids, and the
// feerate floor. Over MemoryChain: real raw blocks in memory.
import { Transaction } from '@scure/btc-signer';
import { concat, toHex } from '../../src/core/base/bytes.ts';
import type { ChainListener, ConnectedBlock } from '../../src/core/chain/backend.ts';
import { parseBlock, parseTx } from '../../src/core/chain/block.ts';
import { ChainSourceError } from '../../src/core/chain/errors.ts';
import { FEERATE_FLOOR_PERKW, feerateFor, feeratesWithFloor } from '../../src/core/chain/fees.ts';
import { BlockFollower, type FollowerState } from '../../src/core/chain/follow.ts';
import { ChainWatches, type OutputSpent } from '../../src/core/chain/watch.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { deepEqual, equal, ok, rejects, throws } from '../support/assert.ts';
import { MemoryChain } from '../support/memory-chain.ts';
import { rawBlock as block, rawTx as tx } from '../support/raw-block.ts';

const enc = new TextEncoder();
const txidOf = (tag: string) => toHex(sha256(enc.encode(tag)));

/** What a listener saw, as strings: `+height` connected, `-height` disconnected. */
class Recorder implements ChainListener {
  readonly seen: string[] = [];
  readonly blocks: ConnectedBlock[] = [];
  failAt: number | undefined;
  blockConnected(b: ConnectedBlock): void {
    if (b.height === this.failAt) throw new Error(`listener failed at ${b.height}`);
    this.seen.push(`+${b.height}`);
    this.blocks.push(b);
  }
  blockDisconnected(b: { height: number; hash: string }): void {
    this.seen.push(`-${b.height}`);
  }
}

class MemoryStore {
  state: FollowerState | undefined;
  saves = 0;
  async load() {
    return this.state && { height: this.state.height, hashes: [...this.state.hashes] };
  }
  async save(s: FollowerState) {
    this.saves++;
    this.state = { height: s.height, hashes: [...s.hashes] };
  }
}

describe('raw block parser', () => {
  it("reads each transaction's txid (as btc-signer computes it), inputs and bytes, legacy and segwit, and the header", () => {
    const spends = [
      { txid: txidOf('a'), vout: 0 },
      { txid: txidOf('b'), vout: 7 },
    ];
    const txs = [tx([spends[0]!], false), tx([spends[1]!, { txid: txidOf('c'), vout: 70_000 }], true)];
    const b = block(txidOf('prev'), 800_000, txs);
    const p = parseBlock(b.raw);
    equal(p.hash, b.hash);
    equal(p.prevHash, txidOf('prev'));
    equal(p.time, 1_700_000_000 + 800_000);
    equal(p.txs.length, 3);
    deepEqual(p.txs[0]!.inputs, [], 'the coinbase spends nothing');
    deepEqual(p.txs[1]!.inputs, [spends[0]]);
    deepEqual(p.txs[2]!.inputs, [spends[1], { txid: txidOf('c'), vout: 70_000 }]);
    for (let i = 0; i < 3; i++) {
      const raw = i === 0 ? p.txs[0]!.raw : txs[i - 1]!;
      deepEqual(p.txs[i]!.raw, raw);
      const id = Transaction.fromRaw(raw, { allowUnknownOutputs: true, disableScriptCheck: true, allowUnknownInputs: true }).id;
      equal(p.txs[i]!.txid, id, `txid of transaction ${i}`);
      deepEqual(parseTx(raw), { ...p.txs[i]!, raw });
    }
    throws(() => parseTx(concat(txs[0]!, Uint8Array.of(0))), ChainSourceError, 'bad_block');
  });

  it('a truncated block, bytes left over, a wild count or an unknown segwit flag is ChainSourceError bad_block', () => {
    const b = block(txidOf('prev'), 1, [tx([{ txid: txidOf('a'), vout: 1 }], true)]);
    for (const cut of [0, 50, 80, 81, 120, b.raw.length - 1])
      throws(() => parseBlock(b.raw.subarray(0, cut)), ChainSourceError, 'bad_block');
    throws(() => parseBlock(concat(b.raw, Uint8Array.of(0))), ChainSourceError, 'bad_block');
    const wild = b.raw.slice();
    wild[80] = 0xfe; // a transaction count of 2^32-ish
    throws(() => parseBlock(wild), ChainSourceError, 'bad_block');
    const flag = b.raw.slice();
    // The coinbase: version (4 bytes) then marker 0x00 and flag 0x01 at 85..86.
    equal(flag[85], 0);
    flag[86] = 2;
    throws(() => parseBlock(flag), ChainSourceError, 'bad_block');
    throws(() => parseBlock(new Uint8Array(200).fill(0xff)), ChainSourceError, 'bad_block');
  });
});

describe('block follower', () => {
  it('starts after the tip, connects each new block in order with its txids and inputs, and records the height after', async () => {
    const chain = new MemoryChain(100);
    const store = new MemoryStore();
    const f = new BlockFollower({ backend: chain, store });
    const r = new Recorder();
    f.addListener(r);
    deepEqual(await f.poll(), { height: 100, connected: 0, disconnected: 0 });
    deepEqual(store.state, { height: 100, hashes: [chain.blocks[100]!.hash] }, 'the first start is recorded');
    const spend = tx([{ txid: txidOf('f'), vout: 2 }], true);
    chain.txsAt.set(102, [spend]);
    chain.mine(103);
    deepEqual(await f.poll(), { height: 103, connected: 3, disconnected: 0 });
    deepEqual(r.seen, ['+101', '+102', '+103']);
    const b = r.blocks[1]!;
    equal(b.hash, chain.blocks[102]!.hash);
    equal(b.prevHash, chain.blocks[101]!.hash);
    equal(b.txs.length, 2);
    deepEqual(b.txs[1], spend);
    equal(b.txids![1], parseTx(spend).txid);
    deepEqual(b.inputs![1], [{ txid: txidOf('f'), vout: 2 }]);
    equal(store.state!.height, 103);
    equal(f.height, 103);
  });

  it('prepare() fixes the start at the tip: a block mined before the first poll is still connected', async () => {
    const chain = new MemoryChain(50);
    const store = new MemoryStore();
    const f = new BlockFollower({ backend: chain, store });
    const r = new Recorder();
    f.addListener(r);
    await f.prepare();
    deepEqual(store.state, { height: 50, hashes: [chain.blocks[50]!.hash] });
    chain.mine(51);
    await f.poll();
    deepEqual(r.seen, ['+51'], 'without prepare() the first poll would start after 51');
  });

  it("rescans as Core Lightning's --rescan: N blocks back from where it stood (or the tip), or from block -N", async () => {
    const chain = new MemoryChain(20);
    const store = new MemoryStore();
    const first = new BlockFollower({ backend: chain, store });
    await first.poll();
    chain.mine(25);
    await first.poll();
    equal(store.state!.height, 25);
    const run = async (o: { rescan: number }) => {
      const f = new BlockFollower({ backend: chain, store, ...o });
      const r = new Recorder();
      f.addListener(r);
      await f.poll();
      return r.seen;
    };
    deepEqual(await run({ rescan: 3 }), ['+23', '+24', '+25'], 'three blocks back from the stored height');
    deepEqual(await run({ rescan: -22 }), ['+22', '+23', '+24', '+25'], 'from block 22');
    deepEqual(await run({ rescan: 0 }), [], 'nothing again');
    deepEqual(await run({ rescan: -30 }), [], 'an absolute height above where it stands goes back nowhere');
    // The hashes kept below the rescan point still catch a reorganisation there.
    equal(store.state!.hashes.at(-1), chain.blocks[25]!.hash);
    // A first start (nothing stored): from the tip back.
    const fresh = new BlockFollower({ backend: chain, rescan: 2 });
    const r = new Recorder();
    fresh.addListener(r);
    await fresh.poll();
    deepEqual(r.seen, ['+24', '+25']);
  });

  it('starts at startHeight on a first start, below the tip or above it (waiting for it)', async () => {
    const chain = new MemoryChain(10);
    const f = new BlockFollower({ backend: chain, startHeight: 8 });
    const r = new Recorder();
    f.addListener(r);
    await f.poll();
    deepEqual(r.seen, ['+8', '+9', '+10']);
    const g = new BlockFollower({ backend: chain, startHeight: 13 });
    const q = new Recorder();
    g.addListener(q);
    await g.poll();
    chain.mine(12);
    await g.poll();
    deepEqual(q.seen, []);
    chain.mine(14);
    await g.poll();
    deepEqual(q.seen, ['+13', '+14']);
  });

  it('stop() ends the poll in progress after its block; the next poll goes on', async () => {
    const chain = new MemoryChain(1);
    const f = new BlockFollower({ backend: chain });
    const seen: number[] = [];
    f.addListener({ blockConnected: b => void (seen.push(b.height), b.height === 3 && f.stop()), blockDisconnected() {} });
    await f.poll();
    chain.mine(5);
    equal((await f.poll()).height, 3);
    equal((await f.poll()).height, 5);
    deepEqual(seen, [2, 3, 4, 5]);
  });

  it('on a reorganisation disconnects down to the fork (listeners in reverse order), then connects the new branch', async () => {
    const chain = new MemoryChain(50);
    const f = new BlockFollower({ backend: chain });
    const order: string[] = [];
    const a = new Recorder();
    const b = new Recorder();
    f.addListener({ blockConnected: x => a.blockConnected(x), blockDisconnected: x => (order.push('a'), a.blockDisconnected(x)) });
    f.addListener({ blockConnected: x => b.blockConnected(x), blockDisconnected: x => (order.push('b'), b.blockDisconnected(x)) });
    await f.poll();
    chain.mine(53);
    await f.poll();
    const stale = chain.blocks.slice(52).map(x => x.hash);
    chain.reorg(2, 55); // 52 and 53 replaced; the new branch goes to 55
    deepEqual(await f.poll(), { height: 55, connected: 4, disconnected: 2 });
    deepEqual(a.seen, ['+51', '+52', '+53', '-53', '-52', '+52', '+53', '+54', '+55']);
    deepEqual(b.seen, a.seen);
    deepEqual(order, ['b', 'a', 'b', 'a'], 'the last listener first');
    equal(f.tipHash, chain.blocks[55]!.hash);
    ok(!stale.includes(a.blocks.at(-3)!.hash));
  });

  it('sees a block replaced at the same height (the tip did not move), and waits for a backend behind it', async () => {
    const chain = new MemoryChain(20);
    const f = new BlockFollower({ backend: chain });
    const r = new Recorder();
    f.addListener(r);
    await f.poll();
    chain.mine(21);
    await f.poll();
    chain.reorg(1, 21);
    deepEqual(await f.poll(), { height: 21, connected: 1, disconnected: 1 });
    deepEqual(r.seen, ['+21', '-21', '+21']);
    // A backend that lost blocks (another server, behind): nothing is disconnected.
    chain.blocks.length = 20;
    deepEqual(await f.poll(), { height: 21, connected: 0, disconnected: 0 });
    // Without getblockhash, the same-height check reads the block.
    chain.mine(21);
    const plain = new MemoryChain(5);
    plain.getblockhash = undefined;
    const g = new BlockFollower({ backend: plain });
    const q = new Recorder();
    g.addListener(q);
    await g.poll();
    plain.reorg(1, 5);
    await g.poll();
    deepEqual(q.seen, ['-5', '+5']);
  });

  it('records the height only after every listener resolved: a failing listener gets the block again, never skips one', async () => {
    const chain = new MemoryChain(10);
    const store = new MemoryStore();
    const f = new BlockFollower({ backend: chain, store });
    const first = new Recorder();
    const second = new Recorder();
    f.addListener(first);
    f.addListener(second);
    await f.poll();
    chain.mine(13);
    second.failAt = 12;
    await rejects(f.poll(), Error);
    equal(store.state!.height, 11, 'stopped before 12');
    deepEqual(second.seen, ['+11']);
    second.failAt = undefined;
    await f.poll();
    deepEqual(first.seen, ['+11', '+12', '+12', '+13'], 'the first listener saw 12 again');
    deepEqual(second.seen, ['+11', '+12', '+13']);
    // A crash: a new follower over the same store goes on from there, and replays nothing taken.
    chain.mine(15);
    const again = new BlockFollower({ backend: chain, store });
    const r = new Recorder();
    again.addListener(r);
    await again.poll();
    deepEqual(r.seen, ['+14', '+15']);
  });

  it('after a restart, a reorganisation that happened while down disconnects the stored blocks first', async () => {
    const chain = new MemoryChain(30);
    const store = new MemoryStore();
    await new BlockFollower({ backend: chain, store }).poll();
    chain.mine(32);
    await new BlockFollower({ backend: chain, store }).poll();
    chain.reorg(2, 33);
    const r = new Recorder();
    const f = new BlockFollower({ backend: chain, store });
    f.addListener(r);
    await f.poll();
    deepEqual(r.seen, ['-32', '-31', '+31', '+32', '+33']);
  });

  it('a block that does not parse or is not the one asked for is a typed error; the next poll goes on', async () => {
    const chain = new MemoryChain(3);
    const f = new BlockFollower({ backend: chain });
    const r = new Recorder();
    f.addListener(r);
    await f.poll();
    chain.mine(6);
    chain.corrupt.add(5);
    await rejects(f.poll(), ChainSourceError, 'bad_block');
    deepEqual(r.seen, ['+4']);
    chain.corrupt.delete(5);
    const real = chain.getrawblockbyheight.bind(chain);
    chain.getrawblockbyheight = async h => {
      const b = await real(h);
      return b && h === 5 ? { ...b, blockhash: chain.blocks[4]!.hash } : b;
    };
    await rejects(f.poll(), ChainSourceError, 'bad_block');
    chain.getrawblockbyheight = real;
    await f.poll();
    deepEqual(r.seen, ['+4', '+5', '+6']);
  });
});

describe('chain watches', () => {
  it('reports the spend of a watched output with the spending txid and height, takes it back in a reorganisation', async () => {
    const chain = new MemoryChain(100);
    const f = new BlockFollower({ backend: chain });
    const w = new ChainWatches();
    f.addListener(w);
    await f.poll();
    const funding = txidOf('funding');
    const events: string[] = [];
    w.watchOutput(funding, 1, {
      spent: (e: OutputSpent) => void events.push(`spent ${e.vout} by ${e.spendingTxid.slice(0, 8)} at ${e.height}`),
      unspent: e => void events.push(`unspent ${e.vout} at ${e.height}`),
    });
    w.watchOutput(funding, 0, { spent: () => void events.push('output 0?') });
    const spender = tx(
      [
        { txid: txidOf('x'), vout: 0 },
        { txid: funding, vout: 1 },
      ],
      true,
    );
    const other = tx([{ txid: funding, vout: 2 }], false); // another output of the same transaction
    const id = parseTx(spender).txid.slice(0, 8);
    chain.txsAt.set(102, [other, spender]);
    chain.mine(102);
    await f.poll();
    deepEqual(events, [`spent 1 by ${id} at 102`]);
    // Moved to 104 by a reorganisation.
    chain.txsAt.delete(102);
    chain.txsAt.set(104, [spender]);
    chain.reorg(1, 104);
    await f.poll();
    deepEqual(events.slice(1), ['unspent 1 at 102', `spent 1 by ${id} at 104`]);
    equal(w.outputCount, 2);
    w.unwatchOutput(funding, 0);
    equal(w.outputCount, 1);
  });

  it('reports a watched txid’s depth after each block until done, and unconfirmed when its block goes', async () => {
    const chain = new MemoryChain(10);
    const f = new BlockFollower({ backend: chain });
    const w = new ChainWatches();
    f.addListener(w);
    await f.poll();
    const t = tx([{ txid: txidOf('in'), vout: 0 }], true);
    const txid = parseTx(t).txid;
    const events: string[] = [];
    w.watchTx(txid, {
      depth: e => {
        events.push(`${e.height}:${e.depth}`);
        return e.depth >= 3 ? 'done' : undefined;
      },
      unconfirmed: e => void events.push(`gone ${e.height}`),
    });
    chain.txsAt.set(12, [t]);
    chain.mine(12);
    await f.poll();
    deepEqual(events, ['12:1']);
    chain.txsAt.delete(12);
    chain.txsAt.set(13, [t]);
    chain.reorg(1, 13);
    await f.poll();
    deepEqual(events, ['12:1', 'gone 12', '13:1']);
    chain.mine(16);
    await f.poll();
    deepEqual(events, ['12:1', 'gone 12', '13:1', '13:2', '13:3'], 'done at depth 3');
    equal(w.txCount, 0);
  });

  it('ends an output watch once its spend is final (finalDepth blocks deep)', async () => {
    const chain = new MemoryChain(1);
    const f = new BlockFollower({ backend: chain });
    const w = new ChainWatches({ finalDepth: 3 });
    f.addListener(w);
    await f.poll();
    w.watchOutput(txidOf('o'), 0, { spent: () => {} });
    chain.txsAt.set(2, [tx([{ txid: txidOf('o'), vout: 0 }], true)]);
    chain.mine(3);
    await f.poll();
    equal(w.outputCount, 1);
    chain.mine(4);
    await f.poll();
    equal(w.outputCount, 0);
  });
});

describe('feerates', () => {
  it("never go below Core Lightning's floor of 253 sat/kw, nor the backend's", () => {
    const f = feeratesWithFloor({
      feerate_floor: 1000,
      feerates: [
        { blocks: 6, feerate: 2000 },
        { blocks: 2, feerate: 800 },
        { blocks: 1, feerate: 40_000 },
        { blocks: 3, feerate: Number.NaN },
      ],
    });
    equal(f.floor, FEERATE_FLOOR_PERKW);
    deepEqual(f.perkw, [
      { blocks: 1, feerate: 10_000 },
      { blocks: 2, feerate: 253 },
      { blocks: 6, feerate: 500 },
    ]);
    equal(feerateFor(f, 1), 10_000);
    equal(feerateFor(f, 5), 253, 'the nearest target at or below');
    equal(feerateFor(f, 100), 500);
    equal(
      feeratesWithFloor({ feerate_floor: 5000, feerates: [{ blocks: 1, feerate: 2000 }] }).perkw[0]!.feerate,
      1250,
      "the backend's floor",
    );
    equal(feerateFor(feeratesWithFloor({ feerate_floor: 0, feerates: [] }), 6), 253, 'no estimate: the floor');
  });
});
