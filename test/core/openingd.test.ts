// openingd, both roles, as daemons: ours as opener (A) and ours as accepter (B) open a channel to
// each other over an in-memory peer link with keySigner signers. They agree on the channel_id and
// on both first commitments, each side's signature verifies, the accepter's funding_signed leaves
// only after lightningd persisted the channel, a refused open sends BOLT 1 `error` naming the
// channel and leaves neither side half-open, and channel_ready hands over a channel in normal
// operation.
import { equal as bytesEqual, toHex } from '../../src/core/base/bytes.ts';
import { buildFor } from '../../src/core/channel/index.ts';
import { derFromCompact, pubkeyOf, SIGHASH_ALL, verifyInput } from '../../src/core/bolt3/index.ts';
import { OpeningError } from '../../src/core/daemons/openingd/errors.ts';
import { channelIdOf, internalTxid } from '../../src/core/daemons/openingd/funding.ts';
import type { Funded } from '../../src/core/daemons/openingd/opening.ts';
import { localFirstCommitment } from '../../src/core/daemons/openingd/ready.ts';
import { encodeMessage, type Message } from '../../src/core/wire/messages.ts';
import { MAX_QUEUED } from '../../src/core/daemons/openingd/openingd.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { settle } from '../support/memory-stream.ts';
import { common } from './bolt3/appendix-c.ts';
import { APPENDIX, localOf, pair, POLICY, signerOf, TYPE, type PairOptions } from './openingd-fixture.ts';

const FUNDING_TXID = common.funding_tx_id;

/** Opens A → B up to funded on both sides. */
async function open(o: PairOptions = {}, outputIndex = 0) {
  const p = await pair(o);
  const accepting = p.b.api.accept();
  const out = await p.a.api.open();
  const fa = await p.a.api.fund(FUNDING_TXID, outputIndex);
  const fb = await accepting;
  return { ...p, out, fa, fb };
}

/** The other side's commitment 0 as `f`'s owner builds it to sign it. */
function theirCommitmentAsBuiltBy(f: Funded) {
  const spec = {
    htlcs: [],
    toLocalMsat: f.params.fundingSatoshis * 1000n - f.toLocalMsat,
    toRemoteMsat: f.toLocalMsat,
    feeratePerKw: f.feeratePerKw,
  };
  return buildFor(f.params, 'remote', spec, 0n, f.remoteFirstPerCommitmentPoint);
}

function verifies(f: Funded): boolean {
  const c = localFirstCommitment(f);
  return verifyInput(
    c.commitment.tx,
    0,
    c.commitment.fundingScript,
    f.params.fundingSatoshis,
    f.params.remote.fundingPubkey,
    derFromCompact(f.localCommitSignature),
    SIGHASH_ALL,
  );
}

describe('openingd: opening a channel, both roles', () => {
  for (const [name, type] of [
    ['option_static_remotekey', TYPE.staticRemotekey],
    ['option_anchors', TYPE.anchors],
  ] as const) {
    it(`${name}: both sides agree on the channel_id and both first commitments, and each signature verifies`, async () => {
      const { a, b, out, fa, fb } = await open({ type }, 1);
      // BOLT 3 Appendix C's funding witness script, from its two funding pubkeys.
      equal(
        toHex(out.witnessScript),
        '5221023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb21030e9f7b623d2ccc7c9bd44d66d5ce21ce504c0acf6385a132cec6d3c39fa711c152ae',
      );
      equal(out.amount, APPENDIX.fundingSatoshis);
      // channel_id = funding txid XOR output index (BOLT 2 "Definition of channel_id").
      const expected = internalTxid(FUNDING_TXID);
      expected[31]! ^= 1;
      deepEqual(fa.params.channelId, expected);
      deepEqual(fb.params.channelId, expected);
      const fundingSigned = b.sent.find(m => m.name === 'funding_signed');
      ok(fundingSigned?.name === 'funding_signed' && bytesEqual(fundingSigned.channel_id, expected), 'funding_signed names the channel_id');
      equal(fa.params.anchors, type === TYPE.anchors);
      equal(fb.params.anchors, type === TYPE.anchors);
      // Both commitments: what A signed for B is B's own commitment 0, and the other way round.
      equal(theirCommitmentAsBuiltBy(fa).commitment.tx.id, localFirstCommitment(fb).commitment.tx.id);
      equal(theirCommitmentAsBuiltBy(fb).commitment.tx.id, localFirstCommitment(fa).commitment.tx.id);
      ok(verifies(fa), "B's signature verifies on A's commitment 0");
      ok(verifies(fb), "A's signature verifies on B's commitment 0");
      equal(fa.toLocalMsat, APPENDIX.fundingSatoshis * 1000n - APPENDIX.pushMsat);
      equal(fb.toLocalMsat, APPENDIX.pushMsat);
      equal(fb.minimumDepth, 3);
      equal(a.api.status().stage, 'funded');
      equal(b.api.status().stage, 'funded');
    });
  }

  it("Appendix C's amounts: A's commitment 0 pays 6,989,140 sat to A and 3,000,000 to B, as the appendix's commitment with no HTLCs", async () => {
    const { fa } = await open();
    const amounts = localFirstCommitment(fa).commitment.outputs.map(o => [o.kind, o.amount]);
    deepEqual(amounts, [
      ['to_remote', 3_000_000n],
      ['to_local', 6_989_140n],
    ]);
  });

  it('the accepter sends funding_signed only once lightningd has persisted the channel', async () => {
    let persisted!: () => void;
    const p = await pair();
    p.b.persist = new Promise<void>(r => (persisted = r));
    const accepting = p.b.api.accept();
    await p.a.api.open();
    let aFunded = false;
    const funding = p.a.api.fund(FUNDING_TXID, 0).then(f => ((aFunded = true), f));
    await settle();
    deepEqual(p.b.log, ['sent:accept_channel', 'funded'], 'B asked lightningd to persist and waits');
    ok(!p.b.sent.some(m => m.name === 'funding_signed'), 'no funding_signed before the channel is durable');
    ok(!aFunded, 'A has nothing to broadcast yet');
    persisted();
    await funding;
    await accepting;
    deepEqual(p.b.log, ['sent:accept_channel', 'funded', 'persisted', 'sent:funding_signed']);
  });

  it("channel_ready both ways: each side holds the channel in normal operation with the other side's second point", async () => {
    const { a, b, fa, fb } = await open({ type: TYPE.anchors });
    const [sa, sb] = await Promise.all([a.api.ready(), b.api.ready()]);
    deepEqual(sa.remoteNextPerCommitmentPoint, await signerOf('b').perCommitmentPoint(1n));
    deepEqual(sb.remoteNextPerCommitmentPoint, await signerOf('a').perCommitmentPoint(1n));
    deepEqual(sa.localCommit.signature, fa.localCommitSignature);
    deepEqual(sb.localCommit.signature, fb.localCommitSignature);
    equal(sa.localCommit.spec.toLocalMsat, sb.remoteCommit.spec.toLocalMsat);
    equal(a.api.status().stage, 'ready');
    equal(b.api.status().stage, 'ready');
  });

  it('what the peer sends after its channel_ready is handed over to channeld in order, once, and nothing before ready', async () => {
    const { a, b } = await open({ type: TYPE.anchors });
    equal(a.api.handoverMessages().length, 0, 'not before ready');
    const [sa] = await Promise.all([a.api.ready(), b.api.ready()]);
    // B's announcement_signatures and a warning came right behind its channel_ready (LDK at six confirmations).
    const sigs = encodeMessage({
      name: 'announcement_signatures',
      channel_id: sa.params.channelId,
      short_channel_id: 1n << 40n,
      node_signature: new Uint8Array(64).fill(1),
      bitcoin_signature: new Uint8Array(64).fill(2),
    });
    const warning = encodeMessage({ name: 'warning', channel_id: sa.params.channelId, data: new Uint8Array(0) });
    a.owner.deliver(sigs);
    a.owner.deliver(warning);
    await settle();
    deepEqual(a.api.handoverMessages().map(toHex), [toHex(sigs), toHex(warning)]);
    deepEqual(a.api.handoverMessages(), [], 'once');
  });

  it('option_scid_alias: channel_ready carries the alias lightningd chose; without one lightningd is refused and the channel untouched', async () => {
    const { a, b } = await open({ type: TYPE.scidAlias });
    await rejects(a.api.ready(), Error);
    equal(a.api.status().stage, 'funded', 'still funded, nothing sent');
    ok(!a.sent.some(m => m.name === 'channel_ready' || m.name === 'error'));
    const [sa, sb] = await Promise.all([a.api.ready(0x654321n), b.api.ready(0x123456n)]);
    const aliases = [a, b]
      .map(s => s.sent.find(m => m.name === 'channel_ready'))
      .map(m => (m?.name === 'channel_ready' ? m.tlvs?.short_channel_id?.alias : undefined));
    deepEqual(aliases, [0x654321n, 0x123456n]);
    ok(sa.remoteNextPerCommitmentPoint && sb.remoteNextPerCommitmentPoint);
  });
});

const TEMP_ID = (m: Message[]) => {
  const open = m.find(x => x.name === 'open_channel');
  ok(open?.name === 'open_channel');
  return open.temporary_channel_id;
};

function lastError(sent: Message[]) {
  const e = sent.at(-1);
  ok(e?.name === 'error', `the last message sent is an error, not ${e?.name}`);
  return { channelId: e.channel_id, text: new TextDecoder().decode(e.data) };
}

describe('openingd: a refused open', () => {
  it('the accepter refuses open_channel: `error` naming the temporary_channel_id; neither side keeps anything', async () => {
    const p = await pair({
      a: { local: localOf('a', { toSelfDelay: 5000 }), policy: { ...POLICY, maxToSelfDelay: 10_000 } },
    });
    const accepting = p.b.api.accept();
    await rejects(p.a.api.open(), OpeningError, 'peer_error');
    await rejects(accepting, OpeningError, 'to_self_delay_too_large');
    const e = lastError(p.b.sent);
    deepEqual(e.channelId, TEMP_ID(p.a.sent));
    ok(e.text.startsWith('to_self_delay_too_large'), e.text);
    deepEqual(
      p.a.failures.map(f => [f.code, f.sent]),
      [['peer_error', undefined]],
      'A does not answer an error with an error',
    );
    deepEqual(
      p.b.failures.map(f => [f.code, f.sent]),
      [['to_self_delay_too_large', 'error']],
    );
    equal(p.a.funded.length + p.b.funded.length, 0);
    equal(p.a.api.status().stage, 'failed');
    equal(p.b.api.status().stage, 'failed');
    // Nothing half-open: the next step is refused.
    await rejects(p.a.api.fund(FUNDING_TXID, 0), OpeningError, 'peer_error');
  });

  it('a funding_created signature that does not sign our commitment: the accepter signs nothing and fails the open', async () => {
    const p = await pair({ tamperAtoB: m => (m.name === 'funding_created' ? { ...m, signature: flip(m.signature) } : m) });
    const accepting = p.b.api.accept();
    await p.a.api.open();
    await rejects(p.a.api.fund(FUNDING_TXID, 0), OpeningError, 'peer_error');
    await rejects(accepting, OpeningError, 'bad_funding_signature');
    ok(!p.b.sent.some(m => m.name === 'funding_signed'), 'no funding_signed');
    equal(p.b.funded.length, 0, 'lightningd was never asked to persist it');
    deepEqual(lastError(p.b.sent).channelId, TEMP_ID(p.a.sent));
  });

  it('a bad funding_signed: the opener gets no funded channel (nothing to broadcast) and sends `error` naming the channel_id', async () => {
    const p = await pair({ tamperBtoA: m => (m.name === 'funding_signed' ? { ...m, signature: flip(m.signature) } : m) });
    const accepting = p.b.api.accept();
    await p.a.api.open();
    await rejects(p.a.api.fund(FUNDING_TXID, 0), OpeningError, 'bad_funding_signature');
    equal(p.a.funded.length, 0, 'lightningd never hears of a funded channel: it never broadcasts');
    deepEqual(lastError(p.a.sent).channelId, channelIdOf(internalTxid(FUNDING_TXID), 0));
    await accepting; // B's side is funded; it will forget the channel when the funding never appears (BOLT 2: after 2016 blocks).
  });

  it('a message out of order fails the open with `error`', async () => {
    const p = await pair({
      tamperAtoB: m =>
        m.name === 'funding_created'
          ? { name: 'channel_ready', channel_id: m.temporary_channel_id, second_per_commitment_point: POINT }
          : m,
    });
    const accepting = p.b.api.accept();
    await p.a.api.open();
    void p.a.api.fund(FUNDING_TXID, 0).catch(() => undefined);
    await rejects(accepting, OpeningError, 'unexpected_message');
    ok(lastError(p.b.sent).text.startsWith('unexpected_message'));
  });

  it('a message that does not parse: `warning` (BOLT 1), and the open fails', async () => {
    const p = await pair();
    const accepting = p.b.api.accept();
    await settle();
    p.b.owner.deliver(Uint8Array.of(0x00, 0x20, 0x01)); // open_channel cut short
    await rejects(accepting, OpeningError, 'bad_message');
    equal(p.b.sent.length, 0, 'the peer never named a channel: nothing to name in a reply');
    const q = await pair();
    const accepting2 = q.b.api.accept();
    await q.a.api.open();
    await settle();
    q.b.owner.deliver(Uint8Array.of(0x00, 0x22, 0x01)); // funding_created cut short
    await rejects(accepting2, OpeningError, 'bad_message');
    const w = q.b.sent.at(-1);
    ok(w?.name === 'warning' && bytesEqual(w.channel_id, TEMP_ID(q.a.sent)), 'a warning naming the temporary_channel_id');
  });

  it('lightningd calling out of turn is refused and the channel is untouched (nothing sent, still funded)', async () => {
    const { a, b } = await open();
    const before = a.sent.length;
    await rejects(a.api.fund(FUNDING_TXID, 0), Error);
    await rejects(a.api.open(), Error);
    await rejects(b.api.fund(FUNDING_TXID, 0), Error);
    equal(a.sent.length, before);
    equal(a.api.status().stage, 'funded');
    equal(b.api.status().stage, 'funded');
    equal(a.failures.length + b.failures.length, 0);
  });

  it('our own failure (the signer refuses) ends the open too: the peer gets `error` naming no rule of its own', async () => {
    const refusing = { ...signerOf('b'), signRemoteCommitment: async () => Promise.reject(new Error('hsmd: refused')) };
    const p = await pair({ signerB: refusing });
    const accepting = p.b.api.accept();
    await p.a.api.open();
    void p.a.api.fund(FUNDING_TXID, 0).catch(() => undefined);
    await rejects(accepting, Error);
    deepEqual(
      p.b.failures.map(f => [f.code, f.sent]),
      [['internal', 'error']],
    );
    ok(lastError(p.b.sent).text.startsWith('internal:'));
    equal(p.b.funded.length, 0);
  });

  it(`a peer that floods messages before we answer fails its own open; the queue holds at most ${MAX_QUEUED}`, async () => {
    const p = await pair();
    const accepting = p.b.api.accept();
    await p.a.api.open();
    // While A's lightningd builds the funding transaction, B sends warnings without end.
    const warning = encodeMessage({ name: 'warning', channel_id: new Uint8Array(32), data: new Uint8Array(10) });
    for (let i = 0; i < 10_000; i++) await p.a.owner.deliver(warning);
    await rejects(p.a.api.fund(FUNDING_TXID, 0), OpeningError, 'unexpected_message');
    ok(lastError(p.a.sent).text.includes(`more than ${MAX_QUEUED} messages`));
    void accepting.catch(() => undefined);
  });

  it('the peer leaving ends the open, with nothing sent', async () => {
    const p = await pair();
    const accepting = p.b.api.accept();
    await p.a.api.open();
    const funding = p.a.api.fund(FUNDING_TXID, 0);
    await p.b.owner.peerGone?.('disconnected');
    await rejects(accepting, OpeningError, 'peer_gone');
    equal(p.b.sent.at(-1)?.name, 'accept_channel');
    void funding.catch(() => undefined);
  });

  it('a peer that does not answer within replyTimeoutMs: `error` and the open fails (fake clock)', async () => {
    const p = await pair({ a: { replyTimeoutMs: 60_000 }, tamperAtoB: () => undefined });
    const opening = p.a.api.open();
    const refused = rejects(opening, OpeningError, 'timeout');
    await settle(); // open_channel is out and the wait for accept_channel has begun
    await p.clock.tick(59_999);
    equal(p.a.api.status().stage, 'awaiting_accept_channel');
    await p.clock.tick(1);
    await refused;
    deepEqual(lastError(p.a.sent).channelId, TEMP_ID(p.a.sent));
  });
});

const POINT = pubkeyOf(new Uint8Array(32).fill(7));

function flip(sig: Uint8Array): Uint8Array {
  const s = sig.slice();
  s[40]! ^= 1;
  return s;
}
