// channeld crash loop: HTLCs both ways (fulfilled and failed, crossing), and a crash at every cut
// point of the commitment dance: at each persist, either before it is durable (it never resolves)
// or once it is durable but before anything that depends on it is sent. Then both instances are
// dropped, new ones start from lightningd's durable states and reestablish. Every run must
// converge: both commitments agree, every HTLC is settled, each change is told to lightningd
// exactly once, and the balances are what the payments make them. B's signer is keySigner, then
// hsmd's validating signer (whose own store survives the crash).
import { deserializeChannel } from '../../src/core/channel/index.ts';
import type { HtlcChange } from '../../src/core/daemons/channeld/interface.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import {
  changes,
  connect,
  hashOf,
  hex,
  idle,
  makeNet,
  offer,
  preimageOf,
  restart,
  want,
  type Net,
  type PersistFate,
  type Side,
} from './channeld-fixture.ts';

/** A pays B 10 and 30 (B fulfills) and offers 5 (B fails); B pays A 20 (A fulfills) and offers 4 (A fails). */
async function scenario(net: Net): Promise<void> {
  for (const n of [1, 3]) net.b.preimages.set(hex(hashOf(n)), preimageOf(n));
  net.a.preimages.set(hex(hashOf(2)), preimageOf(2));
  await connect(net, false);
  want(net.a, offer(1, 10_000_000n));
  want(net.b, offer(2, 20_000_000n));
  want(net.a, offer(3, 30_000_000n));
  want(net.b, offer(4, 4_000_000n));
  want(net.a, offer(5, 5_000_000n));
  await idle();
}

function once(side: Side, kind: HtlcChange['kind'], count: number): void {
  const ids = changes(side, kind).map(c => ('id' in c ? c.id : -1n));
  equal(ids.length, count, `${side.name}: ${kind} told ${ids.length} times, want ${count}`);
  equal(new Set(ids).size, ids.length, `${side.name}: ${kind} told twice for one HTLC`);
}

function checkConverged(net: Net, a0: bigint, where: string): void {
  const a = deserializeChannel(net.a.api!.status().state);
  const b = deserializeChannel(net.b.api!.status().state);
  try {
    equal(net.a.api!.status().phase, 'normal');
    equal(net.b.api!.status().phase, 'normal');
    equal(a.localCommit.index, b.remoteCommit.index);
    equal(b.localCommit.index, a.remoteCommit.index);
    equal(a.localCommit.spec.toLocalMsat, b.remoteCommit.spec.toLocalMsat);
    equal(b.localCommit.spec.toLocalMsat, a.remoteCommit.spec.toLocalMsat);
    equal(a.localCommit.spec.htlcs.length + b.localCommit.spec.htlcs.length, 0, 'every HTLC settled');
    equal(net.a.api!.status().pendingUpdates + net.b.api!.status().pendingUpdates, 0, 'nothing pending');
    // A paid 10 + 30, received 20; the failed ones came back.
    equal(a.localCommit.spec.toLocalMsat, a0 - 40_000_000n + 20_000_000n, 'balances');
    once(net.a, 'offered', 3);
    once(net.a, 'committed', 3);
    once(net.a, 'fulfilled', 2);
    once(net.a, 'failed', 1);
    once(net.a, 'incoming', 2);
    once(net.a, 'resolved', 2);
    once(net.b, 'offered', 2);
    once(net.b, 'committed', 2);
    once(net.b, 'fulfilled', 1);
    once(net.b, 'failed', 1);
    once(net.b, 'incoming', 3);
    once(net.b, 'resolved', 3);
    deepEqual(
      [...net.a.failures, ...net.b.failures].filter(f => f.action !== 'disconnect'),
      [],
      'nobody failed the channel',
    );
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}

/** CHANNELD_CRASH_FULL=1: both cuts at every point with hsmd too (the default alternates them there, to keep npm test short). */
const FULL = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.CHANNELD_CRASH_FULL === '1';

async function crashLoop(hsmd: boolean, modes: (k: number) => PersistFate[]): Promise<number> {
  // A run without a crash: how many persists there are to cut at.
  const clean = await makeNet({ hsmd });
  const a0 = deserializeChannel(clean.a.durable).localCommit.spec.toLocalMsat;
  await scenario(clean);
  checkConverged(clean, a0, 'no crash');
  const cuts = clean.persistsTotal;
  ok(cuts >= 20, `the dance has ${cuts} persists`);
  let runs = 0;
  for (let k = 1; k <= cuts; k++) {
    for (const mode of modes(k)) {
      const net = await makeNet({ hsmd });
      net.fate = (_side, n) => (n === k ? mode : 'ok');
      await scenario(net);
      // The cut happened (or the run hangs there): lightningd restarts both sides.
      await restart(net);
      await idle();
      checkConverged(net, a0, `cut ${k} (${mode})`);
      runs++;
    }
  }
  return runs;
}

describe('channeld: a crash at every step of the dance', () => {
  it('keySigner on both sides: every cut point converges, no HTLC lost or resolved twice', async () => {
    const runs = await crashLoop(false, () => ['hang', 'crash_after']);
    ok(runs >= 40);
  });

  it('hsmd as B’s validating signer: every cut point converges, hsmd never refuses the retransmissions', async () => {
    const runs = await crashLoop(true, k => (FULL ? ['hang', 'crash_after'] : [k % 2 ? 'hang' : 'crash_after']));
    ok(runs >= 20);
  });

  it('a second crash while recovering from the first: still converges, each change told once', async () => {
    const clean = await makeNet();
    const a0 = deserializeChannel(clean.a.durable).localCommit.spec.toLocalMsat;
    await scenario(clean);
    let runs = 0;
    for (let k = 1; k <= clean.persistsTotal; k += 4) {
      for (const j of [1, 2, 3]) {
        const net = await makeNet();
        net.fate = (_side, n) => (n === k ? 'crash_after' : 'ok');
        await scenario(net);
        const base = net.persistsTotal;
        // The recovery's j-th persist: made durable, then that process dies too.
        net.fate = (_side, n) => (n === base + j ? 'crash_after' : 'ok');
        await restart(net);
        await idle();
        await restart(net);
        await idle();
        checkConverged(net, a0, `cut ${k}, then recovery cut ${j}`);
        runs++;
      }
    }
    ok(runs >= 24);
  });
});
