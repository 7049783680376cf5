// Public channels between whole Node nodes on `boltworker regtest` (BOLT 7): A opens a channel
// to B with announce (fundchannel's default), mindepth 4 and an explicit channel_type; at six confirmations both channelds exchange
// announcement_signatures (hsmd signs), each lightningd records the channel_announcement and hands
// it with its channel_update and node_announcement to its gossipd, which checks the funding output
// on the chain: both nodes' listchannels show the channel in both directions. A third node, C,
// connected to B only, learns it through gossip. A's setchannel reaches B and C as a new
// channel_update.
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from '../../src/node/node.ts';
import { startRegtest, type RegtestHandle } from '../../src/regtest/server-node.ts';
import { deepEqual, equal, rejects } from '../support/assert.ts';
import { postJson } from '../support/regtest-client.ts';
import { until } from './regtest-nodes.ts';

type Node = Awaited<ReturnType<typeof startNode>>;
type ListChannel = {
  source: string;
  destination: string;
  short_channel_id: string;
  public: boolean;
  amount_msat: number;
  base_fee_millisatoshi: number;
  fee_per_millionth: number;
  active: boolean;
};

const FUNDING_SAT = 400_000;

describe('Node: a public channel is announced (announcement_signatures) and gossiped', () => {
  let h: RegtestHandle;
  const nodes: Node[] = [];
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'bw-node-announce-'));
    dirs.push(d);
    return d;
  };
  const control = (path: string, body: unknown) => postJson(`${h.url}${path}`, body);
  const listchannels = (n: Node, scid: string) => () =>
    n.call('listchannels', { short_channel_id: scid }) as Promise<{ channels: ListChannel[] }>;
  let a: Node, b: Node, c: Node;

  before(async () => {
    h = await startRegtest({ port: 0, premine: 101 });
    const start = async (listen: boolean) => {
      const n = await startNode({
        network: 'regtest',
        lightningDir: tmp(),
        esplora: h.url,
        verifyWorkers: 1,
        ...(listen ? { bindAddr: ['127.0.0.1:0'] } : {}),
      });
      nodes.push(n);
      return n;
    };
    a = await start(false);
    b = await start(true);
    c = await start(false);
  });
  after(async () => {
    for (const n of nodes) await n.stop().catch(() => undefined);
    await h?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('after six blocks both ends list it both ways, a third node learns it by gossip, and setchannel reaches them', async () => {
    const { bech32 } = (await a.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    await control('/regtest/send', { address: bech32, amount_sat: 1_000_000 });
    await control('/regtest/mine', { blocks: 1 });
    await until(
      () => a.call('listfunds', {}) as Promise<{ outputs: { status: string }[] }>,
      f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed',
      "A's coin confirmed",
    );
    await a.call('connect', { id: `${b.id}@127.0.0.1:${b.binding[0]!.port}` });
    // channel_type: one with a feature our init does not offer (option_scid_alias) is refused as Core Lightning does.
    const refused = await rejects<Error & { code: number }>(
      a.call('fundchannel', { id: b.id, amount: FUNDING_SAT, channel_type: [12, 46] }),
      Error,
    );
    deepEqual([refused.code, refused.message], [-32602, 'channel_type not supported']);
    // announce is fundchannel's default (Core Lightning's); mindepth 4, above B's minimum_depth 3.
    const r = (await a.call('fundchannel', { id: b.id, amount: FUNDING_SAT, feerate: '2000perkw', mindepth: 4, channel_type: [12] })) as {
      mindepth: number;
      channel_type: { bits: number[] };
    };
    deepEqual([r.mindepth, r.channel_type.bits], [4, [12]]);
    type Listed = { channels: { state: string; short_channel_id?: string }[] };
    const peerChannels = (n: Node) => () => n.call('listpeerchannels', {}) as Promise<Listed>;
    const normal = (n: Node) => until(peerChannels(n), l => l.channels[0]?.state === 'CHANNELD_NORMAL', 'CHANNELD_NORMAL');
    await control('/regtest/mine', { blocks: 3 });
    // B's three confirmations are there, A waits for its four: no channel_ready from A yet.
    await until(
      () => a.call('getinfo', {}) as Promise<{ blockheight: number }>,
      i => i.blockheight === h.chain.height,
      'A at the tip',
    );
    await until(
      () => b.call('getinfo', {}) as Promise<{ blockheight: number }>,
      i => i.blockheight === h.chain.height,
      'B at the tip',
    );
    equal((await peerChannels(a)()).channels[0]!.state, 'CHANNELD_AWAITING_LOCKIN', 'A waits for its mindepth');
    await control('/regtest/mine', { blocks: 1 });
    const scid = (await normal(a)).channels[0]!.short_channel_id!;
    await normal(b);
    // Four confirmations: in normal operation, not yet announced (BOLT 7: six).
    equal((await listchannels(a, scid)()).channels.length, 0, 'not announced before six confirmations');
    await control('/regtest/mine', { blocks: 2 });

    const both = (l: { channels: ListChannel[] }) => l.channels.length === 2;
    for (const n of [a, b]) {
      const l = await until(listchannels(n, scid), both, `${n.id.slice(0, 8)} listing ${scid} both ways`);
      deepEqual(l.channels.map(x => [x.source, x.destination].sort().join()).sort(), [
        [a.id, b.id].sort().join(),
        [a.id, b.id].sort().join(),
      ]);
      deepEqual(l.channels.map(x => x.source).sort(), [a.id, b.id].sort());
      for (const x of l.channels) {
        equal(x.public, true);
        equal(x.amount_msat, FUNDING_SAT * 1000);
        equal(x.active, true);
      }
    }
    // Our node_announcement came with it: listnodes knows A's alias, at A and at B.
    const aliasOf = (n: Node, id: string) => async () =>
      ((await n.call('listnodes', { id })) as { nodes: { nodeid: string; alias?: string }[] }).nodes[0]?.alias;
    for (const n of [a, b]) await until(aliasOf(n, a.id), x => x === `boltworker-${a.id.slice(0, 8)}`, "A's node_announcement");

    // C meets B only, and learns the channel through gossip (its sync with B).
    await c.call('connect', { id: `${b.id}@127.0.0.1:${b.binding[0]!.port}` });
    await until(listchannels(c, scid), both, `C learning ${scid} through gossip`);
    await until(aliasOf(c, b.id), x => x === `boltworker-${b.id.slice(0, 8)}`, "B's node_announcement at C");

    // setchannel: A's new fee is a new channel_update, gossiped (B gets it straight from A).
    await a.call('setchannel', { id: b.id, feebase: 4242, feeppm: 77 });
    const fromA = (l: { channels: ListChannel[] }) => l.channels.find(x => x.source === a.id);
    const seen = await until(listchannels(b, scid), l => fromA(l)?.base_fee_millisatoshi === 4242, "A's new fee at B");
    equal(fromA(seen)!.fee_per_millionth, 77);
    const ownView = await until(listchannels(a, scid), l => fromA(l)?.base_fee_millisatoshi === 4242, "A's new fee in its own gossipd");
    equal(fromA(ownView)!.fee_per_millionth, 77);
  });
});
