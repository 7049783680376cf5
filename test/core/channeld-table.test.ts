// channeld as the node table has it: a kind with one instance per channel (`many`), loaded by the
// generic host from the table and started by the supervisor as lightningd will start it, with links
// of its own: the peer (relayed as connectd relays it), the channel's signer and lightningd's
// events. Two instances, one per side of a channel, share one host and move an HTLC through the
// whole dance; the host ends with the last of them.
import { serializeChannel } from '../../src/core/channel/index.ts';
import type { ChanneldSpec, ChannelFailure, HtlcChange, Persist } from '../../src/core/daemons/channeld/interface.ts';
import type { ChannelOwner } from '../../src/core/daemons/connectd/interface.ts';
import type { PeerSend } from '../../src/core/daemons/openingd/interface.ts';
import type { Remote } from '../../src/core/node/daemon.ts';
import { DAEMONS } from '../../src/core/node/daemons.ts';
import { deepEqual, equal } from '../support/assert.ts';
import { directSupervisor } from '../support/direct-links.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { settle } from '../support/memory-stream.ts';
import { openPair } from './channel-fixture.ts';
import { CHANNEL_CAPABILITIES, Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { DBID, hsmdPair, MemoryChannelStore, PEER, SEED } from './hsmd-channel-fixture.ts';
import { offer, preimageOf } from './channeld-fixture.ts';

const clone = <T>(v: T): T => (globalThis as unknown as { structuredClone<U>(v: U): U }).structuredClone(v);

/** A link whose every call's arguments are structured-cloned, as a MessagePort would carry them. */
function acrossPort<T extends object>(target: T, names: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    out[name] = (...args: unknown[]) => (target as Record<string, (...a: unknown[]) => unknown>)[name]!(...clone(args));
  }
  return out as T;
}

describe('channeld in the node table', () => {
  for (const withHsmd of [false, true]) {
    it(`is a per-channel kind: two instances in one host move an HTLC through the dance over their own links${withHsmd ? ' (B: hsmd’s channel link across a port)' : ''}`, async () => {
      equal(DAEMONS.channeld.many, true);
      const { links, hosts, ended, daemons } = directSupervisor(new FakeClock());
      const hsmd = withHsmd ? new Hsmd(SEED, new MemoryChannelStore()) : undefined;
      const pair = hsmd ? await hsmdPair(hsmd) : await openPair();
      // hsmd's link takes and gives bytes only: it crosses a port; channeld wraps it in its own realm.
      const hsmOf = (who: Who): object =>
        who === 'b' && hsmd ? acrossPort(hsmd.linkForChannel(PEER, DBID, CHANNEL_CAPABILITIES), CHANNEL_CAPABILITIES) : pair[who].signer;
      type Who = 'a' | 'b';
      const owners: Partial<Record<Who, Remote<ChannelOwner>>> = {};
      const ledger: Record<Who, HtlcChange[]> = { a: [], b: [] };
      const failures: ChannelFailure[] = [];
      // Both ends are up before either's channel_reestablish is carried (connectd holds the connection).
      let bothUp!: () => void;
      const up = new Promise<void>(r => (bothUp = r));
      const start = async (who: Who) => {
        const other: Who = who === 'a' ? 'b' : 'a';
        const [peerUse, peerAnswer] = daemons.channel();
        const [hsmUse, hsmAnswer] = daemons.channel();
        const [eventsUse, eventsAnswer] = daemons.channel();
        const [ownerUse, ownerAnswer] = daemons.channel();
        const relay: PeerSend = { send: msg => void up.then(() => owners[other]!.deliver(msg)) };
        links.expose(relay, peerAnswer);
        links.expose(hsmOf(who), hsmAnswer);
        links.expose(
          { persist: (p: Persist) => void ledger[who].push(...p.changes), failed: (f: ChannelFailure) => void failures.push(f) },
          eventsAnswer,
        );
        owners[who] = links.wrap<ChannelOwner>(ownerUse);
        const init = {
          peerId: who,
          dbid: 1n,
          state: serializeChannel(pair[who].state),
          ourFeatures: '',
          theirFeatures: '',
          reestablish: true,
          ...(who === 'b' && hsmd ? { signer: 'hsmd' as const } : {}),
        };
        return daemons.start<ChanneldSpec>(DAEMONS.channeld, `channeld-${who}`, init, {
          uses: { peer: { port: peerUse }, hsm: { port: hsmUse }, events: { port: eventsUse } },
          serves: { peer: { port: ownerAnswer, caps: [] } },
        });
      };
      const a = await start('a');
      const b = await start('b');
      bothUp();
      deepEqual(hosts, ['channeld'], 'one host for both instances');
      const added = await a.api.addHtlc(offer(1));
      equal(added.id, 0n);
      await settle();
      const incoming = ledger.b.find(c => c.kind === 'incoming')!;
      deepEqual(incoming.id, 0n);
      await b.api.fulfillHtlc(0n, preimageOf(1));
      for (let i = 0; i < 3; i++) await settle();
      deepEqual(
        ledger.a.map(c => c.kind),
        ['offered', 'committed', 'fulfilled'],
      );
      deepEqual(
        ledger.b.map(c => c.kind),
        ['incoming', 'resolved'],
      );
      deepEqual(failures, []);
      equal((await a.api.status()).phase, 'normal');
      await a.stop();
      deepEqual(ended, [], 'the host stays for the other instance');
      await b.stop();
      deepEqual(ended, ['channeld'], 'and ends with the last one');
    });
  }
});
