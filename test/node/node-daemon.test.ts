// The Node daemon as users run it: daemons in worker threads, JSON-RPC with Core Lightning's
// shapes and error codes, and the `boltworker` command (node, cli) as separate processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, type RunningNode } from '../../src/node/node.ts';
import { RpcError } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'bw-node-'));
  dirs.push(d);
  return d;
};

describe('boltworker node (worker threads, JSON-RPC)', () => {
  let a: RunningNode;
  let b: RunningNode;
  before(async () => {
    a = await startNode({ network: 'regtest', lightningDir: tmp(), bindAddr: ['127.0.0.1:0', 'ws:127.0.0.1:0'] });
    b = await startNode({ network: 'regtest', lightningDir: tmp() });
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('getinfo has Core Lightning fields', async () => {
    const info = (await a.call('getinfo')) as Record<string, unknown>;
    for (const k of ['id', 'alias', 'color', 'num_peers', 'version', 'network', 'blockheight', 'address', 'binding', 'our_features'])
      ok(k in info, `getinfo lacks ${k}`);
    equal(info.id, a.id);
    equal(info.network, 'regtest');
    equal((info.binding as unknown[]).length, 2);
    equal((info.gossip as { chain_source?: string }).chain_source, 'trust announcements');
  });
  it("signmessage through hsmd's worker, checked by another node; an invoice kept across a restart", async () => {
    const s = (await a.call('signmessage', { message: 'from a' })) as { zbase: string };
    deepEqual(await b.call('checkmessage', { message: 'from a', zbase: s.zbase, pubkey: a.id }), { pubkey: a.id, verified: true });
    equal(((await b.call('checkmessage', { message: 'from b', zbase: s.zbase, pubkey: a.id })) as { verified: boolean }).verified, false);
    const dir = tmp();
    let c = await startNode({ network: 'regtest', lightningDir: dir });
    let made: { bolt11: string; payment_hash: string };
    try {
      made = (await c.call('invoice', { amount_msat: 5000, label: 'kept', description: 'coffee' })) as typeof made;
      equal(((await c.call('decode', [made.bolt11])) as { payee: string }).payee, c.id);
    } finally {
      await c.stop();
    }
    c = await startNode({ network: 'regtest', lightningDir: dir });
    try {
      const list = (await c.call('listinvoices', { label: 'kept' })) as { invoices: { bolt11: string; status: string }[] };
      deepEqual(
        list.invoices.map(i => [i.bolt11, i.status]),
        [[made.bolt11, 'unpaid']],
      );
      equal((await rejects<RpcError>(c.call('invoice', { amount_msat: 1, label: 'kept', description: 'd' }), RpcError)).code, 900);
    } finally {
      await c.stop();
    }
  });

  it('with --esplora, getinfo says which chain source checks funding outputs', async () => {
    const n = await startNode({ network: 'regtest', lightningDir: tmp(), esplora: 'http://127.0.0.1:3002/api', verifyWorkers: 1 });
    try {
      const info = (await n.call('getinfo')) as { gossip: { chain_source: string } };
      equal(info.gossip.chain_source, 'esplora http://127.0.0.1:3002/api');
    } finally {
      await n.stop();
    }
  });
  it('connect over TCP: handshake and init, then listpeers, ping and disconnect', async () => {
    const port = a.binding[0]!.port;
    const r = (await b.call('connect', [`${a.id}@127.0.0.1:${port}`])) as {
      id: string;
      direction: string;
      features: string;
      address: unknown;
    };
    equal(r.id, a.id);
    equal(r.direction, 'out');
    ok(/^[0-9a-f]+$/.test(r.features));
    deepEqual(r.address, { type: 'ipv4', address: '127.0.0.1', port });
    const lp = (await b.call('listpeers', { id: a.id })) as { peers: { id: string; connected: boolean; num_channels: number }[] };
    equal(lp.peers.length, 1);
    equal(lp.peers[0]!.connected, true);
    equal(lp.peers[0]!.num_channels, 0);
    const theirs = (await a.call('listpeers')) as { peers: { id: string }[] };
    ok(
      theirs.peers.some(p => p.id === b.id),
      'the listener sees the incoming peer',
    );
    deepEqual(await b.call('ping', { id: a.id, len: 1000, pongbytes: 500 }), { totlen: 504 });
    deepEqual(await b.call('disconnect', { id: a.id }), {});
    const after = (await b.call('listpeers')) as { peers: unknown[] };
    equal(after.peers.length, 0);
  });
  it('connect to the ws: listener (id, host, port as separate parameters)', async () => {
    const r = (await b.call('connect', { id: a.id, host: `ws://127.0.0.1:${a.binding[1]!.port}` })) as { id: string };
    equal(r.id, a.id);
    await b.call('disconnect', { id: a.id });
  });
  it('a remembered address is used when connect is given only the id', async () => {
    const r = (await b.call('connect', { id: a.id })) as { id: string };
    equal(r.id, a.id);
    await b.call('disconnect', { id: a.id });
  });
  it('error codes: 400 no address, 401 every address failed (with the reason), -32602 bad params', async () => {
    const unknownId = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
    const e400 = await rejects<RpcError>(b.call('connect', { id: unknownId }), RpcError);
    equal(e400.rpcCode, 400);
    const e401 = await rejects<RpcError>(b.call('connect', { id: `${unknownId}@127.0.0.1:1` }), RpcError);
    equal(e401.rpcCode, 401);
    ok(e401.message.includes('127.0.0.1:1'), e401.message);
    const ebad = await rejects<RpcError>(b.call('connect', { id: 'nonsense' }), RpcError);
    equal(ebad.rpcCode, -32602);
  });
});

function run(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['bin/boltworker.mjs', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function output(p: ChildProcess): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  p.stdout!.on('data', d => (out += d));
  p.stderr!.on('data', d => (err += d));
  const code = await new Promise<number>(r => p.once('exit', c => r(c ?? -1)));
  return { code, out, err };
}

async function firstLine(p: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    p.stdout!.on('data', d => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    p.once('exit', c => reject(new Error(`exited ${c} before printing`)));
  });
}

describe('the boltworker command', () => {
  it('node + cli: getinfo, connect with key=value words, errors exit non-zero; SIGTERM stops it', async () => {
    const d1 = tmp();
    const d2 = tmp();
    const n1 = run(['node', '--network', 'regtest', '--lightning-dir', d1, '--bind-addr', '127.0.0.1:0', '--rpc-addr', '127.0.0.1:0']);
    const n2 = run(['node', '--network', 'regtest', '--lightning-dir', d2]);
    try {
      const i1 = JSON.parse(await firstLine(n1)) as { id: string; rpc: string; binding: { port: number }[] };
      const i2 = JSON.parse(await firstLine(n2)) as { id: string };
      // Over HTTP (--rpc-addr, with the cookie found in the lightning-dir) and over the socket.
      const info = await output(run(['cli', '--lightning-dir', d1, '--regtest', '--rpc-addr', i1.rpc, 'getinfo']));
      equal(info.code, 0, info.err);
      equal((JSON.parse(info.out) as { id: string }).id, i1.id);
      const c = await output(
        run(['cli', '--lightning-dir', d2, '--regtest', 'connect', `id=${i1.id}`, 'host=127.0.0.1', `port=${i1.binding[0]!.port}`]),
      );
      equal(c.code, 0, c.err);
      equal((JSON.parse(c.out) as { direction: string }).direction, 'out');
      ok(i2.id !== i1.id);
      const bad = await output(
        run([
          'cli',
          '--lightning-dir',
          d2,
          '--regtest',
          'connect',
          `${'0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'}@127.0.0.1:1`,
        ]),
      );
      equal(bad.code, 1);
      // As lightning-cli: the node's error on stdout.
      equal((JSON.parse(bad.out) as { code: number }).code, 401);
    } finally {
      n1.kill('SIGTERM');
      n2.kill('SIGTERM');
    }
    const [e1, e2] = await Promise.all([output(n1), output(n2)]);
    equal(e1.code, 0, e1.err);
    equal(e2.code, 0, e2.err);
  });
});
