// Proves the LDK interop harness (test/interop/ldk/): LDK nodes in this process connect over
// loopback TCP, exchange init and ping/pong, and serve gossip fed into their graph.
import { describe, it } from 'node:test';
import { ok, equal, deepEqual } from '../support/assert.ts';
import { concat, fromHex, toHex, u16be, u32be, u64be } from '../../src/core/base/bytes.ts';
import { getPublicKey, randomSecretKey } from '../../src/core/crypto/primitives.ts';
import { startLdkPeer, type LdkPeer } from './ldk/index.ts';
import { RawClient, featureBits, featureBytes, initMessage, messageType, parseInit } from './ldk/raw-client.ts';
import {
  REGTEST_CHAIN_HASH,
  makeScid,
  signedChannelAnnouncement,
  signedChannelUpdate,
  signedNodeAnnouncement,
  sortedNodeSecrets,
  type ChannelKeys,
} from './ldk/signed-gossip.ts';

// Guards against a hang only (the runner then fails the test); nothing asserts on time.
const limit = { timeout: 20_000 };

async function withPeers(
  n: number,
  fn: (peers: LdkPeer[]) => Promise<void>,
  opts: Parameters<typeof startLdkPeer>[0][] = [],
): Promise<void> {
  const peers: LdkPeer[] = [];
  try {
    for (let i = 0; i < n; i++) peers.push(await startLdkPeer({ name: String.fromCharCode(97 + i), tickIntervalMs: 0, ...opts[i] }));
    await fn(peers);
  } finally {
    for (const p of peers) await p.stop();
  }
}

describe('LDK harness', () => {
  it('two LDK peers connect over loopback TCP and list each other', limit, () =>
    withPeers(2, async ([a, b]) => {
      ok(/^0[23][0-9a-f]{64}$/.test(a!.nodeId), 'node id is a compressed key');
      equal(a!.chainHash, toHex(REGTEST_CHAIN_HASH), 'regtest by default');
      const port = await a!.listen();
      await b!.connect(a!.nodeId, '127.0.0.1', port);
      await a!.waitForPeer(b!.nodeId);
      deepEqual(a!.connectedPeers(), [b!.nodeId]);
      deepEqual(b!.connectedPeers(), [a!.nodeId]);
      equal(a!.peerDetails()[0]!.inbound, true);
      equal(b!.peerDetails()[0]!.inbound, false);
      // Each saw the other's init, which (with a ChannelManager) names regtest in `networks`.
      const init = await a!.waitForMessage(e => e.direction === 'out' && e.type === 'Init');
      ok(init.detail.includes(`networks: Some([${toHex(REGTEST_CHAIN_HASH)}])`), init.detail);
      await b!.waitForMessage(e => e.direction === 'in' && e.type === 'Init' && e.peer === a!.nodeId);
    }),
  );

  it('an LDK timer tick sends ping(ponglen 0, 64 bytes) and the other side answers pong', limit, () =>
    withPeers(2, async ([a, b]) => {
      const port = await a!.listen();
      await b!.connect(a!.nodeId, '127.0.0.1', port);
      const from = b!.messages.length;
      b!.tick();
      const ping = await a!.waitForMessage(e => e.direction === 'in' && e.type === 'Ping');
      equal(ping.detail, '{ ponglen: 0, byteslen: 64 }');
      await b!.waitForMessage(e => e.direction === 'in' && e.type === 'Pong' && e.peer === a!.nodeId, from);
    }),
  );

  it('disconnect and stop close the connection on both sides', limit, () =>
    withPeers(2, async ([a, b]) => {
      const port = await a!.listen();
      await b!.connect(a!.nodeId, '127.0.0.1', port);
      b!.disconnect(a!.nodeId);
      await a!.waitForPeerGone(b!.nodeId);
      await b!.waitForPeerGone(a!.nodeId);
      deepEqual(a!.connectedPeers(), []);
      // Reconnects on the same listener.
      await b!.connect(a!.nodeId, '127.0.0.1', port);
      deepEqual(b!.connectedPeers(), [a!.nodeId]);
    }),
  );

  it('connect rejects when the listener has another node id', limit, () =>
    withPeers(2, async ([a, b]) => {
      const port = await a!.listen();
      const wrong = toHex(getPublicKey(randomSecretKey()));
      let failed = false;
      await b!.connect(wrong, '127.0.0.1', port).catch(() => (failed = true));
      ok(failed, 'BOLT 8 act two cannot be decrypted with the wrong responder key');
      deepEqual(b!.connectedPeers(), []);
    }),
  );

  it('an ErroringMessageHandler peer connects too', limit, () =>
    withPeers(
      2,
      async ([a, b]) => {
        const port = await a!.listen();
        await b!.connect(a!.nodeId, '127.0.0.1', port);
        await a!.waitForPeer(b!.nodeId);
        // Without a ChannelManager LDK's init carries no `networks`.
        const init = await b!.waitForMessage(e => e.direction === 'out' && e.type === 'Init');
        ok(init.detail.includes('networks: None'), init.detail);
      },
      [{}, { channelHandler: 'erroring' }],
    ),
  );

  it('gossip fed to one LDK graph is listed, and served to a peer that sends gossip_timestamp_filter', limit, () =>
    withPeers(2, async ([a, b]) => {
      const keys: ChannelKeys = {
        nodeSecrets: [randomSecretKey(), randomSecretKey()],
        bitcoinSecrets: [randomSecretKey(), randomSecretKey()],
      };
      const [s1, s2] = sortedNodeSecrets(keys);
      const scid = makeScid(101, 1, 0);
      const now = Math.floor(Date.now() / 1000);
      a!.addGossip(signedChannelAnnouncement(keys, scid));
      a!.addGossip(signedChannelUpdate(s1, { scid, timestamp: now, direction: 0, feeBaseMsat: 1234 }));
      a!.addGossip(signedChannelUpdate(s2, { scid, timestamp: now, direction: 1, cltvExpiryDelta: 144 }));
      a!.addGossip(signedNodeAnnouncement(s1, now, 'boltworker-test'));

      let rejected = '';
      try {
        a!.addGossip(signedChannelUpdate(s1, { scid, timestamp: now, direction: 1 })); // wrong signer
      } catch (e) {
        rejected = (e as Error).message;
      }
      ok(rejected.startsWith('LDK rejected channel_update'), rejected);

      const g = a!.graph();
      equal(g.channels.length, 1);
      const ch = g.channels[0]!;
      equal(ch.shortChannelId, scid);
      equal(ch.scid, '101x1x0');
      equal(ch.node1, toHex(getPublicKey(s1)));
      equal(ch.node2, toHex(getPublicKey(s2)));
      equal(ch.hasAnnouncement, true);
      equal(ch.oneToTwo?.feeBaseMsat, 1234);
      equal(ch.twoToOne?.cltvExpiryDelta, 144);
      deepEqual(
        g.nodes.map(n => n.nodeId),
        [ch.node1, ch.node2].sort(),
      );
      equal(g.nodes.find(n => n.nodeId === ch.node1)?.alias, 'boltworker-test');

      // B (gossip_queries) sends gossip_timestamp_filter on connect; A then syncs its graph to B.
      const port = await a!.listen();
      await b!.connect(a!.nodeId, '127.0.0.1', port);
      // (LDK does not log an incoming gossip_timestamp_filter; B's outgoing one is.)
      await b!.waitForMessage(e => e.direction === 'out' && e.type === 'GossipTimestampFilter');
      await b!.waitForMessage(e => e.direction === 'in' && e.type === 'NodeAnnouncement');
      const gb = b!.graph();
      deepEqual(
        gb.channels.map(c => c.scid),
        ['101x1x0'],
      );
      equal(gb.channels[0]!.oneToTwo?.feeBaseMsat, 1234);
      equal(gb.nodes.find(n => n.nodeId === ch.node1)?.alias, 'boltworker-test');
    }),
  );

  describe('our hand-made BOLT 8 client (src/core/noise) against LDK', () => {
    const MAINNET = fromHex('6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000');
    // BOLT 9 optional bits LDK's ChannelManager needs (it requires 0, 8, 12, 14): data_loss_protect,
    // var_onion_optin, option_static_remotekey, payment_secret.
    const NEEDED = [1, 9, 13, 15];
    const GOSSIP_QUERIES = 7;
    const ping = (numPongBytes: number, ignored = 0) => concat(u16be(18), u16be(numPongBytes), u16be(ignored), new Uint8Array(ignored));
    const pong = (len: number) => concat(u16be(19), u16be(len), new Uint8Array(len));

    it("completes the handshake, gets LDK's init (regtest networks) and exchanges ping/pong", limit, () =>
      withPeers(1, async ([a]) => {
        const port = await a!.listen();
        const c = await RawClient.connect(a!.nodeId, port);
        try {
          c.send(initMessage(featureBytes(NEEDED), [REGTEST_CHAIN_HASH]));
          const init = parseInit((await c.next())!);
          deepEqual(init.tlvs.get(1), REGTEST_CHAIN_HASH, 'networks TLV');
          const bits = featureBits(init.features);
          for (const b of [0, 8, 12, 14]) ok(bits.includes(b), `LDK requires bit ${b}: ${bits}`);
          ok(bits.includes(GOSSIP_QUERIES), 'LDK offers gossip_queries');
          await a!.waitForPeer(c.nodeId);
          deepEqual(a!.connectedPeers(), [c.nodeId]);
          equal(a!.peerDetails()[0]!.initFeatures, toHex(featureBytes(NEEDED)), 'LDK kept the features we sent');
          // Our ping: LDK answers with num_pong_bytes zero bytes.
          c.send(ping(4, 3));
          deepEqual(await c.nextOfType(19), pong(4));
          // LDK's ping on its timer tick: ponglen 0, 64 ignored bytes; answered, LDK keeps us.
          a!.tick();
          deepEqual(await c.nextOfType(18), ping(0, 64));
          c.send(pong(0));
          await a!.waitForMessage(e => e.direction === 'in' && e.type === 'Pong' && e.peer === c.nodeId);
          a!.tick();
          deepEqual(await c.nextOfType(18), ping(0, 64), 'a second ping, so the first was answered in time');
          deepEqual(a!.connectedPeers(), [c.nodeId]);
        } finally {
          await c.close();
        }
      }),
    );

    it('is dropped without bits 0/8/12/14, with another chain in networks, or when a ping goes unanswered', limit, () =>
      withPeers(1, async ([a]) => {
        const port = await a!.listen();
        const tries: [string, Uint8Array][] = NEEDED.map(bit => [
          `without bit ${bit - 1}/${bit}`,
          initMessage(featureBytes(NEEDED.filter(b => b !== bit))),
        ]);
        tries.push(['mainnet only in networks', initMessage(featureBytes(NEEDED), [MAINNET])]);
        for (const [what, init] of tries) {
          const c = await RawClient.connect(a!.nodeId, port);
          c.send(init);
          await c.closed;
          ok(!a!.connectedPeers().includes(c.nodeId), what);
        }
        // Accepted without networks; then two ticks with no answer to the ping: disconnected.
        const c = await RawClient.connect(a!.nodeId, port);
        c.send(initMessage(featureBytes(NEEDED)));
        await a!.waitForPeer(c.nodeId);
        a!.tick();
        await c.nextOfType(18);
        a!.tick();
        await c.closed;
        await a!.waitForPeerGone(c.nodeId);
      }),
    );

    it('serves its whole graph on any gossip_timestamp_filter and never answers query_short_channel_ids', limit, () =>
      withPeers(1, async ([a]) => {
        const keys: ChannelKeys = {
          nodeSecrets: [randomSecretKey(), randomSecretKey()],
          bitcoinSecrets: [randomSecretKey(), randomSecretKey()],
        };
        const [s1] = sortedNodeSecrets(keys);
        const scid = makeScid(102, 7, 1);
        const old = Math.floor(Date.now() / 1000) - 30 * 24 * 3600;
        const ann = signedChannelAnnouncement(keys, scid);
        const upd = signedChannelUpdate(s1, { scid, timestamp: old, direction: 0 });
        a!.addGossip(ann);
        a!.addGossip(upd);

        const port = await a!.listen();
        const c = await RawClient.connect(a!.nodeId, port);
        try {
          c.send(initMessage(featureBytes([...NEEDED, GOSSIP_QUERIES]), [REGTEST_CHAIN_HASH]));
          await c.nextOfType(16);
          // LDK asks for everything (first_timestamp 0: this WASM build has no clock, "no-std").
          const filter = (await c.nextOfType(265))!;
          deepEqual(filter, concat(u16be(265), REGTEST_CHAIN_HASH, u32be(0), u32be(0xffffffff)));
          // A filter whose window excludes the month-old update: LDK sends it all the same.
          c.send(concat(u16be(265), REGTEST_CHAIN_HASH, u32be(0xfffffff0), u32be(1)));
          const got = [(await c.nextOfType(256))!, (await c.nextOfType(258))!];
          deepEqual(got, [ann, upd]);
          // query_short_channel_ids gets no reply_short_channel_ids_end: the pong to a later ping
          // arrives first (LDK handles one peer's messages in order).
          c.send(concat(u16be(261), REGTEST_CHAIN_HASH, u16be(9), Uint8Array.of(0), u64be(scid)));
          c.send(ping(2));
          const skipped: Uint8Array[] = [];
          deepEqual(await c.nextOfType(19, skipped), pong(2));
          deepEqual(
            skipped.map(messageType).filter(t => t === 262),
            [],
          );
        } finally {
          await c.close();
        }
      }),
    );
  });
});
