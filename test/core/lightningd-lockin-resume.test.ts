// A funded channel resumed before lock-in (channels.ts resumeOpening): openingd in role 'resume'
// exchanges channel_reestablish first (BOLT 2: "MUST wait to receive the other node's
// `channel_reestablish` message before sending any other messages for that channel"), and runs one
// step at a time; each connection has its own exchange, with the openingd started for it.
// lightningd's ChannelControl with fake daemons whose steps the test lets finish (or fail) one by
// one: the openingds' calls are recorded, and the fake hsmd and connectd hold links by key as the
// real ones do (a second attach of a key is refused; a link bound to a connection that has ended is
// refused: connectd's ChannelLinkArgs.counter).
import { ChannelControl } from '../../src/core/daemons/lightningd/channels.ts';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { deepEqual, ok } from '../support/assert.ts';
import { settle } from '../support/memory-stream.ts';
import { channelRecord } from './channel-record-fixture.ts';

const PEER = '02'.padEnd(66, '1');
const quiet = { debug() {}, info() {}, warn() {} };
const DEEP = { height: 102, hash: '00'.repeat(32), txids: [], txs: [] } as never;

/** A step the test ends: `done()` or `fail(e)`. */
interface Pending {
  done(): void;
  fail(e: Error): void;
}

/** lightningd's channels over fake openingds (one per start, numbered), hsmd and connectd. */
async function fixture() {
  const db = new LightningdDb(new MemoryLightningdStorage());
  await db.saveChannel(channelRecord('1', PEER, { state: 'CHANNELD_AWAITING_LOCKIN', funding_height: 100, minimum_depth: 3 }));
  const calls: string[] = [];
  const pending = new Map<string, Pending>();
  let started = 0;
  /** The peer's connection now (connectd's counter). */
  const peer = { counter: 1 };
  const holder = (name: string) => {
    const links = new Map<string, number>();
    return {
      links,
      attach: async (req: { key: string; args?: { counter?: number } }) => {
        if (links.has(req.key)) throw new Error(`${name} already holds a link '${req.key}'`);
        const counter = req.args?.counter;
        if (name === 'connectd' && counter !== undefined && counter !== peer.counter) throw new Error(`connection ${counter} has ended`);
        // The openingd it serves, by number (hsmd's link is attached just before that openingd starts).
        links.set(req.key, name === 'hsmd' ? started + 1 : started);
      },
      detach: async (key: string) => void links.delete(key),
    };
  };
  const hsmd = holder('hsmd');
  const connectd = holder('connectd');
  const openingd = () => {
    const n = ++started;
    let busy = false;
    const step = (name: string) => {
      if (busy) {
        calls.push(`${name}#${n} refused`);
        return Promise.reject(new Error('openingd: a step is already running'));
      }
      busy = true;
      calls.push(`${name}#${n}`);
      return new Promise<void>((resolve, reject) => {
        pending.set(`${name}#${n}`, {
          done: () => ((busy = false), resolve()),
          fail: e => ((busy = false), reject(e)),
        });
      });
    };
    return {
      api: { resume: () => step('resume'), ready: () => step('ready') },
      guard: <T>(p: Promise<T>) => p,
      stop: async () => void calls.push(`stop#${n}`),
    };
  };
  const control = new ChannelControl({
    network: 'regtest',
    nodeId: '02'.padEnd(66, '9'),
    ourFeatures: '',
    db,
    daemons: { start: async () => openingd(), serve: () => ({ port: {}, close() {} }), channel: () => [{}, {}] } as never,
    hsmd: { api: { channelBasepoints: async () => ({}) }, guard: <T>(p: Promise<T>) => p, ...hsmd } as never,
    connectd: {
      api: { sendToPeer: async () => undefined, listPeers: async () => [] },
      guard: <T>(p: Promise<T>) => p,
      ...connectd,
    } as never,
    randomBytes: n => new Uint8Array(n),
    log: quiet,
  });
  const connect = (counter: number) => {
    peer.counter = counter;
    return control.peerConnected({ id: PEER, counter, features: '', direction: 'in' } as never);
  };
  const settled = async () => {
    for (let i = 0; i < 5; i++) await settle();
  };
  const step = (name: string) => {
    const p = pending.get(name);
    ok(p, `${name} is under way (calls: ${calls.join(', ')})`);
    return p!;
  };
  return { control, calls, hsmd, connectd, peer, connect, settled, step };
}

describe('lightningd: a channel resumed before lock-in', () => {
  it('sends channel_ready only once channel_reestablish is done, even when the block arrives during it', async () => {
    const f = await fixture();
    const connected = f.connect(1);
    await f.settled();
    deepEqual(f.calls, ['resume#1']);
    // Block 102: the funding is 3 deep while the reestablish is still under way.
    await f.control.blockConnected(DEEP);
    await f.settled();
    deepEqual(f.calls, ['resume#1'], 'channel_ready waits for the reestablish');
    f.step('resume#1').done();
    await connected;
    await f.settled();
    deepEqual(f.calls, ['resume#1', 'ready#1'], 'then channel_ready, once');
  });

  // node-lockin's intermittent failure (session 9): the openingd of connection 2 was in channel_ready
  // when connection 3 replaced it; its failure came back after connection 3's openingd had attached
  // its links, and ending it again detached them (hsmd's and connectd's `channel-1`, the new
  // openingd's) and dropped the new opening: it never sent channel_ready.
  it("an openingd ended by a reconnect, failing late, leaves the next connection's openingd and its links alone", async () => {
    const f = await fixture();
    await f.control.blockConnected(DEEP);
    const second = f.connect(2);
    await f.settled();
    f.step('resume#1').done();
    await second;
    await f.settled();
    deepEqual(f.calls, ['resume#1', 'ready#1']);
    // Connection 3: its openingd replaces the first (ended) and reestablishes.
    const third = f.connect(3);
    await f.settled();
    deepEqual(f.calls, ['resume#1', 'ready#1', 'stop#1', 'resume#2']);
    deepEqual([f.hsmd.links.get('channel-1'), f.connectd.links.get('channel-1')], [2, 2], "the second openingd's links");
    // The first openingd's channel_ready answers only now: it ended (its worker gone, or its peer).
    f.step('ready#1').fail(new Error('openingd exited with code 1'));
    await f.settled();
    deepEqual([f.hsmd.links.get('channel-1'), f.connectd.links.get('channel-1')], [2, 2], "still the second openingd's links");
    f.step('resume#2').done();
    await third;
    await f.settled();
    deepEqual(f.calls, ['resume#1', 'ready#1', 'stop#1', 'resume#2', 'ready#2'], 'the second openingd sends channel_ready');
  });

  it('an openingd started for a connection that has ended takes no part in the next one: only the next one reestablishes', async () => {
    const f = await fixture();
    // Connection 2 comes and goes before its openingd attaches to connectd; connection 3 is up.
    f.peer.counter = 3;
    const second = f.control.peerConnected({ id: PEER, counter: 2, features: '', direction: 'in' } as never);
    const third = f.control.peerConnected({ id: PEER, counter: 3, features: '', direction: 'in' } as never);
    await f.settled();
    // The first openingd's connectd link was refused (it stopped, and its hsmd link was given back).
    deepEqual(f.calls, ['stop#1', 'resume#2']);
    deepEqual([f.hsmd.links.get('channel-1'), f.connectd.links.get('channel-1')], [2, 2]);
    await f.control.blockConnected(DEEP);
    f.step('resume#2').done();
    await Promise.all([second, third]);
    await f.settled();
    deepEqual(f.calls, ['stop#1', 'resume#2', 'ready#2']);
  });
});
