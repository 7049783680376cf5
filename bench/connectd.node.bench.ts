// connectd between two of our nodes over loopback, with the real Node transports (TCP, `ws`) and
// the real WebSocket-to-TCP bridge: handshakes per second (dial + BOLT 8 + init both ways +
// disconnect), ping round trips, and one-way message throughput, each over direct TCP, direct
// WebSocket and WebSocket through the bridge to the same node's TCP listener, measured interleaved
// with ratios against direct TCP. connectd runs in-process (the class the worker runs), with ECDH
// in-process too: no worker threads or Comlink hops in these numbers.
import { unpackGossipBatch } from '../src/core/daemons/connectd/batch.ts';
import { randomBytes } from 'node:crypto';
import type { Reporter } from './harness.ts';
import { Connectd } from '../src/core/daemons/connectd/connectd.ts';
import type { ConnectdEvents, GossipLink, PeerConnectedEvent, PeerDisconnectedEvent } from '../src/core/daemons/connectd/types.ts';
import { chainHash } from '../src/core/chain/chains.ts';
import { ecdh, getPublicKey, randomSecretKey } from '../src/core/crypto/primitives.ts';
import { toHex } from '../src/core/base/bytes.ts';
import { TYPE } from '../src/core/wire/messages.ts';
import { ourFeatures } from '../src/core/features/index.ts';
import type { DialTarget } from '../src/core/net/transport.ts';
import { combineDialers } from '../src/transports/dialer.ts';
import { TcpDialer, listenTcp, type Listener } from '../src/transports/tcp-node.ts';
import { WsDialer } from '../src/transports/ws-node.ts';
import { listenWebSocket } from '../src/transports/ws-listener-node.ts';
import { startBridge, type BridgeServer } from '../src/transports/bridge-server.ts';
import { nodeClock } from '../src/node/clock.ts';

export const title = 'connectd over loopback: handshakes, ping round trips, messages; direct TCP vs WebSocket vs the bridge';
export const runtimes = ['node' as const];

const silent = process.env.BENCH_DEBUG
  ? { debug: (m: string) => console.error(m), info: (m: string) => console.error(m), warn: (m: string) => console.error(m) }
  : { debug() {}, info() {}, warn() {} };
/** Messages a sender may have in flight (sent, not yet delivered to the receiver's gossipd link). */
const WINDOW = 256;

/** One connectd with its own key, counting what reaches its gossipd link, and waiters on its events. */
class Node {
  readonly secret = randomSecretKey();
  readonly id = toHex(getPublicKey(this.secret));
  readonly connectd: Connectd;
  /** Gossip messages delivered, by sender id. */
  private readonly got = new Map<string, number>();
  private waiters: { check(): boolean; resolve(): void }[] = [];
  private readonly live = new Set<string>();

  constructor() {
    const events: ConnectdEvents = {
      peerConnected: (e: PeerConnectedEvent) => {
        this.live.add(e.id);
        this.wake();
      },
      peerDisconnected: (e: PeerDisconnectedEvent) => {
        this.live.delete(e.id);
        this.wake();
      },
      peerSpoke: () => {},
    };
    const gossipLink: GossipLink = {
      newPeer() {},
      peerGone() {},
      gossipBatch: (id, batch) => {
        let n = 0;
        unpackGossipBatch(batch, () => void n++);
        this.got.set(id, (this.got.get(id) ?? 0) + n);
        this.wake();
      },
    };
    this.connectd = new Connectd({
      chainHash: chainHash('regtest'),
      ourFeatures: ourFeatures('I'),
      nodeId: getPublicKey(this.secret),
      ecdhLink: { ecdh: pub => ecdh(this.secret, pub) },
      dialer: combineDialers({ tcp: new TcpDialer(), websocket: new WsDialer() }),
      randomBytes: n => new Uint8Array(randomBytes(n)),
      clock: nodeClock,
      log: silent,
      events,
      gossipLink,
      // No keepalive pings, and no ping flood limit (flood.ts): the ping case sends nothing but pings.
      config: { pingIntervalMs: 0, pingBurst: 0 },
    });
  }

  received(from: string): number {
    return this.got.get(from) ?? 0;
  }

  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise(resolve => this.waiters.push({ check, resolve }));
  }

  connectedTo(id: string): Promise<void> {
    return this.until(() => this.live.has(id));
  }

  goneFrom(id: string): Promise<void> {
    return this.until(() => !this.live.has(id));
  }

  private wake(): void {
    const still = [];
    for (const w of this.waiters) {
      if (w.check()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}

interface Way {
  key: string;
  what: string;
  client: Node;
  target: DialTarget;
}

export async function run(report: Reporter): Promise<void> {
  const server = new Node();
  const listeners: Listener[] = [];
  let bridge: BridgeServer | undefined;
  const clients: Node[] = [];
  try {
    const tcp = await listenTcp('127.0.0.1', 0, s => server.connectd.acceptStream(s));
    listeners.push(tcp);
    const ws = await listenWebSocket('127.0.0.1', 0, s => server.connectd.acceptStream(s));
    listeners.push(ws);
    bridge = await startBridge({ allowLoopback: true, allowedPorts: [tcp.port], maxPerClient: 64 });
    const mk = (key: string, what: string, target: DialTarget): Way => {
      const client = new Node();
      clients.push(client);
      return { key, what, client, target };
    };
    const ways: Way[] = [
      mk('tcp', 'direct TCP', { kind: 'tcp', host: '127.0.0.1', port: tcp.port }),
      mk('ws', 'direct WebSocket', { kind: 'websocket', url: `ws://127.0.0.1:${ws.port}/`, host: '127.0.0.1', port: ws.port }),
      mk('bridge', 'WebSocket through the bridge to TCP', {
        kind: 'websocket',
        url: `${bridge.url}/127.0.0.1:${tcp.port}`,
        host: '127.0.0.1',
        port: bridge.port,
      }),
    ];
    /** Every case is compared with direct TCP's case of the same group. */
    const base = (group: string, w: Way) => (w.key === 'tcp' ? {} : { baselines: [`${group}-tcp`] });

    // Handshakes: dial, BOLT 8 (3 acts, 4 ECDH and 2 key generations in all), init both ways, then
    // disconnect and wait until both sides have let go (so every round is a fresh connection).
    const handshake = (w: Way) => async (): Promise<void> => {
      const upHere = server.connectedTo(w.client.id);
      await w.client.connectd.connectToPeer(server.id, [w.target]);
      await upHere;
      const gone = Promise.all([w.client.goneFrom(server.id), server.goneFrom(w.client.id)]);
      w.client.connectd.disconnect(server.id);
      await gone;
    };
    await report.measureGroup(
      ways.map(w => ({
        id: `hs-${w.key}`,
        label: `handshake + init + disconnect, ${w.what}`,
        fn: handshake(w),
        opts: { unit: 'handshake', ...base('hs', w) },
      })),
    );

    // From here on, each client keeps one connection.
    for (const w of ways) {
      const upHere = server.connectedTo(w.client.id);
      await w.client.connectd.connectToPeer(server.id, [w.target]);
      await upHere;
    }
    const pingRows = await report.measureGroup(
      ways.map(w => ({
        id: `ping-${w.key}`,
        label: `ping round trip (0 bytes each way), ${w.what}`,
        fn: () => w.client.connectd.ping(server.id, 0, 0),
        opts: { unit: 'ping', ...base('ping', w) },
      })),
    );
    const rtt = new Map(pingRows.map(r => [r.id, 1e6 / r.opsPerSec]));
    const us = (id: string) => rtt.get(id)!.toFixed(0);
    report.note(
      `ping round trip (median): direct TCP ${us('ping-tcp')} µs, direct WebSocket ${us('ping-ws')} µs, through the bridge ${us('ping-bridge')} µs ` +
        `(the bridge adds ${(rtt.get('ping-bridge')! - rtt.get('ping-tcp')!).toFixed(0)} µs per round trip over direct TCP).`,
    );

    // One-way throughput: gossip-type messages (connectd passes them to gossipd without decoding),
    // counted when they reach the receiver's gossipd link, with at most WINDOW in flight.
    const sent = new Map<string, number>();
    for (const [type, size, what] of [
      [TYPE.channel_update, 138, 'channel_update-sized'],
      [TYPE.query_short_channel_ids, 32_768, '32 KiB'],
    ] as const) {
      const msg = new Uint8Array(size).fill(0x5a);
      msg[0] = type >> 8;
      msg[1] = type & 0xff;
      const send = (w: Way) => async (): Promise<void> => {
        await w.client.connectd.sendToPeer(server.id, msg);
        const n = (sent.get(w.client.id) ?? 0) + 1;
        sent.set(w.client.id, n);
        if (n - server.received(w.client.id) >= WINDOW) {
          await server.until(() => server.received(w.client.id) >= n - WINDOW / 2);
        }
      };
      await report.measureGroup(
        ways.map(w => ({
          id: `msg${size}-${w.key}`,
          label: `${what} messages (${size} B) one way, ${w.what}`,
          fn: send(w),
          opts: { unit: 'msg', bytesPerOp: size, ...base(`msg${size}`, w) },
        })),
      );
      // Every message sent arrives (and nothing is left in flight for the next group).
      for (const w of ways) {
        const n = sent.get(w.client.id) ?? 0;
        await server.until(() => server.received(w.client.id) >= n);
      }
    }
    report.note("ratio = time per operation over direct TCP's, measured interleaved in one run (1.00x = as fast as direct TCP).");
    report.note(
      `connectd, its transports and the bridge all run in this one Node thread (ECDH in-process, no hsmd worker); messages: at most ${WINDOW} in flight, counted on delivery to the receiver's gossipd link.`,
    );
  } finally {
    for (const c of [server, ...clients]) c.connectd.stop();
    await Promise.all(listeners.map(l => l.close()));
    await bridge?.close();
  }
}
