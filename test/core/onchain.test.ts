// BOLT 5 in the pure core (src/core/onchain): which commitment spent the funding output, from its
// obscured number (locktime and sequence) and the shachain; the outputs to act on and how; when our
// spends become valid (CSV, CLTV, a preimage); what the peer's spends reveal; reorganisations; and
// when everything is irrevocably resolved. The chain itself is test/regtest/onchaind.test.ts.
import { Transaction } from '@scure/btc-signer';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { buildFor, sendAdd, sendCommit, type ChannelState } from '../../src/core/channel/index.ts';
import { commitmentSecret, TX_OPTS, setWitness } from '../../src/core/bolt3/index.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { classifyClose, OnchainError, Resolution, stubsOf, trackClose, type Close, type Tracked } from '../../src/core/onchain/index.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';
import { secretsOf } from './channel-fixture.ts';
import { DBID, PEER } from './hsmd-channel-fixture.ts';
import { closing, PREIMAGE, pointA, signedA, signedB, type Closing } from './onchain-fixture.ts';

const CLTV = 200;
const txOf = (raw: Uint8Array) => Transaction.fromRaw(raw, TX_OPTS);

async function classify(x: Closing, tx: Transaction): Promise<Close> {
  return classifyClose(x.b.state, tx, await x.hsmd.getPerCommitmentPoint(PEER, DBID, x.b.state.localCommit.index));
}

function track(state: ChannelState, close: Close, tx: Transaction): Tracked[] {
  const outputs = Array.from({ length: tx.outputsLength }, (_, i) => ({
    script: tx.getOutput(i).script!,
    amount: tx.getOutput(i).amount!,
  }));
  return trackClose(state, close, { txid: tx.id, outputs }, stubsOf(state));
}

/** A transaction spending `txid:vout` with `witness`, paying `out` to output 0. */
function spender(txid: string, vout: number, witness: Uint8Array[], out?: { script: Uint8Array; amount: bigint }): Transaction {
  const tx = new Transaction({ ...TX_OPTS, version: 2 });
  tx.addInput({ txid: fromHex(txid), index: vout, sequence: 0 });
  tx.addOutput(out ?? { script: new Uint8Array([0x00, 0x14, ...new Uint8Array(20)]), amount: 1000n });
  if (witness.length) setWitness(tx, 0, witness);
  return tx;
}

const hashOf = (t: Tracked) => (t.htlc ? toHex(t.htlc.paymentHash) : '');

describe('onchain: classifying the spend of the funding output (BOLT 5)', () => {
  let x: Closing;
  before(async () => {
    x = await closing({ cltvBase: CLTV });
  });

  it('our current commitment, by its txid', async () => {
    const c = await classify(x, txOf((await signedB(x)).raw));
    deepEqual([c.kind, c.kind === 'local' && c.commitmentNumber], ['local', x.b.state.localCommit.index]);
  });

  it("the peer's current commitment, and the next one we signed before its revocation", async () => {
    const cur = await classify(x, txOf(signedA(x.a.state).raw));
    deepEqual([cur.kind, cur.kind === 'remote' && cur.which], ['remote', 'current']);
    // B offers an HTLC and signs A's next commitment; A's revoke_and_ack has not come.
    const add = sendAdd(x.b.state, {
      amountMsat: 5_000_000n,
      paymentHash: sha256(PREIMAGE.small),
      cltvExpiry: CLTV,
      onion: new Uint8Array(1366),
    });
    const signed = await sendCommit(add.state, x.b.signer);
    const s = signed.state;
    const next = s.nextRemoteCommit!;
    const tx = buildFor(s.params, 'remote', next.spec, next.index, next.perCommitmentPoint).commitment.tx;
    const c = classifyClose(s, tx, await x.hsmd.getPerCommitmentPoint(PEER, DBID, s.localCommit.index));
    deepEqual([c.kind, c.kind === 'remote' && c.which, c.kind === 'remote' && c.commitmentNumber], ['remote', 'next', next.index]);
    // The HTLC only that commitment holds is a stub now, and tracked as ours.
    ok(track(s, c, tx).some(t => t.kind === 'our_htlc' && t.htlc!.cltvExpiry === CLTV));
  });

  it('a revoked commitment: its number from locktime and sequence, its secret from the shachain', async () => {
    const tx = txOf(signedA(x.revokedA).raw);
    const c = await classify(x, tx);
    equal(c.kind, 'revoked');
    if (c.kind !== 'revoked') return;
    equal(c.commitmentNumber, x.revokedA.localCommit.index);
    deepEqual(c.perCommitmentSecret, commitmentSecret(secretsOf('A').seed, c.commitmentNumber));
    // Another commitment number in the same locktime bits: not the revoked one any more.
    const raw = txOf(signedA(x.revokedA).raw).unsignedTx;
    raw[raw.length - 4]! ^= 1; // nLockTime's low byte: the obscured number's
    const d = await classify(x, txOf(raw)).catch((e: OnchainError) => e);
    ok(d instanceof OnchainError || d.kind !== 'revoked' || d.commitmentNumber !== c.commitmentNumber);
  });

  it('a commitment of the peer beyond any we know (we lost state): to_remote is still ours', async () => {
    const s = x.b.state;
    const tx = buildFor(s.params, 'remote', s.remoteCommit.spec, s.remoteCommit.index + 5n, pointA(s.remoteCommit.index + 5n)).commitment
      .tx;
    const c = await classify(x, tx);
    deepEqual([c.kind, c.kind === 'future' && c.commitmentNumber], ['future', s.remoteCommit.index + 5n]);
    const kinds = track(s, c, tx).map(t => t.kind);
    ok(kinds.includes('to_us') && !kinds.includes('revoked_to_local'));
  });

  it("a mutual close (no obscured number), and a transaction that is not this channel's", async () => {
    const p = x.b.state.params;
    const close = new Transaction({ ...TX_OPTS, version: 2, lockTime: 0 });
    close.addInput({ txid: fromHex(p.fundingTxid), index: p.fundingOutputIndex, sequence: 0xffffffff });
    close.addOutput({ script: new Uint8Array([0x00, 0x14, ...new Uint8Array(20)]), amount: 1000n });
    const c = await classify(x, close);
    equal(c.kind, 'mutual');
    equal(track(x.b.state, c, close).length, 0);
    const foreign = new Transaction({ ...TX_OPTS, version: 2 });
    foreign.addInput({ txid: new Uint8Array(32).fill(7), index: 0 });
    throws(() => classifyClose(x.b.state, foreign, new Uint8Array(33)), OnchainError, 'not_funding_spend');
  });
});

describe('onchain: what each output is and how it is resolved', () => {
  let x: Closing;
  before(async () => {
    x = await closing({ cltvBase: CLTV });
  });

  it('our commitment: to_local after to_self_delay, HTLC-timeout at cltv_expiry, HTLC-success with the preimage', async () => {
    const tx = txOf((await signedB(x)).raw);
    const t = track(x.b.state, await classify(x, tx), tx);
    const toLocal = t.find(o => o.kind === 'our_to_local')!;
    deepEqual([toLocal.plan!.csv, toLocal.plan!.sequence, toLocal.plan!.sign.kind], [144, 144, 'delayed']);
    const offered = t.find(o => o.kind === 'our_htlc')!;
    deepEqual([offered.plan!.lockTime, offered.plan!.needsPreimage, offered.plan!.witness], [x.cltv.toA, false, 'htlc_timeout_tx']);
    const received = t.filter(o => o.kind === 'their_htlc');
    equal(received.length, 2);
    ok(received.every(o => o.plan!.needsPreimage && o.plan!.witness === 'htlc_success_tx' && o.plan!.then?.kind === 'our_htlc_tx_output'));
    equal(t.find(o => o.kind === 'to_them')!.plan, undefined, 'the peer’s balance is not ours');
  });

  it("the peer's commitment: to_remote at once, its offered HTLC by preimage, ours after cltv_expiry", async () => {
    const tx = txOf(signedA(x.a.state).raw);
    const t = track(x.b.state, await classify(x, tx), tx);
    deepEqual(t.find(o => o.kind === 'to_us')!.plan!.witness, 'to_remote_p2wpkh');
    const ours = t.find(o => o.kind === 'our_htlc')!;
    deepEqual([ours.plan!.lockTime, ours.plan!.witness, ours.plan!.sign.kind], [x.cltv.toA, 'remote_htlc_timeout', 'remote_htlc']);
    ok(t.filter(o => o.kind === 'their_htlc').every(o => o.plan!.witness === 'remote_htlc_preimage' && o.plan!.lockTime === 0));
    equal(t.find(o => o.kind === 'to_them')!.plan, undefined);
  });

  it('a revoked commitment: every output is matched (HTLCs from the stubs) and taken by the revocation key', async () => {
    const tx = txOf(signedA(x.revokedA).raw);
    const close = await classify(x, tx);
    const t = track(x.b.state, close, tx);
    deepEqual(t.map(o => o.kind).sort(), ['revoked_htlc', 'revoked_htlc', 'revoked_to_local', 'to_us']);
    ok(t.filter(o => o.kind.startsWith('revoked')).every(o => o.plan!.csv === 0 && o.plan!.lockTime === 0));
    // Without the stubs of those HTLCs (a state that forgot them) they cannot be told apart.
    const forgot = { ...x.b.state, localCommit: { ...x.b.state.localCommit, spec: { ...x.b.state.localCommit.spec, htlcs: [] } } };
    const bare = trackClose(forgot, close, { txid: tx.id, outputs: t }, []);
    equal(bare.filter(o => o.kind === 'unknown').length, 2);
  });
});

describe('onchain: Resolution (when, what the peer reveals, reorganisations, irrevocably resolved)', () => {
  let x: Closing;
  let tx: Transaction;
  let tracked: Tracked[];
  before(async () => {
    x = await closing({ cltvBase: CLTV });
    tx = txOf((await signedB(x)).raw);
    tracked = track(x.b.state, await classify(x, tx), tx);
  });
  const H = 100;
  const known =
    (...p: Uint8Array[]) =>
    (h: Uint8Array) =>
      p.some(q => toHex(sha256(q)) === toHex(h));

  it('a spend is due when the next block may hold it: CSV from the output’s block, CLTV, and the preimage', () => {
    const r = new Resolution({ txid: tx.id, height: H }, tracked, 100, H);
    const due = (tip: number, ...p: Uint8Array[]) => {
      r.block(tip);
      return r.due(known(...p)).map(w => `${w.kind}${w.htlc ? ':' + w.htlc.cltvExpiry : ''}`);
    };
    deepEqual(due(H), []);
    deepEqual(due(H, PREIMAGE.toB), [`their_htlc:${x.cltv.toB}`]);
    deepEqual(due(x.cltv.toA - 1), []);
    deepEqual(due(x.cltv.toA), [`our_htlc:${x.cltv.toA}`], 'nLockTime cltv_expiry: valid in block cltv_expiry + 1');
    deepEqual(
      due(H + 142).filter(k => k === 'our_to_local'),
      [],
    );
    deepEqual(
      due(H + 143).filter(k => k === 'our_to_local'),
      ['our_to_local'],
      'CSV 144: valid in block H + 144',
    );
  });

  it('the peer’s preimage is read from its spend; our HTLC transaction’s output is tracked; a reorganisation undoes both', () => {
    const r = new Resolution({ txid: tx.id, height: H }, tracked, 100, H + 1);
    const offered = tracked.find(t => t.kind === 'our_htlc')!;
    // The peer takes our offered HTLC with the preimage: `<remotehtlcsig> <payment_preimage>`.
    const theirs = spender(offered.txid, offered.vout, [new Uint8Array(72), PREIMAGE.toA, offered.plan!.witnessScript!]);
    r.block(H + 2);
    const l = r.spend(theirs, H + 2);
    deepEqual(
      l.preimages.map(p => toHex(p.preimage)),
      [toHex(PREIMAGE.toA)],
    );
    equal(l.added.length, 0, 'not our HTLC transaction: nothing follows');
    // A witness item of 32 bytes that is not the preimage teaches nothing.
    const r2 = new Resolution({ txid: tx.id, height: H }, tracked, 100, H + 1);
    equal(r2.spend(spender(offered.txid, offered.vout, [new Uint8Array(32).fill(9)]), H + 2).preimages.length, 0);

    // Our HTLC-success on the peer's offered HTLC: its output 0 (to_local script) is tracked, CSV 144 from its block.
    const received = tracked.find(t => t.kind === 'their_htlc' && hashOf(t) === toHex(sha256(PREIMAGE.toB)))!;
    const then = received.plan!.then!;
    const second = spender(received.txid, received.vout, [], { script: then.script, amount: 40_000n });
    r.block(H + 3);
    const added = r.spend(second, H + 3).added;
    deepEqual(
      added.map(w => [w.kind, w.height, w.plan!.csv]),
      [['our_htlc_tx_output', H + 3, 144]],
    );
    // Block H + 3 replaced by another (a reorganisation): that spend and its output are gone, the earlier one stays.
    r.block(H + 3);
    ok(!r.outputs.some(w => w.kind === 'our_htlc_tx_output'));
    ok(!r.outputs.find(w => w.txid === received.txid && w.vout === received.vout)!.spent);
    ok(r.outputs.find(w => w.txid === offered.txid && w.vout === offered.vout)!.spent);
  });

  it('resolved once every spend, and the commitment, are `depth` blocks deep; the peer’s outputs need no spend', () => {
    const r = new Resolution({ txid: tx.id, height: H }, tracked, 10, H);
    for (const t of tracked.filter(t => t.plan)) r.spend(spender(t.txid, t.vout, []), H + 5);
    r.block(H + 13);
    equal(r.done(), false, 'spends 9 blocks deep');
    r.block(H + 14);
    equal(r.done(), true);
    equal(r.watching().length, 0);
  });

  it('HTLCs we offered are failed at reasonable depth: timed out on chain, or missing from the close; not when claimed', () => {
    const r = new Resolution({ txid: tx.id, height: H }, tracked, 100, H);
    const offered = tracked.find(t => t.kind === 'our_htlc')!;
    const missing = { offeredByUs: true, paymentHash: sha256(new Uint8Array([42])), cltvExpiry: 7, id: 99n };
    const ours = [offered.htlc!, missing];
    equal(r.failedHtlcs(ours, 3).length, 0);
    r.block(H + 2);
    deepEqual(r.failedHtlcs(ours, 3), [missing], 'missing: once the close is 3 deep');
    r.block(H + 3);
    r.spend(spender(offered.txid, offered.vout, [new Uint8Array(72), new Uint8Array(72)]), H + 3);
    r.block(H + 5);
    deepEqual(r.failedHtlcs(ours, 3), [offered.htlc!, missing], 'timed out, 3 deep');
    // Claimed with the preimage instead: not failed.
    const r2 = new Resolution({ txid: tx.id, height: H }, tracked, 100, H + 3);
    r2.spend(spender(offered.txid, offered.vout, [new Uint8Array(72), PREIMAGE.toA]), H + 3);
    r2.block(H + 9);
    deepEqual(r2.failedHtlcs([offered.htlc!], 3), []);
  });
});
