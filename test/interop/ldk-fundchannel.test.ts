// Our whole Node node opens a channel to LDK with `fundchannel`, on `boltworker regtest`: LDK
// accepts our open_channel, checks our funding_created over its commitment 0 and answers
// funding_signed, which our openingd checks (and hsmd validates) before lightningd broadcasts;
// the chain accepts and mines the funding transaction. LDK is shown the blocks (its Confirm
// interface, as an Electrum-style client would), and at both sides' minimum_depth channel_ready
// crosses both ways: our node lists the channel CHANNELD_NORMAL and LDK reports it ready.
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/core/base/bytes.ts';
import { startNode } from '../../src/node/node.ts';
import { startRegtest, type RegtestHandle } from '../../src/regtest/server-node.ts';
import { equal, ok } from '../support/assert.ts';
import { fundsWhen, postJson } from '../support/regtest-client.ts';
import { showLdkBlock } from './ldk/esplora-confirm.ts';
import { startLdkPeer, type LdkPeer } from './ldk/peer.ts';

const FUNDING_SAT = 200_000;

describe('fundchannel to LDK on boltworker regtest', () => {
  let h: RegtestHandle;
  let node: Awaited<ReturnType<typeof startNode>> | undefined;
  let peer: LdkPeer | undefined;
  let dir: string;
  const control = (path: string, body: unknown) => postJson(`${h.url}${path}`, body);
  const get = async (path: string) => (await fetch(`${h.url}${path}`)).text();

  before(async () => {
    h = await startRegtest({ port: 0, premine: 101 });
    dir = mkdtempSync(join(tmpdir(), 'bw-ldk-fund-'));
    node = await startNode({ network: 'regtest', lightningDir: dir, esplora: h.url, verifyWorkers: 1 });
    peer = await startLdkPeer({ name: 'ldk-fundchannel' });
  });
  after(async () => {
    await node?.stop();
    await peer?.stop();
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Shows LDK the block at `height` with the transactions it holds, then the tip (ChannelManager's Confirm). */
  const showLdk = (height: number, txids: string[]) => showLdkBlock(peer!, h.url, height, txids);

  it('LDK accepts our fundchannel; the funding confirms and the channel is ready on both sides', async () => {
    const n = node!;
    const { bech32 } = (await n.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    await control('/regtest/send', { address: bech32, amount_sat: 1_000_000 });
    await control('/regtest/mine', { blocks: 1 });
    await fundsWhen(
      () => n.call('listfunds', {}) as Promise<{ outputs: { status: string }[] }>,
      f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed',
      'the coin confirmed',
    );
    const port = await peer!.listen();
    await n.call('connect', { id: `${peer!.nodeId}@127.0.0.1:${port}` });

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

    await control('/regtest/mine', { blocks: 1 });
    const fundingHeight = h.chain.height;
    await control('/regtest/mine', { blocks: r.mindepth - 1 });
    await showLdk(fundingHeight, [r.txid]);
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
