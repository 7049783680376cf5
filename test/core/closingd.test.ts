// Two closingds negotiating a channel's close, each signing through a real hsmd (the validating
// signer, which refuses a close that underpays its side): convergence with fee_range in two and
// three messages and without fee_range, a restart after a reconnect, trimmed dust, and each
// refusal: ranges that do not overlap, a bad signature, a bad script, no answer in time, an hsmd
// that will not sign what a lying channel state asks.
import { Transaction } from '@scure/btc-signer';
import { toHex } from '../../src/core/base/bytes.ts';
import {
  derFromCompact,
  feeFor,
  fundingScript,
  SIGHASH_ALL,
  sortPubkeys,
  TX_OPTS,
  verifyDer,
  verifyInput,
} from '../../src/core/bolt3/index.ts';
import { closingSidesOf, closingWeight } from '../../src/core/channel/closing-tx.ts';
import type { ChannelState } from '../../src/core/channel/state.ts';
import { encodeMessage, type Message, type MessageOf } from '../../src/core/wire/messages.ts';
import { FeatureVector } from '../../src/core/features/index.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { settle } from '../support/memory-stream.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { closePair, FEERATES, FEATURES, hsmdChannel, hsmds, walletOut, type CloseSide, type Who } from './closingd-fixture.ts';

const FUNDING = 1_000_000n;
const PUSH = 300_000_000n;

function closingSigned(s: CloseSide): MessageOf<'closing_signed'>[] {
  return s.sent.filter((m): m is MessageOf<'closing_signed'> => m.name === 'closing_signed');
}

/** Both closes agree, pay each side's wallet script its balance (the funder less the fee) and pass the script check. */
function checkClose(h: ReturnType<typeof hsmds>, states: Record<Who, ChannelState>, a: CloseSide, b: CloseSide, fee: bigint): void {
  const [ra, rb] = [a.closed[0]!, b.closed[0]!];
  equal(toHex(ra.tx), toHex(rb.tx), 'both sides hold the same signed close');
  equal(ra.feeSatoshis, fee);
  const tx = Transaction.fromRaw(ra.tx, TX_OPTS);
  const input = tx.getInput(0);
  equal(toHex(input.txid!), states.a.params.fundingTxid);
  equal(input.sequence, 0xffffffff);
  equal(tx.lockTime, 0);
  const paid = (w: Who) => outputs(tx).find(o => toHex(o.script) === toHex(walletOut(h[w], 5)))?.amount;
  equal(paid('a'), (FUNDING * 1000n - PUSH) / 1000n - fee);
  equal(paid('b'), PUSH / 1000n);
  checkWitness(h, tx);
}

function outputs(tx: Transaction) {
  return Array.from({ length: tx.outputsLength }, (_, i) => tx.getOutput(i) as { script: Uint8Array; amount: bigint });
}

/** BOLT 3's funding witness `0 <sig1> <sig2> <2-of-2>`: each signature by its key, in the 2-of-2's order (the chain's check is in test/regtest). */
function checkWitness(h: ReturnType<typeof hsmds>, tx: Transaction): void {
  const w = tx.getInput(0).finalScriptWitness!;
  const script = fundingScript(h.a.basepoints.funding_pubkey, h.b.basepoints.funding_pubkey);
  equal(w.length, 4);
  equal(w[0]!.length, 0);
  deepEqual(w[3], script);
  const digest = tx.preimageWitnessV0(0, script, SIGHASH_ALL, FUNDING);
  sortPubkeys(h.a.basepoints.funding_pubkey, h.b.basepoints.funding_pubkey).forEach((key, i) => {
    const item = w[1 + i]!;
    equal(item.at(-1), SIGHASH_ALL);
    ok(verifyDer(item.subarray(0, -1), digest, key), `signature ${i + 1} is by its key`);
  });
}

async function run(a: CloseSide, b: CloseSide) {
  const [ra, rb] = await Promise.allSettled([a.api.negotiate(), b.api.negotiate()]);
  return { ra, rb };
}

describe('closingd with hsmd on both sides', () => {
  const weight = async () => {
    const h = hsmds();
    const states = await hsmdChannel(h, { fundingSatoshis: FUNDING, pushMsat: PUSH });
    const w = closingWeight(closingSidesOf(states.a, walletOut(h.a, 5), walletOut(h.b, 5)), 546n);
    return { h, states, w };
  };

  it('with fee_range: the fundee takes the funder’s fee in two messages; each persists before its last closing_signed', async () => {
    const { h, states, w } = await weight();
    const { a, b } = await closePair(h, { states });
    const { ra, rb } = await run(a, b);
    ok(ra.status === 'fulfilled' && rb.status === 'fulfilled', JSON.stringify([a.failures, b.failures]));
    const fee = feeFor(FEERATES.a.ideal, w);
    checkClose(h, states, a, b, fee);
    equal(closingSigned(a).length, 1, 'A sent one closing_signed');
    equal(closingSigned(b).length, 1, 'B answered with the same fee');
    deepEqual(closingSigned(a)[0]!.tlvs?.fee_range, { min_fee_satoshis: feeFor(253, w), max_fee_satoshis: feeFor(10_000, w) });
    deepEqual(closingSigned(b)[0]!.tlvs?.fee_range, { min_fee_satoshis: feeFor(253, w), max_fee_satoshis: FUNDING });
    // B accepts: it has lightningd persist the close before its closing_signed leaves (after it, A may broadcast).
    deepEqual(b.log, ['agreed', 'sent:closing_signed', 'closed']);
    deepEqual(a.log, ['sent:closing_signed', 'agreed', 'closed']);
    equal(a.api.status().stage, 'closed');
  });

  it('with fee_range: a fundee whose minimum is above the funder’s offer counters in the overlap, and the funder echoes it', async () => {
    const { h, states, w } = await weight();
    const { a, b } = await closePair(h, { states, init: { b: { feerates: { min: 3_000, ideal: 4_000, max: 10_000 } } } });
    const { ra, rb } = await run(a, b);
    ok(ra.status === 'fulfilled' && rb.status === 'fulfilled', JSON.stringify([a.failures, b.failures]));
    const fee = feeFor(4_000, w);
    checkClose(h, states, a, b, fee);
    deepEqual(
      closingSigned(a).map(m => m.fee_satoshis),
      [feeFor(FEERATES.a.ideal, w), fee],
    );
    deepEqual(
      closingSigned(b).map(m => m.fee_satoshis),
      [fee],
    );
  });

  it('without fee_range: offers move until one side takes the other’s', async () => {
    const { h, states, w } = await weight();
    const init = { a: { feeRange: false }, b: { feeRange: false, feerates: { min: 3_000, ideal: 4_000, max: 10_000 } } };
    const { a, b } = await closePair(h, { states, init });
    const { ra, rb } = await run(a, b);
    ok(ra.status === 'fulfilled' && rb.status === 'fulfilled', JSON.stringify([a.failures, b.failures]));
    checkClose(h, states, a, b, feeFor(4_000, w));
    ok(
      [...a.sent, ...b.sent].every(m => m.name !== 'closing_signed' || m.tlvs?.fee_range === undefined),
      'no fee_range sent',
    );
  });

  it('ranges that do not overlap: the fundee warns and both negotiations end; nothing is agreed', async () => {
    const { h, states } = await weight();
    const { a, b } = await closePair(h, { states, init: { b: { feerates: { min: 20_000, ideal: 30_000, max: 40_000 } } } });
    const pb = b.api.negotiate().catch((e: { code?: string }) => e.code);
    const pa = a.api.negotiate().catch((e: { code?: string }) => e.code);
    await settle();
    equal(await pb, 'fee_range_no_overlap');
    deepEqual(
      b.failures.map(f => [f.code, f.sent]),
      [['fee_range_no_overlap', 'warning']],
    );
    equal(b.sent.at(-1)!.name, 'warning');
    // connectd closes the connection after a warning: A's negotiation ends with it.
    a.owner.peerGone!('closed after a warning');
    equal(await pa, 'peer_gone');
    equal(a.agreed.length + b.agreed.length, 0);
  });

  it('a reconnect restarts the negotiation: new closingds from the same init converge, the old offers forgotten', async () => {
    const { h, states, w } = await weight();
    // The first time, B's answer is lost and the connection drops.
    const first = await closePair(h, {
      states,
      init: { b: { feerates: { min: 3_000, ideal: 4_000, max: 10_000 } } },
      tamper: { b: () => undefined },
    });
    const p1 = Promise.allSettled([first.a.api.negotiate(), first.b.api.negotiate()]);
    await settle();
    first.a.owner.peerGone!('disconnected');
    first.b.owner.peerGone!('disconnected');
    const [fa, fb] = await p1;
    ok(fa.status === 'rejected' && fb.status === 'rejected');
    deepEqual([first.a.failures[0]!.code, first.b.failures[0]!.code], ['peer_gone', 'peer_gone']);
    // After channel_reestablish (and shutdown retransmitted by channeld), lightningd starts new ones.
    const again = await closePair(h, { states, init: { b: { feerates: { min: 253, ideal: 1_000, max: 10_000 } } } });
    const { ra, rb } = await run(again.a, again.b);
    ok(ra.status === 'fulfilled' && rb.status === 'fulfilled', JSON.stringify([again.a.failures, again.b.failures]));
    checkClose(h, states, again.a, again.b, feeFor(FEERATES.a.ideal, w));
  });

  it("trims an output below the dust limit: the peer's 400 sat is not in the close", async () => {
    const h = hsmds();
    const states = await hsmdChannel(h, { fundingSatoshis: FUNDING, pushMsat: 400_000n });
    const { a, b } = await closePair(h, { states });
    const { ra, rb } = await run(a, b);
    ok(ra.status === 'fulfilled' && rb.status === 'fulfilled', JSON.stringify([a.failures, b.failures]));
    const tx = Transaction.fromRaw(a.closed[0]!.tx, TX_OPTS);
    equal(tx.outputsLength, 1);
    deepEqual(tx.getOutput(0).script, walletOut(h.a, 5));
    checkWitness(h, tx);
  });

  it('hsmd refuses the close a lying channel state asks for (our balance understated): nothing agreed, nothing signed sent', async () => {
    const h = hsmds();
    const states = await hsmdChannel(h, { fundingSatoshis: FUNDING, pushMsat: PUSH });
    // Both sides' closingds are handed a channel where B holds 100,000 sat less than its commitment says.
    const shift = (s: ChannelState, d: bigint): ChannelState => ({
      ...s,
      localCommit: {
        ...s.localCommit,
        spec: { ...s.localCommit.spec, toLocalMsat: s.localCommit.spec.toLocalMsat + d, toRemoteMsat: s.localCommit.spec.toRemoteMsat - d },
      },
      remoteCommit: {
        ...s.remoteCommit,
        spec: {
          ...s.remoteCommit.spec,
          toLocalMsat: s.remoteCommit.spec.toLocalMsat - d,
          toRemoteMsat: s.remoteCommit.spec.toRemoteMsat + d,
        },
      },
    });
    const lying = { a: shift(states.a, 100_000_000n), b: shift(states.b, -100_000_000n) };
    const { a, b } = await closePair(h, { states: lying });
    const pa = a.api.negotiate().catch((e: { code?: string }) => e.code);
    const rb = await b.api.negotiate().then(
      () => ({ code: 'closed' }),
      (e: { code?: string }) => e,
    );
    equal(rb.code, 'underpays', "hsmd's refusal");
    ok(b.failures[0]!.message.includes('the channel owes us'), b.failures[0]!.message);
    deepEqual(
      b.failures.map(f => [f.code, f.sent]),
      [['internal', 'warning']],
    );
    equal(closingSigned(b).length, 0, 'B signed nothing for A');
    equal(b.agreed.length, 0);
    // A's own hsmd signed A's offer (it pays A more), but A never got B's signature.
    equal(closingSigned(a).length, 1);
    a.owner.peerGone!('closed after a warning');
    equal(await pa, 'peer_gone');
    equal(a.agreed.length, 0);
  });

  it('a closing_signed whose signature signs no variant: warning, and nothing agreed', async () => {
    const { h, states } = await weight();
    const forged = (m: Message) => (m.name === 'closing_signed' ? { ...m, signature: new Uint8Array(64).fill(1) } : m);
    const { a, b } = await closePair(h, { states, tamper: { a: forged } });
    const pb = b.api.negotiate().catch((e: { code?: string }) => e.code);
    void a.api.negotiate().catch(() => undefined);
    equal(await pb, 'bad_closing_signature');
    deepEqual(
      b.failures.map(f => f.sent),
      ['warning'],
    );
    equal(b.agreed.length, 0);
  });

  it('a peer shutdown script closingd cannot pay (witness v1 without option_shutdown_anysegwit): warning before any offer', async () => {
    const { h, states } = await weight();
    const taproot = new Uint8Array([0x51, 0x20, ...new Uint8Array(32).fill(9)]);
    const noAnysegwit = { theirFeatures: '2000' };
    const { a } = await closePair(h, { states, scripts: { b: taproot }, init: { a: noAnysegwit } });
    const code = await a.api.negotiate().catch((e: { code?: string }) => e.code);
    equal(code, 'bad_shutdown_script');
    deepEqual(
      a.sent.map(m => m.name),
      ['warning'],
    );
    ok(FEATURES !== noAnysegwit.theirFeatures);
  });

  it('a fee above what the funder holds: warning; a flood of messages: warning; neither grows the queue nor agrees', async () => {
    const { h, states } = await weight();
    const greedy = (m: Message) => (m.name === 'closing_signed' ? { ...m, fee_satoshis: 800_000n } : m);
    const one = await closePair(h, { states, tamper: { a: greedy } });
    const pb = one.b.api.negotiate().catch((e: { code?: string }) => e.code);
    void one.a.api.negotiate().catch(() => undefined);
    equal(await pb, 'funder_cannot_afford_fee');
    deepEqual(
      one.b.failures.map(f => f.sent),
      ['warning'],
    );

    const two = await closePair(h, { states });
    const pa = two.a.api.negotiate().catch((e: { code?: string }) => e.code);
    await settle();
    // B never answers; instead 50 warnings (each one alone would be logged and skipped) arrive at once.
    const warning = encodeMessage({ name: 'warning', channel_id: states.a.params.channelId, data: new Uint8Array(0) });
    for (let i = 0; i < 50; i++) two.a.owner.deliver(warning);
    equal(await pa, 'unexpected_message');
    ok(two.a.failures[0]!.message.startsWith('more than 8 messages'), two.a.failures[0]!.message);
    equal(two.a.agreed.length, 0);
  });

  it('no closing_signed in time: the funder fails the channel with an error', async () => {
    const { h, states } = await weight();
    const clock = new FakeClock();
    const { a } = await closePair(h, { states, init: { a: { replyTimeoutMs: 60_000 } }, tamper: { a: () => undefined } }, clock);
    const pa = a.api.negotiate().catch((e: { code?: string }) => e.code);
    await settle();
    await clock.tick(60_000);
    equal(await pa, 'timeout');
    deepEqual(
      a.failures.map(f => f.sent),
      ['error'],
    );
  });
});

describe('closingd with option_simple_close', () => {
  const SIMPLE = FeatureVector.fromBits([13, 27, 61]).toHex();
  const simple = { ourFeatures: SIMPLE, theirFeatures: SIMPLE, lockTime: 800_000 };

  it('each side sends closing_complete paying its own fee and signs back the other’s: two closes, each durable before its closing_sig', async () => {
    const h = hsmds();
    const states = await hsmdChannel(h, { fundingSatoshis: FUNDING, pushMsat: PUSH });
    const { a, b } = await closePair(h, { states, init: { a: simple, b: simple } });
    const { ra, rb } = await run(a, b);
    ok(ra.status === 'fulfilled' && rb.status === 'fulfilled', JSON.stringify([a.failures, b.failures]));
    const w = closingWeight(closingSidesOf(states.a, walletOut(h.a, 5), walletOut(h.b, 5)), 0n);
    for (const [me, peer, who, fee] of [
      [a, b, 'a', feeFor(FEERATES.a.ideal, w)],
      [b, a, 'b', feeFor(FEERATES.b.ideal, w)],
    ] as const) {
      equal(me.sent.filter(m => m.name === 'closing_complete').length, 1);
      equal(peer.sent.filter(m => m.name === 'closing_sig').length, 1);
      // Its own close: it pays the fee alone; the other side gets its whole balance.
      const own = ra.status === 'fulfilled' && rb.status === 'fulfilled' ? (who === 'a' ? ra.value : rb.value) : undefined;
      equal(own!.feeSatoshis, fee);
      const tx = Transaction.fromRaw(own!.tx, TX_OPTS);
      equal(tx.lockTime, 800_000);
      equal(tx.getInput(0).sequence, 0xfffffffd);
      const balance = { a: FUNDING - PUSH / 1000n, b: PUSH / 1000n };
      const paid = (x: 'a' | 'b') => outputs(tx).find(o => toHex(o.script) === toHex(walletOut(h[x], 5)))?.amount;
      equal(paid(who), balance[who] - fee);
      equal(paid(who === 'a' ? 'b' : 'a'), balance[who === 'a' ? 'b' : 'a']);
      checkWitness(h, tx);
      // Both sides hold both closes.
      deepEqual(me.closed.map(c => c.txid).sort(), peer.closed.map(c => c.txid).sort());
      equal(me.closed.length, 2);
      const i = me.log.indexOf('sent:closing_sig');
      equal(me.log[i - 1], 'agreed', 'durable before our closing_sig leaves');
    }
  });
});

// Guards against a fixture whose hsmd would sign with keys other than those it announced.
it('closingd fixture: hsmd A signs the close with the funding key of its basepoints', async () => {
  const h = hsmds();
  const states = await hsmdChannel(h);
  const { a, b } = await closePair(h, { states });
  await run(a, b);
  const unsigned = Transaction.fromRaw(Transaction.fromRaw(a.closed[0]!.tx, TX_OPTS).unsignedTx, TX_OPTS);
  const script = fundingScript(h.a.basepoints.funding_pubkey, h.b.basepoints.funding_pubkey);
  const sig = closingSigned(a)[0]!.signature;
  ok(verifyInput(unsigned, 0, script, states.a.params.fundingSatoshis, h.a.basepoints.funding_pubkey, derFromCompact(sig), SIGHASH_ALL));
});
