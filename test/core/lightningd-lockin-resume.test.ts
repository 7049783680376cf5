// A funded channel resumed before lock-in (channels.ts resumeOpening): openingd in role 'resume'
// exchanges channel_reestablish first (BOLT 2: "MUST wait to receive the other node's
// `channel_reestablish` message before sending any other messages for that channel"), and runs one
// step at a time. A block reaching minimum_depth while that exchange is under way must not start
// channel_ready beside it: before, the second step was refused ("a step is already running"),
// openingd ended, and the channel stayed CHANNELD_AWAITING_LOCKIN until the next connection.
// lightningd's ChannelControl with fake daemons: the openingd's calls are recorded.
import { ChannelControl } from '../../src/core/daemons/lightningd/channels.ts';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { deepEqual } from '../support/assert.ts';
import { settle } from '../support/memory-stream.ts';
import { channelRecord } from './channel-record-fixture.ts';

const PEER = '02'.padEnd(66, '1');
const quiet = { debug() {}, info() {}, warn() {} };

describe('lightningd: a channel resumed before lock-in', () => {
  it('sends channel_ready only once channel_reestablish is done, even when the block arrives during it', async () => {
    const db = new LightningdDb(new MemoryLightningdStorage());
    await db.saveChannel(channelRecord('1', PEER, { state: 'CHANNELD_AWAITING_LOCKIN', funding_height: 100, minimum_depth: 3 }));
    const calls: string[] = [];
    let busy = false;
    let finishResume!: () => void;
    const step = async (name: string, run: () => Promise<unknown>) => {
      if (busy) {
        calls.push(`${name} refused`);
        throw new Error('openingd: a step is already running');
      }
      busy = true;
      calls.push(name);
      try {
        return await run();
      } finally {
        busy = false;
      }
    };
    const openingd = {
      api: {
        resume: () => step('resume', () => new Promise<void>(r => (finishResume = r))),
        // channel_ready's answer never comes: what follows it is not this test's.
        ready: () => step('ready', () => new Promise(() => undefined)),
      },
      guard: <T>(p: Promise<T>) => p,
      stop: async () => undefined,
    };
    const port = () => ({ port: {}, close() {} });
    const control = new ChannelControl({
      network: 'regtest',
      nodeId: '02'.padEnd(66, '9'),
      ourFeatures: '',
      db,
      daemons: { start: async () => openingd, serve: port, channel: () => [{}, {}] } as never,
      hsmd: {
        api: { channelBasepoints: async () => ({}) },
        guard: <T>(p: Promise<T>) => p,
        attach: async () => undefined,
        detach: async () => undefined,
      } as never,
      connectd: {
        api: { sendToPeer: async () => undefined, listPeers: async () => [] },
        guard: <T>(p: Promise<T>) => p,
        attach: async () => undefined,
        detach: async () => undefined,
      } as never,
      randomBytes: n => new Uint8Array(n),
      log: quiet,
    });
    const connected = control.peerConnected({ id: PEER, counter: 1, features: '', direction: 'in' } as never);
    for (let i = 0; i < 50 && calls.length === 0; i++) await settle();
    deepEqual(calls, ['resume']);
    // Block 102: the funding is 3 deep while the reestablish is still under way.
    await control.blockConnected({ height: 102, hash: '00'.repeat(32), txids: [], txs: [] } as never);
    await settle();
    deepEqual(calls, ['resume'], 'channel_ready waits for the reestablish');
    finishResume();
    await connected;
    await settle();
    deepEqual(calls, ['resume', 'ready'], 'then channel_ready, once');
  });
});
