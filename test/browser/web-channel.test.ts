// A channel between the browser node (daemons in Workers, IndexedDB) and a Node node, through the
// bridge, on `boltworker regtest` (both test runner plugins, on 127.0.0.1): the tab's wallet is
// funded, it connects and `fundchannel`s; openingd runs in the tab's Worker with its links to
// connectd and hsmd; the Node node accepts; the funding confirms and both reach CHANNELD_NORMAL;
// the tab still lists the channel after a restart (lightningd's IndexedDB record).
import { startNode, type WebNode } from '../../src/web/index.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import { ask, fundTab } from './tab-regtest.ts';

type PeerChannel = { peer_id: string; state: string; channel_id: string; to_us_msat: number; total_msat: number; opener: string };

const FUNDING_SAT = 300_000;
const PUSH_MSAT = 5_000_000;

describe('browser: fundchannel from a tab to a Node node, on boltworker regtest', () => {
  it('opens, confirms, reaches CHANNELD_NORMAL on both sides, and is listed after the tab restarts', async () => {
    const { url } = await ask<{ url: string }>('/__regtest');
    const peer = await ask<{ id: string; host: string; port: number; bridge: string }>(
      `/__lightning/chain-node?esplora=${encodeURIComponent(url)}`,
    );
    const dataName = `channel-${Math.random().toString(36).slice(2)}`;
    let n: WebNode = await startNode({ network: 'regtest', dataName, esplora: url, bridge: peer.bridge, verifyWorkers: 1 });
    try {
      await fundTab(n);
      await n.call('connect', { id: `${peer.id}@${peer.host}:${peer.port}` });
      const r = (await n.call('fundchannel', { id: peer.id, amount: FUNDING_SAT, push_msat: PUSH_MSAT, feerate: '1000perkw' })) as {
        txid: string;
        channel_id: string;
        mindepth: number;
      };
      equal((await ask<{ confirmed: boolean }>(`${url}/tx/${r.txid}/status`)).confirmed, false, 'broadcast after funding_signed');
      await ask(`/__regtest/mine?blocks=${r.mindepth}`);
      const mine = await fundsWhen(
        () => n.call('listpeerchannels', {}) as Promise<{ channels: PeerChannel[] }>,
        l => l.channels[0]?.state === 'CHANNELD_NORMAL',
        'the tab in CHANNELD_NORMAL',
      );
      const theirs = await fundsWhen(
        () => ask<{ channels: PeerChannel[] }>('/__lightning/chain-node/channels'),
        l => l.channels.some(c => c.channel_id === r.channel_id && c.state === 'CHANNELD_NORMAL'),
        'the Node node in CHANNELD_NORMAL',
      );
      const t = theirs.channels.find(c => c.channel_id === r.channel_id)!;
      deepEqual(
        [mine.channels[0]!.channel_id, mine.channels[0]!.opener, mine.channels[0]!.to_us_msat],
        [r.channel_id, 'local', FUNDING_SAT * 1000 - PUSH_MSAT],
      );
      deepEqual([t.peer_id, t.opener, t.to_us_msat, t.total_msat], [n.id, 'remote', PUSH_MSAT, FUNDING_SAT * 1000]);
      await n.stop();

      n = await startNode({ network: 'regtest', dataName, esplora: url, bridge: peer.bridge, verifyWorkers: 1 });
      const again = ((await n.call('listpeerchannels', {})) as { channels: PeerChannel[] }).channels;
      ok(again.length === 1 && again[0]!.state === 'CHANNELD_NORMAL' && again[0]!.channel_id === r.channel_id, JSON.stringify(again));
    } finally {
      await n.stop();
    }
  });
});
