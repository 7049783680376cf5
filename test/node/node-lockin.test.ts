// A funded channel reaches normal operation across a restart and a reconnect that fall before its
// lock-in: the openingd that funded it is gone, so a new one on each side reestablishes the channel
// (BOLT 2: channel_reestablish with commitment numbers 1/0) and, at minimum_depth, exchanges
// channel_ready and hands over to channeld, which then carries an HTLC both ways of the dance.
import { after, before, describe, it } from 'node:test';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import { regtestNodes, type Node, type RegtestNodes } from './regtest-nodes.ts';

type PeerChannel = { state: string; peer_connected: boolean; status: string[]; to_us_msat: number; htlcs: { direction: string }[] };

const FUNDING_SAT = 400_000;

describe('Node: a channel funded before a restart or reconnect still locks in', () => {
  let env: RegtestNodes;
  let a: Node | undefined;
  let b: Node | undefined;
  const channelsOf = (n: Node) => () => n.call('listpeerchannels', {}) as Promise<{ channels: PeerChannel[] }>;
  let dirA: string;

  before(async () => {
    env = await regtestNodes('node-lockin');
    dirA = env.tmp();
    a = await env.start(dirA);
    b = await env.start(env.tmp(), { bindAddr: ['127.0.0.1:0'] });
  });
  after(async () => {
    await env?.stop();
  });

  it('A restarts and B drops the connection before minimum_depth: reestablished each time, then CHANNELD_NORMAL on both with a working channeld', async () => {
    await env.fund(a!, 1_000_000);
    await env.connect(a!, b!);
    await a!.call('fundchannel', { id: b!.id, amount: FUNDING_SAT, feerate: '2000perkw', announce: false });
    await env.mine(1);
    const awaiting = (n: Node) =>
      fundsWhen(
        channelsOf(n),
        l => l.channels.length === 1 && l.channels[0]!.state === 'CHANNELD_AWAITING_LOCKIN' && l.channels[0]!.peer_connected,
        'awaiting lock-in, connected',
      );
    await awaiting(a!);

    // A restarts with the funding 1 deep of 3: no openingd of the open survives; A redials B.
    await a!.stop();
    a = await env.start(dirA);
    await awaiting(a);
    await awaiting(b!);
    // B drops the connection: A redials, and both reestablish again.
    await b!.call('disconnect', { id: a.id, force: true });
    await awaiting(a);

    await env.mine(2);
    const normal = (n: Node) =>
      fundsWhen(
        channelsOf(n),
        l => /^CHANNELD_NORMAL:channeld normal \(channeld-[\d-]+\)/.test(l.channels[0]?.status[0] ?? ''),
        'a channeld in normal operation',
      );
    const [ca, cb] = [(await normal(a)).channels[0]!, (await normal(b!)).channels[0]!];
    deepEqual([ca.state, cb.state], ['CHANNELD_NORMAL', 'CHANNELD_NORMAL']);
    equal(ca.to_us_msat, FUNDING_SAT * 1000);

    // The channel works: an HTLC from A, committed in both, failed back by B's lightningd as
    // malformed (its onion is zeroes: BOLT 4 invalid_onion_key, update_fail_malformed_htlc).
    const channeldOf = (n: Node) => {
      const channels = n.lightningd.channels!;
      const d = channels.channeldOf(channels.list()[0]!.record!.dbid);
      ok(d, 'a channeld runs');
      return d!;
    };
    await channeldOf(a).api.addHtlc({
      amountMsat: 5_000_000n,
      paymentHash: new Uint8Array(32).fill(3),
      cltvExpiry: env.h.chain.height + 100,
      onion: new Uint8Array(1366),
    });
    await fundsWhen(
      channelsOf(a),
      l => l.channels[0]?.htlcs.length === 0 && /commitments 2\/2$/.test(l.channels[0]!.status[0] ?? ''),
      'the HTLC removed at A, commitments 2/2',
    );
  });
});
