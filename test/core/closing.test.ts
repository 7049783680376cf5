// BOLT 2 "Channel Close" and BOLT 3's legacy closing transaction, pure: which shutdown scripts are
// allowed (by feature), the upfront script, when shutdown may be sent and must be answered, the
// updates it forbids; the closing transaction (fee from the funder, rounding, trimming below our
// dust limit, BIP 69, version, locktime, sequence), the dust thresholds, the signature variants;
// and the closing_signed fee decisions with and without fee_range.
import { toHex, fromHex } from '../../src/core/base/bytes.ts';
import { feeFor, pubkeyOf, signCompact, SIGHASH_ALL } from '../../src/core/bolt3/index.ts';
import { sendAdd, type ChannelState } from '../../src/core/channel/index.ts';
import { ClosingError } from '../../src/core/channel/closing-errors.ts';
import { firstOffer, receiveOffer, startNegotiation, type Negotiation } from '../../src/core/channel/closing-fee.ts';
import {
  checkClosingSignature,
  checkOutputsNotDust,
  closingSidesOf,
  closingTx,
  closingWeight,
  dustThreshold,
  type ClosingSides,
} from '../../src/core/channel/closing-tx.ts';
import {
  checkAddAfterShutdown,
  isValidShutdownScript,
  quiescentWithoutHtlcs,
  readyToNegotiate,
  receiveShutdown,
  sendShutdown,
  type ShutdownContext,
} from '../../src/core/channel/shutdown.ts';
import {
  closerFields,
  closingComplete,
  closingSig,
  receiveClosingComplete,
  receiveClosingSig,
  simpleClosingTx,
} from '../../src/core/channel/simple-close.ts';
import { Transaction } from '@scure/btc-signer';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';
import { openPair, secretsOf } from './channel-fixture.ts';

const h = fromHex;
const P2PKH = h('76a914' + '11'.repeat(20) + '88ac');
const P2SH = h('a914' + '22'.repeat(20) + '87');
const P2WPKH = h('0014' + '33'.repeat(20));
const P2WSH = h('0020' + '44'.repeat(32));
const P2TR = h('5120' + '55'.repeat(32));
const V16 = h('6002' + '6666');
const RETURN_6 = h('6a06' + '77'.repeat(6));
const RETURN_80 = h('6a4c50' + '88'.repeat(80));

describe('BOLT 2 shutdown scriptpubkeys', () => {
  const none = { anysegwit: false, simpleClose: false };
  const anysegwit = { anysegwit: true, simpleClose: false };
  const simple = { anysegwit: true, simpleClose: true };

  it('P2PKH, P2SH, P2WPKH and P2WSH always; witness v1-16 only with option_shutdown_anysegwit; OP_RETURN only with option_simple_close', () => {
    for (const s of [P2PKH, P2SH, P2WPKH, P2WSH]) ok(isValidShutdownScript(s, none), toHex(s));
    for (const s of [P2TR, V16]) {
      ok(!isValidShutdownScript(s, none), `${toHex(s)} without anysegwit`);
      ok(isValidShutdownScript(s, anysegwit), `${toHex(s)} with anysegwit`);
    }
    for (const s of [RETURN_6, RETURN_80]) {
      ok(!isValidShutdownScript(s, anysegwit), `${toHex(s)} without simple_close`);
      ok(isValidShutdownScript(s, simple), `${toHex(s)} with simple_close`);
    }
  });

  it('refuses near misses: wrong lengths, a 1-byte or 41-byte witness program, OP_RETURN pushes outside 6-80, trailing bytes', () => {
    const bad = [
      h('0014' + '33'.repeat(19)),
      h('0020' + '44'.repeat(31)),
      h('0015' + '33'.repeat(21)),
      h('5101' + '55'),
      h('5129' + '55'.repeat(41)),
      h('6a05' + '77'.repeat(5)),
      h('6a4c4b' + '88'.repeat(75)),
      h('6a4c51' + '88'.repeat(81)),
      h('6a06' + '77'.repeat(7)),
      h('0014' + '33'.repeat(20) + '00'),
      new Uint8Array(0),
    ];
    for (const s of bad) ok(!isValidShutdownScript(s, simple), toHex(s));
  });
});

describe('BOLT 2 shutdown exchange (for channeld)', () => {
  const ctx: ShutdownContext = { features: { anysegwit: false, simpleClose: false } };

  it('sends once, answers once, and both shutdowns on an empty channel start the negotiation', async () => {
    const { a, b } = await openPair();
    const sent = sendShutdown(a.state, {}, P2WPKH, ctx);
    deepEqual(sent.message, { name: 'shutdown', channel_id: a.state.params.channelId, scriptpubkey: P2WPKH });
    throws(() => sendShutdown(a.state, sent.shutdown, P2WPKH, ctx), ClosingError, 'shutdown_twice');
    const got = receiveShutdown(b.state, {}, sent.message, ctx);
    ok(got.replyDue, 'B must answer with its own shutdown');
    ok(!readyToNegotiate(b.state, got.shutdown), 'not before B sent its own');
    const reply = sendShutdown(b.state, got.shutdown, P2WSH, ctx);
    ok(readyToNegotiate(b.state, reply.shutdown));
    const back = receiveShutdown(a.state, sent.shutdown, reply.message, ctx);
    ok(!back.replyDue, 'A sent its shutdown already');
    ok(readyToNegotiate(a.state, back.shutdown));
    throws(() => receiveShutdown(a.state, back.shutdown, reply.message, ctx), ClosingError, 'shutdown_twice');
  });

  it('a bad script is a warning; a script other than the upfront one fails the connection; ours is checked the same', async () => {
    const { a } = await openPair();
    const m = { name: 'shutdown' as const, channel_id: a.state.params.channelId, scriptpubkey: P2TR };
    const e = throws<ClosingError>(() => receiveShutdown(a.state, {}, m, ctx), ClosingError, 'bad_shutdown_script');
    equal(e.action, 'warning');
    receiveShutdown(a.state, {}, m, { features: { anysegwit: true, simpleClose: false } });
    const upfront = { ...ctx, remoteUpfront: P2WPKH, localUpfront: P2WSH };
    const u = throws<ClosingError>(
      () => receiveShutdown(a.state, {}, { ...m, scriptpubkey: P2WSH }, upfront),
      ClosingError,
      'upfront_shutdown_mismatch',
    );
    equal(u.action, 'warning');
    receiveShutdown(a.state, {}, { ...m, scriptpubkey: P2WPKH }, upfront);
    throws(() => sendShutdown(a.state, {}, P2WPKH, upfront), ClosingError, 'upfront_shutdown_mismatch');
    throws(() => sendShutdown(a.state, {}, P2TR, ctx), ClosingError, 'bad_shutdown_script');
  });

  it('not with our updates unsigned; no HTLC added after a shutdown; no negotiation while an HTLC is on a commitment', async () => {
    const { a } = await openPair();
    const added = sendAdd(a.state, {
      amountMsat: 5_000_000n,
      paymentHash: new Uint8Array(32).fill(1),
      cltvExpiry: 800_000,
      onion: new Uint8Array(1366),
    });
    throws(() => sendShutdown(added.state, {}, P2WPKH, ctx), ClosingError, 'updates_pending');
    ok(!quiescentWithoutHtlcs(added.state));
    const withHtlc: ChannelState = {
      ...a.state,
      localCommit: {
        ...a.state.localCommit,
        spec: {
          ...a.state.localCommit.spec,
          htlcs: [
            {
              offered: true,
              add: { kind: 'add', id: 0n, amountMsat: 1n, paymentHash: new Uint8Array(32), cltvExpiry: 1, onion: new Uint8Array(0) },
            },
          ],
        },
      },
    };
    ok(!readyToNegotiate(withHtlc, { sent: P2WPKH, received: P2WPKH }), 'a (dust) HTLC left on our commitment');
    throws(() => checkAddAfterShutdown({ sent: P2WPKH }, 'local'), ClosingError, 'add_after_shutdown');
    throws(() => checkAddAfterShutdown({ received: P2WPKH }, 'remote'), ClosingError, 'add_after_shutdown');
    checkAddAfterShutdown({ sent: P2WPKH }, 'remote');
  });
});

/** A 1,000,000 sat channel: the funder (us) holds 700,000.5 sat, the peer 299,999.5. */
function sides(o: Partial<ClosingSides> = {}): ClosingSides {
  return {
    fundingTxid: 'ab'.repeat(32),
    fundingOutputIndex: 1,
    fundingSatoshis: 1_000_000n,
    localFundingPubkey: pubkeyOf(secretsOf('A').funding),
    remoteFundingPubkey: pubkeyOf(secretsOf('B').funding),
    localScript: P2WSH,
    remoteScript: P2WPKH,
    toLocalMsat: 700_000_500n,
    toRemoteMsat: 299_999_500n,
    localIsOpener: true,
    ...o,
  };
}

describe('BOLT 3 legacy closing transaction', () => {
  it('version 2, locktime 0, the funding outpoint with sequence 0xFFFFFFFF; the fee from the funder; amounts rounded down; BIP 69', () => {
    const t = closingTx(sides(), 1_000n, 546n);
    equal(t.tx.version, 2);
    equal(t.tx.lockTime, 0);
    const input = t.tx.getInput(0);
    equal(toHex(input.txid!), 'ab'.repeat(32));
    equal(input.index, 1);
    equal(input.sequence, 0xffffffff);
    equal(t.tx.outputsLength, 2);
    // 299,999 sat (the peer's) sorts before 699,000 sat (ours, less the fee).
    deepEqual([t.tx.getOutput(0).amount, t.tx.getOutput(1).amount], [299_999n, 699_000n]);
    deepEqual(t.tx.getOutput(0).script, P2WPKH);
    equal(t.toLocal, 699_000n);
    // The fundee pays nothing.
    const fundee = closingTx(sides({ localIsOpener: false }), 1_000n, 546n);
    deepEqual([fundee.toLocal, fundee.toRemote], [700_000n, 298_999n]);
  });

  it('removes an output below our dust limit, fails when none is left or the funder cannot pay', () => {
    const small = sides({ toLocalMsat: 999_400_000n, toRemoteMsat: 600_000n });
    equal(closingTx(small, 0n, 546n).tx.outputsLength, 2);
    const trimmed = closingTx(small, 0n, 601n);
    equal(trimmed.tx.outputsLength, 1);
    equal(trimmed.toRemote, undefined);
    throws(
      () => closingTx(sides({ toLocalMsat: 500_000n, toRemoteMsat: 999_500_000n, fundingSatoshis: 1_000_000n }), 0n, 1_000_000n),
      ClosingError,
      'no_outputs',
    );
    throws(() => closingTx(sides(), 700_001n, 546n), ClosingError, 'funder_cannot_afford_fee');
  });

  it("the weight counts the signed witness; Bitcoin Core's dust thresholds by script", () => {
    const t = closingTx(sides(), 0n, 546n);
    // Version, input count, the input, output count, a P2WSH and a P2WPKH output, locktime; then the witness.
    equal(closingWeight(sides(), 546n), t.tx.unsignedTx.length * 4 + 224);
    equal(t.tx.unsignedTx.length, 4 + 1 + 41 + 1 + 43 + 31 + 4);
    deepEqual([P2PKH, P2SH, P2WPKH, P2WSH, P2TR, RETURN_6, h('51024e73')].map(dustThreshold), [546n, 540n, 294n, 330n, 354n, 0n, 240n]);
    // An output under its script's threshold is refused (the channel fails), our dust limit aside.
    const tiny = closingTx(sides({ toLocalMsat: 999_707_000n, toRemoteMsat: 293_000n }), 0n, 200n);
    const e = throws<ClosingError>(() => checkOutputsNotDust(tiny), ClosingError, 'output_below_dust');
    equal(e.action, 'error');
  });

  it("accepts the peer's signature on our variant or on the one without its own output, nothing else", () => {
    const key = secretsOf('B').funding;
    const c = closingSidesOf(
      // Only the fields closingSidesOf reads.
      {
        params: {
          fundingTxid: 'ab'.repeat(32),
          fundingOutputIndex: 0,
          fundingSatoshis: 1_000_000n,
          localIsOpener: true,
          local: { fundingPubkey: pubkeyOf(secretsOf('A').funding) },
          remote: { fundingPubkey: pubkeyOf(key) },
        },
        localCommit: { spec: { toLocalMsat: 700_000_000n, toRemoteMsat: 300_000_000n } },
      } as unknown as ChannelState,
      P2WSH,
      P2WPKH,
    );
    const sign = (omit?: 'remote') => {
      const t = closingTx(c, 500n, 546n, omit);
      return signCompact(t.tx, 0, t.fundingScript, 1_000_000n, key, SIGHASH_ALL);
    };
    equal(checkClosingSignature(c, 500n, 546n, sign()).toRemote, 300_000n);
    equal(checkClosingSignature(c, 500n, 546n, sign('remote')).toRemote, undefined);
    throws(() => checkClosingSignature(c, 501n, 546n, sign()), ClosingError, 'bad_closing_signature');
  });
});

describe('BOLT 2 closing_signed fee negotiation', () => {
  const weight = 672;
  const funder = startNegotiation({
    localIsOpener: true,
    weight,
    feerates: { min: 253, ideal: 2_000, max: 5_000 },
    fundingSatoshis: 1_000_000n,
    funderSatoshis: 700_000n,
  });
  const fundee = startNegotiation({
    localIsOpener: false,
    weight,
    feerates: { min: 1_000, ideal: 3_000, max: 5_000 },
    fundingSatoshis: 1_000_000n,
    funderSatoshis: 700_000n,
  });

  it('fee ranges from the feerates: the funder up to its max, the fundee up to the funding amount', () => {
    deepEqual(funder.range, { min: feeFor(253, weight), max: feeFor(5_000, weight) });
    equal(funder.ideal, feeFor(2_000, weight));
    deepEqual(fundee.range, { min: feeFor(1_000, weight), max: 1_000_000n });
    // The funder never offers more than it holds.
    equal(
      startNegotiation({
        localIsOpener: true,
        weight,
        feerates: { min: 253, ideal: 2_000, max: 5_000 },
        fundingSatoshis: 1_000_000n,
        funderSatoshis: 1_000n,
      }).range.max,
      1_000n,
    );
  });

  it('with fee_range: the fundee takes the funder’s fee in the overlap (two messages), or counters in it and the funder echoes (three)', () => {
    const open = firstOffer(funder);
    equal(open.fee, 1_344n);
    const two = receiveOffer(fundee, open.fee, funder.range);
    deepEqual(two.decision, { kind: 'accept', fee: 1_344n });
    deepEqual(receiveOffer(open.negotiation, 1_344n, fundee.range).decision, { kind: 'done', fee: 1_344n });

    const picky = { ...fundee, range: { min: 2_000n, max: 1_000_000n }, ideal: 2_016n };
    const three = receiveOffer(picky, open.fee, funder.range);
    deepEqual(three.decision, { kind: 'counter', fee: 2_016n });
    const echo = receiveOffer(open.negotiation, 2_016n, picky.range);
    deepEqual(echo.decision, { kind: 'accept', fee: 2_016n });
    deepEqual(receiveOffer(three.negotiation, 2_016n, funder.range).decision, { kind: 'done', fee: 2_016n });
  });

  it('with fee_range: no overlap is a warning; a funder fails the channel on a fee outside it; a fundee on a changed fee', () => {
    const open = firstOffer(funder);
    const far = { min: 10_000n, max: 20_000n };
    equal(throws<ClosingError>(() => receiveOffer(open.negotiation, 12_000n, far), ClosingError, 'fee_range_no_overlap').action, 'warning');
    const outside = throws<ClosingError>(
      () => receiveOffer(open.negotiation, 100n, { min: 0n, max: 5_000n }),
      ClosingError,
      'fee_not_in_overlap',
    );
    equal(outside.action, 'error');
    const answered: Negotiation = { ...fundee, sent: 2_000n };
    equal(throws<ClosingError>(() => receiveOffer(answered, 2_100n, funder.range), ClosingError, 'fee_changed').action, 'error');
  });

  it('without fee_range: agree within our range, else counter at our edge; each offer strictly between the last two', () => {
    const open = firstOffer(funder);
    // The fundee's 4,000 sat is above the funder's 3,360 max: it counters with its max.
    const r1 = receiveOffer(open.negotiation, 4_000n);
    deepEqual(r1.decision, { kind: 'counter', fee: 3_360n });
    // 3,500 is strictly between 3,360 and 4,000, still above the max: no value left to offer.
    throws(() => receiveOffer(r1.negotiation, 3_500n), ClosingError, 'cannot_agree');
    // 5,000 is not between 3,360 and 4,000.
    equal(throws<ClosingError>(() => receiveOffer(r1.negotiation, 5_000n), ClosingError, 'fee_not_between').action, 'warning');
    // The peer takes our edge: done.
    deepEqual(receiveOffer(r1.negotiation, 3_360n).decision, { kind: 'done', fee: 3_360n });
    // Below our minimum (170), the edge is the minimum, and then an offer between that and the peer's is taken.
    const low = receiveOffer(open.negotiation, 100n);
    deepEqual(low.decision, { kind: 'counter', fee: 170n });
    throws(() => receiveOffer(low.negotiation, 150n), ClosingError, 'cannot_agree');
    const mid = { ...open.negotiation, received: 4_000n };
    deepEqual(receiveOffer(mid, 2_000n).decision, { kind: 'accept', fee: 2_000n });
    // A fundee's first answer outside its range: its ideal.
    deepEqual(receiveOffer(fundee, 200n).decision, { kind: 'counter', fee: fundee.ideal });
  });
});

describe('BOLT 2 option_simple_close: closing_complete and closing_sig', () => {
  const keyA = secretsOf('A').funding;
  const keyB = secretsOf('B').funding;
  /** The channel from A's side (local) and from B's (local), A holding 700,000 sat. */
  const fromA = sides({
    localFundingPubkey: pubkeyOf(keyA),
    remoteFundingPubkey: pubkeyOf(keyB),
    toLocalMsat: 700_000_000n,
    toRemoteMsat: 300_000_000n,
  });
  const fromB: ClosingSides = {
    ...fromA,
    localFundingPubkey: fromA.remoteFundingPubkey,
    remoteFundingPubkey: fromA.localFundingPubkey,
    localScript: fromA.remoteScript,
    remoteScript: fromA.localScript,
    toLocalMsat: fromA.toRemoteMsat,
    toRemoteMsat: fromA.toLocalMsat,
    localIsOpener: false,
  };
  const features = { anysegwit: true, simpleClose: true };
  const signWith = (key: Uint8Array) => async (t: { tx: Transaction; fundingScript: Uint8Array }) =>
    signCompact(t.tx, 0, t.fundingScript, 1_000_000n, key, SIGHASH_ALL);
  const cid = new Uint8Array(32).fill(5);

  it('the closer pays its fee alone; the message locktime; sequence 0xFFFFFFFD; an OP_RETURN output is 0', () => {
    const t = simpleClosingTx(
      fromB,
      { closer: 'local', closerScript: P2WPKH, closeeScript: P2WSH, feeSatoshis: 400n, lockTime: 800_000 },
      'closer_and_closee_outputs',
    );
    equal(t.tx.lockTime, 800_000);
    equal(t.tx.getInput(0).sequence, 0xfffffffd);
    deepEqual([t.toLocal, t.toRemote], [299_600n, 700_000n]);
    const burn = simpleClosingTx(
      fromB,
      { closer: 'local', closerScript: RETURN_6, closeeScript: P2WSH, feeSatoshis: 400n, lockTime: 0 },
      'closer_and_closee_outputs',
    );
    equal(burn.toLocal, 0n);
    throws(
      () =>
        simpleClosingTx(
          fromB,
          { closer: 'local', closerScript: P2WPKH, closeeScript: P2WSH, feeSatoshis: 300_001n, lockTime: 0 },
          'closer_output_only',
        ),
      ClosingError,
      'funder_cannot_afford_fee',
    );
  });

  it('the closer signs the variants BOLT 2 names: by who holds less, and whose output is dust', () => {
    const terms = (feeSatoshis: bigint) => ({
      closer: 'local' as const,
      closerScript: P2WSH,
      closeeScript: P2WPKH,
      feeSatoshis,
      lockTime: 0,
    });
    deepEqual(closerFields(fromA, terms(500n)), ['closer_output_only', 'closer_and_closee_outputs']);
    deepEqual(closerFields(fromB, { ...terms(500n), closerScript: P2WPKH, closeeScript: P2WSH }), ['closer_and_closee_outputs']);
    const poor = { ...fromB, toLocalMsat: 600_000n, toRemoteMsat: 999_400_000n };
    deepEqual(closerFields(poor, { ...terms(400n), closerScript: P2WPKH, closeeScript: P2WSH }), ['closee_output_only']);
    const rich = { ...fromA, toLocalMsat: 999_400_000n, toRemoteMsat: 600_000n };
    // The closee's 600 sat P2WPKH is not dust (294), a 200-sat one would be.
    deepEqual(closerFields(rich, terms(400n)), ['closer_output_only', 'closer_and_closee_outputs']);
    deepEqual(closerFields({ ...rich, toLocalMsat: 999_800_000n, toRemoteMsat: 200_000n }, terms(400n)), ['closer_output_only']);
  });

  it('closing_complete → closing_sig → both hold the same transaction, signed by each', async () => {
    const complete = await closingComplete(
      fromA,
      cid,
      { closerScript: P2WSH, closeeScript: P2WPKH, feeSatoshis: 700n, lockTime: 9 },
      signWith(keyA),
    );
    deepEqual(Object.keys(complete.tlvs!).sort(), ['closer_and_closee_outputs', 'closer_output_only']);
    const got = receiveClosingComplete(fromB, complete, P2WPKH, features);
    equal(got.field, 'closer_and_closee_outputs');
    const sig = closingSig(complete, got.field, await signWith(keyB)(got.tx));
    const back = receiveClosingSig(fromA, complete, sig);
    equal(back.tx.tx.id, got.tx.tx.id);
    // The closee's own output dust: it must take closer_output_only.
    const dusty = { ...fromB, toLocalMsat: 200_000n, toRemoteMsat: 999_800_000n };
    const richA = { ...fromA, toLocalMsat: 999_800_000n, toRemoteMsat: 200_000n };
    const c2 = await closingComplete(
      richA,
      cid,
      { closerScript: P2WSH, closeeScript: P2WPKH, feeSatoshis: 700n, lockTime: 0 },
      signWith(keyA),
    );
    equal(receiveClosingComplete(dusty, c2, P2WPKH, features).field, 'closer_output_only');
  });

  it('refusals: a closee script we did not send, a bad closer script, a missing or bad signature, a closing_sig that answers something else', async () => {
    const complete = await closingComplete(
      fromA,
      cid,
      { closerScript: P2WSH, closeeScript: P2WPKH, feeSatoshis: 700n, lockTime: 9 },
      signWith(keyA),
    );
    equal(
      throws<ClosingError>(() => receiveClosingComplete(fromB, complete, P2PKH, features), ClosingError, 'bad_shutdown_script').action,
      'warning',
    );
    throws(
      () => receiveClosingComplete(fromB, { ...complete, closer_scriptpubkey: RETURN_6 }, P2WPKH, { anysegwit: true, simpleClose: false }),
      ClosingError,
      'bad_shutdown_script',
    );
    throws(
      () =>
        receiveClosingComplete(fromB, { ...complete, tlvs: { closer_output_only: complete.tlvs!.closer_output_only! } }, P2WPKH, features),
      ClosingError,
      'bad_closing_signature',
    );
    throws(
      () => receiveClosingComplete(fromB, { ...complete, fee_satoshis: 701n }, P2WPKH, features),
      ClosingError,
      'bad_closing_signature',
    );
    throws(
      () => receiveClosingComplete(fromB, { ...complete, fee_satoshis: 700_001n }, P2WPKH, features),
      ClosingError,
      'funder_cannot_afford_fee',
    );
    const got = receiveClosingComplete(fromB, complete, P2WPKH, features);
    const sig = closingSig(complete, got.field, await signWith(keyB)(got.tx));
    throws(() => receiveClosingSig(fromA, complete, { ...sig, fee_satoshis: 701n }), ClosingError, 'unexpected_message');
    throws(
      () =>
        receiveClosingSig(fromA, complete, {
          ...sig,
          tlvs: { ...sig.tlvs, closer_output_only: { sig: sig.tlvs!.closer_and_closee_outputs!.sig } },
        }),
      ClosingError,
      'bad_closing_signature',
    );
    throws(
      () => receiveClosingSig(fromA, complete, { ...sig, tlvs: { closee_output_only: sig.tlvs!.closer_and_closee_outputs! } }),
      ClosingError,
      'bad_closing_signature',
    );
    throws(
      () => receiveClosingSig(fromA, complete, { ...sig, tlvs: { closer_output_only: sig.tlvs!.closer_and_closee_outputs! } }),
      ClosingError,
      'bad_closing_signature',
    );
  });
});
