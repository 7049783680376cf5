// channeld's announcement_signatures (BOLT 7; channeld/announce.ts): two channelds joined peer to
// peer, B's signer hsmd (it signs only this channel's announcement), A's our own keys. At six
// confirmations (lightningd's `announce`) each sends its signatures, checks the peer's and hands
// lightningd the full channel_announcement, whose four signatures verify; one that comes early
// waits; a wrong scid or signature costs the connection (warning); a private channel sends none;
// on reconnection a side that has not received them sends again and the other only answers.
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import type { ChannelSigner, ChannelState } from '../../src/core/channel/index.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { getPublicKey, signDigest, verifyDigest } from '../../src/core/crypto/primitives.ts';
import { ourAnnouncementSignatures } from '../../src/core/daemons/channeld/announce.ts';
import { Channeld } from '../../src/core/daemons/channeld/channeld.ts';
import type { AnnounceInit, ChannelFailure } from '../../src/core/daemons/channeld/interface.ts';
import type { ChannelOwner } from '../../src/core/daemons/connectd/interface.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { gossipDigest } from '../../src/core/gossip/peek.ts';
import { decodeMessage, encodeMessage, type Message, type MessageOf } from '../../src/core/wire/messages.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { secretsOf } from './channel-fixture.ts';
import { idle } from './channeld-fixture.ts';
import { hsmdPair, MemoryChannelStore, PEER, SEED } from './hsmd-channel-fixture.ts';

/** BOLT 8 Appendix A's responder secret: its public key is PEER, A's node id as hsmd (B) knows it. */
const A_NODE_SECRET = new Uint8Array(32).fill(0x21);
const SCID = scidFromParts({ block: 700, txindex: 2, outnum: 0 });
const quiet = { debug() {}, info() {}, warn() {} };

interface End {
  name: 'A' | 'B';
  nodeId: Uint8Array;
  state: ChannelState;
  signer: ChannelSigner;
  c?: Channeld;
  owner?: ChannelOwner;
  sent: Message[];
  announced: Uint8Array[];
  failures: ChannelFailure[];
}

async function setup() {
  const hsmd = new Hsmd(SEED, new MemoryChannelStore());
  const pair = await hsmdPair(hsmd);
  equal(toHex(getPublicKey(A_NODE_SECRET)), toHex(PEER));
  const fundingA = secretsOf('A').funding;
  const signerA: ChannelSigner = {
    ...pair.a.signer,
    signChannelAnnouncement: async raw => {
      const h = gossipDigest(raw);
      return { nodeSignature: signDigest(h, A_NODE_SECRET), bitcoinSignature: signDigest(h, fundingA) };
    },
  };
  const end = (name: 'A' | 'B', nodeId: Uint8Array, state: ChannelState, signer: ChannelSigner): End => ({
    name,
    nodeId,
    state,
    signer,
    sent: [],
    announced: [],
    failures: [],
  });
  return { a: end('A', PEER, pair.a.state, signerA), b: end('B', hsmd.nodeId(), pair.b.state, pair.b.signer) };
}

const init = (e: End): AnnounceInit => ({ shortChannelId: SCID, chainHash: chainHash('regtest'), nodeId: e.nodeId });

/** Starts both ends on one connection; `tamper` rewrites (or drops) a message on its way. */
function connect(
  a: End,
  b: End,
  o: {
    reestablish?: boolean;
    announce?: { a?: AnnounceInit; b?: AnnounceInit };
    tamper?: (from: End, m: Message) => Message | undefined;
    /** What B's openingd got after channel_ready (init.early). */
    earlyB?: Uint8Array[];
  } = {},
) {
  let live = true;
  for (const [self, other] of [
    [a, b],
    [b, a],
  ] as const) {
    self.sent = [];
    const announce = self === a ? o.announce?.a : o.announce?.b;
    self.c = new Channeld(
      {
        peerId: toHex(other.nodeId),
        dbid: 7n,
        state: serialize(self.state),
        ourFeatures: '',
        theirFeatures: '',
        reestablish: o.reestablish ?? false,
        ...(announce ? { announce } : {}),
        ...(self === b && o.earlyB ? { early: o.earlyB } : {}),
      },
      {
        peer: {
          async send(bytes: Uint8Array) {
            if (!live) return;
            const m = decodeMessage(bytes) as Message;
            self.sent.push(m);
            const out = o.tamper ? o.tamper(self, m) : m;
            if (!out) return;
            const raw = out === m ? bytes : encodeMessage(out);
            void Promise.resolve().then(() => live && other.owner?.deliver(raw));
          },
        },
        hsm: self.signer,
        events: {
          persist: async () => undefined,
          failed: (f: ChannelFailure) => void self.failures.push(f),
          shutdownReceived: () => undefined,
          shutdownComplete: () => undefined,
          announced: (raw: Uint8Array) => void self.announced.push(raw),
        },
      } as unknown as ConstructorParameters<typeof Channeld>[1],
      { clock: new FakeClock(), log: quiet, randomBytes: n => new Uint8Array(n) },
    );
  }
  a.owner = a.c!.owner;
  b.owner = b.c!.owner;
  return () => (live = false);
}

import { serializeChannel as serialize } from '../../src/core/channel/serialize.ts';

const sigsSent = (e: End) => e.sent.filter((m): m is MessageOf<'announcement_signatures'> => m.name === 'announcement_signatures');

/** The four signatures of a channel_announcement, each checked against its key (BOLT 7's `h`). */
function verifyAnnouncement(raw: Uint8Array): MessageOf<'channel_announcement'> {
  const m = decodeMessage(raw) as MessageOf<'channel_announcement'>;
  const h = gossipDigest(raw);
  ok(verifyDigest(m.node_signature_1, h, m.node_id_1), 'node_signature_1');
  ok(verifyDigest(m.node_signature_2, h, m.node_id_2), 'node_signature_2');
  ok(verifyDigest(m.bitcoin_signature_1, h, m.bitcoin_key_1), 'bitcoin_signature_1');
  ok(verifyDigest(m.bitcoin_signature_2, h, m.bitcoin_key_2), 'bitcoin_signature_2');
  return m;
}

describe('channeld: announcement_signatures (BOLT 7)', () => {
  it('both send theirs at six confirmations; each hands lightningd the same channel_announcement, all four signatures valid', async () => {
    const { a, b } = await setup();
    connect(a, b, { announce: { a: init(a), b: init(b) } });
    await idle();
    equal(sigsSent(a).length, 1);
    equal(sigsSent(b).length, 1);
    equal(a.announced.length, 1);
    equal(b.announced.length, 1);
    equal(toHex(a.announced[0]!), toHex(b.announced[0]!), 'the same announcement on both ends');
    const m = verifyAnnouncement(a.announced[0]!);
    equal(m.short_channel_id, SCID);
    // node_id_1 is the lesser (BOLT 7), its funding key beside it.
    const [first, second] = toHex(a.nodeId) < toHex(b.nodeId) ? [a, b] : [b, a];
    deepEqual([toHex(m.node_id_1), toHex(m.node_id_2)], [toHex(first.nodeId), toHex(second.nodeId)]);
    equal(toHex(m.bitcoin_key_1), toHex(first.state.params.local.fundingPubkey));
    equal(toHex(m.bitcoin_key_2), toHex(second.state.params.local.fundingPubkey));
    deepEqual([a.failures, b.failures], [[], []]);
  });

  it("the peer's before our six confirmations: kept, and answered once lightningd says the depth is reached", async () => {
    const { a, b } = await setup();
    connect(a, b, { announce: { a: init(a) } });
    await idle();
    equal(sigsSent(a).length, 1);
    equal(sigsSent(b).length, 0, 'B is not six blocks deep yet: it must not send');
    equal(b.announced.length, 0);
    await b.c!.api.announce(init(b));
    await idle();
    equal(sigsSent(b).length, 1);
    equal(a.announced.length, 1);
    equal(b.announced.length, 1);
    // lightningd repeating itself at the next block changes nothing.
    await b.c!.api.announce(init(b));
    await idle();
    deepEqual([sigsSent(b).length, b.announced.length], [1, 1]);
  });

  it('a wrong short_channel_id or signature: warning, the connection closes, nothing is announced', async () => {
    for (const [what, change, code] of [
      ['scid', { short_channel_id: SCID + 1n }, 'announcement_scid'],
      ['node_signature', { node_signature: new Uint8Array(64).fill(3) }, 'announcement_signature'],
      ['bitcoin_signature', { bitcoin_signature: new Uint8Array(64).fill(3) }, 'announcement_signature'],
    ] as const) {
      const { a, b } = await setup();
      connect(a, b, {
        announce: { a: init(a), b: init(b) },
        tamper: (from, m) => (from === b && m.name === 'announcement_signatures' ? { ...m, ...change } : m),
      });
      await idle();
      equal(a.announced.length, 0, what);
      equal(a.failures[0]?.code, code, what);
      equal(a.failures[0]?.action, 'disconnect', `${what}: the channel stands`);
      equal(a.sent.at(-1)?.name, 'warning', what);
    }
  });

  it("the peer's announcement_signatures that openingd received after channel_ready (init.early) are handled first", async () => {
    const { a, b } = await setup();
    const sigsOfA = encodeMessage(await ourAnnouncementSignatures(a.state, init(a), b.nodeId, a.signer));
    // On the wire A's go to openingd (LDK sends them with its channel_ready): channeld gets them only through early.
    connect(a, b, {
      announce: { a: init(a), b: init(b) },
      earlyB: [sigsOfA],
      tamper: (from, m) => (from === a && m.name === 'announcement_signatures' ? undefined : m),
    });
    await idle();
    equal(b.announced.length, 1, 'B has both');
    equal(sigsSent(b).length, 1);
    equal(a.announced.length, 1);
    deepEqual([a.failures, b.failures], [[], []]);
  });

  it('a private channel (no announce from lightningd) sends none, and keeps what the peer sends without announcing', async () => {
    const { a, b } = await setup();
    connect(a, b, { announce: { b: init(b) } });
    await idle();
    equal(sigsSent(a).length, 0);
    equal(a.announced.length, 0);
    deepEqual(a.failures, []);
  });

  it("on reconnection: a side without the peer's signatures sends again, the other only answers; with both in, none is sent", async () => {
    const { a, b } = await setup();
    // A's durable record has B's; B's does not (its lightningd crashed before writing it).
    connect(a, b, { reestablish: true, announce: { a: { ...init(a), received: true }, b: init(b) } });
    await idle();
    equal(sigsSent(b).length, 1, 'B retransmits');
    equal(sigsSent(a).length, 1, "A answers B's first");
    equal(b.announced.length, 1);
    equal(a.announced.length, 0, 'A had it already');
    deepEqual([a.failures, b.failures], [[], []]);

    connect(a, b, { reestablish: true, announce: { a: { ...init(a), received: true }, b: { ...init(b), received: true } } });
    await idle();
    deepEqual([sigsSent(a).length, sigsSent(b).length], [0, 0]);
    ok(a.sent.some(m => m.name === 'channel_reestablish'));
  });
});

void fromHex;
