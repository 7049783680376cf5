// The daemon and the command line as a Core Lightning user meets them (issue 10, findings 1-4, 6, 14):
// strict options, --help/--version everywhere, <lightning-dir>/<network>/ with a lock, the
// JSON-RPC Unix socket and `cli` finding its node through it, and the HTTP endpoint's checks.
// Over real sockets and real processes.
import { it } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, rpcAddrWarning, type RunningNode } from '../../src/node/node.ts';
import { LightningDirError } from '../../src/node/network-dir.ts';
import { NODE_OPTIONS, nodeOptions } from '../../src/node/main.ts';
import { CLI_OPTIONS, cliParams } from '../../src/node/cli.ts';
import { configsOf, parseCommandLine, parseConfigFile, UsageError } from '../../src/node/options.ts';
import { basicAuth } from '../../src/node/rpc-cookie.ts';
import { VERSION } from '../../src/node/version.ts';
import { deepEqual, equal, ok, rejects, throws } from '../support/assert.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'bw-cli-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['bin/boltworker.mjs', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function output(p: ChildProcess): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  p.stdout?.on('data', d => (out += d));
  p.stderr!.on('data', d => (err += d));
  const code = p.exitCode ?? (await new Promise<number>(r => p.once('exit', c => r(c ?? -1))));
  return { code, out, err };
}

async function firstLine(p: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    p.stderr!.on('data', d => (err += d));
    p.stdout!.on('data', d => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    p.once('exit', c => reject(new Error(`exited ${c} before printing: ${err}`)));
  });
}

/** A raw request on a Unix socket: the bytes back until `count` answers ("\n\n"-terminated) came. */
function rawSocket(path: string, chunks: string[], count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let got = '';
    s.on('connect', async () => {
      for (const c of chunks) {
        s.write(c);
        await new Promise(r => setImmediate(r));
      }
    });
    s.on('data', d => {
      got += d;
      if (got.split('\n\n').length - 1 >= count) {
        s.end();
        resolve(got);
      }
    });
    s.on('error', reject);
  });
}

function http(
  port: number,
  headers: Record<string, string>,
  body: string,
  method = 'POST',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: '/', headers, setHost: false }, res => {
      let b = '';
      res.on('data', d => (b += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: b, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('options as Core Lightning spells them', () => {
  it('an unknown option is an error naming the nearest known one (the command line and config files)', async () => {
    const e = throws<UsageError>(() => parseCommandLine(NODE_OPTIONS, ['--netwrk', 'regtest']), UsageError);
    ok(e.message.includes('--netwrk') && e.message.includes('did you mean --network?'), e.message);
    const c = throws<UsageError>(
      () => parseConfigFile(NODE_OPTIONS, '# mine\nnetwork=regtest\nlog-levle=debug\n', '/x/config'),
      UsageError,
    );
    ok(c.message.startsWith('/x/config:3') && c.message.includes('--log-level'), c.message);
    // A flag given a value, a value option without one: errors too, not silently something else.
    throws(() => parseCommandLine(NODE_OPTIONS, ['--regtest=yes']), UsageError);
    throws(() => parseCommandLine(NODE_OPTIONS, ['--alias']), UsageError);
  });

  it('HOST:PORT options are parsed as hosts and ports (one parser): out of range or bad hosts are usage errors', async () => {
    const d = tmp();
    // cli: a usage error (exit 3) before anything is read or dialled, not a failure to talk (2).
    const cli = await output(run(['cli', '--lightning-dir', d, '--regtest', '--rpc-addr', '127.0.0.1:99999', 'getinfo']));
    equal(cli.code, 3, cli.err);
    ok(cli.err.includes('--rpc-addr: expected HOST:PORT') && cli.err.includes('65535'), cli.err);
    const bridge = await output(run(['bridge', '--listen', '127.0.0.1:99999']));
    equal(bridge.code, 1);
    ok(bridge.err.includes('--listen: expected HOST:PORT'), bridge.err);
    const port = await output(run(['bridge', '--listen', '127.0.0.1:0', '--allow-port', '99999']));
    equal(port.code, 1);
    ok(port.err.includes("--allow-port: bad port '99999'"), port.err);
    const regtest = await output(run(['regtest', '--listen', '300.1.1.1:0']));
    equal(regtest.code, 1);
    ok(regtest.err.includes('--listen wants HOST:PORT') && regtest.err.includes('IPv4'), regtest.err);
  });

  it('boltworker regtest: strict options, loopback only, and a ready line with its Esplora URL', async () => {
    const bad = await output(run(['regtest', '--lisen', '127.0.0.1:0']));
    equal(bad.code, 1);
    ok(bad.err.includes('did you mean --listen?'), bad.err);
    const wide = await output(run(['regtest', '--listen', '0.0.0.0:0']));
    equal(wide.code, 1);
    ok(wide.err.includes('loopback'), wide.err);
    const p = run(['regtest', '--listen', '127.0.0.1:0']);
    try {
      const ready = JSON.parse(await firstLine(p)) as { esplora: string; height: number };
      const tip = await fetch(`${ready.esplora}/blocks/tip/height`).then(r => r.text());
      equal(Number(tip), ready.height);
    } finally {
      p.kill('SIGTERM');
    }
    equal(await new Promise<number | null>(r => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', c => r(c)))), 0);
  });

  it('boltworker node --netwrk regtest exits with the suggestion and starts nothing', async () => {
    const d = tmp();
    const r = await output(run(['node', '--netwrk', 'regtest', '--lightning-dir', d]));
    equal(r.code, 1);
    ok(r.err.includes('did you mean --network?'), r.err);
    deepEqual(readdirSync(d), [], 'no network directory, no secret written');
  });

  it('-h and --help list every option with its default on every subcommand, and start nothing', async () => {
    const home = tmp();
    for (const [sub, specs] of [
      ['node', NODE_OPTIONS],
      ['cli', CLI_OPTIONS],
    ] as const) {
      for (const h of ['-h', '--help']) {
        const r = await output(run([sub, h], { HOME: home }));
        equal(r.code, 0, r.err);
        for (const s of specs) ok(r.out.includes(`--${s.name}`), `${sub} ${h} lacks --${s.name}`);
        for (const s of specs)
          if (s.default !== undefined) ok(r.out.includes(`(default: ${s.default})`), `${sub} ${h} lacks the default of --${s.name}`);
      }
    }
    const b = await output(run(['bridge', '--help'], { HOME: home }));
    equal(b.code, 0, b.err);
    ok(b.out.includes('--listen') && b.out.includes('(default: 127.0.0.1:8080)'), b.out);
    ok(b.out.includes('--allow-loopback') && b.out.includes('--allow-private'), b.out);
    const rt = await output(run(['regtest', '-h'], { HOME: home }));
    equal(rt.code, 0, rt.err);
    ok(rt.out.includes('--listen') && rt.out.includes('--data-dir'), rt.out);
    deepEqual(readdirSync(home), [], 'nothing created in $HOME');
  });

  it('--version on every subcommand and alone', async () => {
    for (const args of [
      ['--version'],
      ['node', '--version'],
      ['cli', '--version'],
      ['bridge', '--version'],
      ['regtest', '--version'],
      ['cli', '-V'],
    ]) {
      const r = await output(run(args));
      equal(r.code, 0, r.err);
      equal(r.out.trim(), VERSION);
    }
  });

  it('config files: <lightning-dir>/config, then <lightning-dir>/<network>/config, then the command line; sources as listconfigs reports them', async () => {
    const d = tmp();
    writeFileSync(join(d, 'config'), '# base\nnetwork=regtest\nalias=from-base\nlog-level=debug\n');
    mkdirSync(join(d, 'regtest'));
    writeFileSync(join(d, 'regtest', 'config'), 'alias=from-network\nbind-addr=127.0.0.1:0\n');
    const { values, network, lightningDir } = await nodeOptions([
      '--lightning-dir',
      d,
      '--log-level',
      'info',
      '--bind-addr',
      '127.0.0.1:1',
    ]);
    equal(network, 'regtest');
    equal(lightningDir, d);
    const configs = configsOf(NODE_OPTIONS, values, ['help', 'version']);
    deepEqual(configs.alias, { value_str: 'from-network', source: `${d}/regtest/config:1` });
    deepEqual(configs['log-level'], { value_str: 'info', source: 'cmdline' });
    deepEqual(configs['bind-addr'], { values_str: ['127.0.0.1:0', '127.0.0.1:1'], sources: [`${d}/regtest/config:2`, 'cmdline'] });
    deepEqual(configs['rpc-file'], { value_str: 'lightning-rpc', source: 'default' });
    deepEqual(configs.network, { value_str: 'regtest', source: `${d}/config:2` });
    ok(!('mainnet' in configs), 'an unset flag is not listed');
    const flagged = await nodeOptions(['--lightning-dir', d, '--regtest']);
    deepEqual(configsOf(NODE_OPTIONS, flagged.values).network, { value_str: 'regtest', source: 'cmdline' });
    await rejects(nodeOptions(['--lightning-dir', d, '--regtest', '--testnet']), UsageError);
    // --conf replaces both config files.
    writeFileSync(join(d, 'other.conf'), 'signet\nalias=conf\n');
    const conf = await nodeOptions(['--lightning-dir', d, '--conf', join(d, 'other.conf')]);
    equal(conf.network, 'signet');
    deepEqual(configsOf(NODE_OPTIONS, conf.values).alias, { value_str: 'conf', source: `${join(d, 'other.conf')}:2` });
  });

  it('cli params as lightning-cli: literals as JSON, words as strings, key=value autodetected; a JSON typo is a usage error', () => {
    deepEqual(cliParams(['abc', '12', 'true', '{"a":1}', '-1']), ['abc', 12, true, { a: 1 }, '-1']);
    deepEqual(cliParams(['id=02ab', 'port=9735']), { id: '02ab', port: 9735 });
    deepEqual(cliParams(['a=b'], 'order'), ['a=b']);
    throws(() => cliParams(['nokey'], 'keywords'), UsageError);
    const e = throws<UsageError>(() => cliParams(['{"id": 02}']), UsageError);
    ok(e.message.includes('parameter 1') && e.message.includes('not'), e.message);
  });
});

describe('<lightning-dir>/<network>/ and its lock', () => {
  it('each network has its own directory, secret and store; both run at once', async () => {
    const d = tmp();
    const r = await startNode({ network: 'regtest', lightningDir: d, verifyWorkers: 1 });
    const t = await startNode({ network: 'testnet', lightningDir: d, verifyWorkers: 1 });
    try {
      ok(r.id !== t.id, 'another network, another node id');
      equal(r.networkDir, join(d, 'regtest'));
      equal(t.networkDir, join(d, 'testnet'));
      for (const n of ['regtest', 'testnet']) {
        for (const f of ['hsm_secret', 'gossip_store', 'lightning-rpc', 'lightningd.pid']) ok(existsSync(join(d, n, f)), `${n}/${f}`);
      }
      ok(!existsSync(join(d, 'hsm_secret')), 'nothing in the lightning-dir itself');
    } finally {
      await Promise.all([r.stop(), t.stop()]);
    }
    ok(
      !existsSync(join(d, 'regtest', 'lightningd.pid')) && !existsSync(join(d, 'regtest', 'lightning-rpc')),
      'lock and socket removed at stop',
    );
  });

  it('a second node on the same directory and network is refused; a stale lock from a dead process is taken over', async () => {
    const d = tmp();
    // A pid file left by a process that has exited.
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise(r => dead.once('exit', r));
    mkdirSync(join(d, 'regtest'));
    writeFileSync(join(d, 'regtest', 'lightningd.pid'), `${dead.pid}\n`);
    const a = await startNode({ network: 'regtest', lightningDir: d, verifyWorkers: 1 });
    try {
      equal(readFileSync(join(d, 'regtest', 'lightningd.pid'), 'utf8').trim(), String(process.pid));
      const e = await rejects<LightningDirError>(startNode({ network: 'regtest', lightningDir: d, verifyWorkers: 1 }), LightningDirError);
      ok(/already runs|another/.test(e.message), e.message);
      // Another process: refused with the pid of the running one.
      const p = await output(run(['node', '--regtest', '--lightning-dir', d]));
      equal(p.code, 1);
      ok(p.err.includes(`another boltworker daemon (pid ${process.pid})`), p.err);
      // The running node was not disturbed.
      equal(((await a.call('getinfo')) as { id: string }).id, a.id);
    } finally {
      await a.stop();
    }
  });

  it('an empty or unusable lightning-dir is refused at once, with a clear error', async () => {
    await rejects(startNode({ network: 'regtest', lightningDir: '' }), LightningDirError);
    await rejects(startNode({ network: 'regtest', lightningDir: '/proc/self/bw' }), LightningDirError);
    const file = join(tmp(), 'a-file');
    writeFileSync(file, '');
    const e = await rejects<LightningDirError>(startNode({ network: 'regtest', lightningDir: file }), LightningDirError);
    ok(e.message.includes(file), e.message);
    const cwd = tmp();
    for (const dir of ['', '/proc/bw']) {
      const p = spawn(process.execPath, [join(process.cwd(), 'bin/boltworker.mjs'), 'node', '--regtest', '--lightning-dir', dir], {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const r = await output(p);
      equal(r.code, 1);
      ok(/lightning-dir/.test(r.err), r.err);
    }
    deepEqual(readdirSync(cwd), [], 'nothing written in the working directory');
  });
});

describe('the JSON-RPC Unix socket', () => {
  it('mode 0600; objects back to back in and out ("\\n\\n" after each), split anywhere; a malformed stream is answered and closed', async () => {
    const n = await startNode({
      network: 'regtest',
      lightningDir: tmp(),
      verifyWorkers: 1,
      addr: ['127.0.0.1:0'],
      announceAddr: ['203.0.113.5:9735'],
    });
    try {
      const path = n.rpcSocket!;
      equal(path, join(n.networkDir, 'lightning-rpc'));
      equal(statSync(path).mode & 0o777, 0o600);
      const two = await rawSocket(
        path,
        ['{"jsonrpc":"2.0","id":1,"method":"getinfo"}{"jsonrpc":"2.0","id":"b","meth', 'od":"getinfo","params":{}}'],
        2,
      );
      const answers = two
        .split('\n\n')
        .filter(s => s !== '')
        .map(
          s => JSON.parse(s) as { id: unknown; result: { id: string; binding: unknown[]; address: { address: string; port: number }[] } },
        );
      deepEqual(answers.map(a => a.id).sort(), [1, 'b']);
      equal(answers[0]!.result.id, n.id);
      // --addr listens and announces (with the port bound); --announce-addr only announces.
      const port = n.binding[0]!.port;
      deepEqual(answers[0]!.result.address, [
        { type: 'ipv4', address: '203.0.113.5', port: 9735 },
        { type: 'ipv4', address: '127.0.0.1', port },
      ]);
      const bad = JSON.parse((await rawSocket(path, ['[1,2]'], 1)).trim()) as { error: { code: number } };
      equal(bad.error.code, -32700);
      const deep = JSON.parse((await rawSocket(path, ['{"a":' + '['.repeat(10_000)], 1)).trim()) as {
        error: { code: number; message: string };
      };
      equal(deep.error.code, -32700);
      ok(deep.error.message.includes('deeper'), deep.error.message);
      equal(((await n.call('getinfo')) as { id: string }).id, n.id, 'still serving');
    } finally {
      await n.stop();
    }
  });
});

describe('the HTTP endpoint (--rpc-addr)', () => {
  it('off unless asked', async () => {
    const n = await startNode({ network: 'regtest', lightningDir: tmp(), verifyWorkers: 1 });
    try {
      equal(n.rpcHttp, undefined);
      ok(!existsSync(`${n.rpcSocket}.cookie`));
    } finally {
      await n.stop();
    }
  });

  it('requires the cookie, the bound address as Host, a listed Origin (or none) and application/json', async () => {
    const n = await startNode({
      network: 'regtest',
      lightningDir: tmp(),
      verifyWorkers: 1,
      rpcAddr: '127.0.0.1:0',
      rpcAllowOrigin: ['https://app.example'],
    });
    try {
      const h = n.rpcHttp!;
      ok(h.port > 0, 'the port actually bound');
      equal(h.cookieFile, `${n.rpcSocket}.cookie`);
      equal(statSync(h.cookieFile).mode & 0o777, 0o600);
      const good = {
        host: `127.0.0.1:${h.port}`,
        'content-type': 'application/json',
        authorization: basicAuth(readFileSync(h.cookieFile, 'utf8')),
      };
      const body = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'getinfo' });
      const ok200 = await http(h.port, good, body);
      equal(ok200.status, 200, ok200.body);
      equal((JSON.parse(ok200.body) as { result: { id: string } }).result.id, n.id);
      equal((await http(h.port, { ...good, host: `localhost:${h.port}` }, body)).status, 200);
      equal((await http(h.port, { ...good, origin: 'https://app.example' }, body)).status, 200);

      const { authorization: _, ...noAuth } = good;
      equal((await http(h.port, noAuth, body)).status, 401, 'no cookie');
      equal((await http(h.port, { ...good, authorization: basicAuth('__cookie__:00') }, body)).status, 401, 'wrong cookie');
      equal((await http(h.port, { ...good, host: `rebind.example:${h.port}` }, body)).status, 403, 'a DNS name as Host (rebinding)');
      equal((await http(h.port, { ...good, host: `127.0.0.1:1` }, body)).status, 403, 'another port as Host');
      equal((await http(h.port, { ...good, origin: 'https://evil.example' }, body)).status, 403, 'an Origin not listed');
      equal((await http(h.port, { ...good, 'content-type': 'text/plain' }, body)).status, 415, 'text/plain (no-cors)');
      equal((await http(h.port, { ...good, 'content-type': 'application/x-www-form-urlencoded' }, body)).status, 415, 'a form');
      equal((await http(h.port, good, '', 'GET')).status, 405);
      // A request nested 10 000 deep (its id an array: finding 8) is answered, and the node lives on.
      const deep = await http(h.port, good, `{"jsonrpc":"2.0","method":"getinfo","id":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
      equal((JSON.parse(deep.body) as { error: { code: number } }).error.code, -32600);
      equal((await http(h.port, good, `[${body},${body}]`)).status, 200, 'a batch');
      equal((JSON.parse((await http(h.port, good, body)).body) as { result: { id: string } }).result.id, n.id);
    } finally {
      await n.stop();
    }
    ok(!existsSync(`${n.rpcSocket}.cookie`), 'the cookie is removed at stop');
  });

  it('stop over HTTP: answered "Shutdown complete", then the node stops and releases its directory', async () => {
    const n = await startNode({ network: 'regtest', lightningDir: tmp(), verifyWorkers: 1, rpcAddr: '127.0.0.1:0' });
    const h = n.rpcHttp!;
    const headers = {
      host: `127.0.0.1:${h.port}`,
      'content-type': 'application/json',
      authorization: basicAuth(readFileSync(h.cookieFile, 'utf8')),
    };
    const r = await http(h.port, headers, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'stop' }));
    equal(r.status, 200, r.body);
    equal((JSON.parse(r.body) as { result: unknown }).result, 'Shutdown complete');
    await n.stopped;
    ok(!existsSync(join(n.networkDir, 'lightningd.pid')) && !existsSync(h.cookieFile));
  });

  it('a bind beyond loopback is warned about; loopback is not', () => {
    ok(rpcAddrWarning('0.0.0.0', 9835)!.includes('0.0.0.0:9835'));
    ok(rpcAddrWarning('::', 9835)!.includes('[::]:9835'));
    ok(rpcAddrWarning('192.0.2.1', 9835)!.includes('beyond'));
    equal(rpcAddrWarning('127.0.0.1', 9835), undefined);
    equal(rpcAddrWarning('::1', 9835), undefined);
  });
});

describe('boltworker node + boltworker cli', () => {
  let d1: string;
  let d2: string;
  let n1: ChildProcess;
  let n2: ChildProcess;
  let i1: { id: string; rpc: string; 'rpc-file': string; 'lightning-dir': string };
  let i2: { id: string; 'rpc-file': string };
  let n2err = '';
  const cli = (dir: string, ...args: string[]) => output(run(['cli', '--lightning-dir', dir, ...args]));

  before(async () => {
    d1 = tmp();
    d2 = tmp();
    // Node 2 takes its network from <lightning-dir>/config, as lightningd does; cli reads it there too.
    writeFileSync(join(d2, 'config'), 'network=regtest\n');
    n1 = run(['node', '--network=regtest', '--lightning-dir', d1, '--rpc-addr', '127.0.0.1:0', '--alias', 'one', '--log-file', 'node.log']);
    n2 = run(['node', '--lightning-dir', d2, '--alias', 'two', '--log-level', 'broken']);
    n2.stderr!.on('data', d => (n2err += d));
    i1 = JSON.parse(await firstLine(n1));
    i2 = JSON.parse(await firstLine(n2));
  });
  after(async () => {
    n1?.kill('SIGTERM');
    n2?.kill('SIGTERM');
    await Promise.all([n1 && output(n1), n2 && output(n2)]);
  });

  it('cli --lightning-dir reaches the node of that directory (two nodes)', async () => {
    equal(i1['rpc-file'], join(d1, 'regtest', 'lightning-rpc'));
    equal(i2['rpc-file'], join(d2, 'regtest', 'lightning-rpc'));
    const a = await cli(d1, '--network', 'regtest', 'getinfo');
    equal(a.code, 0, a.err);
    equal((JSON.parse(a.out) as { id: string; alias: string }).id, i1.id);
    const b = await cli(d2, 'getinfo');
    equal(b.code, 0, b.err);
    equal((JSON.parse(b.out) as { id: string }).id, i2.id);
    // The same directory, another network: no node there, and it says so (never another node's answer).
    const c = await cli(d1, '--testnet', 'getinfo');
    equal(c.code, 2);
    ok(c.err.includes(join(d1, 'testnet', 'lightning-rpc')), c.err);
    equal(c.out, '');
  });

  it('getinfo has lightning-dir (the network directory)', async () => {
    const info = JSON.parse((await cli(d1, '--regtest', 'getinfo')).out) as Record<string, unknown>;
    equal(info['lightning-dir'], join(d1, 'regtest'));
  });

  it('listconfigs reports the options and where they came from', async () => {
    const r = await cli(d2, 'listconfigs');
    equal(r.code, 0, r.out + r.err);
    const configs = (JSON.parse(r.out) as { configs: Record<string, { value_str?: string; source?: string }> }).configs;
    deepEqual(configs.alias, { value_str: 'two', source: 'cmdline' });
    deepEqual(configs.network, { value_str: 'regtest', source: `${d2}/config:1` });
    // Core Lightning's defaults for the channel locktimes (mainnet's).
    deepEqual(configs['watchtime-blocks'], { value_str: '144', source: 'default' });
    deepEqual(configs['max-locktime-blocks'], { value_str: '2016', source: 'default' });
    // An amount, in msat, as Core Lightning shows it (OPT_SHOWMSATS).
    deepEqual(configs['min-emergency-msat'], { value_msat: 25_000_000, source: 'default' });
  });

  it('--log-file writes the log there (relative to the network directory); --log-level filters it', async () => {
    const log = readFileSync(join(d1, 'regtest', 'node.log'), 'utf8');
    ok(log.includes(`INFO    lightningd: JSON-RPC on ${i1['rpc-file']}`), log);
    ok(!n2err.includes('INFO'), n2err);
    const bad = await output(run(['node', '--regtest', '--lightning-dir', tmp(), '--log-level', 'chatty']));
    equal(bad.code, 1);
    ok(bad.err.includes('unusual'), bad.err);
    // A to_self_delay we would refuse in a peer is not one we ask (Core Lightning's check_config).
    const over = await output(run(['node', '--regtest', '--lightning-dir', tmp(), '--watchtime-blocks', '3000']));
    equal(over.code, 1);
    ok(over.err.includes('--watchtime-blocks 3000 is over max-locktime-blocks 2016'), over.err);
    // min-emergency-msat: over the dust limit (Core Lightning's opt_set_sat_nondust).
    const dust = await output(run(['node', '--regtest', '--lightning-dir', tmp(), '--min-emergency-msat', '500sat']));
    equal(dust.code, 1);
    ok(dust.err.includes('--min-emergency-msat: Option must be over dust limit!'), dust.err);
  });

  it('an error from the node: exit 1, the error on stdout (as lightning-cli)', async () => {
    const r = await cli(d1, '--regtest', 'connect', '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798@127.0.0.1:1');
    equal(r.code, 1, r.err);
    equal((JSON.parse(r.out) as { code: number }).code, 401);
    const u = await cli(d1, '--regtest', 'no-such-method');
    equal(u.code, 1);
    equal((JSON.parse(u.out) as { code: number }).code, -32601);
  });

  it('a JSON typo in a parameter is a usage error (3), an unreachable node another (2)', async () => {
    const typo = await cli(d1, '--regtest', 'connect', '{"id": 02}');
    equal(typo.code, 3);
    ok(typo.err.includes('looks like JSON but is not'), typo.err);
    ok(!/cannot reach|connecting/.test(typo.err), typo.err);
    const gone = await cli(tmp(), '--regtest', 'getinfo');
    equal(gone.code, 2);
    ok(gone.err.includes('connecting to') && gone.err.includes('is `boltworker node` running'), gone.err);
    const opt = await output(run(['cli', '--lightning-dri', d1, 'getinfo']));
    equal(opt.code, 3);
    ok(opt.err.includes('did you mean --lightning-dir?'), opt.err);
  });

  it('a closed pipe (cli … | head) ends the command quietly, without an EPIPE stack', async () => {
    const p = run(['cli', '--lightning-dir', d1, '--regtest', '-J', 'help']);
    // The reader goes away before the answer is written.
    p.stdout!.destroy();
    const r = await output(p);
    ok(!/EPIPE|Error|at /.test(r.err), r.err);
    equal(r.code, 0);
  });

  it('cli --rpc-addr speaks HTTP with the cookie beside the socket', async () => {
    ok(!i1.rpc.endsWith(':0'), `the bound port is printed: ${i1.rpc}`);
    const r = await cli(d1, '--regtest', '--rpc-addr', i1.rpc, 'getinfo');
    equal(r.code, 0, r.err);
    equal((JSON.parse(r.out) as { id: string }).id, i1.id);
    // Without the cookie (another lightning-dir): refused, and cli says why.
    const no = await cli(d2, '--rpc-addr', i1.rpc, 'getinfo');
    equal(no.code, 2);
    ok(no.err.includes('cookie'), no.err);
  });

  it('stop: the answer comes back, then the daemon exits and releases its directory', async () => {
    const help = await cli(d2, '-J', 'help');
    const r = await cli(d2, 'stop');
    equal(r.code, 0, r.out + r.err);
    const exit = await output(n2);
    equal(exit.code, 0, exit.err);
    ok(!existsSync(join(d2, 'regtest', 'lightningd.pid')));
  });
});
