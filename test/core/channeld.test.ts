// channeld, two instances joined peer to peer (channeld-fixture.ts), each with its own small
// lightningd: HTLCs both ways through the whole commitment dance, fulfilled and failed, update_fee,
// updates crossing, every limit refused, persist before send, the peer's violations answered with
// warning or error, channel_reestablish's retransmissions, and option_data_loss_protect.
import { deserializeChannel, serializeChannel, ChannelError, type CommitSpec } from '../../src/core/channel/index.ts';
import { ChanneldError } from '../../src/core/daemons/channeld/errors.ts';
import type { Message } from '../../src/core/wire/messages.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import {
  changes,
  connect,
  crash,
  hashOf,
  hex,
  idle,
  makeNet,
  offer,
  preimageOf,
  restart,
  want,
  type Net,
  type Side,
} from './channeld-fixture.ts';

function stateOf(s: Side) {
  return deserializeChannel(s.api!.status().state);
}

/** The same commitment as its owner holds it and as the other side holds it. */
function same(a: CommitSpec, b: CommitSpec): void {
  equal(a.toLocalMsat, b.toLocalMsat, 'to_local');
  equal(a.toRemoteMsat, b.toRemoteMsat, 'to_remote');
  equal(a.feeratePerKw, b.feeratePerKw, 'feerate');
  deepEqual(
    a.htlcs.map(h => [h.offered, h.add.id, h.add.amountMsat]).sort(),
    b.htlcs.map(h => [h.offered, h.add.id, h.add.amountMsat]).sort(),
  );
}

/** Both sides agree on both commitments, and nothing is left on its way. */
function converged(net: Net): void {
  const a = stateOf(net.a);
  const b = stateOf(net.b);
  same(a.localCommit.spec, b.remoteCommit.spec);
  same(b.localCommit.spec, a.remoteCommit.spec);
  equal(a.localCommit.index, b.remoteCommit.index);
  equal(b.localCommit.index, a.remoteCommit.index);
  equal(net.a.api!.status().pendingUpdates, 0, 'A has nothing pending');
  equal(net.b.api!.status().pendingUpdates, 0, 'B has nothing pending');
  // The durable copies are the running states.
  equal(net.a.durable, net.a.api!.status().state);
  equal(net.b.durable, net.b.api!.status().state);
}

const sentNames = (s: Side) => s.sent.map(x => x.m.name);

describe('channeld: HTLCs through the commitment dance', () => {
  it('A offers B an HTLC; B fulfills it: each side is told each change once, and the amount moves to B', async () => {
    const net = await makeNet();
    await connect(net, false);
    net.b.preimages.set(hex(hashOf(1)), preimageOf(1));
    const before = stateOf(net.a).localCommit.spec.toLocalMsat;
    const added = want(net.a, offer(1, 70_000_000n))!;
    deepEqual(await added, { id: 0n }, 'addHtlc answers with the id once committed');
    await idle();
    converged(net);
    deepEqual(
      net.a.ledger.map(c => c.kind),
      ['offered', 'committed', 'fulfilled'],
    );
    deepEqual(
      net.b.ledger.map(c => c.kind),
      ['incoming', 'resolved'],
    );
    deepEqual(changes(net.a, 'fulfilled')[0]!.preimage, preimageOf(1));
    equal(changes(net.b, 'incoming')[0]!.amountMsat, 70_000_000n);
    equal(stateOf(net.a).localCommit.spec.toLocalMsat, before - 70_000_000n);
    equal(stateOf(net.a).localCommit.spec.htlcs.length, 0);
    // The dance, as BOLT 2 draws it: add, sig, (revoke, sig), revoke; then fulfill, sig, ...
    deepEqual(sentNames(net.a).slice(0, 3), ['update_add_htlc', 'commitment_signed', 'revoke_and_ack']);
    deepEqual(sentNames(net.b).slice(0, 2), ['revoke_and_ack', 'commitment_signed']);
  });

  it('B fails an HTLC it has no preimage for: A is told `failed` with the reason, and keeps its money', async () => {
    const net = await makeNet();
    await connect(net, false);
    const before = stateOf(net.a).localCommit.spec.toLocalMsat;
    await want(net.a, offer(2))!;
    await idle();
    converged(net);
    const failed = changes(net.a, 'failed');
    equal(failed.length, 1);
    equal(new TextDecoder().decode(failed[0]!.reason!), 'no preimage for 0');
    equal(stateOf(net.a).localCommit.spec.toLocalMsat, before);
  });

  it('HTLCs both ways at once, the updates crossing: every HTLC settles once on each side', async () => {
    const net = await makeNet();
    await connect(net, false);
    for (const n of [1, 3]) net.b.preimages.set(hex(hashOf(n)), preimageOf(n));
    net.a.preimages.set(hex(hashOf(2)), preimageOf(2));
    const a0 = stateOf(net.a).localCommit.spec.toLocalMsat;
    const calls = [want(net.a, offer(1, 10_000_000n)), want(net.b, offer(2, 20_000_000n)), want(net.a, offer(3, 30_000_000n))];
    want(net.b, offer(4, 40_000_000n));
    want(net.a, offer(5, 50_000_000n));
    await Promise.all(calls);
    await idle();
    converged(net);
    equal(changes(net.a, 'fulfilled').length, 2);
    equal(changes(net.a, 'failed').length, 1);
    equal(changes(net.b, 'fulfilled').length, 1);
    equal(changes(net.b, 'failed').length, 1);
    equal(changes(net.b, 'incoming').length, 3);
    equal(changes(net.a, 'incoming').length, 2);
    // A paid 10 + 30 and received 20.
    equal(stateOf(net.a).localCommit.spec.toLocalMsat, a0 - 40_000_000n + 20_000_000n);
  });

  it('fail_malformed and a repeated fulfill: the second is a no-op, the malformed failure reaches A', async () => {
    const net = await makeNet({ autoResolve: false });
    await connect(net, false);
    await want(net.a, offer(1))!;
    await want(net.a, offer(2))!;
    await idle();
    const [first, second] = changes(net.b, 'incoming');
    await net.b.api!.fulfillHtlc(first!.id, preimageOf(1));
    await net.b.api!.fulfillHtlc(first!.id, preimageOf(1));
    await net.b.api!.failMalformedHtlc(second!.id, new Uint8Array(32).fill(3), 0x8000 | 5);
    await idle();
    converged(net);
    equal(changes(net.a, 'fulfilled').length, 1);
    const failed = changes(net.a, 'failed');
    deepEqual([failed[0]!.id, failed[0]!.failureCode], [1n, 0x8005]);
    await rejects(net.b.api!.failMalformedHtlc(99n, new Uint8Array(32), 0x8000), ChannelError, 'htlc_not_committed');
  });

  it('update_fee from the opener reaches both commitments; the accepter may not send it', async () => {
    const net = await makeNet();
    await connect(net, false);
    await net.a.api!.updateFee(5_000);
    await idle();
    converged(net);
    equal(stateOf(net.a).localCommit.spec.feeratePerKw, 5_000);
    equal(stateOf(net.b).localCommit.spec.feeratePerKw, 5_000);
    await rejects(net.b.api!.updateFee(6_000), ChannelError, 'update_fee_not_opener');
    await rejects(net.a.api!.updateFee(1), ChannelError, 'feerate_out_of_range');
  });
});

describe('channeld: dust exposure of incoming HTLCs', () => {
  it('an incoming HTLC over our dust exposure bound is told `overDustExposure` once committed, even across a restart', async () => {
    const net = await makeNet({ autoResolve: false });
    // B's own bound is 0: any trimmed HTLC A offers breaks it (A's bound lets A offer it).
    const b = deserializeChannel(net.b.durable);
    net.b.durable = serializeChannel({ ...b, params: { ...b.params, policy: { ...b.params.policy, maxDustHtlcExposureMsat: 0n } } });
    await connect(net, false);
    // A's revoke_and_ack for B's commitment never arrives: the HTLC is not committed yet when the connection drops.
    net.tamper = (from, m) => (from === net.a && m.name === 'revoke_and_ack' ? undefined : m);
    want(net.a, offer(1, 400_000n));
    want(net.a, offer(2, 60_000_000n));
    await idle();
    equal(changes(net.b, 'incoming').length, 0);
    ok(deserializeChannel(net.b.durable).failOnceCommitted?.length === 1, 'the mark is durable');
    net.tamper = undefined;
    await restart(net);
    await idle();
    deepEqual(
      changes(net.b, 'incoming').map(c => [c.amountMsat, c.overDustExposure ?? false]),
      [
        [400_000n, true],
        [60_000_000n, false],
      ],
    );
    equal(deserializeChannel(net.b.durable).failOnceCommitted, undefined, 'told once, then forgotten');
  });
});

describe('channeld: limits refused before anything is sent', () => {
  const cases: [string, Parameters<typeof makeNet>[0], () => ReturnType<typeof offer>][] = [
    ['htlc_minimum_msat', { b: { htlcMinimumMsat: 100_000n } }, () => offer(1, 99_999n)],
    ['max_htlc_value_in_flight_msat', { b: { maxHtlcValueInFlightMsat: 60_000_000n } }, () => offer(1, 60_000_001n)],
    // A has 7,000,000,000 msat, keeps a 10,000 sat reserve and pays the fee (2,240 sat with one HTLC at 2,500/kw).
    ['cannot_afford', { b: { maxHtlcValueInFlightMsat: 10_000_000_000n } }, () => offer(1, 6_990_000_000n)],
    // Twice the feerate with one more HTLC: 5,340 sat.
    ['fee_spike_buffer', { b: { maxHtlcValueInFlightMsat: 10_000_000_000n } }, () => offer(1, 6_986_000_000n)],
    ['dust_exposure', { policy: { maxDustHtlcExposureMsat: 0n } }, () => offer(1, 400_000n)],
    ['cltv_expiry', {}, () => ({ ...offer(1), cltvExpiry: 500_000_000 })],
  ];
  for (const [code, o, h] of cases) {
    it(`${code}: addHtlc refused with that ChannelError, nothing persisted or sent`, async () => {
      const net = await makeNet(o);
      await connect(net, false);
      await rejects(net.a.api!.addHtlc(h()), ChannelError, code);
      await idle();
      deepEqual([net.a.persists, net.a.sent.length], [0, 0]);
    });
  }

  it('max_accepted_htlcs: the HTLC past the peer’s limit is refused', async () => {
    const net = await makeNet({ b: { maxAcceptedHtlcs: 2 } });
    await connect(net, false);
    want(net.a, offer(1));
    want(net.a, offer(2));
    await rejects(net.a.api!.addHtlc(offer(3)), ChannelError, 'max_accepted_htlcs');
  });
});

describe('channeld: persist before send', () => {
  it('a persist that never resolves: nothing that depends on it leaves, nothing after it either', async () => {
    const net = await makeNet();
    await connect(net, false);
    net.fate = () => 'hang';
    const add = net.a.api!.addHtlc(offer(1));
    add.catch(() => undefined);
    await idle();
    deepEqual(sentNames(net.a), [], 'update_add_htlc waits for its persist');
    equal(net.a.persists, 1);
    // Let A's add through, then hang B's persist of its revoke_and_ack: it never leaves.
    net.fate = side => (side === net.b ? 'hang' : 'ok');
    crash(net);
    await restart(net);
    want(net.a, offer(2));
    await idle();
    // Commitment 0 on both sides: BOLT 2 has channel_ready retransmitted. Then B hangs persisting its revocation.
    deepEqual(sentNames(net.b), ['channel_reestablish', 'channel_ready'], 'B sent nothing after its hanging persist');
    equal(net.b.persists, 1);
    ok(sentNames(net.a).includes('commitment_signed'), 'A signed');
    equal(changes(net.b, 'incoming').length, 0);
  });

  it('each message leaves after the persist of the state it depends on', async () => {
    const net = await makeNet();
    const order: string[] = [];
    await connect(net, false);
    for (const side of [net.a, net.b]) {
      const f = net.fate;
      net.fate = (s, n) => {
        order.push(`${s.name}:persist`);
        return f(s, n);
      };
      void side;
    }
    const tamper = (from: Side, m: Message) => {
      order.push(`${from.name}:${m.name}`);
      return m;
    };
    net.tamper = tamper;
    net.b.preimages.set(hex(hashOf(1)), preimageOf(1));
    await want(net.a, offer(1))!;
    await idle();
    // Every message that changes what its sender must remember comes right after a persist of the sender.
    order.forEach((e, i) => {
      if (/:(update_|commitment_signed|revoke_and_ack)/.test(e)) {
        const who = e.split(':')[0];
        const prev = order
          .slice(0, i)
          .reverse()
          .find(x => x.startsWith(`${who}:`));
        equal(prev, `${who}:persist`, `${e} at ${i} follows its persist`);
      }
    });
  });
});

describe('channeld: our own trouble', () => {
  it('a persist that fails: the instance ends (disconnect), the message that depended on it never leaves', async () => {
    const net = await makeNet();
    await connect(net, false);
    // lightningd's store refuses the write.
    const api = net.a.api!;
    const persistFails = new Error('disk full');
    net.fate = side => {
      if (side === net.a) throw persistFails;
      return 'ok';
    };
    await rejects(api.addHtlc(offer(1)), Error);
    await idle();
    deepEqual(sentNames(net.a), []);
    deepEqual(
      net.a.failures.map(f => [f.code, f.action, f.sent]),
      [['internal', 'disconnect', undefined]],
    );
    equal(api.status().phase, 'stopped');
  });

  it('the signer refuses (hsmd): no commitment_signed leaves, the instance ends, nothing crashes', async () => {
    const net = await makeNet();
    const signer = net.a.signer;
    net.a.signer = {
      ...signer,
      signRemoteCommitment: async () => {
        throw new Error('hsmd refuses');
      },
    };
    await connect(net, false);
    want(net.a, offer(1));
    await idle();
    deepEqual(sentNames(net.a), ['update_add_htlc']);
    deepEqual(
      net.a.failures.map(f => [f.code, f.message, f.action]),
      [['internal', 'hsmd refuses', 'disconnect']],
    );
  });
});

describe('channeld: the peer’s violations', () => {
  it('a bad commitment signature: B answers warning and ends (disconnect), its state untouched', async () => {
    const net = await makeNet();
    await connect(net, false);
    net.tamper = (from, m) => (m.name === 'commitment_signed' && from === net.a ? { ...m, signature: new Uint8Array(64).fill(1) } : m);
    const durable = net.b.durable;
    want(net.a, offer(1));
    await idle();
    deepEqual(
      net.b.failures.map(f => [f.code, f.action, f.sent]),
      [['bad_commitment_signature', 'disconnect', 'warning']],
    );
    ok(sentNames(net.b).includes('warning'));
    equal(net.b.durable, durable);
    equal(net.b.api!.status().phase, 'stopped');
    await rejects(net.b.api!.addHtlc(offer(2)), ChanneldError, 'disconnected');
  });

  it('a revoke_and_ack with a wrong secret: error, and the channel is failed', async () => {
    const net = await makeNet();
    await connect(net, false);
    net.tamper = (from, m) =>
      m.name === 'revoke_and_ack' && from === net.b ? { ...m, per_commitment_secret: new Uint8Array(32).fill(5) } : m;
    want(net.a, offer(1));
    await idle();
    deepEqual(
      net.a.failures.map(f => [f.code, f.action, f.sent]),
      [['bad_per_commitment_secret', 'fail_channel', 'error']],
    );
    equal(net.a.api!.status().phase, 'failed');
  });

  it('garbage, a message before channel_reestablish, an error from the peer: each ends the instance, none crashes it', async () => {
    const net = await makeNet();
    await connect(net, false);
    await net.b.owner!.deliver(new Uint8Array([0, 128, 1, 2]));
    await idle();
    deepEqual(
      net.b.failures.map(f => [f.code, f.sent]),
      [['bad_message', 'warning']],
    );

    await restart(net);
    // A speaks before its channel_reestablish reached B: drop A's reestablish, then A adds.
    const net2 = await makeNet();
    net2.tamper = (from, m) => (m.name === 'channel_reestablish' && from === net2.a ? undefined : m);
    await connect(net2, true);
    await net2.b.owner!.deliver(
      (await import('../../src/core/wire/messages.ts')).encodeMessage({
        name: 'update_fee',
        channel_id: stateOf(net2.a).params.channelId,
        feerate_per_kw: 3_000,
      }),
    );
    await idle();
    deepEqual(
      net2.b.failures.map(f => [f.code, f.sent]),
      [['unexpected_message', 'warning']],
    );

    const err = (await import('../../src/core/wire/messages.ts')).encodeMessage({
      name: 'error',
      channel_id: stateOf(net.a).params.channelId,
      data: new TextEncoder().encode('bye'),
    });
    await net.a.owner!.deliver(err);
    await idle();
    deepEqual(
      net.a.failures.map(f => [f.code, f.action]),
      [['peer_error', 'fail_channel']],
    );
  });
});

describe('channeld: channel_reestablish', () => {
  it('a reconnect with nothing in flight: both send channel_reestablish and carry on', async () => {
    const net = await makeNet();
    await connect(net, false);
    net.b.preimages.set(hex(hashOf(1)), preimageOf(1));
    await want(net.a, offer(1))!;
    await idle();
    await restart(net);
    await idle();
    equal(net.a.api!.status().phase, 'normal');
    deepEqual(
      net.a.sent.filter(x => x.generation === net.generation).map(x => x.m.name),
      ['channel_reestablish'],
    );
    net.a.preimages.set(hex(hashOf(2)), preimageOf(2));
    await want(net.b, offer(2))!;
    await idle();
    converged(net);
  });

  it('commitment_signed lost on the way: A retransmits its update and commitment_signed, the HTLC lands once', async () => {
    const net = await makeNet();
    await connect(net, false);
    net.tamper = (from, m) => (from === net.a && m.name === 'commitment_signed' ? undefined : m);
    net.b.preimages.set(hex(hashOf(1)), preimageOf(1));
    want(net.a, offer(1));
    await idle();
    net.tamper = undefined;
    await restart(net);
    await idle();
    const again = net.a.sent.filter(x => x.generation === net.generation).map(x => x.m.name);
    // channel_ready too: B never got a commitment past 0 (BOLT 2: "next_commitment_number is 1 in both").
    deepEqual(again.slice(0, 4), ['channel_reestablish', 'channel_ready', 'update_add_htlc', 'commitment_signed']);
    converged(net);
    equal(changes(net.b, 'incoming').length, 1);
    equal(changes(net.a, 'fulfilled').length, 1);
  });

  it('revoke_and_ack lost on the way: B retransmits it', async () => {
    const net = await makeNet();
    await connect(net, false);
    net.tamper = (from, m) => (from === net.b && m.name === 'revoke_and_ack' ? undefined : m);
    want(net.a, offer(1));
    await idle();
    net.tamper = undefined;
    await restart(net);
    await idle();
    const again = net.b.sent.filter(x => x.generation === net.generation).map(x => x.m.name);
    equal(again[1], 'revoke_and_ack');
    converged(net);
    equal(changes(net.a, 'failed').length, 1);
  });

  it('option_data_loss_protect: B restarted from an old state is told so, sends error, reports data_loss and signs nothing', async () => {
    const net = await makeNet();
    await connect(net, false);
    const old = net.b.durable;
    net.b.preimages.set(hex(hashOf(1)), preimageOf(1));
    await want(net.a, offer(1))!;
    await idle();
    // B's store is rolled back to before the HTLC (a restored backup).
    crash(net);
    net.b.durable = old;
    let signed = 0;
    const signer = net.b.signer;
    net.b.signer = {
      ...signer,
      signRemoteCommitment: req => (signed++, signer.signRemoteCommitment(req)),
      revealSecret: i => (signed++, signer.revealSecret(i)),
    };
    await restart(net);
    await idle();
    const loss = net.b.failures.find(f => f.action === 'data_loss');
    ok(loss, 'B reports data_loss');
    equal(loss.code, 'we_are_behind');
    equal(loss.sent, 'error');
    ok(loss.theirCurrentPerCommitmentPoint?.length === 33);
    equal(signed, 0, 'B signed and revealed nothing');
    ok(sentNames(net.b).includes('error'));
    // A sees B behind too: B's numbers are below what A sent and received.
    deepEqual(
      net.a.failures.map(f => [f.action, f.sent]),
      [['fail_channel', 'error']],
    );
  });

  it('a peer claiming a commitment we never signed is refused with error', async () => {
    const net = await makeNet();
    net.tamper = (from, m) => (from === net.a && m.name === 'channel_reestablish' ? { ...m, next_commitment_number: 5n } : m);
    await connect(net, true);
    await idle();
    deepEqual(
      net.b.failures.map(f => [f.code, f.action]),
      [['reestablish_commitment_number', 'fail_channel']],
    );
  });

  it('your_last_per_commitment_secret that is not ours: error', async () => {
    const net = await makeNet();
    await connect(net, false);
    await want(net.a, offer(1))!;
    await idle();
    net.tamper = (from, m) =>
      from === net.a && m.name === 'channel_reestablish' ? { ...m, your_last_per_commitment_secret: new Uint8Array(32).fill(9) } : m;
    await restart(net);
    await idle();
    deepEqual(
      net.b.failures.map(f => f.code),
      ['reestablish_bad_secret'],
    );
  });
});
