// The edge bridge Worker (src/edge/bridge-worker.ts) under miniflare (workerd), bundled with
// esbuild: bridging to a TCP echo server on 127.0.0.1 with BRIDGE_ALLOW_LOOPBACK, backpressure
// towards a client that does not read (the flow window), and refusals with the default policy. Nothing leaves loopback (`cf: false`, no metrics, no DNS for names
// the policy refuses). Each Miniflare is disposed at the end, which stops its workerd process.
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ok, equal, deepEqual } from '../support/assert.ts';

process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

interface Target {
  port: number;
  sockets: Socket[];
  server: Server;
  close(): Promise<void>;
}

async function tcpTarget(onConn: (s: Socket) => void = s => s.pipe(s)): Promise<Target> {
  const sockets: Socket[] = [];
  const server = createServer(s => {
    sockets.push(s);
    s.on('error', () => {});
    onConn(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    sockets,
    server,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>(r => server.close(() => r()));
    },
  };
}

let bundled: string | undefined;
async function workerScript(): Promise<string> {
  if (bundled) return bundled;
  const out = await build({
    entryPoints: ['src/edge/bridge-worker.ts'],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['cloudflare:*'],
    write: false,
    logLevel: 'silent',
  });
  bundled = out.outputFiles[0]!.text;
  return bundled;
}

interface Worker {
  mf: Miniflare;
  url: string;
  /** What the Worker wrote to the console (workerd's stdout and stderr). */
  output: string[];
}

async function startWorker(bindings: Record<string, string>): Promise<Worker> {
  const output: string[] = [];
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'bridge-worker.mjs', contents: await workerScript() }],
    compatibilityDate: '2026-04-01',
    bindings,
    cf: false,
    host: '127.0.0.1',
    port: 0,
    handleRuntimeStdio: (stdout, stderr) => {
      stdout.on('data', (d: Buffer) => output.push(d.toString()));
      stderr.on('data', (d: Buffer) => output.push(d.toString()));
    },
  });
  const url = (await mf.ready).href.replace(/^http/, 'ws').replace(/\/$/, '');
  return { mf, url, output };
}

type Opened = { ws: WebSocket; status?: number };

function open(url: string, opts: WebSocket.ClientOptions = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (req, res) => {
      resolve({ ws, status: res.statusCode ?? 0 });
      res.resume();
      req.destroy();
    });
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise(resolve => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function refusedWith(url: string, opts?: WebSocket.ClientOptions): Promise<{ code: number; reason: string }> {
  const r = await open(url, opts);
  ok(r.status === undefined, `expected an upgrade, got HTTP ${r.status}`);
  return closed(r.ws);
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(5);
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

describe('bridge-worker (miniflare): bridging with BRIDGE_ALLOW_LOOPBACK', { timeout: 60_000 }, () => {
  let echo: Target;
  let w: Worker;

  before(async () => {
    echo = await tcpTarget();
    w = await startWorker({
      BRIDGE_ALLOW_LOOPBACK: 'true',
      BRIDGE_ALLOWED_PORTS: String(echo.port),
      BRIDGE_MAX_PER_CLIENT: '4',
      BRIDGE_IDLE_TIMEOUT_MS: '600',
    });
  });
  after(async () => {
    await w.mf.dispose();
    await echo.close();
  });

  it('carries bytes in order over many frames (/bridge/{host}:{port}), to a client that acknowledges', async () => {
    const ws = new WebSocket(`${w.url}/bridge/127.0.0.1:${echo.port}`, 'bridge-ack', { perMessageDeflate: false });
    const frames: Buffer[] = [];
    for (let i = 0; i < 1000; i++) frames.push(pattern(((i * 7919) % 3000) + 1, i + 1));
    const want = Buffer.concat(frames);
    const got: Buffer[] = [];
    let n = 0;
    const done = new Promise<void>(resolve =>
      ws.on('message', (d: Buffer, isBinary: boolean) => {
        ok(isBinary, 'binary frames only');
        got.push(d);
        n += d.length;
        ws.send(String(n)); // 1.5 MB echoed: more than one flow window (256 KiB)
        if (n >= want.length) resolve();
      }),
    );
    await once(ws, 'open');
    for (const f of frames) ws.send(f);
    await done;
    ok(Buffer.concat(got).equals(want), 'bytes came back in order');
    const c = closed(ws);
    ws.close(1000);
    equal((await c).code, 1000);
  });

  it('accepts /{host}:{port} and bytes sent before the target is connected', async () => {
    const ws = new WebSocket(`${w.url}/127.0.0.1:${echo.port}`);
    ws.once('open', () => ws.send(Buffer.from('act one')));
    const [d] = (await once(ws, 'message')) as [Buffer];
    equal(d.toString(), 'act one');
    ws.close();
    await closed(ws);
  });

  it('closes with 1003 on a text frame', async () => {
    const { ws } = await open(`${w.url}/bridge/127.0.0.1:${echo.port}`);
    const c = closed(ws);
    ws.send('hello');
    deepEqual(await c, { code: 1003, reason: 'binary frames only' });
  });

  it('target close reaches the client as 1000 after the last bytes; client close reaches the target', async () => {
    const target = await tcpTarget(s => s.once('data', () => s.end('goodbye')));
    const w2 = await startWorker({ BRIDGE_ALLOW_LOOPBACK: 'true', BRIDGE_ALLOWED_PORTS: String(target.port) });
    try {
      const { ws } = await open(`${w2.url}/bridge/127.0.0.1:${target.port}`);
      const got: Buffer[] = [];
      ws.on('message', (d: Buffer) => got.push(d));
      const c = closed(ws);
      ws.send(Buffer.from('hi'));
      deepEqual(await c, { code: 1000, reason: 'target closed the connection' });
      equal(Buffer.concat(got).toString(), 'goodbye');
    } finally {
      await w2.mf.dispose();
      await target.close();
    }
    const n = echo.sockets.length;
    const { ws } = await open(`${w.url}/bridge/127.0.0.1:${echo.port}`);
    ws.send(Buffer.from('x'));
    await once(ws, 'message');
    const tcpEnded = once(echo.sockets[n]!, 'close');
    ws.close(1000);
    await tcpEnded;
  });

  it('idle timeout closes with 4000', async () => {
    const { ws } = await open(`${w.url}/bridge/127.0.0.1:${echo.port}`);
    deepEqual(await closed(ws), { code: 4000, reason: 'idle timeout' });
  });

  it('per-client cap (per isolate): of 10 simultaneous connections, 4 open and 6 get 429', async () => {
    const url = `${w.url}/bridge/127.0.0.1:${echo.port}`;
    const results = await Promise.all(Array.from({ length: 10 }, () => open(url)));
    const opened = results.filter(r => r.status === undefined);
    equal(opened.length, 4);
    deepEqual(
      results.filter(r => r.status !== undefined).map(r => r.status),
      [429, 429, 429, 429, 429, 429],
    );
    for (const r of opened) r.ws.close();
    await Promise.all(opened.map(r => (r.ws.readyState === WebSocket.CLOSED ? undefined : closed(r.ws))));
    // Slots come back once the Worker has seen the closes.
    let again: Opened;
    for (;;) {
      again = await open(url);
      if (again.status === undefined) break;
      await sleep(20);
    }
    again.ws.send(Buffer.from('x'));
    await once(again.ws, 'message');
    again.ws.close();
    await closed(again.ws);
  });
});

describe('bridge-worker (miniflare): refusals with the default policy', { timeout: 60_000 }, () => {
  let echo: Target;
  let w: Worker;
  const origin = 'https://app.example';

  before(async () => {
    echo = await tcpTarget();
    w = await startWorker({ BRIDGE_ALLOWED_PORTS: `9735,${echo.port}`, BRIDGE_ALLOWED_ORIGINS: origin });
  });
  after(async () => {
    await w.mf.dispose();
    await echo.close();
  });

  it('refuses special-use IP literals and names before connecting', async () => {
    const cases: Array<[string, string]> = [
      [`127.0.0.1:${echo.port}`, 'special_use_address:'],
      [`localhost:${echo.port}`, 'special_use_name:'],
      ['10.0.0.1:9735', 'special_use_address:'],
      ['192.168.1.1:9735', 'special_use_address:'],
      ['169.254.169.254:9735', 'special_use_address:'],
      ['[::1]:9735', 'special_use_address:'],
      ['[fe80::1]:9735', 'special_use_address:'],
      ['metadata.google.internal:9735', 'special_use_name:'],
      ['127.0.0.1.nip.io:9735', 'special_use_name:'],
      ['2130706433:9735', 'bad_host:'],
      ['node.example.com:9735', 'name_not_allowed:'],
      [`localtest.me:${echo.port}`, 'special_use_name:'],
      ['1.1.1.1:22', 'port_not_allowed:'],
      ['nohost', 'bad_port:'],
    ];
    for (const [t, prefix] of cases) {
      const { code, reason } = await refusedWith(`${w.url}/bridge/${t}`, { origin });
      equal(code, 1008, t);
      ok(reason.startsWith(prefix), `${t}: ${reason}`);
    }
    equal(echo.sockets.length, 0, 'the loopback echo server was never reached');
    await until(() => w.output.join('').split('bridge refused').length > cases.length);
    ok(!w.output.join('').includes('bridge open'), 'no bridge may have opened');
    everyLineComplete(w);
  });

  it('refuses to run with a flow window under 64 KiB or a bad switch (500, before any connection)', async () => {
    const cases: Record<string, string>[] = [
      { BRIDGE_FLOW_WINDOW: '1000' },
      { BRIDGE_CONNECT_NAMES: 'yes' },
      { BRIDGE_ALLOW_LOOPBACK: 'on' },
    ];
    for (const bindings of cases) {
      const bad = await startWorker(bindings);
      try {
        const res = await bad.mf.dispatchFetch('http://localhost/bridge/1.1.1.1:9735', { headers: { Upgrade: 'websocket' } });
        equal(res.status, 500, JSON.stringify(bindings));
        await res.text();
      } finally {
        await bad.mf.dispose();
      }
    }
  });

  it('refuses other Origins with 403 and plain requests with 426', async () => {
    equal((await open(`${w.url}/bridge/1.1.1.1:9735`, { origin: 'https://evil.example' })).status, 403);
    equal((await open(`${w.url}/bridge/1.1.1.1:9735`)).status, 403);
    const res = await w.mf.dispatchFetch('http://localhost/bridge/1.1.1.1:9735');
    equal(res.status, 426);
    await res.text();
  });
});

/** Every `bridge ...` line the Worker logged names the client, target, decision and reason. */
function everyLineComplete(w: Worker): void {
  const lines = w.output
    .join('')
    .split('\n')
    .filter(l => /bridge (open|closed|refused)/.test(l));
  ok(lines.length > 0, 'the Worker logged its decisions');
  for (const l of lines) {
    const fields = JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>;
    for (const f of ['client', 'target', 'decision', 'reason']) ok(typeof fields[f] === 'string' && fields[f] !== '', `${l}: no ${f}`);
  }
}

describe('bridge-worker (miniflare): loopback and private ranges, each its own switch (finding 14)', { timeout: 60_000 }, () => {
  let echo: Target;
  before(async () => {
    echo = await tcpTarget();
  });
  after(async () => {
    await echo.close();
  });

  it('BRIDGE_ALLOW_PRIVATE alone does not reach loopback; neither switch reaches link-local or metadata', async () => {
    const w = await startWorker({ BRIDGE_ALLOW_PRIVATE: 'true', BRIDGE_ALLOWED_PORTS: `9735,${echo.port}` });
    const both = await startWorker({
      BRIDGE_ALLOW_PRIVATE: 'true',
      BRIDGE_ALLOW_LOOPBACK: 'true',
      BRIDGE_ALLOWED_PORTS: `9735,${echo.port}`,
    });
    try {
      const r = await refusedWith(`${w.url}/bridge/127.0.0.1:${echo.port}`);
      equal(r.code, 1008);
      ok(r.reason.startsWith('special_use_address:') && r.reason.includes('loopback'), r.reason);
      for (const t of [
        '169.254.169.254:9735',
        '169.254.10.1:9735',
        '[fe80::1]:9735',
        '[fd00:ec2::254]:9735',
        '100.100.100.200:9735',
        `localhost:${echo.port}`,
      ]) {
        const x = await refusedWith(`${both.url}/bridge/${t}`);
        equal(x.code, 1008, t);
        ok(x.reason.startsWith('special_use_'), `${t}: ${x.reason}`);
      }
      equal(echo.sockets.length, 0, 'nothing reached the loopback target');
    } finally {
      await w.mf.dispose();
      await both.mf.dispose();
    }
  });
});

describe('bridge-worker (miniflare): backpressure towards a client that does not read (finding 13)', { timeout: 90_000 }, () => {
  const TOTAL = 32 << 20;
  const CHUNK = 64 << 10;
  let source: Target;
  let flushed = 0;
  let w: Worker;

  before(async () => {
    // A target that sends TOTAL bytes as fast as its socket takes them; `flushed` counts the bytes
    // the kernel took, so it stops growing once the bridge stops reading.
    source = await tcpTarget(s => {
      let sent = 0;
      const more = (): void => {
        while (sent < TOTAL) {
          const chunk = pattern(CHUNK, sent / CHUNK + 1);
          sent += CHUNK;
          if (!s.write(chunk, err => !err && (flushed += CHUNK))) {
            s.once('drain', more);
            return;
          }
        }
        s.end();
      };
      more();
    });
    w = await startWorker({
      BRIDGE_ALLOW_LOOPBACK: 'true',
      BRIDGE_ALLOWED_PORTS: String(source.port),
      BRIDGE_FLOW_WINDOW: String(256 << 10),
    });
  });
  after(async () => {
    await w.mf.dispose();
    await source.close();
  });

  /** Waits (a bounded loop) until the target has made no progress for 20 polls in a row. */
  async function stalled(): Promise<boolean> {
    let last = -1;
    let still = 0;
    for (let i = 0; i < 600 && still < 20; i++) {
      await sleep(25);
      still = flushed === last ? still + 1 : 0;
      last = flushed;
    }
    return still >= 20;
  }

  it('stops reading the target while a window is unacknowledged, and carries everything once the client reads', async () => {
    const got: Buffer[] = [];
    let n = 0;
    let acking = false;
    let allIn!: () => void;
    const all = new Promise<void>(resolve => (allIn = resolve));
    const ws = new WebSocket(`${w.url}/bridge/127.0.0.1:${source.port}`, 'bridge-ack', { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    // Listening from the start: frames that arrive with the 101 are emitted before `open` resolves.
    ws.on('message', (d: Buffer, isBinary: boolean) => {
      ok(isBinary);
      got.push(d);
      n += d.length;
      if (acking) ws.send(String(n));
      if (n >= TOTAL) allIn();
    });
    ws.once('open', () => ws.pause()); // the client's socket is not read: nothing is acknowledged
    await once(ws, 'open');
    equal(ws.protocol, 'bridge-ack');
    ok(await stalled(), 'the target stopped making progress');
    // Without the window, workerd reads all 32 MiB and queues them in memory. With it, what left
    // the target is one window plus the kernel's socket buffers on the way.
    ok(flushed < 16 << 20, `the bridge read ${flushed} bytes from the target while the client read nothing`);
    // Now the client reads and acknowledges: everything arrives, in order.
    const c = closed(ws);
    acking = true;
    ws.send(String(n));
    ws.resume();
    await all;
    equal(n, TOTAL);
    const want = Buffer.concat(Array.from({ length: TOTAL / CHUNK }, (_, i) => pattern(CHUNK, i + 1)));
    ok(Buffer.concat(got).equals(want), 'bytes in order');
    deepEqual(await c, { code: 1000, reason: 'target closed the connection' });
  });

  it('bounds a client that does not offer bridge-ack the same way (one window, then it waits)', async () => {
    flushed = 0;
    const ws = new WebSocket(`${w.url}/bridge/127.0.0.1:${source.port}`, { perMessageDeflate: false });
    let n = 0;
    ws.on('message', (d: Buffer) => (n += d.length));
    ws.once('open', () => ws.pause());
    await once(ws, 'open');
    ok((await stalled()) && flushed < 16 << 20, `the bridge read ${flushed} bytes for a client that read nothing`);
    const c = closed(ws);
    ws.resume();
    ws.close(1000);
    equal((await c).code, 1000);
    ok(n <= 1 << 20, `a client without acknowledgements got ${n} bytes: one window (and what the first read brought)`);
  });

  it('closes a bridge whose acknowledgement claims more than was sent', async () => {
    const ws = new WebSocket(`${w.url}/bridge/127.0.0.1:${source.port}`, 'bridge-ack', { perMessageDeflate: false });
    await once(ws, 'open');
    const c = closed(ws);
    ws.send(String(TOTAL * 2));
    const { code, reason } = await c;
    equal(code, 1008);
    ok(reason.startsWith('bad acknowledgement'), reason);
  });
});
