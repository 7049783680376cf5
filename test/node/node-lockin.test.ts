// A funded channel reaches normal operation across a restart and a reconnect that fall before its
// lock-in: the openingd that funded it is gone, so a new one on each side reestablishes the channel
// (BOLT 2: channel_reestablish with commitment numbers 1/0) and, at minimum_depth, exchanges
// channel_ready and hands over to channeld, which then carries an HTLC both ways of the dance.
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from '../../src/node/node.ts';
import { startRegtest, type RegtestHandle } from '../../src/regtest/server-node.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { fundsWhen, postJson } from '../support/regtest-client.ts';

type Node = Awaited<ReturnType<typeof startNode>>;
type PeerChannel = { state: string; peer_connected: boolean; status: string[]; to_us_msat: number; htlcs: { direction: string }[] };

const FUNDING_SAT = 400_000;

describe('Node: a channel funded before a restart or reconnect still locks in', () => {
  let h: RegtestHandle;
  let a: Node | undefined;
  let b: Node | undefined;
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'bw-node-lockin-'));
    dirs.push(d);
    return d;
  };
  const control = (path: string, body: unknown) => postJson(`${h.url}${path}`, body);
  const channelsOf = (n: Node) => () => n.call('listpeerchannels', {}) as Promise<{ channels: PeerChannel[] }>;
  let dirA: string;

  before(async () => {
    h = await startRegtest({ port: 0, premine: 101 });
    dirA = tmp();
    a = await startNode({ network: 'regtest', lightningDir: dirA, esplora: h.url, verifyWorkers: 1 });
    b = await startNode({ network: 'regtest', lightningDir: tmp(), esplora: h.url, verifyWorkers: 1, bindAddr: ['127.0.0.1:0'] });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await h?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('A restarts and B drops the connection before minimum_depth: reestablished each time, then CHANNELD_NORMAL on both with a working channeld', async () => {
    const { bech32 } = (await a!.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    await control('/regtest/send', { address: bech32, amount_sat: 1_000_000 });
    await control('/regtest/mine', { blocks: 1 });
    await fundsWhen(
      () => a!.call('listfunds', {}) as Promise<{ outputs: { status: string }[] }>,
      f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed',
      'the coin confirmed',
    );
    await a!.call('connect', { id: `${b!.id}@127.0.0.1:${b!.binding[0]!.port}` });
    await a!.call('fundchannel', { id: b!.id, amount: FUNDING_SAT, feerate: '2000perkw', announce: false });
    await control('/regtest/mine', { blocks: 1 });
    const awaiting = (n: Node) =>
      fundsWhen(
        channelsOf(n),
        l => l.channels.length === 1 && l.channels[0]!.state === 'CHANNELD_AWAITING_LOCKIN' && l.channels[0]!.peer_connected,
        'awaiting lock-in, connected',
      );
    await awaiting(a!);

    // A restarts with the funding 1 deep of 3: no openingd of the open survives; A redials B.
    await a!.stop();
    a = await startNode({ network: 'regtest', lightningDir: dirA, esplora: h.url, verifyWorkers: 1 });
    await awaiting(a);
    await awaiting(b!);
    // B drops the connection: A redials, and both reestablish again.
    await b!.call('disconnect', { id: a.id, force: true });
    await awaiting(a);

    await control('/regtest/mine', { blocks: 2 });
    const normal = (n: Node) =>
      fundsWhen(
        channelsOf(n),
        l => /^CHANNELD_NORMAL:channeld normal \(channeld-[\d-]+\)/.test(l.channels[0]?.status[0] ?? ''),
        'a channeld in normal operation',
      );
    const [ca, cb] = [(await normal(a)).channels[0]!, (await normal(b!)).channels[0]!];
    deepEqual([ca.state, cb.state], ['CHANNELD_NORMAL', 'CHANNELD_NORMAL']);
    equal(ca.to_us_msat, FUNDING_SAT * 1000);

    // The channel works: an HTLC from A, committed in both, failed back by B.
    const channeldOf = (n: Node) => {
      const channels = n.lightningd.channels!;
      const d = channels.channeldOf(channels.list()[0]!.record!.dbid);
      ok(d, 'a channeld runs');
      return d!;
    };
    await channeldOf(a).api.addHtlc({
      amountMsat: 5_000_000n,
      paymentHash: new Uint8Array(32).fill(3),
      cltvExpiry: h.chain.height + 100,
      onion: new Uint8Array(1366),
    });
    await fundsWhen(channelsOf(b!), l => l.channels[0]?.htlcs.some(x => x.direction === 'in') ?? false, 'the HTLC at B');
    await channeldOf(b!).api.failHtlc(0n, new Uint8Array(292));
    await fundsWhen(
      channelsOf(a),
      l => l.channels[0]?.htlcs.length === 0 && /commitments 2\/2$/.test(l.channels[0]!.status[0] ?? ''),
      'the HTLC removed at A, commitments 2/2',
    );
  });
});
