// Our channel_update for a private channel goes to its peer when channeld starts (BOLT 7: "MAY
// create and send a `channel_update` [...] to the channel peer, even though the channel has not
// yet been announced"), signed by our node key, at our forwarding policy: without it LDK's
// invoices carry no route hint through us (test/interop/ldk-forward.test.ts). A public channel's
// update is gossip's, not sent here.
import { toHex } from '../../src/core/base/bytes.ts';
import { sha256d, verifyDigest } from '../../src/core/crypto/primitives.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { Forwarder } from '../../src/core/daemons/lightningd/forward.ts';
import { DEFAULT_CLTV_DELTA, DEFAULT_FEE_BASE_MSAT, DEFAULT_FEE_PPM } from '../../src/core/daemons/lightningd/forward-store.ts';
import { SIGNED_FROM } from '../../src/core/gossip/peek.ts';
import { decodeMessage } from '../../src/core/wire/messages.ts';
import { parseScid } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { settle } from '../support/memory-stream.ts';
import { channelRecord } from './channel-record-fixture.ts';

const PEER = '02'.padEnd(66, 'b');
const quiet = { debug() {}, info() {}, warn() {} };

async function forwarder() {
  const hsmd = new Hsmd(new Uint8Array(32).fill(7));
  const db = new LightningdDb(new MemoryLightningdStorage());
  await db.load();
  const sent: { peer: string; msg: Uint8Array }[] = [];
  const f = new Forwarder({
    db,
    channels: {
      onHtlcs: () => () => undefined,
      channeldOf: () => ({ api: { addHtlc: () => new Promise(() => undefined) }, guard: p => p }),
    },
    nodeId: toHex(hsmd.nodeId()),
    network: 'regtest',
    blockheight: () => 500,
    nowMs: () => 1_800_000_000_000,
    spendable: () => 500_000_000n,
    signChannelUpdate: msg => hsmd.signChannelUpdate(msg),
    sendToPeer: (peer, msg) => void sent.push({ peer, msg }),
    log: quiet,
  });
  return { f, sent, ourId: hsmd.nodeId() };
}

describe('lightningd: our channel_update to the peer of a private channel', () => {
  it('is sent when channeld starts: our policy, our direction, signed by our node key', async () => {
    const { f, sent, ourId } = await forwarder();
    f.started(channelRecord('1', PEER, { short_channel_id: '100x2x1', announce: false }));
    await settle();
    equal(sent.length, 1);
    equal(sent[0]!.peer, PEER);
    const raw = sent[0]!.msg;
    const m = decodeMessage(raw);
    ok(m.name === 'channel_update');
    deepEqual(
      [m.short_channel_id, m.channel_flags & 1, m.fee_base_msat, m.fee_proportional_millionths, m.cltv_expiry_delta],
      [parseScid('100x2x1'), toHex(ourId) < PEER ? 0 : 1, DEFAULT_FEE_BASE_MSAT, DEFAULT_FEE_PPM, DEFAULT_CLTV_DELTA],
    );
    equal(m.channel_flags & 2, 0, 'enabled');
    ok(verifyDigest(m.signature, sha256d(raw.subarray(SIGNED_FROM.channel_update)), ourId), 'signed by our node key');
  });

  it('is not sent for a public channel, nor before the channel has a short_channel_id', async () => {
    const { f, sent } = await forwarder();
    f.started(channelRecord('1', PEER, { short_channel_id: '100x2x1', announce: true }));
    f.started(channelRecord('2', PEER, { announce: false }));
    await settle();
    equal(sent.length, 0);
  });
});
