// BOLT 2 "Message Retransmission": "if a channel is in an error state: SHOULD retransmit the error
// packet and ignore any other packets for that channel". lightningd's ChannelControl (channels.ts)
// with a fake connectd: a peer that connects again gets a BOLT 1 `error` naming each of its
// channels failed or closed by a commitment on chain (so it stops waiting for channel_reestablish),
// none for a channel in normal operation or closed by agreement.
import { toHex } from '../../src/core/base/bytes.ts';
import { ChannelControl } from '../../src/core/daemons/lightningd/channels.ts';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { decodeMessage } from '../../src/core/wire/messages.ts';
import { deepEqual, equal } from '../support/assert.ts';
import { channelRecord } from './channel-record-fixture.ts';

const PEER = '02'.padEnd(66, '1');
const OTHER = '03'.padEnd(66, '2');
const quiet = { debug() {}, info() {}, warn() {} };
const refuse = () => {
  throw new Error('not expected');
};

describe('lightningd: a peer reconnecting to channels on chain', () => {
  it('gets an error for each channel failed or on chain (with the failure recorded), none for the others', async () => {
    const db = new LightningdDb(new MemoryLightningdStorage());
    await db.saveChannel(
      channelRecord('1', PEER, { state: 'AWAITING_UNILATERAL', failure: { code: 'x', message: 'bad signature', action: 'fail_channel' } }),
    );
    await db.saveChannel(channelRecord('2', PEER, { state: 'FUNDING_SPEND_SEEN', onchain: { close: 'commitment' } }));
    await db.saveChannel(channelRecord('3', PEER, { state: 'ONCHAIN', onchain: { close: 'commitment' } }));
    await db.saveChannel(channelRecord('4', PEER, { state: 'ONCHAIN', onchain: { close: 'mutual' } }));
    await db.saveChannel(channelRecord('5', PEER, { state: 'CHANNELD_NORMAL' }));
    await db.saveChannel(channelRecord('6', OTHER, { state: 'ONCHAIN', onchain: { close: 'commitment' } }));
    const sent: { to: string; channel: string; text: string }[] = [];
    const control = new ChannelControl({
      network: 'regtest',
      nodeId: '02'.padEnd(66, '9'),
      ourFeatures: '',
      db,
      daemons: { start: refuse, serve: refuse, channel: refuse } as never,
      hsmd: { api: {}, guard: refuse } as never,
      connectd: {
        api: {
          sendToPeer: async (to: string, msg: Uint8Array) => {
            const m = decodeMessage(msg) as unknown as { name: string; channel_id: Uint8Array; data: Uint8Array };
            equal(m.name, 'error');
            sent.push({ to, channel: toHex(m.channel_id), text: new TextDecoder().decode(m.data) });
          },
        },
        guard: <T>(p: Promise<T>) => p,
      } as never,
      randomBytes: n => new Uint8Array(n),
      log: quiet,
    });
    await control.peerConnected({ id: PEER, counter: 1, features: '', direction: 'in' } as never);
    deepEqual(sent, [
      { to: PEER, channel: '1'.padStart(64, '0'), text: 'bad signature' },
      { to: PEER, channel: '2'.padStart(64, '0'), text: `channel ${'2'.padStart(64, '0')} is closed on chain (FUNDING_SPEND_SEEN)` },
      { to: PEER, channel: '3'.padStart(64, '0'), text: `channel ${'3'.padStart(64, '0')} is closed on chain (ONCHAIN)` },
    ]);
  });
});
