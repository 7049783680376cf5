// The platform WebSocket transport in real Chromium, against the `ws` server that
// test/support/wtr-echo-plugin.mjs starts on 127.0.0.1.
import type { ByteStream, DialTarget } from '../../src/core/net/transport.ts';
import { concat } from '../../src/core/base/bytes.ts';
import { BrowserWebSocketDialer } from '../../src/transports/browser-websocket.ts';
import { TransportError } from '../../src/transports/errors.ts';
import { COALESCE_BYTES, TEXT_FRAME_REASON } from '../../src/transports/stream-base.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';

const HOST = '127.0.0.1';

async function number(path: string): Promise<number> {
  return Number(await (await fetch(path)).text());
}

function target(port: number, path = '/'): DialTarget {
  return { kind: 'websocket', url: `ws://${HOST}:${port}${path}`, host: HOST, port };
}

function pattern(n: number, from = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = ((from + i) * 131 + ((from + i) >>> 8)) & 0xff;
  return out;
}

function sink(s: ByteStream): { chunks: Uint8Array[]; closed: Promise<string>; atLeast(n: number): Promise<void> } {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const want: { n: number; resolve: () => void }[] = [];
  let resolveClosed!: (r: string) => void;
  const closed = new Promise<string>(r => (resolveClosed = r));
  s.start({
    data(c) {
      chunks.push(c);
      total += c.length;
      for (const w of want) if (total >= w.n) w.resolve();
    },
    close: r => resolveClosed(r),
  });
  return { chunks, closed, atLeast: n => (total >= n ? Promise.resolve() : new Promise(resolve => want.push({ n, resolve }))) };
}

describe('browser WebSocket transport', () => {
  let port = 0;
  before(async () => {
    port = await number('/__echo_port');
    ok(port > 0, 'the echo plugin serves its port');
  });

  it('echoes binary frames', async () => {
    const s = await new BrowserWebSocketDialer().dial(target(port));
    deepEqual(s.remote, { type: 'ipv4', address: HOST, port });
    const got = sink(s);
    await s.write(new Uint8Array([1, 2, 3, 250]));
    await got.atLeast(4);
    deepEqual(concat(...got.chunks), new Uint8Array([1, 2, 3, 250]));
    s.close('done');
    equal(await got.closed, 'done');
    await rejects(s.write(new Uint8Array([1])), TransportError, 'closed');
  });

  it('keeps the order of many frames, with backpressure on a small high-water mark', async () => {
    const s = await new BrowserWebSocketDialer({ highWaterMark: 4096, pollMs: 1 }).dial(target(port));
    const got = sink(s);
    const chunks: Uint8Array[] = [];
    let off = 0;
    for (let i = 0; i < 600; i++) {
      const n = 1 + ((i * 7919) % 5000);
      chunks.push(pattern(n, off));
      off += n;
    }
    for (const c of chunks) await s.write(c);
    await got.atLeast(off);
    // The writes of one task go as one frame (stream-base.ts), up to COALESCE_BYTES or so each.
    ok(got.chunks.length < chunks.length, `${got.chunks.length} frames for ${chunks.length} writes`);
    ok(Math.max(...got.chunks.map(c => c.length)) < COALESCE_BYTES + 5000, 'a frame ends once it reaches COALESCE_BYTES');
    deepEqual(concat(...got.chunks), pattern(off));
    s.close('done');
  });

  it('a text frame from the server closes the stream with a clear reason', async () => {
    const path = `/text?${Math.random()}`;
    const s = await new BrowserWebSocketDialer().dial(target(port, path));
    const got = sink(s);
    equal(await got.closed, TEXT_FRAME_REASON);
    deepEqual(concat(...got.chunks), new Uint8Array([7, 8, 9]), 'the binary frame before it was delivered');
    // The server saw our close: 4003 (the application's "unsupported data") and the reason.
    let seen: { path: string; code: number; reason: string } | undefined;
    while (!seen) {
      const all = (await (await fetch('/__echo_closes')).json()) as { path: string; code: number; reason: string }[];
      seen = all.find(c => c.path === path);
    }
    equal(seen.code, 4003);
    ok(seen.reason.includes('text frame'), seen.reason);
  });

  it("reports the server's close code and reason", async () => {
    const s = await new BrowserWebSocketDialer().dial(target(port, '/close'));
    equal(await sink(s).closed, 'peer closed the WebSocket (code 1000: server says bye)');
  });

  it('a dial to a closed port fails with a typed error', async () => {
    const closed = await number('/__closed_port');
    await rejects(new BrowserWebSocketDialer().dial(target(closed)), TransportError, 'dial_failed');
    await rejects(new BrowserWebSocketDialer().dial({ kind: 'websocket', url: 'ftp://x/', host: 'x', port: 1 }), TransportError, 'bad_url');
  });
});
