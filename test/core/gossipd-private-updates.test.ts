// A peer's channel_update for our private channel (nobody announced it): gossipd keeps the peer's
// own, and `listchannels short_channel_id` lists it (public: false), so an invoice's route hint says
// what the peer really charges. Found with LDK (test/interop/ldk-forward.test.ts): it sent its
// update (cltv_expiry_delta 72) and we hinted Core Lightning's defaults (34), so payers failed at it.
import { toHex } from '../../src/core/base/bytes.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { Gossipd } from '../../src/core/daemons/gossipd/gossipd.ts';
import { signChannelUpdate } from '../../src/core/gossip/sign.ts';
import { MemoryGossipStore } from '../../src/core/gossip/store-memory.ts';
import { formatScid } from '../../src/core/wire/scid.ts';
import { deepEqual, equal } from '../support/assert.ts';
import { CountingVerifier } from '../support/counting-verifier.ts';
import { FakeClock } from '../support/fake-clock.ts';

const CHAIN = chainHash('regtest');
const NOW = 1_700_000_000;
const key = (s: string) => sha256(new TextEncoder().encode(s));
const US = key('us');
const PEER = key('peer');
const OTHER = key('other');
const hex = (secret: Uint8Array) => toHex(getPublicKey(secret));

function gossipd(): Gossipd {
  return new Gossipd({
    chainHash: CHAIN,
    nodeId: hex(US),
    store: new MemoryGossipStore(),
    verifier: new CountingVerifier(),
    peers: { send: () => {}, warn: () => {} },
    clock: new FakeClock(),
    log: { debug() {}, info() {}, warn() {} },
    now: () => NOW,
  });
}

const update = (secret: Uint8Array, scid: bigint, o: { timestamp?: number; cltv?: number; direction?: 0 | 1; chain?: Uint8Array } = {}) =>
  signChannelUpdate({
    secret,
    chainHash: o.chain ?? CHAIN,
    short_channel_id: scid,
    timestamp: o.timestamp ?? NOW - 10,
    ...(o.direction !== undefined ? { direction: o.direction } : { peer: getPublicKey(US) }),
    cltv_expiry_delta: o.cltv ?? 72,
    fee_base_msat: 1000,
    fee_proportional_millionths: 0,
    htlc_maximum_msat: 5_000_000n,
  });

const listed = async (g: Gossipd, scid: bigint) =>
  ((await g.rpc('listchannels', { short_channel_id: formatScid(scid) })) as { channels: Record<string, unknown>[] }).channels;

describe("gossipd: a peer's channel_update for our private channel", () => {
  it('is listed by listchannels short_channel_id (public: false), the newest one', async () => {
    const g = gossipd();
    const peer = hex(PEER);
    g.newPeer(peer, '');
    g.gossip(peer, update(PEER, 7n, { cltv: 50 }));
    g.gossip(peer, update(PEER, 7n, { cltv: 72, timestamp: NOW - 5 }));
    g.gossip(peer, update(PEER, 7n, { cltv: 99, timestamp: NOW - 20 })); // older: not taken
    const l = await listed(g, 7n);
    equal(l.length, 1);
    deepEqual(
      [l[0]!['source'], l[0]!['destination'], l[0]!['public'], l[0]!['delay'], l[0]!['base_fee_millisatoshi'], l[0]!['fee_per_millionth']],
      [peer, hex(US), false, 72, 1000, 0],
    );
    equal(g.graph.channelCount, 0, 'the public graph is unchanged');
  });

  it('is not listed when signed by another key, for the other direction, or for another chain', async () => {
    const g = gossipd();
    const peer = hex(PEER);
    g.newPeer(peer, '');
    // BOLT 7: direction 0 when the origin is node_1, the lesser key.
    const fromPeer = hex(PEER) < hex(US) ? 0 : 1;
    g.gossip(peer, update(OTHER, 8n, { direction: fromPeer }));
    g.gossip(peer, update(PEER, 9n, { direction: fromPeer === 0 ? 1 : 0 }));
    g.gossip(peer, update(PEER, 10n, { chain: chainHash('bitcoin') }));
    for (const s of [8n, 9n, 10n]) equal((await listed(g, s)).length, 0, `scid ${s}`);
  });
});
