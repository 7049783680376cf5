// The regtest mempool's minimum feerate and 1-parent-1-child packages, as Bitcoin Core 28 has them:
// when the mempool is full its rolling minimum rises (TrimToSize evicting the lowest descendant
// feerates); a parent below it is refused alone ("mempool min fee not met") and accepted with a
// child that pays for both (submitpackage, package feerate), never below the minimum relay feerate;
// the child is replaced by the BIP 125 rules; the fee estimates never fall below the minimum; and a
// miner's floor (-blockmintxfee) leaves in the mempool what does not pay it with its ancestors.
import { describe, it, beforeEach } from 'node:test';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { RegtestChain } from '../../src/regtest/chain.ts';
import { bitcoreVerifier } from '../../src/regtest/scripts.ts';
import { decodeTx } from '../../src/regtest/tx.ts';
import { handleEsplora } from '../../src/regtest/esplora-api.ts';
import { fund, payment, spend, SINK, type Coin } from './helpers.ts';

const MIN_FEE = 5000n; // sat/kvB: 5 sat/vB

describe('regtest mempool: minimum feerate and 1P1C packages (Bitcoin Core 28)', () => {
  let chain: RegtestChain;
  beforeEach(() => {
    chain = new RegtestChain({ now: () => 1_700_000_000, verifier: bitcoreVerifier });
    chain.mine(101);
  });

  /** A parent paying `satPerVb` to KEY_A (its output 0 the child spends), and a child of it paying `childFee`. */
  function family(satPerVb: number, childFee: bigint): { parent: Uint8Array; child: Uint8Array; parentFee: bigint } {
    const coin = fund(chain, 'wpkh', 100_000n);
    const vsize = decodeTx(spend([coin], [{ script: payment('wpkh').script, value: 99_000n }])).vsize;
    const parentFee = BigInt(Math.ceil(vsize * satPerVb));
    const parent = spend([coin], [{ script: payment('wpkh').script, value: 100_000n - parentFee }]);
    const out: Coin = { txid: decodeTx(parent).txid, vout: 0, value: 100_000n - parentFee, kind: 'wpkh' };
    const child = spend([out], [{ script: SINK.script, value: out.value - childFee }]);
    return { parent, child, parentFee };
  }

  it('refuses a transaction below the rolling minimum alone, with Core’s reason; the estimates rise to it', () => {
    const before = JSON.parse(
      String(handleEsplora(chain, { method: 'GET', path: '/fee-estimates', body: new Uint8Array() }).body),
    ) as Record<string, number>;
    equal(before['1'], 1, '1 sat/vB while the mempool is not full');
    chain.mempool.setMinFee(MIN_FEE);
    equal(chain.mempool.minFee, MIN_FEE);
    const { parent } = family(2, 1000n);
    const r = chain.accept(parent);
    ok(!r.ok && r.reason === 'mempool min fee not met', JSON.stringify(r));
    ok(!r.ok && /^mempool min fee not met, \d+ < \d+$/.test(r.message), !r.ok ? r.message : '');
    const after = JSON.parse(
      String(handleEsplora(chain, { method: 'GET', path: '/fee-estimates', body: new Uint8Array() }).body),
    ) as Record<string, number>;
    equal(after['1'], 5);
    equal(after['1008'], 5);
  });

  it('accepts the parent with a child paying for both (package feerate), and mines both in the next block', () => {
    chain.mempool.setMinFee(MIN_FEE);
    const { parent, child } = family(2, 1200n);
    const r = chain.acceptPackage([parent, child]);
    equal(r.message, 'success');
    const [p, c] = [decodeTx(parent), decodeTx(child)];
    ok(chain.mempool.get(p.txid) && chain.mempool.get(c.txid), 'both in the mempool');
    chain.mine(1);
    equal(chain.txIndex.get(p.txid)?.entry.height, chain.height);
    equal(chain.txIndex.get(c.txid)?.entry.height, chain.height);
  });

  it('refuses a package whose feerate is still below the minimum, and leaves nothing behind', () => {
    chain.mempool.setMinFee(MIN_FEE);
    const { parent, child } = family(2, 300n);
    const r = chain.acceptPackage([parent, child]);
    equal(r.ok, false);
    equal(r.message, 'transaction failed');
    const last = r.results[r.results.length - 1]!;
    ok(!last.ok && last.reason === 'mempool min fee not met', JSON.stringify(last));
    equal(chain.mempool.size, 0);
  });

  it('never below the minimum relay feerate, even in a package (not TRUC)', () => {
    chain.mempool.setMinFee(MIN_FEE);
    const { parent, child } = family(0.5, 5000n);
    const r = chain.acceptPackage([parent, child]);
    const last = r.results[r.results.length - 1]!;
    ok(!last.ok && last.reason === 'min relay fee not met', JSON.stringify(r.results));
    equal(chain.mempool.size, 0);
  });

  it('refuses a package whose child does not spend its parent (topology)', () => {
    const a = family(2, 300n);
    const b = family(2, 300n);
    const r = chain.acceptPackage([a.parent, b.child]);
    equal(r.ok, false);
    ok(/package topology disallowed/.test(r.message), r.message);
  });

  it('a parent that pays enough alone enters alone, and its child after it', () => {
    chain.mempool.setMinFee(MIN_FEE);
    const { parent, child } = family(6, 1000n);
    const r = chain.acceptPackage([parent, child]);
    equal(r.message, 'success');
    equal(chain.mempool.size, 2);
  });

  it('a rising minimum evicts the lowest descendant feerates: a parent lifted by its child stays', () => {
    const lone = family(2, 300n);
    const lifted = family(2, 1500n);
    ok(chain.accept(lone.parent).ok && chain.accept(lifted.parent).ok && chain.accept(lifted.child).ok, 'all in at 1 sat/vB');
    chain.mempool.setMinFee(MIN_FEE);
    deepEqual(
      chain.mempool.list().map(e => e.tx.txid),
      [decodeTx(lifted.parent).txid, decodeTx(lifted.child).txid],
    );
  });

  it('replaces the child by BIP 125 (more fee, higher feerate), not by less', () => {
    chain.mempool.setMinFee(MIN_FEE);
    const { parent, child } = family(2, 1200n);
    equal(chain.acceptPackage([parent, child]).message, 'success');
    const p = decodeTx(parent);
    const out: Coin = { txid: p.txid, vout: 0, value: p.outputs[0]!.value, kind: 'wpkh' };
    const poorer = spend([out], [{ script: SINK.script, value: out.value - 1100n }]);
    const r1 = chain.acceptPackage([parent, poorer]);
    const last1 = r1.results[r1.results.length - 1]!;
    ok(!last1.ok && last1.reason === 'insufficient fee', JSON.stringify(r1.results));
    const richer = spend([out], [{ script: SINK.script, value: out.value - 2500n }]);
    equal(chain.acceptPackage([parent, richer]).message, 'success');
    ok(!chain.mempool.get(decodeTx(child).txid), 'the first child was replaced');
    ok(chain.mempool.get(decodeTx(richer).txid));
  });

  it('the miner takes a transaction with its ancestors only when together they pay its floor (-blockmintxfee)', () => {
    chain.mempool.setMinFee(MIN_FEE);
    const { parent, child } = family(2, 1200n);
    equal(chain.acceptPackage([parent, child]).message, 'success');
    chain.mempool.blockMinFee = 10_000n;
    const est = JSON.parse(String(handleEsplora(chain, { method: 'GET', path: '/fee-estimates', body: new Uint8Array() }).body)) as Record<
      string,
      number
    >;
    equal(est['6'], 10, 'the estimates follow the floor');
    chain.mine(1);
    equal(chain.mempool.size, 2, 'below the floor: not mined');
    const p = decodeTx(parent);
    const out: Coin = { txid: p.txid, vout: 0, value: p.outputs[0]!.value, kind: 'wpkh' };
    const richer = spend([out], [{ script: SINK.script, value: out.value - 3000n }]);
    equal(chain.acceptPackage([parent, richer]).message, 'success', 'the child replaced (RBF)');
    chain.mine(1);
    equal(chain.mempool.size, 0);
    equal(chain.txIndex.get(p.txid)?.entry.height, chain.height, 'the parent mined with its new child');
    equal(chain.txIndex.get(decodeTx(richer).txid)?.entry.height, chain.height);
  });
});
