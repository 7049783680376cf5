// onchaind end to end on the regtest chain (its mempool refuses what Bitcoin Core refuses, with
// BIP 68 CSV and BIP 65 CLTV, its script interpreter checks every input): a channel whose B side is
// ours (hsmd signs), A the peer, closed by each commitment there is. Each spend onchaind makes is
// accepted by the chain when onchaind sends it, and the very same transaction is refused one block
// earlier (CSV, CLTV) where a delay applies; nothing onchaind broadcasts is ever refused.
import { Transaction } from '@scure/btc-signer';
import { toHex } from '../../src/core/base/bytes.ts';
import { TX_OPTS } from '../../src/core/bolt3/index.ts';
import { deserializeChannel, serializeChannel } from '../../src/core/channel/index.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { buildSpend, classifyClose, stubsOf, trackClose, type Tracked } from '../../src/core/onchain/index.ts';
import { RegtestChain } from '../../src/regtest/chain.ts';
import { scriptAddress } from '../../src/regtest/policy.ts';
import { bitcoreVerifier } from '../../src/regtest/scripts.ts';
import { decodeTx } from '../../src/regtest/tx.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { DBID, MemoryChannelStore, PEER, SEED } from '../core/hsmd-channel-fixture.ts';
import {
  AMOUNT,
  closing,
  FUNDING,
  fundingOutputScript,
  htlcTxOfA,
  initFor,
  PREIMAGE,
  signedA,
  signedB,
  type Closing,
} from '../core/onchain-fixture.ts';
import { fund } from './helpers.ts';
import { Lightningd } from './onchaind-harness.ts';

let now = 1_700_000_000;

/** A chain with coins, and the channel's funding output paid and confirmed. */
async function setup(anchors: boolean) {
  const chain = new RegtestChain({ now: () => (now += 600), verifier: bitcoreVerifier });
  chain.mine(101);
  const script = fundingOutputScript(new Hsmd(SEED, new MemoryChannelStore()));
  const txid = chain.wallet.send(scriptAddress(script)!, FUNDING);
  chain.mine(1);
  const vout = chain.findTx(txid)!.tx.outputs.findIndex(o => o.value === FUNDING && toHex(o.script) === toHex(script));
  const x = await closing({ anchors, funding: { txid, vout }, cltvBase: chain.height + 30 });
  return { chain, x, ln: new Lightningd(chain) };
}

function broadcastAndMine(chain: RegtestChain, ...raws: Uint8Array[]): number {
  for (const raw of raws) {
    const r = chain.accept(raw);
    ok(r.ok, r.ok ? '' : r.message);
  }
  chain.mine(1);
  return chain.height;
}

/** The spend onchaind makes of output `vout` of `closeRaw`, built and signed here as onchaind does. */
async function sameSpend(x: Closing, closeRaw: Uint8Array, pick: (t: Tracked) => boolean, preimage?: Uint8Array): Promise<Uint8Array> {
  const state = deserializeChannel(initFor(x, closeRaw, 0).channel);
  const tx = Transaction.fromRaw(closeRaw, TX_OPTS);
  const close = classifyClose(state, tx, await x.hsmd.getPerCommitmentPoint(PEER, DBID, state.localCommit.index));
  const outputs = Array.from({ length: tx.outputsLength }, (_, i) => ({
    script: tx.getOutput(i).script!,
    amount: tx.getOutput(i).amount!,
  }));
  const t = trackClose(state, close, { txid: tx.id, outputs }, stubsOf(state)).find(pick)!;
  const init = initFor(x, closeRaw, 0);
  const built = buildSpend(t, {
    destination: init.destination,
    feeratePerKw: init.feeratePerKw,
    preimage,
    paymentBasepoint: state.params.local.basepoints.paymentBasepoint,
  })!;
  return built.finish((await x.hsmd.signSweep(PEER, DBID, built.request)).signature);
}

const spendsOutput = (raw: Uint8Array, txid: string, vout: number) => decodeTx(raw).inputs.some(i => i.txid === txid && i.vout === vout);
const vouts = (raw: Uint8Array) => decodeTx(raw).outputs.length;

describe('onchaind on the regtest chain', () => {
  for (const anchors of [false, true]) {
    const label = anchors ? 'option_anchors (HTLC transactions funded by the wallet)' : 'option_static_remotekey';
    it(`${label}: our commitment: HTLC-success at once, HTLC-timeout at cltv_expiry, to_local and the HTLC outputs after to_self_delay, resolved at 100 blocks`, async () => {
      const { chain, x, ln } = await setup(anchors);
      // lightningd's wallet coins, for the zero-fee HTLC transactions of option_anchors.
      if (anchors) for (let i = 0; i < 3; i++) ln.coins.push(fund(chain, 'wpkh', 100_000n));
      const ours = await signedB(x);
      const h = broadcastAndMine(chain, ours.raw);
      const c = ours.built.commitment;
      const txid = c.tx.id;
      const vout = (kind: string, hash?: Uint8Array) =>
        c.outputs.findIndex(o => o.kind === kind && (!hash || toHex(o.htlc!.paymentHash) === toHex(hash)));
      const init = initFor(x, ours.raw, h);
      const api = await ln.start(x, init);
      deepEqual([api.status().close, api.status().commitmentNumber], ['local', x.b.state.localCommit.index]);

      // The HTLC A offered us, whose preimage we hold: our HTLC-success transaction, at once.
      const success = ln.spendsOf(txid, vout('received_htlc', sha256(PREIMAGE.toB)));
      equal(success.length, 1, 'HTLC-success sent at once');
      ok(
        success[0]!.tx.inputs[0]!.witness.some(w => toHex(w) === toHex(PREIMAGE.toB)),
        'with the preimage',
      );

      // to_local: the same sweep is refused one block before to_self_delay (144) and sent exactly then.
      const toLocal = vout('to_local');
      await ln.mine(h + 144 - 2 - chain.height);
      equal(ln.spendsOf(txid, toLocal).length, 0, 'nothing sent before the delay');
      const early = await sameSpend(x, ours.raw, t => t.kind === 'our_to_local');
      const refused = chain.accept(early);
      ok(!refused.ok && refused.reason === 'non-BIP68-final', 'the sweep one block early is refused');
      await ln.mine(1);
      const sweep = ln.spendsOf(txid, toLocal);
      equal(sweep.length, 1, 'sent once the delay is met');
      equal(sweep[0]!.tx.txid, decodeTx(early).txid, 'the very transaction refused a block earlier');
      equal(sweep[0]!.tx.outputs[0]!.script.length, 22, 'to the wallet (P2WPKH)');
      deepEqual(sweep[0]!.tx.outputs[0]!.script, init.destination.script);

      // The HTLC we offered: HTLC-timeout, refused before cltv_expiry, sent at it (the tip is past it here).
      const timeout = ln.spendsOf(txid, vout('offered_htlc', sha256(PREIMAGE.toA)));
      equal(timeout.length, 1);
      equal(timeout[0]!.tip, x.cltv.toA, 'sent when the next block may hold it');
      equal(timeout[0]!.tx.lockTime, x.cltv.toA);

      // The small HTLC A offered: we learn its preimage later; HTLC-success then.
      const small = vout('received_htlc', sha256(PREIMAGE.small));
      equal(ln.spendsOf(txid, small).length, 0);
      await api.preimage(PREIMAGE.small);
      equal(ln.spendsOf(txid, small).length, 1, 'HTLC-success once the preimage is known');

      // The HTLC transactions' outputs, each after its own to_self_delay; then 100 blocks: resolved.
      for (let i = 0; i < 400 && !ln.resolved; i++) await ln.mine(1);
      ok(ln.resolved, 'resolved');
      equal(ln.refused.length, 0, ln.refused.join('; '));
      for (const s of ln.sent.filter(s => s.tx.outputs.length === 1 && vouts(s.tx.raw) === 1)) {
        const second = s.tx.inputs[0]!.txid !== txid;
        if (second) equal(s.tx.inputs[0]!.sequence, 144, 'an HTLC transaction output is swept after to_self_delay');
      }
      const coins = ln.used.reduce((s, c) => s + c.value, 0n);
      equal(ln.used.length, anchors ? 3 : 0, 'a wallet coin per HTLC transaction with option_anchors only');
      const expected = c.outputs[toLocal]!.amount + (AMOUNT.toB + AMOUNT.toA + AMOUNT.small) / 1000n + coins;
      const paid = ln.paidTo(init.destination.script);
      // Fees: the three HTLC transactions at the commitment feerate (2500 sat/kw: about 1.7k sat each), four sweeps at 1000 sat/kw.
      ok(paid < expected && paid > expected - 8_000n, `the wallet got ${paid} of ${expected} sat less fees`);
      equal(ln.resolved!.outputs.filter(o => o.state !== 'resolved').length, 0);
    });
  }

  for (const anchors of [false, true]) {
    const label = anchors ? 'option_anchors' : 'option_static_remotekey';
    it(`${label}: their commitment: to_remote swept${anchors ? ' after 1 block' : ''}, their HTLC by preimage, ours after cltv_expiry`, async () => {
      const { chain, x, ln } = await setup(anchors);
      const theirs = signedA(x.a.state);
      const c = theirs.built.commitment;
      const txid = c.tx.id;
      if (anchors) {
        // Before the commitment confirms, the to_remote sweep (CSV 1) is refused.
        ok(chain.accept(theirs.raw).ok);
        const sweep = await sameSpend(x, theirs.raw, t => t.kind === 'to_us');
        const r = chain.accept(sweep);
        ok(!r.ok && r.reason === 'non-BIP68-final', 'to_remote needs its commitment one block deep');
      }
      const h = anchors ? (chain.mine(1), chain.height) : broadcastAndMine(chain, theirs.raw);
      const init = initFor(x, theirs.raw, h, h, { irrevocableDepth: 6 });
      const api = await ln.start(x, init);
      equal(api.status().close, 'remote');
      const vout = (kind: string, hash?: Uint8Array) =>
        c.outputs.findIndex(o => o.kind === kind && (!hash || toHex(o.htlc!.paymentHash) === toHex(hash)));

      const toUs = ln.spendsOf(txid, vout('to_remote'));
      equal(toUs.length, 1, 'to_remote swept in the next block');
      equal(toUs[0]!.tx.inputs[0]!.sequence, anchors ? 1 : 0xfffffffd);
      // A offered us an HTLC whose preimage we hold: claimed at once, with it.
      const claim = ln.spendsOf(txid, vout('offered_htlc', sha256(PREIMAGE.toB)));
      equal(claim.length, 1);
      ok(claim[0]!.tx.inputs[0]!.witness.some(w => toHex(w) === toHex(PREIMAGE.toB)));

      // Ours to A: after cltv_expiry only; the same transaction is refused the block before.
      const ourHtlc = vout('received_htlc', sha256(PREIMAGE.toA));
      await ln.mine(x.cltv.toA - 1 - chain.height);
      equal(ln.spendsOf(txid, ourHtlc).length, 0);
      const early = await sameSpend(x, theirs.raw, t => t.kind === 'our_htlc');
      const refused = chain.accept(early);
      ok(!refused.ok && refused.reason === 'non-final', `refused before cltv_expiry (${refused.ok || refused.reason})`);
      await ln.mine(1);
      const timeout = ln.spendsOf(txid, ourHtlc);
      equal(timeout.length, 1, 'sent at cltv_expiry');
      equal(timeout[0]!.tx.txid, decodeTx(early).txid);

      await api.preimage(PREIMAGE.small);
      for (let i = 0; i < 20 && !ln.resolved; i++) await ln.mine(1);
      ok(ln.resolved, 'resolved');
      equal(ln.refused.length, 0, ln.refused.join('; '));
      const spent = new Set(ln.sent.flatMap(s => s.tx.inputs.map(i => `${i.txid}:${i.vout}`)));
      c.outputs.forEach((o, i) => {
        const mine = o.kind === 'to_remote' || o.kind === 'offered_htlc' || o.kind === 'received_htlc';
        equal(spent.has(`${txid}:${i}`), mine, `${o.kind} ${mine ? 'taken' : 'left'}`);
      });
      deepEqual(ln.failed, [{ hash: toHex(sha256(PREIMAGE.toA)), tip: x.cltv.toA + 3 }], 'our HTLC failed upstream at 3 blocks');
    });

    it(`${label}: a revoked commitment of theirs: the penalty takes to_local and every HTLC output${anchors ? '' : ', and their HTLC-success output'}`, async () => {
      const { chain, x, ln } = await setup(anchors);
      const revoked = signedA(x.revokedA);
      const c = revoked.built.commitment;
      const txid = c.tx.id;
      const raws = [revoked.raw];
      // The peer races us with its HTLC-success on the revoked commitment (it knows that preimage).
      if (!anchors) raws.push(htlcTxOfA(x.revokedA, sha256(PREIMAGE.toA), PREIMAGE.toA));
      const h = broadcastAndMine(chain, ...raws);
      const init = initFor(x, revoked.raw, h, h, {
        irrevocableDepth: 3,
        spends: anchors ? [] : [{ tx: raws[1]!, height: h }],
      });
      const api = await ln.start(x, init);
      deepEqual([api.status().close, api.status().commitmentNumber], ['revoked', x.revokedA.localCommit.index]);
      const kinds = (k: string) => c.outputs.map((o, i) => (o.kind === k ? i : -1)).filter(i => i >= 0);
      const penalized = [...kinds('to_local'), ...kinds('offered_htlc'), ...(anchors ? kinds('received_htlc') : [])];
      for (const i of [...penalized, ...kinds('to_remote')]) equal(ln.spendsOf(txid, i).length, 1, `${c.outputs[i]!.kind} taken at once`);
      if (!anchors) {
        const second = decodeTx(raws[1]!).txid;
        equal(ln.spendsOf(second, 0).length, 1, 'their HTLC-success output taken with the revocation key');
        deepEqual(ln.preimages, [PREIMAGE.toA], 'the preimage it revealed goes to lightningd');
      }
      await ln.mine(1);
      for (const s of ln.sent) equal(chain.txIndex.get(s.tx.txid)?.entry.height, chain.height, 'every penalty confirmed');
      for (let i = 0; i < 5 && !ln.resolved; i++) await ln.mine(1);
      ok(ln.resolved, 'resolved');
      equal(ln.refused.length, 0, ln.refused.join('; '));
      const total = ln.paidTo(init.destination.script);
      const channel = c.outputs.filter(o => !o.kind.includes('anchor')).reduce((s, o) => s + o.amount, 0n);
      ok(total > channel - 6_000n, `the wallet got ${total} of ${channel} sat (fees aside)`);
      // Our HTLC on it: claimed by the peer with the preimage (not failed), or taken back by the penalty (failed).
      deepEqual(
        ln.failed.map(f => f.hash),
        anchors ? [toHex(sha256(PREIMAGE.toA))] : [],
      );
    });
  }

  it('a commitment of theirs newer than our state (we lost data): our to_remote is still swept, nothing else touched', async () => {
    const { chain, x, ln } = await setup(false);
    const theirs = signedA(x.a.state);
    const h = broadcastAndMine(chain, theirs.raw);
    const init = { ...initFor(x, theirs.raw, h, h, { irrevocableDepth: 3 }), channel: serializeChannel(x.staleB) };
    const api = await ln.start(x, init);
    deepEqual([api.status().close, api.status().commitmentNumber], ['future', x.a.state.localCommit.index]);
    const c = theirs.built.commitment;
    const toUs = c.outputs.findIndex(o => o.kind === 'to_remote');
    deepEqual(
      ln.sent.map(s => `${s.tx.inputs[0]!.txid}:${s.tx.inputs[0]!.vout}`),
      [`${c.tx.id}:${toUs}`],
    );
    await ln.mine(1);
    equal(chain.txIndex.get(ln.sent[0]!.tx.txid)?.entry.height, chain.height, 'confirmed');
    deepEqual(ln.sent[0]!.tx.outputs[0]!.script, init.destination.script);
    equal(ln.refused.length, 0, ln.refused.join('; '));
    await ln.mine(5);
    deepEqual(ln.failed, [], 'HTLCs on a commitment we cannot read are not failed upstream');
  });

  it('a penalty not yet confirmed is replaced (BIP 125) when the feerate rises; the replacement confirms', async () => {
    const { chain, x, ln } = await setup(false);
    const revoked = signedA(x.revokedA);
    const h = broadcastAndMine(chain, revoked.raw);
    await ln.start(x, initFor(x, revoked.raw, h, h, { irrevocableDepth: 3 }));
    const txid = revoked.built.commitment.tx.id;
    const first = new Map(ln.sent.map(s => [`${s.tx.inputs[0]!.txid}:${s.tx.inputs[0]!.vout}`, s.tx]));
    equal(first.size, revoked.built.commitment.outputs.length);
    // A block without them (lightningd's follower saw one; the regtest chain has not mined it yet), and fees rose.
    await ln.api.block({ height: h + 1, spends: [], feeratePerKw: 5_000 });
    equal(ln.refused.length, 0, ln.refused.join('; '));
    const fee = (t: { outputs: { value: bigint }[] }, amount: bigint) => amount - t.outputs.reduce((s, o) => s + o.value, 0n);
    chain.mine(1);
    await ln.api.block({ height: chain.height, spends: ln.spendsAt(chain.height) });
    revoked.built.commitment.outputs.forEach((o, i) => {
      const spentBy = chain.spentBy.get(`${txid}:${i}`);
      ok(spentBy, `output ${i} spent`);
      const t = chain.findTx(spentBy.txid)!.tx;
      ok(t.txid !== first.get(`${txid}:${i}`)!.txid, 'by the replacement');
      ok(fee(t, o.amount) > 4n * fee(first.get(`${txid}:${i}`)!, o.amount), 'at the new feerate');
    });
    for (let i = 0; i < 4 && !ln.resolved; i++) await ln.mine(1);
    ok(ln.resolved, 'resolved with the replacements as our own spends');
  });
});
