// channeld's BOLT 2 "Closing Initiation: shutdown" between two channelds (channeld-fixture.ts):
// our shutdown waits for our updates to be signed and is durable before it leaves; the peer's is
// answered with lightningd's script; no new HTLC either way after it (the peer's add is a
// `warning` and a disconnect); scripts are checked (option_shutdown_anysegwit widens them); a
// second shutdown on one connection is refused, while the one retransmitted after a reconnect is
// taken; once both are out and no HTLC is left, each channeld hands the channel over (closingd's).
import { deserializeChannel } from '../../src/core/channel/index.ts';
import { FeatureVector } from '../../src/core/features/index.ts';
import { encodeMessage, type Message } from '../../src/core/wire/messages.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { connect, hex, idle, makeNet, offer, restart, want, type Net } from './channeld-fixture.ts';

const P2WPKH_A = Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(0xaa));
const P2WPKH_B = Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(0xbb));
/** Witness v1, 32 bytes (P2TR): allowed only with option_shutdown_anysegwit. */
const TAPROOT = Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(0xcc));
const ANYSEGWIT = FeatureVector.fromBits([27]).toHex();

const shutdownsSent = (net: Net, side: 'a' | 'b') => net[side].sent.filter(s => s.m.name === 'shutdown');
const code = async (p: Promise<unknown>) => (await rejects<Error & { code: string }>(p, Error)).code;

describe('channeld: shutdown (BOLT 2)', () => {
  it('our shutdown waits for our add to be signed, is durable before it leaves; the peer answers; no new HTLC; both hand over once the HTLC is gone', async () => {
    const net = await makeNet();
    await connect(net, false);
    net.b.shutdownScript = P2WPKH_B;
    // B's lightningd knows no preimage: it fails A's HTLC once it is committed.
    net.autoResolve = false;
    const durableAtSend: string[] = [];
    net.tamper = (from, m) => {
      if (from === net.a && m.name === 'shutdown') durableAtSend.push(from.durable);
      return m;
    };
    void want(net.a, offer(1));
    // Asked while the add is still unsigned: the shutdown waits for A's commitment_signed.
    const sent = net.a.api!.shutdown(P2WPKH_A);
    await idle();
    await sent;
    const names = net.a.sent.map(s => s.m.name);
    ok(names.indexOf('commitment_signed') < names.indexOf('shutdown'), `A's commitment_signed before its shutdown: ${names}`);
    equal(durableAtSend.length, 1);
    deepEqual(deserializeChannel(durableAtSend[0]!).shutdown?.sent, P2WPKH_A, 'durable before it left');
    // B's lightningd heard of it and answered with its script.
    deepEqual(net.b.shutdownsReceived, [P2WPKH_A]);
    equal(shutdownsSent(net, 'b').length, 1);
    deepEqual(deserializeChannel(net.b.durable).shutdown, { sent: P2WPKH_B, received: P2WPKH_A });
    // BOLT 2: no update_add_htlc after shutdown, either side.
    equal(await code(net.a.api!.addHtlc(offer(2))), 'add_after_shutdown');
    equal(await code(net.b.api!.addHtlc(offer(3))), 'add_after_shutdown');
    // The HTLC holds the channel: no handover yet.
    equal(net.a.handedOver, undefined);
    equal(net.b.handedOver, undefined);
    await net.b.api!.failHtlc(0n, new Uint8Array(32));
    await idle();
    for (const side of [net.a, net.b]) {
      ok(side.handedOver, `${side.name} handed over`);
      const s = deserializeChannel(side.handedOver!);
      equal(s.localCommit.spec.htlcs.length + s.remoteCommit.spec.htlcs.length, 0);
      equal(side.api!.status().phase, 'closing');
      deepEqual(side.failures, []);
    }
    // What the peer sends after the handover is kept for closingd, once.
    const later = encodeMessage({ name: 'warning', channel_id: new Uint8Array(32), data: new Uint8Array(0) } as Message);
    void net.a.owner!.deliver(later);
    await idle();
    deepEqual(net.a.api!.handoverMessages(), [later]);
    deepEqual(net.a.api!.handoverMessages(), []);
  });

  it("the funder's closing_signed right behind its shutdown, before the handover, is closingd's", async () => {
    // BOLT 2: once both shutdowns are out with no HTLC left, the funder "SHOULD send a
    // `closing_signed`" at once; LDK does, so it reaches channeld queued behind its shutdown.
    const net = await makeNet();
    await connect(net, false);
    net.b.shutdownScript = P2WPKH_B;
    const held: Message[] = [];
    net.tamper = (from, m) => {
      if (from !== net.b || m.name !== 'shutdown') return m;
      held.push(m);
      return undefined;
    };
    await net.a.api!.shutdown(P2WPKH_A);
    await idle();
    equal(held.length, 1, "B's shutdown, held back");
    const s = deserializeChannel(net.a.durable);
    const closingSigned = encodeMessage({
      name: 'closing_signed',
      channel_id: s.params.channelId,
      fee_satoshis: 200n,
      signature: new Uint8Array(64).fill(3),
    } as Message);
    // Both queued at A in one turn: the shutdown completing the exchange, then the closing_signed.
    void net.a.owner!.deliver(encodeMessage(held[0]!));
    void net.a.owner!.deliver(closingSigned);
    await idle();
    ok(net.a.handedOver, 'A handed over');
    deepEqual(net.a.api!.handoverMessages(), [closingSigned], 'the closing_signed kept for closingd');
    deepEqual(net.a.failures, []);
  });

  it("the peer's update_add_htlc after its shutdown: warning, and the connection ends", async () => {
    const net = await makeNet();
    await connect(net, false);
    // B's lightningd does not answer (no script): only B's shutdown is out.
    await net.b.api!.shutdown(P2WPKH_B);
    await idle();
    deepEqual(deserializeChannel(net.a.durable).shutdown?.received, P2WPKH_B);
    const s = deserializeChannel(net.a.durable);
    const add = {
      name: 'update_add_htlc',
      channel_id: s.params.channelId,
      id: 0n,
      amount_msat: 1_000_000n,
      payment_hash: new Uint8Array(32).fill(4),
      cltv_expiry: 800_000,
      onion_routing_packet: new Uint8Array(1366),
    } as Message;
    void net.a.owner!.deliver(encodeMessage(add));
    await idle();
    deepEqual(
      net.a.failures.map(f => [f.code, f.action, f.sent]),
      [['add_after_shutdown', 'disconnect', 'warning']],
    );
  });

  it('scripts: witness v1 only with option_shutdown_anysegwit; a bad one of ours is refused with nothing sent, a bad one of the peer a warning', async () => {
    const plain = await makeNet();
    await connect(plain, false);
    equal(await code(plain.a.api!.shutdown(TAPROOT)), 'bad_shutdown_script');
    equal(await code(plain.a.api!.shutdown(Uint8Array.of(0x6a, 0x01, 0x00))), 'bad_shutdown_script');
    await idle();
    equal(shutdownsSent(plain, 'a').length, 0, 'nothing sent');
    equal(plain.a.api!.status().phase, 'normal', 'the channel goes on');
    // The peer's taproot shutdown without the feature: warning.
    const s = deserializeChannel(plain.a.durable);
    void plain.a.owner!.deliver(encodeMessage({ name: 'shutdown', channel_id: s.params.channelId, scriptpubkey: TAPROOT } as Message));
    await idle();
    deepEqual(
      plain.a.failures.map(f => [f.code, f.sent]),
      [['bad_shutdown_script', 'warning']],
    );

    const wide = await makeNet();
    wide.generation++;
    const { start } = await import('./channeld-fixture.ts');
    await start(wide, wide.a, false, { ourFeatures: ANYSEGWIT, theirFeatures: ANYSEGWIT });
    await start(wide, wide.b, false, { ourFeatures: ANYSEGWIT, theirFeatures: ANYSEGWIT });
    wide.b.shutdownScript = TAPROOT;
    await wide.a.api!.shutdown(TAPROOT);
    await idle();
    deepEqual(deserializeChannel(wide.b.durable).shutdown, { sent: TAPROOT, received: TAPROOT });
    ok(wide.a.handedOver && wide.b.handedOver, 'both handed over');
  });

  it('a second shutdown on one connection is a warning; after a reconnect each retransmits its own and takes the other, then hands over', async () => {
    const net = await makeNet();
    await connect(net, false);
    await net.b.api!.shutdown(P2WPKH_B);
    await idle();
    // The same again from lightningd is a no-op; another script is refused.
    await net.b.api!.shutdown(P2WPKH_B);
    equal(await code(net.b.api!.shutdown(P2WPKH_A)), 'shutdown_twice');
    equal(shutdownsSent(net, 'b').length, 1);
    // A restart: A's lightningd now answers, and each side retransmits what it sent after channel_reestablish.
    net.a.shutdownScript = P2WPKH_A;
    await restart(net);
    await idle();
    const gen = net.generation;
    const afterB = net.b.sent.filter(x => x.generation === gen).map(x => x.m.name);
    // (channel_ready too, between them: no commitment moved since the open.)
    equal(afterB[0], 'channel_reestablish');
    ok(afterB.includes('shutdown'), `B retransmits its shutdown: ${afterB}`);
    // A's lightningd had no script before the restart: the new channeld tells it of B's shutdown again, and it answers now.
    deepEqual(net.a.shutdownsReceived, [P2WPKH_B, P2WPKH_B]);
    deepEqual(net.a.failures, [], 'the retransmitted shutdown is taken');
    deepEqual(net.b.failures, []);
    ok(net.a.handedOver && net.b.handedOver, 'both handed over');

    // A second shutdown on one connection: warning.
    const net2 = await makeNet();
    await connect(net2, false);
    await net2.b.api!.shutdown(P2WPKH_B);
    await idle();
    const s = deserializeChannel(net2.a.durable);
    void net2.a.owner!.deliver(encodeMessage({ name: 'shutdown', channel_id: s.params.channelId, scriptpubkey: P2WPKH_B } as Message));
    await idle();
    deepEqual(
      net2.a.failures.map(f => [f.code, f.sent]),
      [['shutdown_twice', 'warning']],
    );
    void hex;
  });
});
