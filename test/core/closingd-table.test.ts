// closingd as the node table has it: a kind with one instance per channel (`many`), loaded by the
// generic host from the table, started by the supervisor as lightningd will start it, with links
// of its own: the peer (relayed as connectd relays it), hsmd's channel link, lightningd's events.
// Two instances, one per side, share one host and close the channel between them.
import { toHex } from '../../src/core/base/bytes.ts';
import { serializeChannel } from '../../src/core/channel/serialize.ts';
import type { ChannelOwner } from '../../src/core/daemons/connectd/interface.ts';
import type { ClosingdInit, ClosingdSpec, ClosingResult, PeerSend } from '../../src/core/daemons/closingd/interface.ts';
import type { Remote } from '../../src/core/node/daemon.ts';
import { DAEMONS } from '../../src/core/node/daemons.ts';
import { deepEqual, equal } from '../support/assert.ts';
import { directSupervisor } from '../support/direct-links.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { DBID, FEATURES, FEERATES, hsmdChannel, hsmds, walletOut, type Who } from './closingd-fixture.ts';

describe('closingd in the node table', () => {
  it('is a per-channel kind: two instances in one host close a channel with each other over their own links', async () => {
    equal(DAEMONS.closingd.many, true);
    const h = hsmds();
    const states = await hsmdChannel(h);
    const clock = new FakeClock();
    const { links, hosts, ended, daemons } = directSupervisor(clock);
    const owners: Partial<Record<Who, Remote<ChannelOwner>>> = {};
    const closed: Record<Who, ClosingResult[]> = { a: [], b: [] };
    const start = async (who: Who) => {
      const other: Who = who === 'a' ? 'b' : 'a';
      const [peerUse, peerAnswer] = daemons.channel();
      const [hsmUse, hsmAnswer] = daemons.channel();
      const [eventsUse, eventsAnswer] = daemons.channel();
      const [ownerUse, ownerAnswer] = daemons.channel();
      const relay: PeerSend = { send: msg => owners[other]!.deliver(msg) };
      links.expose(relay, peerAnswer);
      // lightningd gives it hsmd's link for this channel, limited to signMutualClose.
      links.expose({ signMutualClose: h[who].link.signMutualClose }, hsmAnswer);
      links.expose(
        { agreed: () => undefined, closed: (c: ClosingResult) => void closed[who].push(c), failed: () => undefined },
        eventsAnswer,
      );
      owners[who] = links.wrap<ChannelOwner>(ownerUse);
      const init: ClosingdInit = {
        peerId: toHex(h[who].peerId),
        dbid: DBID,
        channel: serializeChannel(states[who]),
        localScript: toHex(walletOut(h[who], 5)),
        remoteScript: toHex(walletOut(h[other], 5)),
        destination: { index: 5, type: 'p2wpkh' },
        ourFeatures: FEATURES,
        theirFeatures: FEATURES,
        feerates: FEERATES[who],
      };
      return daemons.start<ClosingdSpec>(DAEMONS.closingd, `closingd-${who}`, init, {
        uses: { peer: { port: peerUse }, hsm: { port: hsmUse }, events: { port: eventsUse } },
        serves: { peer: { port: ownerAnswer, caps: [] } },
      });
    };
    const a = await start('a');
    const b = await start('b');
    deepEqual(hosts, ['closingd'], 'one host for both instances');
    const [ra, rb] = await Promise.all([a.api.negotiate(), b.api.negotiate()]);
    equal(toHex(ra.tx), toHex(rb.tx));
    deepEqual([closed.a.length, closed.b.length], [1, 1], 'each told lightningd of the close to broadcast');
    equal((await b.api.status()).stage, 'closed');
    await a.stop();
    await b.stop();
    deepEqual(ended, ['closingd']);
    deepEqual(daemons.running(), []);
  });
});
