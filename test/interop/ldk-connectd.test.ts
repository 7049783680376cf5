// connectd against LDK (an independent BOLT 1/8 implementation, test/interop/ldk/), with our node
// as users run it (hsmd and connectd in worker threads, JSON-RPC through lightningd): LDK dials our
// TCP listener and we dial LDK's; BOLT 1 ping/pong both ways (our `ping` RPC, LDK's keepalive on
// its timer tick); 1,200+ messages each way on one connection, so both sides rotate their BOLT 8
// keys several times; and once more through our WebSocket-to-TCP bridge to LDK's TCP listener.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { startNode, type RunningNode } from '../../src/node/node.ts';
import { startBridge, type BridgeServer } from '../../src/transports/bridge-server.ts';
import { startLdkPeer, type LdkPeer } from './ldk/peer.ts';
import { RawClient, featureBits, featureBytes, initMessage, parseInit } from './ldk/raw-client.ts';
import { REGTEST_CHAIN_HASH } from './ldk/signed-gossip.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

/** Pings on one connection: each ping and each pong is one BOLT 8 message (2 nonces: length + body). */
const MANY = 1_250;
/** Our `ping` RPCs in flight at once during the long run. */
const IN_FLIGHT = 8;

interface PeerConnected {
  id: string;
  counter: number;
  features: string;
  direction: 'in' | 'out';
}
interface PeerDisconnected {
  id: string;
  counter: number;
  reason: string;
}
interface ListedPeer {
  id: string;
  connected: boolean;
  features: string;
  netaddr: string[];
}

/** Polls until `fn` gives a value. The bound only turns a hang into a failure; nothing asserts on time. */
async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

/** BOLT 1 init: our `features` in listpeers is globalfeatures OR features, minimal big-endian. */
function orFeaturesHex(global: Uint8Array, local: Uint8Array): string {
  const n = Math.max(global.length, local.length);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[n - 1 - i] = (global[global.length - 1 - i] ?? 0) | (local[local.length - 1 - i] ?? 0);
  let start = 0;
  while (start < n && out[start] === 0) start++;
  return toHex(out.subarray(start));
}

describe('connectd interop with LDK (TCP and through the bridge)', () => {
  const dirs: string[] = [];
  let ldk: LdkPeer;
  let ldkPort: number;
  /** LDK's init features as LDK itself sends them on the wire (read with the bare client). */
  let ldkFeatures: string;
  let node: RunningNode;
  let bridge: BridgeServer | undefined;
  const connected: PeerConnected[] = [];
  const disconnected: PeerDisconnected[] = [];

  const lastConnected = (id: string) => [...connected].reverse().find(e => e.id === id);
  const ourPeer = async (id: string): Promise<ListedPeer | undefined> =>
    ((await node.call('listpeers', { id })) as { peers: ListedPeer[] }).peers.find(p => p.id === id);
  /** Disconnects LDK from our side and waits until both sides have let go. */
  const hangUp = async (): Promise<void> => {
    const c = lastConnected(ldk.nodeId)!;
    deepEqual(await node.call('disconnect', { id: ldk.nodeId }), {});
    await ldk.waitForPeerGone(node.id);
    await until('our peer_disconnected', () => disconnected.find(d => d.counter === c.counter));
  };

  before(async () => {
    ldk = await startLdkPeer({ tickIntervalMs: 0, name: 'ldk-connectd' });
    ldkPort = await ldk.listen();
    // LDK's own init, read by hand: what our connectd must report as LDK's features.
    const raw = await RawClient.connect(ldk.nodeId, ldkPort);
    try {
      raw.send(initMessage(featureBytes([1, 9, 13, 15]), [REGTEST_CHAIN_HASH]));
      const init = parseInit((await raw.nextOfType(16))!);
      ldkFeatures = orFeaturesHex(init.globalFeatures, init.features);
    } finally {
      await raw.close();
    }
    await ldk.waitForPeerGone(raw.nodeId);
    const dir = mkdtempSync(join(tmpdir(), 'bw-ldk-connectd-'));
    dirs.push(dir);
    node = await startNode({
      network: 'regtest',
      lightningDir: dir,
      bindAddr: ['127.0.0.1:0'],
      verifyWorkers: 1,
      onEvent: (ev, payload) => {
        if (ev === 'peer_connected') connected.push(payload as PeerConnected);
        if (ev === 'peer_disconnected') disconnected.push(payload as PeerDisconnected);
      },
    });
  });

  after(async () => {
    await Promise.all([node?.stop(), ldk?.stop(), bridge?.close()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('LDK dials our TCP listener: handshake and init; each side lists the other with its features', async () => {
    for (const b of [0, 8, 12, 14]) ok(featureBits(fromHex(ldkFeatures)).includes(b), `LDK requires bit ${b}`);
    const ours = ((await node.call('getinfo')) as { our_features: { init: string } }).our_features.init;
    await ldk.connect(node.id, '127.0.0.1', node.binding[0]!.port);
    const ev = await until('peer_connected from LDK', () => lastConnected(ldk.nodeId));
    equal(ev.direction, 'in');
    equal(ev.features, ldkFeatures);
    const listed = await until('LDK in our listpeers', () => ourPeer(ldk.nodeId));
    equal(listed.connected, true);
    equal(listed.features, ldkFeatures, 'the features LDK sent, as LDK sent them');
    equal(listed.netaddr.length, 1);
    deepEqual(ldk.connectedPeers(), [node.id]);
    const d = ldk.peerDetails()[0]!;
    equal(d.inbound, false);
    equal(d.initFeatures, ours, 'LDK got our init features');
    await hangUp();
  });

  it("we dial LDK: connect answers direction out with LDK's features", async () => {
    const r = (await node.call('connect', { id: `${ldk.nodeId}@127.0.0.1:${ldkPort}` })) as {
      id: string;
      direction: string;
      features: string;
      address: unknown;
    };
    equal(r.id, ldk.nodeId);
    equal(r.direction, 'out');
    equal(r.features, ldkFeatures);
    deepEqual(r.address, { type: 'ipv4', address: '127.0.0.1', port: ldkPort });
    const ev = await until('peer_connected to LDK', () => [...connected].reverse().find(e => e.id === ldk.nodeId && e.direction === 'out'));
    equal(ev.features, ldkFeatures);
    equal((await ourPeer(ldk.nodeId))?.features, ldkFeatures);
    await ldk.waitForPeer(node.id);
    equal(ldk.peerDetails()[0]!.inbound, true);
  });

  it("ping/pong both ways: our ping RPC gets LDK's pong; LDK's keepalive pings are answered and LDK keeps us", async () => {
    const counter = lastConnected(ldk.nodeId)!.counter;
    const from = ldk.messages.length;
    deepEqual(await node.call('ping', { id: ldk.nodeId, len: 100, pongbytes: 50 }), { totlen: 54 });
    const seen = await ldk.waitForMessage(e => e.direction === 'in' && e.type === 'Ping' && e.peer === node.id, from);
    equal(seen.detail, '{ ponglen: 50, byteslen: 100 }');
    deepEqual(await node.call('ping', { id: ldk.nodeId, len: 0, pongbytes: 0 }), { totlen: 4 });
    // LDK pings on each timer tick and drops a peer whose pong to the previous ping has not come:
    // three ticks, each answered, and LDK still has us on the same connection.
    for (let i = 0; i < 3; i++) {
      const at = ldk.messages.length;
      ldk.tick();
      await ldk.waitForMessage(e => e.direction === 'out' && e.type === 'Ping' && e.peer === node.id, at);
      await ldk.waitForMessage(e => e.direction === 'in' && e.type === 'Pong' && e.peer === node.id, at);
    }
    ldk.tick();
    deepEqual(ldk.connectedPeers(), [node.id]);
    equal(lastConnected(ldk.nodeId)!.counter, counter);
    ok(!disconnected.some(d => d.counter === counter), 'no disconnect');
  });

  it(`${MANY} pings and pongs on one connection: both sides rotate their BOLT 8 keys (every 500 messages) and stay in step`, async () => {
    const counter = lastConnected(ldk.nodeId)!.counter;
    const from = ldk.messages.length;
    const results: { totlen: number }[] = new Array(MANY);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < MANY) {
        const i = next++;
        results[i] = (await node.call('ping', { id: ldk.nodeId, len: i % 97, pongbytes: i % 41 })) as { totlen: number };
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    for (let i = 0; i < MANY; i++) equal(results[i]?.totlen, (i % 41) + 4, `pong ${i}`);
    const pings = ldk.messages.slice(from).filter(e => e.direction === 'in' && e.type === 'Ping' && e.peer === node.id);
    ok(pings.length >= MANY, `LDK received ${pings.length} pings`);
    // Still the same connection, and one more message each way after the rotations.
    equal(lastConnected(ldk.nodeId)!.counter, counter);
    ok(!disconnected.some(d => d.counter === counter), 'no disconnect');
    deepEqual(ldk.connectedPeers(), [node.id]);
    deepEqual(await node.call('ping', { id: ldk.nodeId, len: 10, pongbytes: 20 }), { totlen: 24 });
    const at = ldk.messages.length;
    ldk.tick();
    await ldk.waitForMessage(e => e.direction === 'in' && e.type === 'Pong' && e.peer === node.id, at);
    ldk.tick();
    deepEqual(ldk.connectedPeers(), [node.id]);
    equal(lastConnected(ldk.nodeId)!.counter, counter);
    await hangUp();
  });

  it('through our WebSocket-to-TCP bridge: WebSocket from connectd, TCP from the bridge to LDK', async () => {
    bridge = await startBridge({ allowLoopback: true, allowedPorts: [ldkPort] });
    const before = connected.length;
    // The bridge URL form (`ws://bridge/{host}:{port}`) is a WebSocket endpoint our dialer opens
    // directly: the only way this connect can reach LDK is the bridge.
    const r = (await node.call('connect', { id: ldk.nodeId, host: `${bridge.url}/127.0.0.1:${ldkPort}` })) as {
      direction: string;
      features: string;
    };
    equal(r.direction, 'out');
    equal(r.features, ldkFeatures);
    await until('peer_connected through the bridge', () => (connected.length === before + 1 ? true : undefined));
    equal(bridge.stats.total, 1, 'the bridge carries the connection');
    await ldk.waitForPeer(node.id);
    const counter = lastConnected(ldk.nodeId)!.counter;
    // The largest ping (65,529 ignored bytes: a 65,535-byte message) crosses the bridge too.
    for (const [len, pongbytes] of [
      [0, 0],
      [1000, 500],
      [65529, 1],
    ] as const) {
      deepEqual(await node.call('ping', { id: ldk.nodeId, len, pongbytes }), { totlen: pongbytes + 4 });
    }
    const at = ldk.messages.length;
    ldk.tick();
    await ldk.waitForMessage(e => e.direction === 'in' && e.type === 'Pong' && e.peer === node.id, at);
    ldk.tick();
    deepEqual(ldk.connectedPeers(), [node.id]);
    equal(lastConnected(ldk.nodeId)!.counter, counter);
    await hangUp();
    await until('the bridge to close its side', () => (bridge!.stats.total === 0 ? true : undefined));
  });
});
