// A public channel between our whole Node node and LDK on `boltworker regtest` (BOLT 7): our node
// opens with announce (fundchannel's default); at six confirmations LDK and our channeld exchange
// announcement_signatures (ours signed by hsmd), each builds the same channel_announcement, and
// LDK's graph holds our channel with our channel_update (LDK's P2PGossipSync takes what its
// PeerManager gets), while our own listchannels shows it from our side.
import { after, before, describe, it } from 'node:test';
import { ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import type { LdkPeer } from './ldk/peer.ts';
import { startRegtestWithLdk, type RegtestWithLdk } from './ldk/regtest-node.ts';

const FUNDING_SAT = 300_000;

/** Polls, letting LDK's PeerManager and ChannelManager move, until `get` gives something (a bound on polls, no time asserted). */
async function until<T>(peer: LdkPeer, get: () => Promise<T | undefined> | T | undefined, what: string, polls = 1200): Promise<T> {
  for (let i = 0; i < polls; i++) {
    peer.processEvents();
    const v = await get();
    if (v !== undefined) return v;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`never saw ${what}`);
}

describe('a public channel with LDK on boltworker regtest', () => {
  let env: RegtestWithLdk;

  before(async () => {
    env = await startRegtestWithLdk('ldk-announce', { announceChannels: true });
  });
  after(async () => {
    await env?.stop();
  });

  it("after six confirmations LDK's graph holds our channel and our channel_update, and our listchannels our side", async () => {
    const { node: n, peer } = env;
    await env.fundAndConnect(1_000_000);
    const r = (await n.call('fundchannel', { id: peer.nodeId, amount: FUNDING_SAT, feerate: '253perkw' })) as {
      txid: string;
      mindepth: number;
    };
    const height = await env.confirmFunding(r.txid, Math.max(r.mindepth, 6));
    const normal = await fundsWhen(
      () => n.call('listpeerchannels', {}) as Promise<{ channels: { state: string; short_channel_id?: string }[] }>,
      l => l.channels[0]?.state === 'CHANNELD_NORMAL',
      'CHANNELD_NORMAL with LDK',
    );
    const scid = normal.channels[0]!.short_channel_id!;
    ok(scid.startsWith(`${height}x`));
    // One more block shown to LDK: its announcement_signatures go out at six confirmations with the channel ready.
    await env.control('/regtest/mine', { blocks: 1 });
    await env.showLdk(height, [r.txid]);

    const inLdk = await until(
      peer,
      () => peer.graph().channels.find(c => c.scid === scid && c.hasAnnouncement && (c.oneToTwo || c.twoToOne)),
      `${scid} in LDK's graph`,
    );
    // (LDK's graph here has no UTXO lookup: it knows no capacity, and took the announcement on its signatures.)
    ok([inLdk.node1, inLdk.node2].includes(n.id), 'our node is one end');
    ok([inLdk.node1, inLdk.node2].includes(peer.nodeId), "LDK's node the other");
    // Our own gossipd took the channel_announcement and our channel_update (LDK's update reaches
    // us only through LDK's gossip relay, not tested here).
    await until(
      peer,
      async () => {
        const l = (await n.call('listchannels', { short_channel_id: scid })) as { channels: { source: string }[] };
        return l.channels.some(c => c.source === n.id) ? l : undefined;
      },
      `${scid} from us in our listchannels`,
    );
    // LDK has our channel_update (our direction) from us.
    await until(
      peer,
      () => {
        const c = peer.graph().channels.find(x => x.scid === scid)!;
        return (c.node1 === n.id ? c.oneToTwo : c.twoToOne) ?? undefined;
      },
      "our channel_update in LDK's graph",
    );
  });
});
