// The browser WebSocket transport's side of `bridge-ack` (bridge-policy.ts), driven in Node with the
// `ws` package's client standing in for the platform WebSocket (same onmessage / protocol /
// bufferedAmount surface): through a bridge it offers the subprotocol, acknowledges what it received
// at least every BRIDGE_ACK_EVERY bytes once the bridge picked it, holds acknowledgements back while
// paused (the edge bridge then stops reading the target), and dials again without the offer when a
// bridge answers with no subprotocol. A direct WebSocket to a node offers nothing.
import { WebSocketServer, WebSocket as WsWebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { BRIDGE_ACK_EVERY, BRIDGE_ACK_PROTOCOL, BRIDGE_CLIENT_PROTOCOLS } from '../../src/core/bridge/policy.ts';
import type { ByteStream } from '../../src/core/net/transport.ts';
import { BrowserWebSocketDialer } from '../../src/transports/browser-websocket.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

interface Server {
  url: string;
  offered: string[][];
  acks: number[];
  /** Sends `n` binary frames of `size` bytes to the latest client. */
  send(n: number, size: number): void;
  close(): Promise<void>;
}

async function server(pick: (offered: Set<string>) => string | false): Promise<Server> {
  const offered: string[][] = [];
  const acks: number[] = [];
  let last: WsWebSocket | undefined;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: p => pick(p) });
  wss.on('connection', (ws, req) => {
    last = ws;
    ws.on('message', (data, binary) => {
      if (!binary) acks.push(Number(data.toString()));
    });
    void req;
  });
  wss.on('headers', (_h, req) =>
    offered.push(
      (req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map(s => s.trim())
        .filter(Boolean),
    ),
  );
  await new Promise<void>(r => wss.once('listening', () => r()));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/127.0.0.1:9735`,
    offered,
    acks,
    send(n, size) {
      for (let i = 0; i < n; i++) last!.send(new Uint8Array(size).fill(i & 0xff), { binary: true });
    },
    close: () =>
      new Promise<void>(r => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

const g = globalThis as { WebSocket?: unknown };
let saved: unknown;
before(() => {
  saved = g.WebSocket;
  g.WebSocket = WsWebSocket;
});
after(() => {
  g.WebSocket = saved;
});

async function received(s: ByteStream, n: number): Promise<void> {
  let got = 0;
  await new Promise<void>(resolve => {
    s.start({
      data: c => {
        got += c.length;
        if (got >= n) resolve();
      },
      close: () => resolve(),
    });
  });
}

const settle = (ms = 50) => new Promise(r => setTimeout(r, ms));

describe('browser WebSocket transport: bridge-ack', () => {
  it('through a bridge: offers the subprotocol (not first), and acknowledges at least every 16 KiB once the bridge picked it', async () => {
    const srv = await server(p => (p.has(BRIDGE_ACK_PROTOCOL) ? BRIDGE_ACK_PROTOCOL : false));
    try {
      const s = await new BrowserWebSocketDialer().dial({ kind: 'websocket', url: srv.url, host: '127.0.0.1', port: 9735, bridge: true });
      deepEqual(srv.offered[0], [...BRIDGE_CLIENT_PROTOCOLS]);
      ok(BRIDGE_CLIENT_PROTOCOLS[0] !== BRIDGE_ACK_PROTOCOL, 'a server that echoes the first offer must not pick bridge-ack');
      const total = 100 * 1024;
      const done = received(s, total);
      srv.send(100, 1024);
      await done;
      await settle();
      ok(srv.acks.length >= Math.floor(total / BRIDGE_ACK_EVERY), `acks: ${srv.acks.join(',')}`);
      for (let i = 1; i < srv.acks.length; i++) ok(srv.acks[i]! - srv.acks[i - 1]! >= BRIDGE_ACK_EVERY, 'no more often than every 16 KiB');
      ok(total - srv.acks[srv.acks.length - 1]! < BRIDGE_ACK_EVERY, 'never more than 16 KiB unacknowledged');
      s.close('done');
    } finally {
      await srv.close();
    }
  });

  it('while paused, nothing is acknowledged; on resume, everything received is', async () => {
    const srv = await server(p => (p.has(BRIDGE_ACK_PROTOCOL) ? BRIDGE_ACK_PROTOCOL : false));
    try {
      const s = await new BrowserWebSocketDialer().dial({ kind: 'websocket', url: srv.url, host: '127.0.0.1', port: 9735, bridge: true });
      let got = 0;
      s.start({ data: c => void (got += c.length), close: () => {} });
      s.pause!();
      srv.send(64, 1024);
      await settle(150);
      deepEqual(srv.acks, [], 'held back while paused');
      equal(got, 0, 'and nothing delivered');
      s.resume!();
      await settle();
      equal(got, 64 * 1024);
      deepEqual(srv.acks, [64 * 1024]);
      s.close('done');
    } finally {
      await srv.close();
    }
  });

  it('a bridge that picks no subprotocol: dialled again without the offer, and no acknowledgement is sent', async () => {
    const srv = await server(() => false);
    try {
      const s = await new BrowserWebSocketDialer().dial({ kind: 'websocket', url: srv.url, host: '127.0.0.1', port: 9735, bridge: true });
      equal(srv.offered.length, 2);
      deepEqual(srv.offered[1], []);
      const done = received(s, 40 * 1024);
      srv.send(40, 1024);
      await done;
      await settle();
      deepEqual(srv.acks, []);
      s.close('done');
    } finally {
      await srv.close();
    }
  });

  it('a server that echoes the first offered subprotocol gets no acknowledgement; a direct WebSocket offers nothing', async () => {
    const echo = await server(p => [...p][0] ?? false);
    try {
      const s = await new BrowserWebSocketDialer().dial({ kind: 'websocket', url: echo.url, host: '127.0.0.1', port: 9735, bridge: true });
      const done = received(s, 40 * 1024);
      echo.send(40, 1024);
      await done;
      await settle();
      deepEqual(echo.acks, [], 'no text frame into a stream that would forward it');
      s.close('done');
      const d = await new BrowserWebSocketDialer().dial({ kind: 'websocket', url: echo.url, host: '127.0.0.1', port: 9735 });
      deepEqual(echo.offered[1], []);
      d.close('done');
    } finally {
      await echo.close();
    }
  });
});
