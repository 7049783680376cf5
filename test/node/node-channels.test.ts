// Channel establishment in whole Node nodes (daemons in worker threads) on `boltworker regtest`:
// A's wallet is funded, A connects to B and `fundchannel`s; lightningd starts openingd on each side
// with its own links (connectd for the channel's messages, hsmd for its signing), A's wallet builds
// the funding transaction and broadcasts it only after funding_signed; the regtest chain (which
// evaluates every input's script) accepts and mines it; at minimum_depth both reach
// CHANNELD_NORMAL with the amounts fundchannel asked for, and A still lists the channel after a
// restart. fundchannel's errors use Core Lightning's codes and leave no coin reserved.
import { after, before, describe, it } from 'node:test';
import { Transaction } from '@scure/btc-signer';
import { fromHex } from '../../src/core/base/bytes.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import { regtestNodes, type Node, type RegtestNodes } from './regtest-nodes.ts';

type Funds = {
  outputs: { txid: string; output: number; amount_msat: number; status: string; reserved: boolean }[];
  channels: { peer_id: string; our_amount_msat: number; amount_msat: number; funding_txid: string; connected: boolean; state: string }[];
};
type PeerChannel = {
  peer_id: string;
  peer_connected: boolean;
  state: string;
  opener: string;
  channel_id: string;
  short_channel_id?: string;
  funding_txid: string;
  funding_outnum: number;
  total_msat: number;
  to_us_msat: number;
  spendable_msat: number;
  receivable_msat: number;
  minimum_depth: number;
  features: string[];
  channel_type: { bits: number[]; names: string[] };
  status: string[];
  htlcs: unknown[];
};

const FUNDING_SAT = 500_000;
const PUSH_MSAT = 20_000_000;

describe('Node: fundchannel between two nodes on boltworker regtest', () => {
  let env: RegtestNodes;
  let a: Node | undefined;
  let b: Node | undefined;
  const channelsOf = (n: Node) => () => n.call('listpeerchannels', {}) as Promise<{ channels: PeerChannel[] }>;
  const funds = (n: Node) => () => n.call('listfunds', {}) as Promise<Funds>;
  const code = async (p: Promise<unknown>) => (await rejects<Error & { code: number }>(p, Error)).code;
  let dirA: string;
  /** The channeld instance listpeerchannels' status names, once it runs in normal operation with the peer connected. */
  const channeldOf = async (n: Node, not?: string) => {
    const l = await fundsWhen(
      channelsOf(n),
      x => {
        const c = x.channels[0];
        const m = /^CHANNELD_NORMAL:channeld normal \((channeld-[\d-]+)\)/.exec(c?.status[0] ?? '');
        return x.channels.length === 1 && c!.peer_connected && m !== null && m[1] !== not;
      },
      `a channeld in normal operation${not ? ` other than ${not}` : ''}`,
    );
    return { channel: l.channels[0]!, instance: /\((channeld-[\d-]+)\)/.exec(l.channels[0]!.status[0]!)![1]! };
  };
  const instances: Record<'a' | 'b', string> = { a: '', b: '' };

  before(async () => {
    env = await regtestNodes('node-channels');
    dirA = env.tmp();
    a = await env.start(dirA);
    b = await env.start(env.tmp(), { bindAddr: ['127.0.0.1:0'] });
  });
  after(async () => {
    await env?.stop();
  });

  it('refuses a peer that is not connected (306 unknown, 305 known), more than the wallet holds (301), dust (302), and leaves no coin reserved', async () => {
    await env.fund(a!, 1_000_000);

    equal(await code(a!.call('fundchannel', { id: b!.id, amount: FUNDING_SAT })), 306, 'never met: FUNDING_UNKNOWN_PEER');
    await a!.call('connect', { id: `${b!.id}@127.0.0.1:${b!.binding[0]!.port}` });
    await a!.call('disconnect', { id: b!.id });
    equal(await code(a!.call('fundchannel', { id: b!.id, amount: FUNDING_SAT })), 305, 'met, not connected: FUNDING_PEER_NOT_CONNECTED');

    await a!.call('connect', { id: `${b!.id}@127.0.0.1:${b!.binding[0]!.port}` });
    equal(await code(a!.call('fundchannel', { id: b!.id, amount: 5_000_000 })), 301, 'FUND_CANNOT_AFFORD');
    equal(await code(a!.call('fundchannel', { id: b!.id, amount: 500 })), 302, 'FUND_OUTPUT_IS_DUST');
    equal(await code(a!.call('fundchannel', { id: b!.id, amount: 16_777_216 })), 300, 'FUND_MAX_EXCEEDED without large channels');
    // The open fails in openingd after the wallet reserved the coin (the opener could not pay the
    // commitment fee with everything pushed): the coin is free again.
    const failed = await rejects<Error & { code: number }>(
      a!.call('fundchannel', { id: b!.id, amount: FUNDING_SAT, push_msat: FUNDING_SAT * 1000, feerate: '2000perkw' }),
      Error,
    );
    equal(failed.code, -1, failed.message);
    const f = await funds(a!)();
    deepEqual(
      f.outputs.map(o => o.reserved),
      [false],
      'no coin left reserved',
    );
    equal(((await a!.call('listpeerchannels', {})) as { channels: unknown[] }).channels.length, 0, 'no channel left behind');
  });

  it('opens A → B: broadcast after funding_signed, mined, CHANNELD_NORMAL on both sides with the right amounts; still listed after A restarts', async () => {
    const r = (await a!.call('fundchannel', {
      id: b!.id,
      amount: FUNDING_SAT,
      push_msat: PUSH_MSAT,
      feerate: '2000perkw',
      announce: false,
    })) as {
      tx: string;
      txid: string;
      outnum: number;
      channel_id: string;
      channel_type: { bits: number[]; names: string[] };
      mindepth: number;
    };
    // Both inits offer option_anchors: fundchannel's default type is anchors (Core Lightning's default_channel_type).
    deepEqual(r.channel_type, { bits: [12, 22], names: ['static_remotekey/even', 'anchors/even'] });
    equal(r.mindepth, 3, "B's minimum_depth");
    const tx = Transaction.fromRaw(fromHex(r.tx));
    equal(tx.id, r.txid);
    equal(tx.getOutput(r.outnum).amount, BigInt(FUNDING_SAT));
    // In the chain's mempool: its script interpreter accepted every input (hsmd's signatures).
    const status = await env.get<{ confirmed: boolean }>(`/tx/${r.txid}/status`);
    equal(status.confirmed, false);
    const out = (await env.get<{ vout: { scriptpubkey_type: string; value: number }[] }>(`/tx/${r.txid}`)).vout[r.outnum]!;
    deepEqual([out.scriptpubkey_type, out.value], ['v0_p2wsh', FUNDING_SAT], 'the funding output is the 2-of-2 P2WSH');

    // Both hold the channel, funded, awaiting lock-in.
    for (const n of [a!, b!]) {
      const c = (await channelsOf(n)()).channels;
      equal(c.length, 1);
      equal(c[0]!.state, 'CHANNELD_AWAITING_LOCKIN');
      equal(c[0]!.channel_id, r.channel_id);
    }
    await env.mine(1);
    const fundingHeight = env.h.chain.height;
    await env.mine(2);
    const normal = (n: Node) =>
      fundsWhen(channelsOf(n), l => l.channels.length === 1 && l.channels[0]!.state === 'CHANNELD_NORMAL', 'CHANNELD_NORMAL');
    const [ca, cb] = [(await normal(a!)).channels[0]!, (await normal(b!)).channels[0]!];
    for (const [c, peer, opener, toUs] of [
      [ca, b!.id, 'local', FUNDING_SAT * 1000 - PUSH_MSAT],
      [cb, a!.id, 'remote', PUSH_MSAT],
    ] as const) {
      equal(c.peer_id, peer);
      equal(c.peer_connected, true);
      equal(c.opener, opener);
      equal(c.channel_id, r.channel_id);
      equal(c.funding_txid, r.txid);
      equal(c.funding_outnum, r.outnum);
      equal(c.total_msat, FUNDING_SAT * 1000);
      equal(c.to_us_msat, toUs);
      ok(c.short_channel_id?.startsWith(`${fundingHeight}x`), `short_channel_id ${c.short_channel_id} at ${fundingHeight}`);
      ok(c.spendable_msat < c.to_us_msat && c.spendable_msat >= 0);
      deepEqual(c.features, ['option_static_remotekey', 'option_anchors']);
    }
    equal(ca.short_channel_id, cb.short_channel_id);
    // openingd handed over to channeld on each side (no reestablish on the same connection).
    instances.a = (await channeldOf(a!)).instance;
    instances.b = (await channeldOf(b!)).instance;
    equal(ca.spendable_msat > cb.spendable_msat, true, 'the opener holds more');
    const peers = (await a!.call('listpeers', { id: b!.id })) as { peers: { num_channels: number }[] };
    equal(peers.peers[0]!.num_channels, 1);
    const info = (await a!.call('getinfo', {})) as { num_active_channels: number; num_pending_channels: number };
    deepEqual([info.num_active_channels, info.num_pending_channels], [1, 0]);

    // The wallet spent its coin into the funding transaction (and got change back).
    const f = await fundsWhen(funds(a!), x => x.outputs.every(o => o.txid === r.txid && o.status === 'confirmed'), 'the change confirmed');
    equal(f.outputs.length, 1);
    // listfunds' channels: our balance in the channel, beside the wallet's outputs.
    deepEqual(
      f.channels.map(c => [c.peer_id, c.our_amount_msat, c.amount_msat, c.funding_txid, c.connected, c.state]),
      [[b!.id, FUNDING_SAT * 1000 - PUSH_MSAT, FUNDING_SAT * 1000, r.txid, true, 'CHANNELD_NORMAL']],
    );

    await a!.stop();
    a = await env.start(dirA);
    const again = (await channelsOf(a)()).channels;
    equal(again.length, 1, 'the channel survives a restart');
    deepEqual(
      [again[0]!.state, again[0]!.channel_id, again[0]!.to_us_msat, again[0]!.short_channel_id],
      ['CHANNELD_NORMAL', r.channel_id, FUNDING_SAT * 1000 - PUSH_MSAT, ca.short_channel_id],
    );
  });

  it('after A restarts it reconnects to B, and a new channeld on each side reestablishes: both still CHANNELD_NORMAL', async () => {
    // A dials B by itself (B is where A last reached it); each side starts a channeld with channel_reestablish
    // (A's is in a new process: its instance names start again).
    const ra = await channeldOf(a!);
    const rb = await channeldOf(b!, instances.b);
    for (const [r, toUs] of [
      [ra, FUNDING_SAT * 1000 - PUSH_MSAT],
      [rb, PUSH_MSAT],
    ] as const) {
      equal(r.channel.state, 'CHANNELD_NORMAL');
      equal(r.channel.to_us_msat, toUs);
      equal(r.channel.status[0], `CHANNELD_NORMAL:channeld normal (${r.instance}), commitments 0/0`);
      deepEqual(r.channel.htlcs, []);
    }
    instances.a = ra.instance;
    instances.b = rb.instance;
  });

  it('B disconnects A: A redials, and new channelds reestablish on both sides', async () => {
    await b!.call('disconnect', { id: a!.id, force: true });
    const ra = await channeldOf(a!, instances.a);
    const rb = await channeldOf(b!, instances.b);
    deepEqual(
      [ra.channel.state, rb.channel.state, ra.channel.status[0], rb.channel.status[0]],
      [
        'CHANNELD_NORMAL',
        'CHANNELD_NORMAL',
        `CHANNELD_NORMAL:channeld normal (${ra.instance}), commitments 0/0`,
        `CHANNELD_NORMAL:channeld normal (${rb.instance}), commitments 0/0`,
      ],
    );
  });

  it("an HTLC A offers with an onion B cannot read: B's lightningd fails it (malformed) by itself, and across A's restart the removal reaches A: the balance is back", async () => {
    const channeldFor = (n: Node) => {
      const channels = n.lightningd.channels!;
      const dbid = channels.list()[0]!.record!.dbid;
      const d = channels.channeldOf(dbid);
      ok(d, 'a channeld runs');
      return d!;
    };
    const amount = 10_000_000n;
    // Resolves once the HTLC is irrevocably committed in both commitments.
    const { id } = await channeldFor(a!).api.addHtlc({
      amountMsat: amount,
      paymentHash: new Uint8Array(32).fill(7),
      cltvExpiry: env.h.chain.height + 100,
      onion: new Uint8Array(1366),
    });
    equal(id, 0n);
    // B's lightningd decides it as soon as it is committed (htlcs-in.ts: an all-zero onion key is
    // invalid_onion_key, update_fail_malformed_htlc), while A restarts: the removal's dance
    // completes before A stops or, through channel_reestablish, with A's new channeld.
    await a!.stop();
    a = await env.start(dirA);
    await channeldOf(a);
    const back = (n: Node, toUs: number) =>
      fundsWhen(channelsOf(n), l => l.channels[0]?.htlcs.length === 0 && l.channels[0]!.to_us_msat === toUs, 'the HTLC removed');
    await back(a!, FUNDING_SAT * 1000 - PUSH_MSAT);
    await back(b!, PUSH_MSAT);
    // B's revoke_and_ack of commitment 2 reaches A after B's own balance shows the removal: wait for A to take it.
    const at22 = (l: { channels: PeerChannel[] }) => /commitments 2\/2$/.test(l.channels[0]?.status[0] ?? '');
    const fa = (await fundsWhen(channelsOf(a!), at22, "A's channeld at commitments 2/2")).channels[0]!;
    const fb = (await channeldOf(b!)).channel;
    deepEqual([fa.state, fb.state], ['CHANNELD_NORMAL', 'CHANNELD_NORMAL']);
    ok(/commitments 2\/2$/.test(fa.status[0]!), fa.status[0]);
  });
});
