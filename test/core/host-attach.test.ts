// A link handed to a running daemon (node/host.ts `attach`), as lightningd hands hsmd's host a
// channel's signer link: hsmd answers on it that channel's methods with its peer and dbid bound
// (another channel's keys are out of its reach), a name it takes none by is refused with the ports
// closed, `detach` closes the link, and stopping the instance closes what is still attached.
import { toHex } from '../../src/core/base/bytes.ts';
import { CHANNEL_LINK, type HsmdSpec } from '../../src/core/daemons/hsmd/interface.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import type { DaemonEnv } from '../../src/core/node/daemon.ts';
import { daemonHost } from '../../src/core/node/host.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { directLinks, type Slot } from '../support/direct-links.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { MemoryChannelStore } from './hsmd-channel-fixture.ts';

const SECRET = new Uint8Array(32).fill(7);
const PEER = new Hsmd(new Uint8Array(32).fill(8)).nodeId();

describe('host: links attached to a running daemon', () => {
  it("hsmd answers one channel's signer on an attached link; refusals and detach close the ports", async () => {
    const { links } = directLinks();
    const closed: Slot[] = [];
    const tracked = { ...links, close: (p: Slot) => void (closed.push(p), links.close(p)) };
    const env = (): DaemonEnv & HsmdSpec['env'] => ({
      clock: new FakeClock(),
      log: { debug() {}, info() {}, warn() {} },
      randomBytes: n => new Uint8Array(n),
      loadOrCreateSecret: async () => ({ secretData: SECRET.slice() }),
      openChannelStore: async () => new MemoryChannelStore(),
    });
    const host = daemonHost<Slot, undefined>({ links: tracked, env, main: () => undefined });
    await host.startDaemon({ kind: 'hsmd', instance: 'hsmd', init: {}, uses: {}, serves: {}, api: {}, ctx: undefined });

    const [use, serve] = links.channel();
    await host.attach('hsmd', {
      key: 'channel-5',
      name: CHANNEL_LINK,
      args: { peerId: toHex(PEER), dbid: 5n },
      serves: { port: serve, caps: [] },
    });
    const link = links.wrap<Record<string, (...a: unknown[]) => Promise<unknown>>>(use);
    // The link's basepoints are hsmd's for (PEER, 5), not for another dbid.
    const mine = new Hsmd(SECRET).channelBasepoints(PEER, 5n);
    const other = new Hsmd(SECRET).channelBasepoints(PEER, 6n);
    const got = (await link.channelBasepoints!()) as typeof mine;
    deepEqual(got.funding_pubkey, mine.funding_pubkey);
    ok(toHex(got.funding_pubkey) !== toHex(other.funding_pubkey));
    // Only channel methods: the node's own are not on it.
    await rejects(link.ecdh!(PEER), Error);

    await rejects(host.attach('hsmd', { key: 'channel-5', name: CHANNEL_LINK, args: { peerId: toHex(PEER), dbid: 5n } }), Error);
    const [, badServe] = links.channel();
    await rejects(host.attach('hsmd', { key: 'x', name: 'ecdh', args: {}, serves: { port: badServe, caps: [] } }), Error);
    ok(closed.includes(badServe), 'a refused link is closed');
    await rejects(host.attach('nobody', { key: 'y', name: CHANNEL_LINK, args: {} }), Error);

    await host.detach('hsmd', 'channel-5');
    ok(closed.includes(serve), 'detach closes the link');
    await rejects(link.channelBasepoints!(), Error);
    await host.detach('hsmd', 'channel-5'); // unknown now: ignored

    const [use2, serve2] = links.channel();
    await host.attach('hsmd', {
      key: 'channel-6',
      name: CHANNEL_LINK,
      args: { peerId: toHex(PEER), dbid: 6n },
      serves: { port: serve2, caps: [] },
    });
    equal(
      typeof (await links.wrap<{ getPerCommitmentPoint(n: bigint): Promise<Uint8Array> }>(use2).getPerCommitmentPoint(0n)).length,
      'number',
    );
    equal(await host.stopDaemon('hsmd'), 0);
    ok(closed.includes(serve2), 'stopping the instance closes what is attached');
  });
});
