// openingd as the node table has it: a kind with one instance per channel (`many`), loaded by the
// generic host from the table (src/core/node/host.ts), started by the supervisor as lightningd
// will start it, with links of its own: the peer (here relayed as connectd relays it), the
// channel's signer (hsmd's link for that channel only, as lightningd asks hsmd for it) and
// lightningd's events. Two instances, one per side of a channel, share one host, open the channel
// to each other, each side's hsmd holds its commitment 0 validated, and the host ends with the last of them.
import type { ChannelOwner } from '../../src/core/daemons/connectd/interface.ts';
import type { Funded, OpeningdSpec, PeerSend } from '../../src/core/daemons/openingd/interface.ts';
import type { DaemonEnv, Remote } from '../../src/core/node/daemon.ts';
import { DAEMONS } from '../../src/core/node/daemons.ts';
import type { DaemonHosting } from '../../src/core/node/platform.ts';
import { superviseDaemons } from '../../src/core/node/supervisor.ts';
import { deepEqual, equal } from '../support/assert.ts';
import { directHost, directLinks, type Slot } from '../support/direct-links.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { initOf, type Who } from './openingd-fixture.ts';
import { CHANNEL_CAPABILITIES, Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { localSide } from '../../src/core/daemons/lightningd/channel-config.ts';
import { MemoryChannelStore } from './hsmd-channel-fixture.ts';

describe('openingd in the node table', () => {
  it('is a per-channel kind: two instances in one host open a channel to each other over their own links', async () => {
    equal(DAEMONS.openingd.many, true);
    const { links } = directLinks();
    const hosts: string[] = [];
    const ended: string[] = [];
    const clock = new FakeClock();
    const env = (): DaemonEnv => ({ clock, log: { debug() {}, info() {}, warn() {} }, randomBytes: n => new Uint8Array(n).fill(9) });
    const hosting: DaemonHosting<Slot, undefined> = {
      links,
      ctx: undefined,
      spawnHost(kind) {
        hosts.push(kind);
        return directHost(links, kind, env, ended);
      },
    };
    const daemons = superviseDaemons(hosting, clock);
    // lightningd's side of each instance's links: the signer it answers (hsmd, here keySigner), the
    // events, and connectd's relay from one instance's `peer` to the other's.
    const owners: Partial<Record<Who, Remote<ChannelOwner>>> = {};
    const funded: Record<Who, Funded[]> = { a: [], b: [] };
    // Each side's hsmd, and the channel link lightningd would ask of it (peer and dbid bound).
    const stores = { a: new MemoryChannelStore(), b: new MemoryChannelStore() };
    const hsmds = { a: new Hsmd(new Uint8Array(32).fill(1), stores.a), b: new Hsmd(new Uint8Array(32).fill(2), stores.b) };
    const peerOf = (who: Who) => hsmds[who === 'a' ? 'b' : 'a'].nodeId();
    const start = async (who: Who) => {
      const other: Who = who === 'a' ? 'b' : 'a';
      const [peerUse, peerAnswer] = daemons.channel();
      const [hsmUse, hsmAnswer] = daemons.channel();
      const [eventsUse, eventsAnswer] = daemons.channel();
      const [ownerUse, ownerAnswer] = daemons.channel();
      const relay: PeerSend = { send: msg => owners[other]!.deliver(msg) };
      links.expose(relay, peerAnswer);
      links.expose(hsmds[who].linkForChannel(peerOf(who), 1n, CHANNEL_CAPABILITIES), hsmAnswer);
      links.expose({ funded: (f: Funded) => void funded[who].push(f), failed: () => undefined }, eventsAnswer);
      owners[who] = links.wrap<ChannelOwner>(ownerUse);
      const init = initOf(who, {});
      const local = localSide(hsmds[who].channelBasepoints(peerOf(who), 1n), 10_000_000n, 100_000n);
      return daemons.start<OpeningdSpec>(
        DAEMONS.openingd,
        `openingd-${who}`,
        { ...init, local },
        {
          uses: { peer: { port: peerUse }, hsm: { port: hsmUse }, events: { port: eventsUse } },
          serves: { peer: { port: ownerAnswer, caps: [] } },
        },
      );
    };
    const a = await start('a');
    const b = await start('b');
    deepEqual(hosts, ['openingd'], 'one host for both instances');
    const accepting = b.api.accept();
    await a.api.open();
    const fa = await a.api.fund('8984484a580b825b9972d7adb15050b3ab624ccd731946b3eeddb92f4e7ef6be', 0);
    const fb = await accepting;
    deepEqual(fa.params.channelId, fb.params.channelId);
    deepEqual([funded.a.length, funded.b.length], [1, 1], 'each told lightningd of the funded channel');
    equal((await b.api.status()).stage, 'funded');
    // Each hsmd was set up with the channel and validated its side's commitment 0 before funding_signed was answered.
    for (const who of ['a', 'b'] as const) {
      const rec = JSON.parse([...stores[who].data.values()][0]!) as { holder?: { number: string }; remoteSigned?: string };
      equal(String(rec.holder?.number), '0', `${who}'s hsmd holds commitment 0 validated`);
      equal(String(rec.remoteSigned), '0', `${who}'s hsmd signed the peer's commitment 0`);
    }
    await a.stop();
    deepEqual(ended, [], 'the host stays for the other instance');
    await b.stop();
    deepEqual(ended, ['openingd'], 'and ends with the last one');
    deepEqual(daemons.running(), []);
  });
});
