// hsmd signs a channel_announcement for one of its channels only when it describes that channel
// (BOLT 7 "The channel_announcement Message", the origin node's rules; channel-announce.ts): our
// node id and the peer's in order, the two funding keys in that order, the funding output's index.
// Each refusal is tried, and the signatures it gives verify against our node id and funding key.
import { verifyDigest } from '../../src/core/crypto/primitives.ts';
import { unsignedAnnouncement } from '../../src/core/daemons/channeld/announce.ts';
import { Hsmd, HsmError } from '../../src/core/daemons/hsmd/hsmd.ts';
import { gossipDigest } from '../../src/core/gossip/peek.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { decodeMessage, encodeMessage, type MessageOf } from '../../src/core/wire/messages.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { equal, ok, rejects } from '../support/assert.ts';
import { DBID, hsmdPair, MemoryChannelStore, PEER, SEED } from './hsmd-channel-fixture.ts';

const SCID = scidFromParts({ block: 500, txindex: 3, outnum: 0 });

async function fresh() {
  const hsmd = new Hsmd(SEED, new MemoryChannelStore());
  const pair = await hsmdPair(hsmd);
  const a = { shortChannelId: SCID, chainHash: chainHash('regtest'), nodeId: hsmd.nodeId() };
  // B's side (hsmd's): its own node id against the peer's, PEER.
  const raw = unsignedAnnouncement(pair.b.state, a, PEER).raw;
  return { hsmd, pair, raw };
}

/** The announcement with `change` applied to its fields, re-encoded. */
function edit(raw: Uint8Array, change: Partial<MessageOf<'channel_announcement'>>): Uint8Array {
  const m = decodeMessage(raw) as MessageOf<'channel_announcement'>;
  return encodeMessage({ ...m, ...change });
}

const code = async (p: Promise<unknown>) => (await rejects<HsmError>(p, HsmError)).code;

describe('hsmd signs only its own channel_announcement', () => {
  it("signs this channel's: the node signature verifies with our node id, the bitcoin signature with our funding key", async () => {
    const { hsmd, raw } = await fresh();
    const sigs = await hsmd.signChannelAnnouncement(PEER, DBID, raw);
    const h = gossipDigest(raw);
    ok(verifyDigest(sigs.nodeSignature, h, hsmd.nodeId()), 'node_signature by our node key');
    ok(verifyDigest(sigs.bitcoinSignature, h, hsmd.channelBasepoints(PEER, DBID).funding_pubkey), 'bitcoin_signature by our funding key');
    ok(!verifyDigest(sigs.bitcoinSignature, h, hsmd.nodeId()), 'two different keys');
  });

  it('refuses an announcement of other nodes, other keys, another output, or that is no channel_announcement', async () => {
    const { hsmd, raw } = await fresh();
    const m = decodeMessage(raw) as MessageOf<'channel_announcement'>;
    const stranger = hsmd.channelBasepoints(PEER, DBID + 1n).revocation_basepoint;
    // The order BOLT 7 gives (node_id_1 the lesser) swapped, keys swapped with it.
    const swapped = edit(raw, {
      node_id_1: m.node_id_2,
      node_id_2: m.node_id_1,
      bitcoin_key_1: m.bitcoin_key_2,
      bitcoin_key_2: m.bitcoin_key_1,
    });
    equal(await code(hsmd.signChannelAnnouncement(PEER, DBID, swapped)), 'not_this_channel', 'nodes out of order');
    const ours = m.node_id_1.every((x, i) => x === hsmd.nodeId()[i]) ? 'node_id_1' : 'node_id_2';
    const other = ours === 'node_id_1' ? 'node_id_2' : 'node_id_1';
    equal(await code(hsmd.signChannelAnnouncement(PEER, DBID, edit(raw, { [other]: stranger }))), 'not_this_channel', 'another peer');
    const ourKey = ours === 'node_id_1' ? 'bitcoin_key_1' : 'bitcoin_key_2';
    equal(
      await code(hsmd.signChannelAnnouncement(PEER, DBID, edit(raw, { [ourKey]: stranger }))),
      'not_this_channel',
      'another funding key',
    );
    const theirKey = ourKey === 'bitcoin_key_1' ? 'bitcoin_key_2' : 'bitcoin_key_1';
    equal(
      await code(hsmd.signChannelAnnouncement(PEER, DBID, edit(raw, { [theirKey]: stranger }))),
      'not_this_channel',
      "another peer's key",
    );
    const otherOutput = scidFromParts({ block: 500, txindex: 3, outnum: 1 });
    equal(
      await code(hsmd.signChannelAnnouncement(PEER, DBID, edit(raw, { short_channel_id: otherOutput }))),
      'not_this_channel',
      'output 1',
    );
    const update = new Uint8Array(raw.length);
    update.set([0x01, 0x02]);
    equal(await code(hsmd.signChannelAnnouncement(PEER, DBID, update)), 'bad_request', 'a channel_update');
    equal(await code(hsmd.signChannelAnnouncement(PEER, DBID, raw.subarray(0, 100))), 'bad_request', 'truncated');
    // A channel hsmd was never set up with.
    equal(await code(hsmd.signChannelAnnouncement(PEER, DBID + 1n, raw)), 'no_setup');
  });

  it("is a channel capability: a channel's link has it, connectd's and gossipd's do not", async () => {
    const { hsmd, raw } = await fresh();
    const link = hsmd.linkForChannel(PEER, DBID, ['signChannelAnnouncement']);
    const sigs = await link.signChannelAnnouncement(raw);
    ok(verifyDigest(sigs.nodeSignature, gossipDigest(raw), hsmd.nodeId()));
    equal('signChannelAnnouncement' in hsmd.linkFor(['ecdh']), false);
    equal('signChannelAnnouncement' in hsmd.linkFor(['signNodeAnnouncement', 'signChannelUpdate']), false);
  });
});
