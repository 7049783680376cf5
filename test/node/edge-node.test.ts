// The edge node (src/edge/worker.ts + node-object.ts + node.ts) under miniflare (workerd), bundled
// with esbuild: JSON-RPC through the Worker to the Durable Object holding the node, state kept in
// Durable Object storage (across requests and across a restart of workerd), `connect` from the
// edge node to a Node node over `cloudflare:sockets`, and a BOLT 8 handshake + init from a Node
// client through the Worker's /bridge/ to the Node node. Gossip signatures are checked in the
// isolate by libsecp256k1 (WASM): a peer of the test's own sends signed gossip, good and bad, and
// getinfo names the engine that checked it. In Deno also: peers accepted on --bind-addr.
// Everything stays on 127.0.0.1.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Miniflare } from 'miniflare';
import { bundleWorker, startWorker as startMiniflare } from './miniflare.ts';
import { after, before, describe, it } from 'node:test';
import { ok, equal } from '../support/assert.ts';
import { startNode, type RunningNode } from '../../src/node/node.ts';
import { startRegtest } from '../../src/regtest/server-node.ts';
import { Connectd } from '../../src/core/daemons/connectd/connectd.ts';
import { Hsmd, createNodeSecret } from '../../src/core/daemons/hsmd/hsmd.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { ourFeatures } from '../../src/core/features/index.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { WsDialer } from '../../src/transports/ws-node.ts';
import type { Dialer } from '../../src/core/net/transport.ts';
import { TcpDialer, listenTcp, type Listener } from '../../src/transports/tcp-node.ts';
import { nodeClock } from '../../src/node/clock.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { signChannelAnnouncement, signChannelUpdate, type ChannelParty } from '../../src/core/gossip/sign.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'bw-edge-'));
  dirs.push(d);
  return d;
}

const workerScript = (): Promise<string> => bundleWorker('src/edge/worker.ts');

function startWorker(script: string, persist: string, bindings: Record<string, string>, wasm?: Uint8Array<ArrayBuffer>): Miniflare {
  return startMiniflare({ script, durableObjects: { NODE: 'BoltworkerNode' }, persist, bindings, wasm });
}

/** The result of an RPC call through the Worker; an error fails the test. */
async function result(mf: Miniflare, method: string, params: unknown = {}): Promise<Record<string, unknown>> {
  const r = await rpc(mf, method, params);
  ok(r.result, JSON.stringify(r.error));
  return r.result;
}

async function rpc(
  mf: Miniflare,
  method: string,
  params: unknown = {},
): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  const res = await mf.dispatchFetch('http://localhost/rpc', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

// ---- signed gossip from a peer of the test's own ----
const quiet = { debug() {}, info() {}, warn() {} };
const chain = chainHash('regtest');
const party = (label: string): ChannelParty => ({
  nodeSecret: sha256(new TextEncoder().encode(`edge-gossip ${label} node`)),
  bitcoinSecret: sha256(new TextEncoder().encode(`edge-gossip ${label} bitcoin`)),
});
/** short_channel_id block×tx×output: block `block`, tx 1, output 0. */
const scid = (block: number): bigint => (BigInt(block) << 40n) | (1n << 16n);
const GOOD_BLOCK = 103;
const BAD_BLOCK = 104;

/**
 * A good channel_announcement with both channel_updates, then a channel_announcement with one
 * signature byte flipped (BOLT 7: a receiver MUST check the signatures and ignore it if invalid).
 * 4 + 1 + 1 + 4 signature checks.
 */
function signedGossip(): Uint8Array[] {
  const a = party('a');
  const b = party('b');
  const timestamp = Math.floor(Date.now() / 1000) - 60;
  const good = signChannelAnnouncement({ chainHash: chain, short_channel_id: scid(GOOD_BLOCK), parties: [a, b] });
  const updates = [
    [a, b],
    [b, a],
  ].map(([from, to]) =>
    signChannelUpdate({
      secret: from!.nodeSecret,
      peer: getPublicKey(to!.nodeSecret),
      chainHash: chain,
      short_channel_id: scid(GOOD_BLOCK),
      timestamp,
      htlc_maximum_msat: 1_000_000_000n,
    }),
  );
  const bad = signChannelAnnouncement({ chainHash: chain, short_channel_id: scid(BAD_BLOCK), parties: [a, party('c')] });
  bad[2 + 64 + 10]! ^= 1; // node_signature_2
  return [good, ...updates, bad];
}

/** A bare connectd (no lightningd, no gossipd) that listens, dials, and sends what the test gives it. */
interface Feeder {
  id: string;
  port: number;
  connectd: Connectd;
  /** Resolves when `id` has finished init with us. */
  connected(id: string): Promise<void>;
  stop(): Promise<void>;
}

/** A connectd of a fresh node id with no lightningd or gossipd behind it. */
function bareConnectd(dialer: Dialer, peerConnected: (id: string) => void = () => {}): { connectd: Connectd; id: string } {
  const hsmd = new Hsmd(createNodeSecret(n => new Uint8Array(randomBytes(n))));
  const connectd = new Connectd({
    chainHash: chain,
    ourFeatures: ourFeatures('I'),
    nodeId: hsmd.nodeId(),
    ecdhLink: hsmd.linkFor(['ecdh']),
    dialer,
    randomBytes: n => new Uint8Array(randomBytes(n)),
    clock: nodeClock,
    log: quiet,
    events: { peerConnected: e => peerConnected(e.id), peerDisconnected() {}, peerSpoke() {} },
    gossipLink: { newPeer() {}, gossipBatch() {}, peerGone() {} },
  });
  return { connectd, id: toHex(hsmd.nodeId()) };
}

async function startFeeder(): Promise<Feeder> {
  const seen = new Set<string>();
  const waiting = new Map<string, () => void>();
  const { connectd, id } = bareConnectd(new TcpDialer(), peer => {
    seen.add(peer);
    waiting.get(peer)?.();
  });
  const listener: Listener = await listenTcp('127.0.0.1', 0, s => connectd.acceptStream(s));
  return {
    id,
    port: listener.port,
    connectd,
    connected: id => (seen.has(id) ? Promise.resolve() : new Promise(r => waiting.set(id, r))),
    async stop() {
      connectd.stop();
      await listener.close();
    },
  };
}

interface GossipInfo {
  verify_engine: string;
  stats: { signatures_checked: number; rejected: number };
}

/**
 * Sends signedGossip() from `feeder` to `edge` and waits (a bounded number of polls) until the
 * edge node has checked every signature and listed the good channel's two halves.
 */
async function feedAndCheck(
  feeder: Feeder,
  edge: string,
  call: (method: string, params?: unknown) => Promise<Record<string, unknown>>,
): Promise<GossipInfo> {
  const msgs = signedGossip();
  for (const m of msgs) await feeder.connectd.sendToPeer(edge, m);
  let info: GossipInfo | undefined;
  let halves = 0;
  for (let i = 0; i < 200; i++) {
    info = (await call('getinfo')).gossip as GossipInfo;
    halves = ((await call('listchannels', { short_channel_id: `${GOOD_BLOCK}x1x0` })).channels as unknown[]).length;
    if (info.stats.signatures_checked >= 10 && halves === 2) break;
    await new Promise(r => setTimeout(r, 50));
  }
  equal(halves, 2, 'the good channel_announcement and both channel_updates are in the graph');
  const bad = (await call('listchannels', { short_channel_id: `${BAD_BLOCK}x1x0` })).channels as unknown[];
  equal(bad.length, 0, 'the badly signed channel_announcement is not');
  ok(info!.stats.rejected >= 1, `rejected ${info!.stats.rejected}`);
  // BOLT 7: four signatures per channel_announcement, one per channel_update.
  equal(info!.stats.signatures_checked, 10);
  return info!;
}

/**
 * After a restart with no peer: the good channel, both its updates and a route over it are in the
 * graph, and no gossip was received or checked since, so they came from the node's store.
 */
async function graphFromStore(call: (method: string, params?: unknown) => Promise<Record<string, unknown>>): Promise<void> {
  const gossip = (await call('getinfo')).gossip as {
    channels_known: number;
    stats: { received: number; accepted: number; signatures_checked: number };
  };
  equal(gossip.stats.received, 0, 'no gossip received from a peer since the restart');
  equal(gossip.stats.accepted, 0);
  equal(gossip.stats.signatures_checked, 0);
  ok(gossip.channels_known >= 1, `channels_known ${gossip.channels_known}`);
  const halves = (await call('listchannels', { short_channel_id: `${GOOD_BLOCK}x1x0` })).channels as unknown[];
  equal(halves.length, 2, 'the channel and both of its updates came back from the store');
  const [a, b] = [party('a'), party('b')].map(p => toHex(getPublicKey(p.nodeSecret)));
  const route = (await call('getroute', { id: b, fromid: a, amount_msat: 1000, riskfactor: 1 })).route as {
    channel: string;
    id: string;
  }[];
  equal(route.length, 1);
  equal(route[0]!.channel, `${GOOD_BLOCK}x1x0`);
  equal(route[0]!.id, b);
  equal(((await call('listchannels', { short_channel_id: `${BAD_BLOCK}x1x0` })).channels as unknown[]).length, 0);
}

/** Polls getinfo until gossipd has stored (written and synced) at least `n` records. */
async function storedAtLeast(n: number, call: (method: string, params?: unknown) => Promise<Record<string, unknown>>): Promise<void> {
  let stored = 0;
  for (let i = 0; i < 200 && stored < n; i++) {
    stored = ((await call('getinfo')).gossip as { stats: { stored: number } }).stats.stored;
    if (stored < n) await new Promise(r => setTimeout(r, 50));
  }
  ok(stored >= n, `stored ${stored}`);
}

describe('edge node (miniflare): Worker → Durable Object → node', { timeout: 60_000 }, () => {
  let script: string;
  let persist: string;
  let peer: RunningNode;
  let peerPort: number;
  let mf: Miniflare | undefined;
  let bindings: Record<string, string>;
  let feeder: Feeder | undefined;

  before(async () => {
    script = await workerScript();
    feeder = await startFeeder();
    peer = await startNode({ network: 'regtest', lightningDir: tmp(), bindAddr: ['127.0.0.1:0'] });
    peerPort = peer.binding[0]!.port;
    persist = tmp();
    bindings = { NETWORK: 'regtest', BRIDGE_ALLOW_LOOPBACK: 'true', BRIDGE_ALLOWED_PORTS: String(peerPort) };
    mf = startWorker(script, persist, bindings);
    await mf.ready;
  });
  after(async () => {
    await mf?.dispose();
    await feeder?.stop();
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
    ok(
      peers.peers.some(p => p.id === edgeId && p.connected),
      'the Node node sees the edge node connected',
    );
    const lp = await rpc(mf!, 'listpeers');
    ok((lp.result?.peers as { id: string; connected: boolean }[]).some(p => p.id === peer.id && p.connected));
  });

  it('checks gossip signatures in the isolate with libsecp256k1 (WASM): good accepted, bad rejected', async () => {
    const r = await result(mf!, 'connect', { id: `${feeder!.id}@127.0.0.1:${feeder!.port}` });
    equal(r.id, feeder!.id);
    await feeder!.connected(edgeId);
    const info = await feedAndCheck(feeder!, edgeId, (m, p) => result(mf!, m, p));
    equal(info.verify_engine, 'libsecp256k1');
  });

  it('bridges a BOLT 8 handshake to a peer in Node (GET /bridge/127.0.0.1:PORT)', async () => {
    const { connectd: client, id: clientId } = bareConnectd(new WsDialer());
    try {
      const url = `${(await mf!.ready).href.replace(/^http/, 'ws').replace(/\/$/, '')}/bridge/127.0.0.1:${peerPort}`;
      const res = await client.connectToPeer(peer.id, [{ kind: 'websocket', url, host: '127.0.0.1', port: peerPort }]);
      equal(res.id, peer.id);
      const peers = (await peer.call('listpeers')) as { peers: { id: string; connected: boolean }[] };
      ok(
        peers.peers.some(p => p.id === clientId && p.connected),
        'the Node node finished init with the bridged client',
      );
    } finally {
      client.stop();
    }
  });

  it('keeps its gossip in Durable Object storage: restarted, it lists the channel and routes over it without a peer', async () => {
    // gossipd writes its store in batches: wait until the good channel and both updates are stored.
    await storedAtLeast(3, (m, p) => result(mf!, m, p));
    await mf!.dispose();
    mf = undefined;
    mf = startWorker(script, persist, bindings);
    // A new workerd, a new object on the same storage: the graph is there before any gossip came.
    await graphFromStore((m, p) => result(mf!, m, p));
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

  it('falls back to @noble/secp256k1 when the wasm module will not instantiate, and still checks signatures', async () => {
    await mf!.dispose();
    mf = undefined;
    // A valid, empty WebAssembly module: it compiles and instantiates, but exports no verify.
    const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    mf = startWorker(script, tmp(), bindings, empty);
    const id = String((await result(mf, 'getinfo')).id);
    await result(mf, 'connect', { id: `${feeder!.id}@127.0.0.1:${feeder!.port}` });
    await feeder!.connected(id);
    const info = await feedAndCheck(feeder!, id, (m, p) => result(mf!, m, p));
    equal(info.verify_engine, 'noble');
  });
});

// The Deno entry (src/edge/deno.ts) with the deno binary from the npm package `deno`.
const DENO = 'node_modules/.bin/deno';

interface DenoReady {
  id: string;
  rpc: string;
  binding: { type: string; address: string; port: number }[];
}

/** Runs src/edge/deno.ts on `data` (regtest, RPC on any port, `extra` options) and waits for its ready line. */
async function spawnDeno(data: string, extra: string[]): Promise<{ proc: ChildProcess; ready: DenoReady }> {
  const proc = spawn(
    DENO,
    [
      'run',
      '--no-prompt',
      '--allow-net=127.0.0.1',
      `--allow-read=${data},.`,
      `--allow-write=${data}`,
      '--allow-env',
      'src/edge/deno.ts',
      '--network',
      'regtest',
      '--data-dir',
      data,
      '--rpc-port',
      '0',
      ...extra,
    ],
    {
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(data, '.deno'), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<never>((_, reject) => proc.once('exit', code => reject(new Error(`deno exited with ${code}`))));
  const line = new Promise<string>(resolve => createInterface({ input: proc.stdout! }).once('line', resolve));
  return { proc, ready: JSON.parse(await Promise.race([line, exited])) as DenoReady };
}

/** One JSON-RPC call to a Deno node; an error fails the test. */
async function denoCall(ready: DenoReady, method: string, params: unknown = {}): Promise<Record<string, unknown>> {
  const res = await fetch(ready.rpc, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const r = (await res.json()) as { result?: Record<string, unknown>; error?: unknown };
  ok(r.result, JSON.stringify(r.error));
  return r.result!;
}
describe(
  'edge node in Deno (src/edge/deno.ts)',
  { timeout: 60_000, skip: existsSync(DENO) ? false : 'the deno package is not installed' },
  () => {
    let peer: RunningNode;
    let proc: ChildProcess | undefined;
    let ready: DenoReady;
    let feeder: Feeder | undefined;
    let data: string;

    /** Starts src/edge/deno.ts on `data` and waits for its ready line. */
    async function startDeno(): Promise<void> {
      ({ proc, ready } = await spawnDeno(data, ['--bind-addr', '127.0.0.1:0']));
    }

    /** Sends the Deno process `signal` and waits until it has exited: how it exited. */
    async function stopDeno(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null || p.signalCode !== null) return undefined;
      const gone = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(r =>
        p.once('exit', (code, signal) => r({ code, signal })),
      );
      p.kill(signal);
      return gone;
    }

    before(async () => {
      peer = await startNode({ network: 'regtest', lightningDir: tmp(), bindAddr: ['127.0.0.1:0'] });
      feeder = await startFeeder();
      data = tmp();
      await startDeno();
    });
    after(async () => {
      await stopDeno('SIGTERM');
      await feeder?.stop();
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
      ok(
        peers.peers.some(p => p.id === ready.id && p.connected),
        'the Node node finished init with the Deno node',
      );
    });

    it('listens on --bind-addr 127.0.0.1: a Node node connects in, listpeers shows it, ping works both ways', async () => {
      equal(ready.binding.length, 1);
      const bind = ready.binding[0]!;
      equal(bind.address, '127.0.0.1');
      ok(bind.port > 0, `port ${bind.port}`);
      equal(((await call('getinfo')).binding as unknown[]).length, 1, 'getinfo reports the listener');
      // The outbound connection from the test above goes first, so this one is inbound.
      await call('disconnect', { id: peer.id });
      for (let i = 0; i < 200; i++) {
        const seen = (await peer.call('listpeers')) as { peers: { id: string }[] };
        if (!seen.peers.some(p => p.id === ready.id)) break;
        await new Promise(r => setTimeout(r, 50));
      }
      const r = (await peer.call('connect', { id: `${ready.id}@127.0.0.1:${bind.port}` })) as { id: string; direction: string };
      equal(r.id, ready.id);
      equal(r.direction, 'out', 'the Node node dialled the Deno node');
      // The Node node is done once it has the Deno node's init; the Deno node may still be reading its.
      let listed = false;
      for (let i = 0; i < 200 && !listed; i++) {
        const lp = (await call('listpeers')).peers as { id: string; connected: boolean }[];
        listed = lp.some(p => p.id === peer.id && p.connected);
        if (!listed) await new Promise(r => setTimeout(r, 50));
      }
      ok(listed, 'the Deno node lists the Node node');
      const pong = await call('ping', { id: peer.id, len: 16, pongbytes: 32 });
      equal(pong.totlen, 32 + 4, 'pong: type, byteslen and 32 ignored bytes');
      const back = (await peer.call('ping', { id: ready.id, len: 16, pongbytes: 8 })) as { totlen: number };
      equal(back.totlen, 8 + 4);
    });

    it('checks gossip signatures with libsecp256k1 (WASM) from a peer that connected in: good accepted, bad rejected', async () => {
      const r = await feeder!.connectd.connectToPeer(ready.id, [{ kind: 'tcp', host: '127.0.0.1', port: ready.binding[0]!.port }]);
      equal(r.id, ready.id);
      const info = await feedAndCheck(feeder!, ready.id, call);
      equal(info.verify_engine, 'libsecp256k1');
    });

    it('keeps its gossip in DIR/gossip_store: killed and restarted, it lists the channel and routes over it without a peer', async () => {
      // gossipd writes its store in batches, each fdatasync'd before it counts as stored: wait
      // until the good channel and both updates are stored.
      await storedAtLeast(3, call);
      const id = ready.id;
      // As an eviction: no shutdown, nothing written on the way out. The peer that sent the
      // gossip goes too, so it cannot be learnt again.
      await stopDeno('SIGKILL');
      await feeder!.stop();
      feeder = undefined;
      await startDeno();
      equal(ready.id, id, 'the same node (hsm_secret in DIR)');
      await graphFromStore(call);
      ok(statSync(join(data, 'gossip_store')).size > 8, 'DIR/gossip_store holds more than its header');
    });

    it('stops on SIGTERM as `stop` does (exit 0 once the node has stopped), and the next start loads the store', async () => {
      const exit = await stopDeno('SIGTERM');
      equal(exit?.signal, null, 'not killed by the signal: it stopped itself');
      equal(exit?.code, 0);
      await startDeno();
      const halves = (await call('listchannels', { short_channel_id: `${GOOD_BLOCK}x1x0` })).channels as unknown[];
      equal(halves.length, 2);
    });
  },
);

describe(
  'edge node in Deno: the wallet over --esplora',
  { timeout: 60_000, skip: existsSync(DENO) ? false : 'the deno package is not installed' },
  () => {
    it('receives to a newaddr from boltworker regtest, kept in DIR/wallet.json across a restart', async () => {
      const chain = await startRegtest({ port: 0, premine: 101 });
      const data = mkdtempSync(join(tmpdir(), 'bw-deno-wallet-'));
      let proc: ChildProcess | undefined;
      try {
        let d = await spawnDeno(data, ['--esplora', chain.url]);
        proc = d.proc;
        const { p2tr } = (await denoCall(d.ready, 'newaddr')) as { p2tr: string };
        const txid = chain.chain.wallet.send(p2tr, 300_000n);
        chain.chain.mine(1);
        let outputs: { txid: string; status: string }[] = [];
        for (let i = 0; i < 200 && !outputs.some(o => o.status === 'confirmed'); i++) {
          await new Promise(r => setTimeout(r, 100));
          outputs = (await denoCall(d.ready, 'listfunds')).outputs as typeof outputs;
        }
        equal(outputs.length, 1);
        equal(outputs[0]!.status, 'confirmed');
        equal(outputs[0]!.txid, txid);
        ok(existsSync(join(data, 'wallet.json')));
        const gone = new Promise(r => proc!.once('exit', r));
        proc.kill('SIGTERM');
        await gone;
        d = await spawnDeno(data, ['--esplora', chain.url]);
        proc = d.proc;
        equal(JSON.stringify((await denoCall(d.ready, 'listfunds')).outputs), JSON.stringify(outputs), 'the same coins after a restart');
      } finally {
        proc?.kill('SIGKILL');
        await chain.close();
        rmSync(data, { recursive: true, force: true });
      }
    });
  },
);
