// Our channel_update for a channel not announced goes to its peer when channeld starts (BOLT 7: "MAY
// create a `channel_update` to communicate the channel parameters to the channel peer, even though
// the channel has not yet been announced"), with `dont_forward`, signed by our node key, at our
// forwarding policy: without it LDK's invoices carry no route hint through us
// (test/interop/ldk-forward.test.ts). An announced channel's update goes to gossipd as well.
import { toHex } from '../../src/core/base/bytes.ts';
import { sha256d, verifyDigest } from '../../src/core/crypto/primitives.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { ChannelGossip } from '../../src/core/daemons/lightningd/channel-gossip.ts';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { DEFAULT_CLTV_DELTA, DEFAULT_FEE_BASE_MSAT, DEFAULT_FEE_PPM } from '../../src/core/daemons/lightningd/forward-store.ts';
import { SIGNED_FROM } from '../../src/core/gossip/peek.ts';
import { decodeMessage } from '../../src/core/wire/messages.ts';
import { parseScid } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { channelRecord } from './channel-record-fixture.ts';

const PEER = '02'.padEnd(66, 'b');
const quiet = { debug() {}, info() {}, warn() {} };

async function channelGossip() {
  const hsmd = new Hsmd(new Uint8Array(32).fill(7));
  const db = new LightningdDb(new MemoryLightningdStorage());
  await db.load();
  const sent: { peer: string; msg: Uint8Array }[] = [];
  const gossiped: Uint8Array[] = [];
  const g = new ChannelGossip({
    network: 'regtest',
    nodeId: toHex(hsmd.nodeId()),
    db,
    signChannelUpdate: async msg => hsmd.signChannelUpdate(msg),
    signNodeAnnouncement: async msg => hsmd.signNodeAnnouncement(msg),
    addLocalGossip: async msgs => void gossiped.push(...msgs),
    sendToPeer: async (peer, msg) => void sent.push({ peer, msg }),
    enabled: c => c.state === 'CHANNELD_NORMAL',
    alias: 'test',
    color: '000000',
    nowMs: () => 1_800_000_000_000,
    log: quiet,
  });
  return { g, sent, gossiped, ourId: hsmd.nodeId() };
}

describe('lightningd: our channel_update to the peer of a channel not announced', () => {
  it('is sent when channeld starts: our policy, our direction, dont_forward, signed by our node key, not gossiped', async () => {
    const { g, sent, gossiped, ourId } = await channelGossip();
    await g.refresh(channelRecord('1', PEER, { short_channel_id: '100x2x1', announce: false }));
    equal(sent.length, 1);
    equal(gossiped.length, 0);
    equal(sent[0]!.peer, PEER);
    const raw = sent[0]!.msg;
    const m = decodeMessage(raw);
    ok(m.name === 'channel_update');
    deepEqual(
      [m.short_channel_id, m.channel_flags & 1, m.fee_base_msat, m.fee_proportional_millionths, m.cltv_expiry_delta],
      [parseScid('100x2x1'), toHex(ourId) < PEER ? 0 : 1, DEFAULT_FEE_BASE_MSAT, DEFAULT_FEE_PPM, DEFAULT_CLTV_DELTA],
    );
    equal(m.channel_flags & 2, 0, 'enabled');
    equal(m.message_flags & 2, 2, 'dont_forward');
    ok(verifyDigest(m.signature, sha256d(raw.subarray(SIGNED_FROM.channel_update)), ourId), 'signed by our node key');
  });

  it('is not sent before the channel has a short_channel_id, nor while it awaits lock-in', async () => {
    const { g, sent } = await channelGossip();
    await g.refresh(channelRecord('2', PEER, { announce: false }));
    await g.refresh(channelRecord('3', PEER, { short_channel_id: '100x3x1', announce: false, state: 'CHANNELD_AWAITING_LOCKIN' }));
    equal(sent.length, 0);
  });
});
