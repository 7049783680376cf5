// The node's WebSocket listener (`--bind-addr ws:HOST:PORT`, ws-listener-node.ts) bounded before
// the upgrade (issue 10, finding 11): half-open upgrades per address, a header timeout,
// maxConnections. Real sockets on 127.0.0.x; small limits; everything closed at the end.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import type { ByteStream } from '../../src/core/net/transport.ts';
import { WsDialer } from '../../src/transports/ws-node.ts';
import { listenWebSocket } from '../../src/transports/ws-listener-node.ts';
import { equal } from '../support/assert.ts';
import { eventually, halfOpen, type HalfOpen } from './fixtures/half-open.ts';

/** Opens a WebSocket from `localAddress`; 'open' (then closes it) or 'failed'. */
function wsOpen(port: number, localAddress: string): Promise<'open' | 'failed'> {
  return new Promise(resolve => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { localAddress, perMessageDeflate: false });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('error', () => resolve('failed'));
  });
}

/** A peer dials the listener and the listener hands out the stream (retried while the listener
 * is still letting go of closed connections: a bounded loop). */
async function dialOnce(port: number, accepted: ByteStream[]): Promise<void> {
  const n = accepted.length;
  for (let i = 0; ; i++) {
    try {
      const s = await new WsDialer().dial({ kind: 'websocket', url: `ws://127.0.0.1:${port}/`, host: '127.0.0.1', port });
      await eventually(() => accepted.length > n, 'stream accepted');
      s.close('done');
      return;
    } catch (e) {
      if (i >= 50) throw e;
      await sleep(20);
    }
  }
}

describe('ws-listener-node: bounded before the upgrade (finding 11)', { timeout: 30_000 }, () => {
  it('holds at most maxPendingPerClient half-open upgrades per address; other addresses connect', async () => {
    const accepted: ByteStream[] = [];
    const l = await listenWebSocket('127.0.0.1', 0, s => accepted.push(s), { maxPendingPerClient: 2 });
    const conns: HalfOpen[] = [];
    try {
      for (let i = 0; i < 8; i++) conns.push(halfOpen(l.port));
      await eventually(() => conns.filter(c => c.closed()).length === 6, '6 of 8 closed at accept');
      // The same address has no slot left while two half-open upgrades wait...
      const same = await wsOpen(l.port, '127.0.0.1');
      equal(same, 'failed');
      // ...another address is not affected.
      equal(await wsOpen(l.port, '127.0.0.2'), 'open');
      await eventually(() => accepted.length === 1, 'stream accepted');
      for (const c of conns) c.sock.destroy();
      await eventually(() => accepted.length === 1 && conns.every(c => c.closed()), 'half-open closed');
      await dialOnce(l.port, accepted);
    } finally {
      for (const c of conns) c.sock.destroy();
      for (const s of accepted) s.close('done');
      await l.close();
    }
  });

  it('closes upgrades not completed within headerTimeoutMs', async () => {
    const accepted: ByteStream[] = [];
    const l = await listenWebSocket('127.0.0.1', 0, s => accepted.push(s), { headerTimeoutMs: 200 });
    const conns = [halfOpen(l.port, '127.0.0.1'), halfOpen(l.port, '127.0.0.2')];
    try {
      // Node alone would wait 60 s (headersTimeout, checked every 30 s): past this test's timeout.
      await eventually(() => conns.every(c => c.closed()), 'half-open upgrades closed by the header timeout');
      await dialOnce(l.port, accepted);
    } finally {
      for (const c of conns) c.sock.destroy();
      for (const s of accepted) s.close('done');
      await l.close();
    }
  });

  it('caps TCP connections held at once with maxConnections', async () => {
    const accepted: ByteStream[] = [];
    const l = await listenWebSocket('127.0.0.1', 0, s => accepted.push(s), { maxConnections: 3 });
    const conns: HalfOpen[] = [];
    try {
      for (let i = 1; i <= 3; i++) conns.push(halfOpen(l.port, `127.0.0.${i}`));
      await sleep(50);
      const fourth = halfOpen(l.port, '127.0.0.4');
      await eventually(() => fourth.closed(), 'the fourth dropped (maxConnections 3)');
      equal(conns.filter(c => c.closed()).length, 0, 'the first three wait for their 10 s header timeout');
      conns[0]!.sock.destroy();
      await eventually(() => conns[0]!.closed(), 'one closed');
      await dialOnce(l.port, accepted);
    } finally {
      for (const c of conns) c.sock.destroy();
      for (const s of accepted) s.close('done');
      await l.close();
    }
  });
});
