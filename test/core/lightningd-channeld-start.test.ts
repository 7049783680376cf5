// lightningd starting channeld (channels.ts startChanneld): connectd delivers the peer's messages
// to it from the moment its link is attached, before lightningd has it among its running channelds.
// A message it must make durable then (LDK's shutdown right behind its channel_ready, in
// ldk-close's "LDK's close_channel") is persisted, not refused as if that channeld had been
// replaced. An instance that was replaced still persists nothing. Fake daemons: the channeld's
// persist event is called from connectd's attach, as a message delivered there would.
import { ChannelControl } from '../../src/core/daemons/lightningd/channels.ts';
import type { ChanneldEvents } from '../../src/core/daemons/channeld/interface.ts';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { deepEqual, equal, rejects } from '../support/assert.ts';
import { settle } from '../support/memory-stream.ts';
import { channelRecord } from './channel-record-fixture.ts';

const PEER = '02'.padEnd(66, '1');
const quiet = { debug() {}, info() {}, warn() {} };

async function fixture() {
  const db = new LightningdDb(new MemoryLightningdStorage());
  await db.saveChannel(channelRecord('1', PEER, { channel: 'state-0' }));
  /** Each started channeld's events (what its worker would call), in order. */
  const instances: ChanneldEvents[] = [];
  /** What persist answered when called from connectd's attach. */
  const atAttach: string[] = [];
  let lastEvents: ChanneldEvents | undefined;
  const control = new ChannelControl({
    network: 'regtest',
    nodeId: '02'.padEnd(66, '9'),
    ourFeatures: '',
    db,
    daemons: {
      start: async () => ({ api: {}, guard: <T>(p: Promise<T>) => p, stop: async () => undefined }),
      serve: (events: ChanneldEvents) => {
        lastEvents = events;
        return { port: {}, close() {} };
      },
      channel: () => [{}, {}],
    } as never,
    hsmd: { api: {}, guard: <T>(p: Promise<T>) => p, attach: async () => undefined, detach: async () => undefined } as never,
    connectd: {
      api: { sendToPeer: async () => undefined, listPeers: async () => [] },
      guard: <T>(p: Promise<T>) => p,
      // The link is up: the peer's shutdown reaches the new channeld, which persists it.
      attach: async () => {
        const events = lastEvents!;
        instances.push(events);
        const state = `state-at-attach-${instances.length}`;
        await Promise.resolve(events.persist({ state, changes: [] })).then(
          () => atAttach.push(`persisted ${state}`),
          (e: Error) => atAttach.push(`refused: ${e.message}`),
        );
      },
      detach: async () => undefined,
    } as never,
    randomBytes: n => new Uint8Array(n),
    log: quiet,
  });
  const connect = async (counter: number) => {
    await control.peerConnected({ id: PEER, counter, features: '', direction: 'in' } as never);
    for (let i = 0; i < 5; i++) await settle();
  };
  return { db, control, instances, atAttach, connect };
}

describe('lightningd: channeld persists from its first delivered message', () => {
  it("a persist before lightningd lists the new channeld is made durable; the replaced instance's is refused", async () => {
    const f = await fixture();
    await f.connect(1);
    deepEqual(f.atAttach, ['persisted state-at-attach-1']);
    equal(f.db.channels().find(c => c.dbid === '1')?.channel, 'state-at-attach-1');
    // A reconnect replaces the channeld; the first one's late persist changes nothing.
    await f.connect(2);
    deepEqual(f.atAttach, ['persisted state-at-attach-1', 'persisted state-at-attach-2']);
    await rejects(async () => f.instances[0]!.persist({ state: 'stale', changes: [] }), Error);
    equal(f.db.channels().find(c => c.dbid === '1')?.channel, 'state-at-attach-2');
  });
});
