// BOLT 2 normal operation: two channel state machines (A opened to B) driven against each other
// through the wire encoding of their messages: HTLCs added, committed, revoked and settled both
// ways, concurrent updates, update_fee, every limit refused, bad signatures and revocations
// refused, and a state serialized mid-dance that carries on identically.
import { equal as bytesEqual } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import {
  canSendCommit,
  ChannelError,
  deserializeChannel,
  peerMessageFor,
  receiveMessage,
  sendAdd,
  sendCommit,
  sendFee,
  sendRemoval,
  serializeChannel,
  type ChannelState,
  type CommitSpec,
} from '../../src/core/channel/index.ts';
import type { Message, MessageOf } from '../../src/core/wire/messages.ts';
import { deepEqual, equal, ok, rejects, throws } from '../support/assert.ts';
import { commit, dance, deliver, openPair, signerOf, type Node } from './channel-fixture.ts';
import { commitmentSecret, perCommitmentPoint } from '../../src/core/bolt3/index.ts';

const onion = new Uint8Array(1366).fill(7);
const preimage = (n: number) => new Uint8Array(32).fill(n);
const hashOf = (n: number) => sha256(preimage(n));

function add(n: Node, amountMsat: bigint, p = 1, cltvExpiry = 800_144): Message[] {
  const r = sendAdd(n.state, { amountMsat, paymentHash: hashOf(p), cltvExpiry, onion });
  n.state = r.state;
  return r.messages;
}

function fulfill(n: Node, id: bigint, p = 1): Message[] {
  const r = sendRemoval(n.state, { kind: 'fulfill', id, preimage: preimage(p) });
  n.state = r.state;
  return r.messages;
}

/** The same commitment as its owner holds it and as the other side holds it (both in the owner's terms). */
function same(a: CommitSpec, b: CommitSpec): void {
  equal(a.toLocalMsat, b.toLocalMsat);
  equal(a.toRemoteMsat, b.toRemoteMsat);
  equal(a.feeratePerKw, b.feeratePerKw);
  deepEqual(
    a.htlcs.map(h => [h.offered, h.add.id, h.add.amountMsat]),
    b.htlcs.map(h => [h.offered, h.add.id, h.add.amountMsat]),
  );
}

function settledBothWays(a: Node, b: Node): void {
  same(a.state.localCommit.spec, b.state.remoteCommit.spec);
  same(b.state.localCommit.spec, a.state.remoteCommit.spec);
  equal(a.state.nextRemoteCommit, undefined);
  equal(b.state.nextRemoteCommit, undefined);
  ok(!canSendCommit(a.state) && !canSendCommit(b.state), 'nothing left to commit');
}

async function refused(p: Promise<unknown> | (() => unknown), code: string): Promise<ChannelError> {
  if (typeof p === 'function') return throws<ChannelError>(p, ChannelError, code);
  return rejects<ChannelError>(p, ChannelError, code);
}

/** Delivers one crafted message and expects the receiver to refuse it with `code`, its state untouched. */
async function refuses(n: Node, m: Message, code: string): Promise<ChannelError> {
  const before = serializeChannel(n.state);
  const e = await refused(deliver(n, [m]), code);
  equal(serializeChannel(n.state), before, 'the refused message changed nothing');
  return e;
}

describe('BOLT 2 normal operation: the commitment dance', () => {
  it('A adds, add → commit → revoke both ways, B fulfills, the dance again: the amount moves to B', async () => {
    const { a, b } = await openPair();
    await deliver(b, add(a, 50_000_000n));
    await dance(a, b);
    settledBothWays(a, b);
    equal(a.state.localCommit.index, 1n);
    equal(b.state.localCommit.index, 1n);
    deepEqual(
      b.state.localCommit.spec.htlcs.map(h => [h.offered, h.add.id]),
      [[false, 0n]],
    );
    equal(b.state.localCommit.htlcSignatures.length, 1, 'one HTLC signature for the untrimmed HTLC');
    // A's revoke_and_ack told B the HTLC is irrevocably committed: B may now fulfill it.
    deepEqual(
      b.settled.map(u => [u.kind, 'id' in u ? u.id : undefined]),
      [['add', 0n]],
    );
    equal(a.settled.length, 0);
    await deliver(a, fulfill(b, 0n));
    await dance(b, a);
    settledBothWays(a, b);
    deepEqual(
      a.settled.map(u => u.kind),
      ['fulfill'],
    );
    equal(a.state.localCommit.spec.toLocalMsat, 7_000_000_000n - 50_000_000n);
    equal(b.state.localCommit.spec.toLocalMsat, 3_000_000_000n + 50_000_000n);
    equal(a.state.localCommit.spec.htlcs.length, 0);
    equal(a.state.localCommit.index, 2n);
    equal(a.state.remoteSecrets.length > 0, true, 'A holds B’s revealed secrets');
  });

  it('B adds to A, A fails it: the amount returns to B', async () => {
    const { a, b } = await openPair();
    await deliver(a, add(b, 20_000_000n));
    await dance(b, a);
    const r = sendRemoval(a.state, { kind: 'fail', id: 0n, reason: new Uint8Array([1, 2, 3]) });
    a.state = r.state;
    await deliver(b, r.messages);
    await dance(a, b);
    settledBothWays(a, b);
    equal(b.state.localCommit.spec.toLocalMsat, 3_000_000_000n);
    equal(a.state.localCommit.spec.toLocalMsat, 7_000_000_000n);
  });

  it('A fails B’s HTLC as malformed (BADONION set): the amount returns to B', async () => {
    const { a, b } = await openPair();
    await deliver(a, add(b, 20_000_000n));
    await dance(b, a);
    const r = sendRemoval(a.state, { kind: 'fail_malformed', id: 0n, sha256OfOnion: sha256(onion), failureCode: 0xc005 });
    a.state = r.state;
    await deliver(b, r.messages);
    equal((b.received.at(-1) as MessageOf<'update_fail_malformed_htlc'>).failure_code, 0xc005);
    await dance(a, b);
    settledBothWays(a, b);
    equal(b.state.localCommit.spec.toLocalMsat, 3_000_000_000n);
  });

  it('takes concurrent updates: both add, both sign at once, messages cross, both fulfill at once', async () => {
    const { a, b } = await openPair();
    const fromA = add(a, 30_000_000n, 1);
    const fromB = add(b, 40_000_000n, 2);
    await deliver(b, fromA);
    await deliver(a, fromB);
    const ca = await sendCommit(a.state, a.signer);
    const cb = await sendCommit(b.state, b.signer);
    a.state = ca.state;
    b.state = cb.state;
    const revokeFromB = await deliver(b, ca.messages);
    const revokeFromA = await deliver(a, cb.messages);
    await deliver(a, revokeFromB);
    await deliver(b, revokeFromA);
    // Each side's own update is now in the other's commitment only: one more round each way.
    ok(canSendCommit(a.state) && canSendCommit(b.state));
    await commit(a, b);
    await commit(b, a);
    settledBothWays(a, b);
    equal(a.state.localCommit.spec.htlcs.length, 2);
    const fa = fulfill(a, 0n, 2);
    const fb = fulfill(b, 0n, 1);
    await deliver(b, fa);
    await deliver(a, fb);
    await dance(a, b);
    // B's fulfill, acked by A in that dance, still has to reach B's own commitment.
    ok(canSendCommit(a.state) && !canSendCommit(b.state));
    await commit(a, b);
    settledBothWays(a, b);
    equal(a.state.localCommit.spec.toLocalMsat, 7_000_000_000n - 30_000_000n + 40_000_000n);
    equal(b.state.localCommit.spec.toLocalMsat, 3_000_000_000n + 30_000_000n - 40_000_000n);
  });

  it('update_fee: the opener changes the feerate through the dance; the other side may not', async () => {
    const { a, b } = await openPair();
    const f = sendFee(a.state, 5_000);
    a.state = f.state;
    await deliver(b, f.messages);
    await dance(a, b);
    settledBothWays(a, b);
    equal(a.state.localCommit.spec.feeratePerKw, 5_000);
    equal(b.state.localCommit.spec.feeratePerKw, 5_000);
    await refused(() => sendFee(b.state, 6_000), 'update_fee_not_opener');
    await refuses(a, { name: 'update_fee', channel_id: a.state.params.channelId, feerate_per_kw: 6_000 }, 'update_fee_not_opener');
  });

  it('works with option_anchors (HTLC signatures SIGHASH_SINGLE|ANYONECANPAY)', async () => {
    const { a, b } = await openPair({ anchors: true });
    await deliver(b, add(a, 50_000_000n));
    await dance(a, b);
    await deliver(a, fulfill(b, 0n));
    await dance(b, a);
    settledBothWays(a, b);
    equal(b.state.localCommit.spec.toLocalMsat, 3_050_000_000n);
  });

  it('carries on identically from a state serialized and restored at every step of the dance', async () => {
    async function run(restore: boolean): Promise<string[]> {
      const { a, b } = await openPair();
      const log: string[] = [];
      const step = () => {
        if (restore) {
          a.state = deserializeChannel(serializeChannel(a.state));
          b.state = deserializeChannel(serializeChannel(b.state));
        }
        log.push(serializeChannel(a.state), serializeChannel(b.state));
      };
      await deliver(b, add(a, 50_000_000n));
      step();
      const c1 = await sendCommit(a.state, a.signer);
      a.state = c1.state;
      step();
      const r1 = await deliver(b, c1.messages);
      step();
      await deliver(a, r1);
      step();
      const c2 = await sendCommit(b.state, b.signer);
      b.state = c2.state;
      step();
      await deliver(b, await deliver(a, c2.messages));
      step();
      await deliver(a, fulfill(b, 0n));
      step();
      await dance(b, a);
      step();
      log.push(JSON.stringify([...a.received, ...b.received].map(m => m.name)));
      return log;
    }
    const straight = await run(false);
    const restored = await run(true);
    deepEqual(restored, straight);
    ok(straight.length === 17);
  });
});

describe('BOLT 2 limits: each refused with the rule it breaks', () => {
  const cid = (n: Node) => n.state.params.channelId;
  const addMsg = (n: Node, o: Partial<MessageOf<'update_add_htlc'>> = {}): MessageOf<'update_add_htlc'> => ({
    name: 'update_add_htlc',
    channel_id: cid(n),
    id: n.state.remoteNextHtlcId,
    amount_msat: 10_000_000n,
    payment_hash: hashOf(1),
    cltv_expiry: 800_144,
    onion_routing_packet: onion,
    ...o,
  });

  it('amount_msat 0 (MUST offer amount_msat greater than 0)', async () => {
    const { a, b } = await openPair();
    await refused(() => add(a, 0n), 'htlc_amount_zero');
    const e = await refuses(b, addMsg(b, { amount_msat: 0n }), 'htlc_amount_zero');
    equal(peerMessageFor(e, cid(b)).name, 'warning', 'BOLT 2: SHOULD send a warning and close the connection');
  });

  it('below the receiver’s htlc_minimum_msat', async () => {
    const { a, b } = await openPair();
    await refused(() => add(a, 999n), 'htlc_minimum_msat');
    await refuses(b, addMsg(b, { amount_msat: 999n }), 'htlc_minimum_msat');
    add(a, 1_000n);
  });

  it('HTLC ids start at 0 and increase by 1', async () => {
    const { b } = await openPair();
    await refuses(b, addMsg(b, { id: 1n }), 'htlc_id');
    await deliver(b, [addMsg(b)]);
    await refuses(b, addMsg(b, { id: 0n }), 'htlc_id');
    await deliver(b, [addMsg(b, { id: 1n })]);
  });

  it('cltv_expiry must be below 500000000', async () => {
    const { a, b } = await openPair();
    await refused(() => add(a, 10_000_000n, 1, 500_000_000), 'cltv_expiry');
    await refuses(b, addMsg(b, { cltv_expiry: 500_000_000 }), 'cltv_expiry');
    add(a, 10_000_000n, 1, 499_999_999);
  });

  it('max_accepted_htlcs', async () => {
    const { a, b } = await openPair({ b: { maxAcceptedHtlcs: 2 } });
    await deliver(b, [...add(a, 10_000_000n), ...add(a, 10_000_000n)]);
    await refused(() => add(a, 10_000_000n), 'max_accepted_htlcs');
    await refuses(b, addMsg(b), 'max_accepted_htlcs');
  });

  it('max_htlc_value_in_flight_msat', async () => {
    const { a, b } = await openPair({ b: { maxHtlcValueInFlightMsat: 100_000_000n } });
    await deliver(b, add(a, 60_000_000n));
    await refused(() => add(a, 40_000_001n), 'max_htlc_value_in_flight_msat');
    await refuses(b, addMsg(b, { amount_msat: 40_000_001n }), 'max_htlc_value_in_flight_msat');
    await deliver(b, add(a, 40_000_000n));
  });

  it('an amount the sender cannot afford while keeping its reserve', async () => {
    // B (not the opener, pays no fee) holds 3,000,000,000 msat and must keep A's reserve of 10,000 sat.
    const { a, b } = await openPair();
    await refused(() => add(b, 2_990_000_001n), 'cannot_afford');
    await refuses(a, addMsg(a, { amount_msat: 2_990_000_001n }), 'cannot_afford');
    await deliver(a, add(b, 2_990_000_000n));
  });

  it('the opener keeps a fee spike buffer (twice the feerate, one more HTLC) above its reserve', async () => {
    // A holds 7,000,000,000 msat at 2500 sat/kw, reserve 10,000 sat. With the HTLC: fee
    // (724 + 172) * 2500 / 1000 = 2240 sat; the buffer: (724 + 2 * 172) * 5000 / 1000 = 5340 sat.
    const { a } = await openPair({ b: { maxHtlcValueInFlightMsat: 10_000_000_000n } });
    await refused(
      () => sendAdd(a.state, { amountMsat: 6_987_760_001n, paymentHash: hashOf(1), cltvExpiry: 800_144, onion }),
      'cannot_afford',
    );
    await refused(
      () => sendAdd(a.state, { amountMsat: 6_984_660_001n, paymentHash: hashOf(1), cltvExpiry: 800_144, onion }),
      'fee_spike_buffer',
    );
    sendAdd(a.state, { amountMsat: 6_984_660_000n, paymentHash: hashOf(1), cltvExpiry: 800_144, onion });
  });

  it('dust exposure over max_dust_htlc_exposure_msat is not sent, and flagged when received', async () => {
    // At 2500 sat/kw an HTLC under 546 + 1757 sat is trimmed on either commitment: 2,000,000 msat is dust.
    const { a, b } = await openPair({ policy: { maxDustHtlcExposureMsat: 5_000_000n } });
    await deliver(b, [...add(a, 2_000_000n), ...add(a, 2_000_000n)]);
    await refused(() => add(a, 2_000_000n), 'dust_exposure');
    add(a, 1_000_000n);
    const r = await receiveMessage(b.state, addMsg(b, { amount_msat: 2_000_000n }), b.signer);
    equal(r.failOnceCommitted, 2n);
  });

  it('removals: unknown id, not yet committed, wrong preimage, BADONION not set', async () => {
    const { a, b } = await openPair();
    const fulfillMsg = (id: bigint, p: number): MessageOf<'update_fulfill_htlc'> => ({
      name: 'update_fulfill_htlc',
      channel_id: cid(a),
      id,
      payment_preimage: preimage(p),
    });
    await deliver(b, add(a, 50_000_000n));
    await refused(() => fulfill(b, 0n), 'htlc_not_committed');
    await refuses(a, fulfillMsg(0n, 1), 'unknown_htlc');
    // In B's commitment now, but A has not revoked its own previous one yet.
    await commit(a, b);
    await refused(() => fulfill(b, 0n), 'htlc_not_committed');
    await commit(b, a);
    await refuses(a, fulfillMsg(7n, 1), 'unknown_htlc');
    await refuses(a, fulfillMsg(0n, 2), 'bad_preimage');
    await refused(() => sendRemoval(b.state, { kind: 'fulfill', id: 0n, preimage: preimage(2) }), 'bad_preimage');
    await refuses(
      a,
      { name: 'update_fail_malformed_htlc', channel_id: cid(a), id: 0n, sha256_of_onion: sha256(onion), failure_code: 0x4005 },
      'badonion_not_set',
    );
    await deliver(a, [fulfillMsg(0n, 1)]);
    await refuses(a, fulfillMsg(0n, 1), 'unknown_htlc');
  });

  it('update_fee outside the feerates we accept, or that the opener cannot afford', async () => {
    const { a, b } = await openPair({ pushMsat: 9_000_000_000n, policy: { maxFeeratePerKw: 10_000_000 } });
    await refused(() => sendFee(a.state, 252), 'feerate_out_of_range');
    await refuses(b, { name: 'update_fee', channel_id: cid(b), feerate_per_kw: 10_000_001 }, 'feerate_out_of_range');
    // A holds 1,000,000 sat: 724 * 2,000,000 / 1000 = 1,448,000 sat of fee it cannot pay.
    await refused(() => sendFee(a.state, 2_000_000), 'cannot_afford_fee');
    await refuses(b, { name: 'update_fee', channel_id: cid(b), feerate_per_kw: 2_000_000 }, 'cannot_afford_fee');
    // 724 * 1,367,000 / 1000 = 989,708 sat leaves A 10,292 sat over its 10,000 sat reserve.
    await deliver(b, sendFee(a.state, 1_367_000).messages);
  });

  it('commitment_signed without updates, or before the previous one is revoked; an unasked revoke_and_ack', async () => {
    const { a, b } = await openPair();
    await refused(sendCommit(a.state, a.signer), 'commitment_without_updates');
    await refuses(
      b,
      { name: 'commitment_signed', channel_id: cid(b), signature: new Uint8Array(64), htlc_signature: [] },
      'commitment_without_updates',
    );
    await refuses(
      a,
      {
        name: 'revoke_and_ack',
        channel_id: cid(a),
        per_commitment_secret: new Uint8Array(32).fill(1),
        next_per_commitment_point: a.state.remoteCommit.perCommitmentPoint,
      },
      'unexpected_revoke_and_ack',
    );
    await deliver(b, add(a, 10_000_000n));
    a.state = (await sendCommit(a.state, a.signer)).state;
    add(a, 10_000_000n);
    await refused(sendCommit(a.state, a.signer), 'awaiting_revoke_and_ack');
  });
});

describe('BOLT 2 signatures and revocations', () => {
  async function signedByA(): Promise<{ a: Node; b: Node; m: MessageOf<'commitment_signed'> }> {
    const { a, b } = await openPair();
    await deliver(b, [...add(a, 50_000_000n), ...add(a, 60_000_000n)]);
    const c = await sendCommit(a.state, a.signer);
    a.state = c.state;
    return { a, b, m: c.messages[0]! };
  }
  const flip = (x: Uint8Array) => {
    const y = x.slice();
    y[10]! ^= 1;
    return y;
  };

  it('refuses a commitment signature that does not sign our commitment, then takes the right one', async () => {
    const { b, m } = await signedByA();
    await refuses(b, { ...m, signature: flip(m.signature) }, 'bad_commitment_signature');
    await deliver(b, [m]);
    equal(b.state.localCommit.index, 1n);
  });

  it('refuses a bad HTLC signature, and a count of HTLC signatures other than the HTLC outputs', async () => {
    const { b, m } = await signedByA();
    equal(m.htlc_signature.length, 2);
    await refuses(b, { ...m, htlc_signature: [m.htlc_signature[0]!, flip(m.htlc_signature[1]!)] }, 'bad_htlc_signature');
    await refuses(b, { ...m, htlc_signature: [m.htlc_signature[1]!, m.htlc_signature[0]!] }, 'bad_htlc_signature');
    await refuses(b, { ...m, htlc_signature: [m.htlc_signature[0]!] }, 'htlc_signature_count');
    await refuses(b, { ...m, htlc_signature: [...m.htlc_signature, m.htlc_signature[0]!] }, 'htlc_signature_count');
  });

  it('refuses a per_commitment_secret that does not generate the previous point', async () => {
    const { a, b, m } = await signedByA();
    const [revoke] = (await deliver(b, [m])) as MessageOf<'revoke_and_ack'>[];
    const e = await refuses(
      a,
      { ...revoke!, per_commitment_secret: commitmentSecret(new Uint8Array(32).fill(9), 0n) },
      'bad_per_commitment_secret',
    );
    equal(e.action, 'error', 'BOLT 2: MUST send an error and fail the channel');
    const sent = peerMessageFor(e, a.state.params.channelId);
    equal(sent.name, 'error');
    equal(new TextDecoder().decode(sent.data).startsWith('bad_per_commitment_secret: '), true);
    await refuses(a, { ...revoke!, per_commitment_secret: new Uint8Array(32).fill(0xff) }, 'bad_per_commitment_secret');
    await deliver(a, [revoke!]);
    ok(bytesEqual(a.state.remoteCommit.perCommitmentPoint, revoke!.next_per_commitment_point) === false);
  });

  it('refuses a secret that matches its point but not the shachain of the earlier ones', async () => {
    // B's signer draws commitment 1 onwards from another seed: each point matches its secret, but
    // secret 1 does not derive secret 0 (BOLT 3 "Efficient Per-commitment Secret Storage").
    const other = new Uint8Array(32).fill(0x77);
    const { a, b } = await openPair({
      signerB: k => {
        const s = signerOf(k);
        const secretOf = (n: bigint) => (n === 0n ? commitmentSecret(k.seed, n) : commitmentSecret(other, n));
        return { ...s, perCommitmentPoint: async n => perCommitmentPoint(secretOf(n)), revealSecret: async n => secretOf(n) };
      },
    });
    await deliver(b, add(a, 50_000_000n));
    await dance(a, b);
    await deliver(b, add(a, 50_000_000n));
    const c = await sendCommit(a.state, a.signer);
    a.state = c.state;
    const revoke = await deliver(b, c.messages);
    await refuses(a, revoke[0]!, 'secret_not_from_shachain');
  });
});

// Keep the type import used: the state is plain data.
export type { ChannelState };
