// The edge bridge Worker (src/edge/bridge-worker.ts) under miniflare (workerd), bundled with
// esbuild: bridging to a TCP echo server on 127.0.0.1 with BRIDGE_ALLOW_PRIVATE, and refusals
// with the default policy. Nothing leaves loopback (`cf: false`, no metrics, no DNS for names
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

async function tcpTarget(onConn: (s: Socket) => void = (s) => s.pipe(s)): Promise<Target> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
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
      await new Promise<void>((r) => server.close(() => r()));
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
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
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

describe('bridge-worker (miniflare): bridging with BRIDGE_ALLOW_PRIVATE', { timeout: 60_000 }, () => {
  let echo: Target;
  let w: Worker;

  before(async () => {
    echo = await tcpTarget();
    w = await startWorker({
      BRIDGE_ALLOW_PRIVATE: 'true',
      BRIDGE_ALLOWED_PORTS: String(echo.port),
      BRIDGE_MAX_PER_CLIENT: '4',
      BRIDGE_IDLE_TIMEOUT_MS: '600',
    });
  });
  after(async () => {
    await w.mf.dispose();
    await echo.close();
  });

  it('carries bytes in order over many frames (/bridge/{host}:{port})', async () => {
    const { ws } = await open(`${w.url}/bridge/127.0.0.1:${echo.port}`);
    const frames: Buffer[] = [];
    for (let i = 0; i < 1000; i++) frames.push(pattern(((i * 7919) % 3000) + 1, i + 1));
    const want = Buffer.concat(frames);
    const got: Buffer[] = [];
    let n = 0;
    const done = new Promise<void>((resolve) =>
      ws.on('message', (d: Buffer, isBinary: boolean) => {
        ok(isBinary, 'binary frames only');
        got.push(d);
        n += d.length;
        if (n >= want.length) resolve();
      }),
    );
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
    const target = await tcpTarget((s) => s.once('data', () => s.end('goodbye')));
    const w2 = await startWorker({ BRIDGE_ALLOW_PRIVATE: 'true', BRIDGE_ALLOWED_PORTS: String(target.port) });
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
    const opened = results.filter((r) => r.status === undefined);
    equal(opened.length, 4);
    deepEqual(results.filter((r) => r.status !== undefined).map((r) => r.status), [429, 429, 429, 429, 429, 429]);
    for (const r of opened) r.ws.close();
    await Promise.all(opened.map((r) => (r.ws.readyState === WebSocket.CLOSED ? undefined : closed(r.ws))));
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
  });

  it('refuses other Origins with 403 and plain requests with 426', async () => {
    equal((await open(`${w.url}/bridge/1.1.1.1:9735`, { origin: 'https://evil.example' })).status, 403);
    equal((await open(`${w.url}/bridge/1.1.1.1:9735`)).status, 403);
    const res = await w.mf.dispatchFetch('http://localhost/bridge/1.1.1.1:9735');
    equal(res.status, 426);
    await res.text();
  });
});
