// Our whole Node node opens a channel to LDK with `fundchannel`, on `boltworker regtest`: LDK
// accepts our open_channel, checks our funding_created over its commitment 0 and answers
// funding_signed, which our openingd checks (and hsmd validates) before lightningd broadcasts;
// the chain accepts and mines the funding transaction. LDK is shown the blocks (its Confirm
// interface, as an Electrum-style client would), and at both sides' minimum_depth channel_ready
// crosses both ways: our node lists the channel CHANNELD_NORMAL and LDK reports it ready.
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../src/core/base/bytes.ts';
import { equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import type { LdkPeer } from './ldk/peer.ts';
import { startRegtestWithLdk, type RegtestWithLdk } from './ldk/regtest-node.ts';

const FUNDING_SAT = 200_000;

describe('fundchannel to LDK on boltworker regtest', () => {
  let env: RegtestWithLdk;
  let node: RegtestWithLdk['node'] | undefined;
  let peer: LdkPeer | undefined;
  const get = (path: string) => env.get(path);

  before(async () => {
    env = await startRegtestWithLdk('ldk-fundchannel');
    ({ node, peer } = env);
  });
  after(async () => {
    await env?.stop();
  });

  it('LDK accepts our fundchannel; the funding confirms and the channel is ready on both sides', async () => {
    const n = node!;
    await env.fundAndConnect(1_000_000);

    const r = (await n.call('fundchannel', { id: peer!.nodeId, amount: FUNDING_SAT, feerate: '253perkw', announce: false })) as {
      txid: string;
      outnum: number;
      channel_id: string;
      mindepth: number;
    };
    // LDK holds the same channel, by the same channel_id and funding outpoint.
    const channels = peer!.channelManager!.list_channels();
    equal(channels.length, 1);
    equal(toHex(channels[0]!.get_channel_id().get_a()), r.channel_id);
    const status = JSON.parse(await get(`/tx/${r.txid}/status`)) as { confirmed: boolean };
    equal(status.confirmed, false, 'broadcast, in the mempool (its inputs passed the script check)');

    const fundingHeight = await env.confirmFunding(r.txid, r.mindepth);
    const normal = await fundsWhen(
      () => n.call('listpeerchannels', {}) as Promise<{ channels: { state: string; to_us_msat: number; short_channel_id?: string }[] }>,
      l => l.channels[0]?.state === 'CHANNELD_NORMAL',
      'CHANNELD_NORMAL with LDK',
    );
    equal(normal.channels[0]!.to_us_msat, FUNDING_SAT * 1000);
    ok(normal.channels[0]!.short_channel_id?.startsWith(`${fundingHeight}x`));
    const ready = peer!.channelManager!.list_channels()[0]!;
    ok(ready.get_is_channel_ready(), 'LDK has our channel_ready and sent its own');
  });
});
