// The Node transports on 127.0.0.1 (random ports): TCP (node:net) and WebSocket (`ws`), each as
// a dialer against our own listener, and against raw servers where a test needs a misbehaving peer.
import net from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import type { ByteStream, DialTarget } from '../../src/core/net/transport.ts';
import { concat } from '../../src/core/base/bytes.ts';
import { TcpDialer, listenTcp } from '../../src/transports/tcp-node.ts';
import { WsDialer } from '../../src/transports/ws-node.ts';
import { listenWebSocket } from '../../src/transports/ws-listener-node.ts';
import { combineDialers } from '../../src/transports/dialer.ts';
import { TransportError } from '../../src/transports/errors.ts';
import { COALESCE_BYTES, TEXT_FRAME_REASON } from '../../src/transports/stream-base.ts';
import { deepEqual, equal, ok, rejects, throws } from '../support/assert.ts';

const HOST = '127.0.0.1';
const tick = (): Promise<void> => new Promise(r => setImmediate(r));

/** Bytes whose value depends on their offset, so any reordering or loss shows. */
function pattern(n: number, from = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = ((from + i) * 131 + ((from + i) >>> 8)) & 0xff;
  return out;
}

interface Sink {
  chunks: Uint8Array[];
  closes: string[];
  closed: Promise<string>;
  bytes(): Uint8Array;
  /** Resolves once at least n bytes have arrived. */
  atLeast(n: number): Promise<void>;
}

function sink(s: ByteStream, onData?: (c: Uint8Array) => void): Sink {
  const chunks: Uint8Array[] = [];
  const closes: string[] = [];
  let total = 0;
  const want: { n: number; resolve: () => void }[] = [];
  let resolveClosed!: (r: string) => void;
  const closed = new Promise<string>(r => (resolveClosed = r));
  s.start({
    data(c) {
      chunks.push(c);
      total += c.length;
      for (const w of [...want]) if (total >= w.n) w.resolve();
      onData?.(c);
    },
    close(r) {
      closes.push(r);
      resolveClosed(r);
    },
  });
  return {
    chunks,
    closes,
    closed,
    bytes: () => concat(...chunks),
    atLeast: n => (total >= n ? Promise.resolve() : new Promise(resolve => want.push({ n, resolve }))),
  };
}

/** A listener that hands each accepted stream to the next waiter. */
function acceptQueue(): { onStream: (s: ByteStream) => void; next(): Promise<ByteStream> } {
  const ready: ByteStream[] = [];
  const waiting: ((s: ByteStream) => void)[] = [];
  return {
    onStream: s => (waiting.length ? waiting.shift()!(s) : ready.push(s)),
    next: () => (ready.length ? Promise.resolve(ready.shift()!) : new Promise(r => waiting.push(r))),
  };
}

function echo(s: ByteStream): void {
  s.start({ data: c => void s.write(c).catch(() => {}), close: () => {} });
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>(r => srv.listen(0, HOST, r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>(r => srv.close(() => r()));
  return port;
}

/** Many chunks of uneven sizes that concatenate to pattern(total). */
function manyChunks(count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  for (let i = 0; i < count; i++) {
    const n = 1 + ((i * 7919) % 3000);
    out.push(pattern(n, off));
    off += n;
  }
  return out;
}

type Kind = 'tcp' | 'ws';
const listen = (kind: Kind, onStream: (s: ByteStream) => void) =>
  kind === 'tcp' ? listenTcp(HOST, 0, onStream) : listenWebSocket(HOST, 0, onStream);
const target = (kind: Kind, port: number): DialTarget =>
  kind === 'tcp' ? { kind: 'tcp', host: HOST, port } : { kind: 'websocket', url: `ws://${HOST}:${port}/`, host: HOST, port };
const dialer = combineDialers({ tcp: new TcpDialer(), websocket: new WsDialer() });

for (const kind of ['tcp', 'ws'] as const) {
  describe(`transports: ${kind} round trips`, () => {
    it('echoes bytes, reports the remote address, and hands out plain Uint8Arrays', async () => {
      const l = await listen(kind, echo);
      try {
        const s = await dialer.dial(target(kind, l.port));
        deepEqual(s.remote, { type: 'ipv4', address: HOST, port: l.port });
        const got = sink(s);
        await s.write(new TextEncoder().encode('hello, peer'));
        await got.atLeast(11);
        equal(new TextDecoder().decode(got.bytes()), 'hello, peer');
        for (const c of got.chunks) equal(Object.getPrototypeOf(c), Uint8Array.prototype, 'a chunk is a plain Uint8Array, not a Buffer');
        s.close('done');
        equal(await got.closed, 'done');
      } finally {
        await l.close();
      }
    });

    it('keeps the order of many chunks both ways', async () => {
      const q = acceptQueue();
      const l = await listen(kind, q.onStream);
      try {
        const s = await dialer.dial(target(kind, l.port));
        const back = sink(s);
        const server = await q.next();
        const there = sink(server);
        const chunks = manyChunks(1500);
        const total = chunks.reduce((n, c) => n + c.length, 0);
        await Promise.all(chunks.map(c => s.write(c)));
        await there.atLeast(total);
        deepEqual(there.bytes(), pattern(total), 'server got every byte in order');
        // The writes of one task are gathered (stream-base.ts): a frame per COALESCE_BYTES or so, not one per write.
        if (kind === 'ws') {
          ok(there.chunks.length <= Math.ceil(total / COALESCE_BYTES) + 1, `${there.chunks.length} frames for ${chunks.length} writes`);
          ok(Math.max(...there.chunks.map(c => c.length)) < COALESCE_BYTES + 3000, 'a frame ends once it reaches COALESCE_BYTES');
        }
        for (const c of chunks.reverse()) await server.write(c);
        await back.atLeast(total);
        deepEqual(back.bytes(), concat(...chunks), 'client got every byte in order');
        s.close('done');
      } finally {
        await l.close();
      }
    });

    it('closes both ways: the closer sees its reason once, the peer sees it ended, writes then fail', async () => {
      const q = acceptQueue();
      const l = await listen(kind, q.onStream);
      try {
        const s = await dialer.dial(target(kind, l.port));
        const mine = sink(s);
        const theirs = sink(await q.next());
        s.close('bye from the client');
        s.close('a second close is ignored');
        equal(await mine.closed, 'bye from the client');
        const seen = await theirs.closed;
        equal(seen, kind === 'tcp' ? 'peer closed the connection' : 'peer closed the WebSocket (code 1000: bye from the client)');
        await tick();
        deepEqual(mine.closes, ['bye from the client']);
        deepEqual(theirs.closes, [seen]);
        await rejects(s.write(new Uint8Array([1])), TransportError, 'closed');
      } finally {
        await l.close();
      }
    });

    it('the server side closing reaches the client', async () => {
      const q = acceptQueue();
      const l = await listen(kind, q.onStream);
      try {
        const s = await dialer.dial(target(kind, l.port));
        const mine = sink(s);
        const server = await q.next();
        const theirs = sink(server);
        server.close('x'.repeat(300)); // longer than a close frame's 123 bytes
        equal(await theirs.closed, 'x'.repeat(300));
        const r = await mine.closed;
        if (kind === 'tcp') equal(r, 'peer closed the connection');
        else ok(/^peer closed the WebSocket \(code 1000: x{120}\.\.\.\)$/.test(r), r);
      } finally {
        await l.close();
      }
    });

    it('delivers data that arrived before start(), then the close', async () => {
      const l = await listen(kind, srv => {
        srv.start({ data: () => {}, close: () => {} });
        void srv.write(new TextEncoder().encode('early')).then(() => srv.close('sent'));
      });
      try {
        const s = await dialer.dial(target(kind, l.port));
        for (let i = 0; i < 50; i++) await tick();
        const got = sink(s);
        await got.closed;
        equal(new TextDecoder().decode(got.bytes()), 'early');
        throws(() => s.start({ data: () => {}, close: () => {} }), TransportError, 'already_started');
      } finally {
        await l.close();
      }
    });

    it('a dial to a closed port fails with a typed error', async () => {
      const port = await freePort();
      await rejects(dialer.dial(target(kind, port)), TransportError, 'dial_failed');
    });

    it('a dial with an aborted signal fails at once', async () => {
      const c = new AbortController();
      c.abort();
      await rejects(dialer.dial(target(kind, 1), c.signal), TransportError, 'dial_aborted');
      const t = new AbortController();
      t.abort(new DOMException('too slow', 'TimeoutError'));
      await rejects(dialer.dial(target(kind, 1), t.signal), TransportError, 'dial_timeout');
    });
  });
}

describe('transports: backpressure', () => {
  const BIG = 32 * 1024 * 1024; // far more than loopback socket buffers hold

  /** A raw peer on a random port that accepts one connection and reads nothing until resume(). */
  async function stalledPeer(
    kind: Kind,
  ): Promise<{ port: number; accepted: Promise<void>; resume(onData: (b: Buffer) => void): void; close(): void }> {
    let resumeFn: ((f: (b: Buffer) => void) => void) | undefined;
    let ready!: () => void;
    const accepted = new Promise<void>(r => (ready = r));
    let server: net.Server | WebSocketServer;
    if (kind === 'tcp') {
      server = net.createServer(sock => {
        sock.pause();
        resumeFn = f => sock.on('data', f).resume();
        ready();
      });
      server.listen(0, HOST);
    } else {
      server = new WebSocketServer({ host: HOST, port: 0, perMessageDeflate: false, maxPayload: 2 * BIG });
      server.on('connection', ws => {
        ws.pause();
        resumeFn = f => {
          ws.on('message', (d: Buffer) => f(d));
          ws.resume();
        };
        ready();
      });
    }
    await new Promise<void>(r => server.once('listening', () => r()));
    return {
      port: (server.address() as net.AddressInfo).port,
      accepted,
      resume: f => resumeFn!(f),
      close: () => void server.close(),
    };
  }

  async function check(kind: Kind): Promise<void> {
    const peer = await stalledPeer(kind);
    try {
      const s = await dialer.dial(target(kind, peer.port));
      await peer.accepted;
      const big = pattern(BIG);
      let settled = false;
      const p = s.write(big).then(() => (settled = true));
      for (let i = 0; i < 50; i++) await tick();
      ok(!settled, 'a write larger than every buffer must wait while the peer does not read');
      let got = 0;
      let inOrder = true;
      const all = new Promise<void>(done =>
        peer.resume(b => {
          for (let i = 0; i < b.length; i += 4099) if (b[i] !== big[got + i]) inOrder = false;
          got += b.length;
          if (got >= BIG) done();
        }),
      );
      await p;
      ok(settled);
      await all;
      equal(got, BIG);
      ok(inOrder, 'bytes arrived in order');
      s.close('done');
    } finally {
      peer.close();
    }
  }

  it('a TCP write resolves only after the peer drains it', () => check('tcp'));
  it('a WebSocket write resolves only after the peer drains it', () => check('ws'));
});

describe('transports: pausing the reader (connectd backpressure to the peer)', () => {
  const BIG = 16 * 1024 * 1024; // more than loopback socket buffers hold

  async function check(kind: Kind): Promise<void> {
    const q = acceptQueue();
    const l = kind === 'tcp' ? await listenTcp(HOST, 0, q.onStream) : await listenWebSocket(HOST, 0, q.onStream, { maxPayload: 2 * BIG });
    // The remote end is a plain socket: it sees only TCP's backpressure.
    const big = pattern(BIG);
    let unsent: () => number;
    let closeRemote: () => void;
    if (kind === 'tcp') {
      const c = net.connect({ host: HOST, port: l.port });
      await new Promise<void>(r => c.once('connect', () => r()));
      c.write(big);
      unsent = () => c.writableLength;
      closeRemote = () => c.destroy();
    } else {
      const c = new WebSocket(`ws://${HOST}:${l.port}/`, { perMessageDeflate: false });
      await new Promise<void>(r => c.once('open', () => r()));
      c.send(big);
      unsent = () => c.bufferedAmount;
      closeRemote = () => c.terminate();
    }
    try {
      const s = await q.next();
      s.pause!();
      const got = sink(s);
      for (let i = 0; i < 100; i++) await tick();
      equal(got.chunks.length, 0);
      ok(unsent() > 0, 'the peer cannot send it all while we do not read');
      s.resume!();
      await got.atLeast(BIG);
      deepEqual(got.bytes(), big);
      s.close('done');
    } finally {
      closeRemote();
      await l.close();
    }
  }

  it('a paused TCP stream delivers nothing, the peer waits in TCP, and resume() delivers it all in order', () => check('tcp'));
  it('a paused WebSocket stream delivers nothing, the peer waits in TCP, and resume() delivers it all in order', () => check('ws'));
});

describe('transports: WebSocket frames', () => {
  it('a text frame from the server is a protocol error that closes the client stream (1003)', async () => {
    const wss = new WebSocketServer({ host: HOST, port: 0 });
    await new Promise<void>(r => wss.once('listening', () => r()));
    const serverSaw = new Promise<[number, string]>(resolve =>
      wss.on('connection', ws => {
        ws.on('close', (code, reason) => resolve([code, reason.toString()]));
        ws.send(new Uint8Array([1, 2, 3])); // a binary frame first: delivered
        ws.send('not binary');
      }),
    );
    try {
      const port = (wss.address() as net.AddressInfo).port;
      const s = await new WsDialer().dial({ kind: 'websocket', url: `ws://${HOST}:${port}/`, host: HOST, port });
      const got = sink(s);
      equal(await got.closed, TEXT_FRAME_REASON);
      deepEqual(got.bytes(), new Uint8Array([1, 2, 3]));
      const [code, reason] = await serverSaw;
      equal(code, 1003);
      ok(reason.includes('text frame'), reason);
    } finally {
      wss.close();
    }
  });

  it('a text frame from a client closes the listener side stream', async () => {
    const q = acceptQueue();
    const l = await listenWebSocket(HOST, 0, q.onStream);
    try {
      const ws = new WebSocket(`ws://${HOST}:${l.port}/`);
      const clientSaw = new Promise<number>(r => ws.on('close', code => r(code)));
      await new Promise<void>(r => ws.once('open', () => r()));
      const got = sink(await q.next());
      ws.send('hello');
      equal(await got.closed, TEXT_FRAME_REASON);
      equal(await clientSaw, 1003);
    } finally {
      await l.close();
    }
  });

  it('a dial aborted while the server stalls the upgrade fails as aborted', async () => {
    const c = new AbortController();
    const stall = net.createServer(() => c.abort()).listen(0, HOST);
    await new Promise<void>(r => stall.once('listening', () => r()));
    try {
      const port = (stall.address() as net.AddressInfo).port;
      await rejects(
        new WsDialer().dial({ kind: 'websocket', url: `ws://${HOST}:${port}/`, host: HOST, port }, c.signal),
        TransportError,
        'dial_aborted',
      );
    } finally {
      stall.close();
    }
  });

  it('a dialer refuses the wrong kind of target', async () => {
    await rejects(
      new TcpDialer().dial({ kind: 'websocket', url: 'ws://127.0.0.1:1/', host: HOST, port: 1 }),
      TransportError,
      'unsupported_target',
    );
    await rejects(new WsDialer().dial({ kind: 'tcp', host: HOST, port: 1 }), TransportError, 'unsupported_target');
    await rejects(combineDialers({}).dial({ kind: 'tcp', host: HOST, port: 1 }), TransportError, 'unsupported_target');
  });
});
