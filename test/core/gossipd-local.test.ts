// gossipd's intake of our own gossip (addLocalGossip, what lightningd hands it for a public channel
// of ours): the channel_announcement, our channel_update and node_announcement are checked as a
// peer's would be (the funding output through the chain link), then listed and relayed to every
// peer that asked for gossip; one whose funding output does not match is refused and blames nobody.
import { toHex } from '../../src/core/base/bytes.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { Gossipd } from '../../src/core/daemons/gossipd/gossipd.ts';
import { fundingScriptPubKey } from '../../src/core/gossip/funding.ts';
import { signChannelAnnouncement, signChannelUpdate, signNodeAnnouncement } from '../../src/core/gossip/sign.ts';
import { MemoryGossipStore } from '../../src/core/gossip/store-memory.ts';
import { decodeMessage, encodeMessage, type MessageOf } from '../../src/core/wire/messages.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal } from '../support/assert.ts';
import { CountingVerifier } from '../support/counting-verifier.ts';
import { FakeClock } from '../support/fake-clock.ts';

const CHAIN = chainHash('regtest');
const NOW = 1_700_000_000;
const key = (tag: string) => sha256(new TextEncoder().encode(tag));
const US = key('local us'),
  PEER = key('local peer');
const SCID = scidFromParts({ block: 600, txindex: 1, outnum: 0 });
const quiet = { debug() {}, info() {}, warn() {} };

function ours() {
  const ann = signChannelAnnouncement({
    chainHash: CHAIN,
    short_channel_id: SCID,
    parties: [
      { nodeSecret: US, bitcoinSecret: key('local us funding') },
      { nodeSecret: PEER, bitcoinSecret: key('local peer funding') },
    ],
  });
  const update = signChannelUpdate({
    secret: US,
    chainHash: CHAIN,
    short_channel_id: SCID,
    timestamp: NOW,
    peer: getPublicKey(PEER),
    fee_base_msat: 4242,
    htlc_maximum_msat: 400_000_000n,
  });
  const node = signNodeAnnouncement({ secret: US, timestamp: NOW, alias: 'us' });
  return { ann, update, node };
}

function gossipd(script: (ann: MessageOf<'channel_announcement'>) => Uint8Array) {
  const clock = new FakeClock();
  const sent: { to: string; name: string }[] = [];
  const warnings: string[] = [];
  const g = new Gossipd({
    chainHash: CHAIN,
    nodeId: toHex(getPublicKey(US)),
    store: new MemoryGossipStore(),
    verifier: new CountingVerifier(),
    peers: {
      send: (to, raw) => void sent.push({ to, name: decodeMessage(raw).name }),
      warn: to => void warnings.push(to),
    },
    clock,
    log: quiet,
    now: () => NOW,
    chain: {
      watchTxouts: () => {},
      async getTxout(s) {
        const m = decodeMessage(ours().ann) as MessageOf<'channel_announcement'>;
        return s === SCID ? { amount_sat: 400_000, script: script(m), txid: 'cd'.repeat(32) } : undefined;
      },
    },
    config: { relayIntervalMs: 1000 },
  });
  return { g, clock, sent, warnings };
}

/** A peer connected and asking for all gossip (gossip_timestamp_filter from 0). */
function peerWithFilter(g: Gossipd, id: string): void {
  g.newPeer(id, '');
  g.gossip(id, encodeMessage({ name: 'gossip_timestamp_filter', chain_hash: CHAIN, first_timestamp: 0, timestamp_range: 0xffffffff }));
}

describe('gossipd: our own gossip (addLocalGossip)', () => {
  it('lists our public channel and node after the chain check, and relays all three to a peer that asked for gossip', async () => {
    const { g, clock, sent, warnings } = gossipd(m => fundingScriptPubKey(m.bitcoin_key_1, m.bitcoin_key_2));
    const peer = '02' + 'ab'.repeat(32);
    peerWithFilter(g, peer);
    const { ann, update, node } = ours();
    await g.addLocalGossip([ann, update, node]);
    const l = (await g.rpc('listchannels', {})) as { channels: { source: string; base_fee_millisatoshi: number; amount_msat: number }[] };
    deepEqual(
      l.channels.map(c => [c.source, c.base_fee_millisatoshi, c.amount_msat]),
      [[toHex(getPublicKey(US)), 4242, 400_000_000]],
    );
    const n = (await g.rpc('listnodes', { id: toHex(getPublicKey(US)) })) as { nodes: { alias?: string }[] };
    equal(n.nodes[0]?.alias, 'us');
    await clock.tick(1000);
    deepEqual(
      sent.filter(s => s.to === peer && !['query_channel_range', 'gossip_timestamp_filter'].includes(s.name)).map(s => s.name),
      ['channel_announcement', 'channel_update', 'node_announcement'],
    );
    deepEqual(warnings, []);
  });

  it('refuses an announcement whose funding output is not its 2-of-2, and warns no peer', async () => {
    const { g, warnings } = gossipd(() => new Uint8Array(34));
    peerWithFilter(g, '02' + 'cd'.repeat(32));
    const { ann, update, node } = ours();
    await g.addLocalGossip([ann, update, node]);
    equal(((await g.rpc('listchannels', {})) as { channels: unknown[] }).channels.length, 0);
    deepEqual(warnings, []);
  });
});
