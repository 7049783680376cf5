// The edge node (src/edge/worker.ts + node-object.ts + node.ts) under miniflare (workerd), bundled
// with esbuild: JSON-RPC through the Worker to the Durable Object holding the node, state kept in
// Durable Object storage (across requests and across a restart of workerd), `connect` from the
// edge node to a Node node over `cloudflare:sockets`, and a BOLT 8 handshake + init from a Node
// client through the Worker's /bridge/ to the Node node. Everything stays on 127.0.0.1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { after, before, describe, it } from 'node:test';
import { ok, equal } from '../support/assert.ts';
import { startNode, type RunningNode } from '../../src/node/node.ts';
import { Connectd } from '../../src/core/daemons/connectd/connectd.ts';
import { Hsmd, createNodeSecret } from '../../src/core/daemons/hsmd/hsmd.ts';
import { chainHash } from '../../src/core/chains.ts';
import { ourFeatures } from '../../src/core/features.ts';
import { toHex } from '../../src/core/bytes.ts';
import { WsDialer } from '../../src/transports/ws-node.ts';
import { nodeClock } from '../../src/node/clock.ts';

process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'bw-edge-'));
  dirs.push(d);
  return d;
}

async function workerScript(): Promise<string> {
  const out = await build({
    entryPoints: ['src/edge/worker.ts'],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['cloudflare:*'],
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser', 'import'],
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

function startWorker(script: string, persist: string, bindings: Record<string, string>): Miniflare {
  return new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.mjs', contents: script }],
    compatibilityDate: '2026-04-01',
    durableObjects: { NODE: 'BoltworkerNode' },
    durableObjectsPersist: persist,
    bindings,
    cf: false,
    host: '127.0.0.1',
    port: 0,
    handleRuntimeStdio: (stdout, stderr) => {
      stdout.resume();
      stderr.resume();
    },
  });
}

async function rpc(mf: Miniflare, method: string, params: unknown = {}): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  const res = await mf.dispatchFetch('http://localhost/rpc', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

describe('edge node (miniflare): Worker → Durable Object → node', { timeout: 60_000 }, () => {
  let script: string;
  let persist: string;
  let peer: RunningNode;
  let peerPort: number;
  let mf: Miniflare | undefined;
  let bindings: Record<string, string>;

  before(async () => {
    script = await workerScript();
    peer = await startNode({ network: 'regtest', lightningDir: tmp(), bindAddr: ['127.0.0.1:0'] });
    peerPort = peer.binding[0]!.port;
    persist = tmp();
    bindings = { NETWORK: 'regtest', BRIDGE_ALLOW_PRIVATE: 'true', BRIDGE_ALLOWED_PORTS: String(peerPort) };
    mf = startWorker(script, persist, bindings);
    await mf.ready;
  });
  after(async () => {
    await mf?.dispose();
    await peer?.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  let edgeId = '';

  it('answers getinfo with a node id, the same on the next request', async () => {
    const a = await rpc(mf!, 'getinfo');
    ok(a.result, JSON.stringify(a.error));
    edgeId = String(a.result.id);
    ok(/^0[23][0-9a-f]{64}$/.test(edgeId), `node id ${edgeId}`);
    equal(a.result.network, 'regtest');
    equal((a.result.binding as unknown[]).length, 0);
    const b = await rpc(mf!, 'getinfo');
    equal(b.result?.id, edgeId);
  });

  it('answers JSON-RPC errors as Core Lightning does, and refuses GET /rpc', async () => {
    const r = await rpc(mf!, 'nosuchmethod');
    equal(r.error?.code, -32601);
    const res = await mf!.dispatchFetch('http://localhost/rpc');
    equal(res.status, 405);
    await res.text();
  });

  it('connects to a Node node over cloudflare:sockets: BOLT 8 handshake and init', async () => {
    const r = await rpc(mf!, 'connect', { id: `${peer.id}@127.0.0.1:${peerPort}` });
    ok(r.result, JSON.stringify(r.error));
    equal(r.result.id, peer.id);
    equal(r.result.direction, 'out');
    const peers = (await peer.call('listpeers')) as { peers: { id: string; connected: boolean }[] };
    ok(peers.peers.some((p) => p.id === edgeId && p.connected), 'the Node node sees the edge node connected');
    const lp = await rpc(mf!, 'listpeers');
    ok((lp.result?.peers as { id: string; connected: boolean }[]).some((p) => p.id === peer.id && p.connected));
  });

  it('bridges a BOLT 8 handshake to a peer in Node (GET /bridge/127.0.0.1:PORT)', async () => {
    const hsmd = new Hsmd(createNodeSecret((n) => new Uint8Array(randomBytes(n))));
    const quiet = { debug() {}, info() {}, warn() {} };
    const client = new Connectd({
      chainHash: chainHash('regtest'),
      ourFeatures: ourFeatures('I'),
      nodeId: hsmd.nodeId(),
      ecdhLink: hsmd.linkFor(['ecdh']),
      dialer: new WsDialer(),
      randomBytes: (n) => new Uint8Array(randomBytes(n)),
      clock: nodeClock,
      log: quiet,
      events: { peerConnected() {}, peerDisconnected() {}, peerSpoke() {} },
      gossipLink: { newPeer() {}, gossip() {}, peerGone() {} },
    });
    try {
      const url = `${(await mf!.ready).href.replace(/^http/, 'ws').replace(/\/$/, '')}/bridge/127.0.0.1:${peerPort}`;
      const res = await client.connectToPeer(peer.id, [{ kind: 'websocket', url, host: '127.0.0.1', port: peerPort }]);
      equal(res.id, peer.id);
      const peers = (await peer.call('listpeers')) as { peers: { id: string; connected: boolean }[] };
      ok(peers.peers.some((p) => p.id === toHex(hsmd.nodeId()) && p.connected), 'the Node node finished init with the bridged client');
    } finally {
      client.stop();
    }
  });

  it('keeps its secret and peers in Durable Object storage across a restart', async () => {
    await mf!.dispose();
    mf = undefined;
    mf = startWorker(script, persist, bindings);
    const info = await rpc(mf, 'getinfo');
    equal(info.result?.id, edgeId);
    // No address given: the one that worked is in lightningd's database.
    const r = await rpc(mf, 'connect', { id: peer.id });
    ok(r.result, JSON.stringify(r.error));
    equal(r.result.id, peer.id);
  });
});

// The Deno entry (src/edge/deno.ts) with the deno binary from the npm package `deno`.
const DENO = 'node_modules/.bin/deno';
describe('edge node in Deno (src/edge/deno.ts)', { timeout: 60_000, skip: existsSync(DENO) ? false : 'the deno package is not installed' }, () => {
  let peer: RunningNode;
  let proc: ChildProcess | undefined;
  let ready: { id: string; rpc: string };

  before(async () => {
    peer = await startNode({ network: 'regtest', lightningDir: tmp(), bindAddr: ['127.0.0.1:0'] });
    const data = tmp();
    proc = spawn(DENO, ['run', '--no-prompt', '--allow-net=127.0.0.1', `--allow-read=${data},.`, `--allow-write=${data}`, '--allow-env', 'src/edge/deno.ts', '--network', 'regtest', '--data-dir', data, '--rpc-port', '0'], {
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(data, '.deno'), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<never>((_, reject) => proc!.once('exit', (code) => reject(new Error(`deno exited with ${code}`))));
    const line = new Promise<string>((resolve) => createInterface({ input: proc!.stdout! }).once('line', resolve));
    ready = JSON.parse(await Promise.race([line, exited])) as { id: string; rpc: string };
  });
  after(async () => {
    if (proc && proc.exitCode === null) {
      const gone = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    }
    await peer?.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function call(method: string, params: unknown = {}): Promise<Record<string, unknown>> {
    const res = await fetch(ready.rpc, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    const body = (await res.json()) as { result?: Record<string, unknown>; error?: unknown };
    ok(body.result, JSON.stringify(body.error));
    return body.result;
  }

  it('answers getinfo over POST /rpc on 127.0.0.1 and connects to a Node node over TCP', async () => {
    ok(ready.rpc.startsWith('http://127.0.0.1:'), ready.rpc);
    equal((await call('getinfo')).id, ready.id);
    const r = await call('connect', { id: `${peer.id}@127.0.0.1:${peer.binding[0]!.port}` });
    equal(r.id, peer.id);
    const peers = (await peer.call('listpeers')) as { peers: { id: string; connected: boolean }[] };
    ok(peers.peers.some((p) => p.id === ready.id && p.connected), 'the Node node finished init with the Deno node');
  });
});
