import { RpcDispatcher, RpcError, RpcCode, rpcErrorOf, toJson } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { answerText, nestsDeeperThan, RPC_LIMITS } from '../../src/core/daemons/lightningd/rpc-text.ts';
import { Lightningd, type LightningdOptions } from '../../src/core/daemons/lightningd/lightningd.ts';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';

function make() {
  const d = new RpcDispatcher();
  d.register('echo', {
    params: ['id', 'len?'],
    category: 'utility',
    description: 'Echo back.',
    handler: p => ({ id: p.id, len: p.len ?? 128 }),
  });
  return d;
}

type Answer = { jsonrpc: string; id: unknown; result?: unknown; error?: { code: number; message: string } };
const parse = (s: string) => JSON.parse(s) as Answer | Answer[];

/** A dispatcher whose `slow` method yields a few times, counting how many ran at once at most. */
function slowDispatcher(): { d: RpcDispatcher; most: () => number } {
  const d = new RpcDispatcher();
  let running = 0;
  let most = 0;
  d.register('slow', {
    params: [],
    category: 'utility',
    description: 'Yields a few times.',
    handler: async () => {
      most = Math.max(most, ++running);
      for (let i = 0; i < 5; i++) await null;
      running--;
      return {};
    },
  });
  return { d, most: () => most };
}

describe('JSON-RPC dispatch (Core Lightning conventions)', () => {
  it('binds named and positional parameters, with defaults left to the handler', async () => {
    const d = make();
    deepEqual(await d.call('echo', { id: 'a' }), { id: 'a', len: 128 });
    deepEqual(await d.call('echo', ['b', 5]), { id: 'b', len: 5 });
  });
  it('missing, unknown and extra parameters are -32602', async () => {
    const d = make();
    const e1 = await rejects<RpcError>(d.call('echo', {}), RpcError);
    equal(e1.code, RpcCode.INVALID_PARAMS);
    const e2 = await rejects<RpcError>(d.call('echo', { id: 1, nope: 2 }), RpcError);
    equal(e2.code, RpcCode.INVALID_PARAMS);
    const e3 = await rejects<RpcError>(d.call('echo', [1, 2, 3]), RpcError);
    equal(e3.code, RpcCode.INVALID_PARAMS);
  });
  it('an unknown method is -32601 in the {code, message} shape', async () => {
    const res = await make().handle({ jsonrpc: '2.0', id: 7, method: 'nosuch', params: {} });
    deepEqual(res, { jsonrpc: '2.0', id: 7, error: { code: -32601, message: "Unknown command 'nosuch'" } });
  });
  it('RpcError.code is the numeric Core Lightning code (finding 5: it was the string "rpc_205")', async () => {
    const e = await rejects<RpcError>(make().call('nosuch'), RpcError);
    equal(e.code, -32601);
    equal(typeof e.code, 'number');
    // Flattened by a port (only name, code, message survive), it comes back as itself.
    const back = rpcErrorOf({ name: 'RpcError', code: 205, message: 'no route' });
    ok(back instanceof RpcError);
    equal(back.code, 205);
  });
  it('whatever a handler throws is an RpcError to call() and an answer to handle()', async () => {
    const d = new RpcDispatcher();
    d.register('boom', {
      params: [],
      category: 'utility',
      description: 'Throws.',
      handler: () => {
        throw new TypeError('kaboom');
      },
    });
    d.register('weird', {
      params: [],
      category: 'utility',
      description: 'Throws a non-Error.',
      handler: () => {
        throw Object.create(null);
      },
    });
    d.register('cyclic', {
      params: [],
      category: 'utility',
      description: 'Returns a cycle.',
      handler: () => {
        const o: Record<string, unknown> = {};
        o.o = o;
        return o;
      },
    });
    const e = await rejects<RpcError>(d.call('boom'), RpcError);
    equal(e.code, -1);
    equal(e.message, 'kaboom');
    for (const method of ['boom', 'weird', 'cyclic']) {
      const a = parse(await answerText(d, JSON.stringify({ jsonrpc: '2.0', id: method, method }))) as Answer;
      equal(a.id, method);
      equal(a.error?.code, -1, method);
    }
  });
  it('help has Core Lightning\'s shape: category, description, verbose, and format-hint "simple"', async () => {
    const h = (await make().call('help')) as {
      help: { command: string; category: string; description: string; verbose: string }[];
      'format-hint': string;
    };
    deepEqual(
      h.help.map(c => c.command),
      ['echo id [len]', 'help [command]'],
    );
    deepEqual(
      h.help.map(c => c.category),
      ['utility', 'utility'],
    );
    ok(h.help.every(c => c.description.length > 0 && c.verbose.length > 0));
    equal(h['format-hint'], 'simple');
    const one = (await make().call('help', { command: 'echo' })) as { help: { command: string }[] };
    deepEqual(
      one.help.map(c => c.command),
      ['echo id [len]'],
    );
    equal((await rejects<RpcError>(make().call('help', ['nosuch']), RpcError)).code, -32601);
  });
  it('results are JSON-safe: bigints and bytes', async () => {
    deepEqual(toJson({ a: 5n, b: new Uint8Array([1, 255]), c: 2n ** 64n }), { a: 5, b: '01ff', c: '18446744073709551616' });
  });
});

describe('JSON-RPC from text: nothing a client sends crashes or bloats the node', () => {
  it('an id that is not a string, number or null is -32600, answered with id null', async () => {
    const d = make();
    for (const id of [[1], { a: 1 }, true]) {
      const a = parse(await answerText(d, JSON.stringify({ jsonrpc: '2.0', id, method: 'help' }))) as Answer;
      equal(a.id, null);
      equal(a.error?.code, -32600, JSON.stringify(id));
    }
    const ok1 = parse(await answerText(d, '{"jsonrpc":"2.0","id":"x","method":"help"}')) as Answer;
    equal(ok1.id, 'x');
    ok(ok1.result);
  });
  it('finding 8: a 20 KB request nested 10,000 deep is refused before parsing, and the node answers the next', async () => {
    const d = make();
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    for (const text of [`{"jsonrpc":"2.0","id":${deep},"method":"help"}`, `{"jsonrpc":"2.0","id":1,"method":"echo","params":[${deep}]}`]) {
      const a = parse(await answerText(d, text)) as Answer;
      equal(a.id, null);
      equal(a.error?.code, -32600);
      ok(a.error?.message.includes('nested deeper than 64'), a.error?.message);
    }
    // At the limit it is accepted (the envelope is one level, params another).
    const atLimit = `{"jsonrpc":"2.0","id":2,"method":"echo","params":[${'['.repeat(62)}${']'.repeat(62)}]}`;
    equal((parse(await answerText(d, atLimit)) as Answer).id, 2);
    equal(
      ((parse(await answerText(d, '{"jsonrpc":"2.0","id":3,"method":"help"}')) as Answer).result as { help: unknown[] }).help.length,
      2,
    );
  });
  it('brackets inside strings do not count as nesting', () => {
    equal(nestsDeeperThan(JSON.stringify({ s: '[[[[[[[[\\"{{{{' }), 2), false);
    equal(nestsDeeperThan('[[[', 2), true);
  });
  it('text that is not JSON is -32700; an oversized request is -32600', async () => {
    equal((parse(await answerText(make(), '{"id":1,')) as Answer).error?.code, -32700);
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'echo', params: ['x'.repeat(RPC_LIMITS.maxRequestChars)] });
    equal((parse(await answerText(make(), big)) as Answer).error?.code, -32600);
  });
  it('finding 10: a 1 MB batch of help is one -32600, not a 115 MB reply', async () => {
    const one = '{"jsonrpc":"2.0","id":1,"method":"help"}';
    const batch = `[${Array.from({ length: Math.floor(1_000_000 / (one.length + 1)) }, () => one).join(',')}]`;
    ok(batch.length < RPC_LIMITS.maxRequestChars);
    const out = await answerText(make(), batch);
    ok(out.length < 1000, `reply of ${out.length} characters`);
    const a = parse(out) as Answer;
    equal(a.error?.code, -32600);
    ok(a.error?.message.includes(`at most ${RPC_LIMITS.maxBatch}`), a.error?.message);
    // Within the limit a batch is answered item by item, in order; an empty one is -32600.
    const ok64 = parse(
      await answerText(
        make(),
        `[${Array.from({ length: RPC_LIMITS.maxBatch }, (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"help"}`).join(',')}]`,
      ),
    ) as Answer[];
    deepEqual(
      ok64.map(x => x.id),
      Array.from({ length: RPC_LIMITS.maxBatch }, (_, i) => i),
    );
    equal((parse(await answerText(make(), '[]')) as Answer).error?.code, -32600);
  });
  it('batch items run a few at a time, not all at once', async () => {
    const { d, most } = slowDispatcher();
    const out = parse(
      await answerText(d, `[${Array.from({ length: 40 }, (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"slow"}`).join(',')}]`),
    ) as Answer[];
    equal(out.length, 40);
    ok(out.every(a => a.result !== undefined));
    equal(most(), RPC_LIMITS.batchConcurrency);
  });
  it('requests from many clients at once run at most nodeConcurrency at a time in the whole node', async () => {
    const { d, most } = slowDispatcher();
    // 16 clients, each a batch of 4 (their own bound) and a single request: 80 requests at once.
    const batch = `[${Array.from({ length: 4 }, (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"slow"}`).join(',')}]`;
    const all = await Promise.all(
      Array.from({ length: 16 }, () => [answerText(d, batch), answerText(d, '{"jsonrpc":"2.0","id":9,"method":"slow"}')]).flat(),
    );
    ok(all.every(t => !t.includes('"error"')));
    equal(most(), RPC_LIMITS.nodeConcurrency);
  });
  it('an answer over the size bound is an error; a batch stops growing at the bound', async () => {
    const d = new RpcDispatcher();
    d.register('big', { params: ['n'], category: 'utility', description: 'n characters.', handler: p => ({ s: 'x'.repeat(Number(p.n)) }) });
    const limits = { ...RPC_LIMITS, maxResponseChars: 5000 };
    const single = parse(await answerText(d, '{"jsonrpc":"2.0","id":1,"method":"big","params":[6000]}', limits)) as Answer;
    equal(single.id, 1);
    equal(single.error?.code, -1);
    ok(single.error?.message.startsWith('response too large'), single.error?.message);
    const text = await answerText(
      d,
      `[${Array.from({ length: 10 }, (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"big","params":[1000]}`).join(',')}]`,
      limits,
    );
    const batch = parse(text) as Answer[];
    equal(batch.length, 10);
    const answered = batch.filter(a => a.result !== undefined).length;
    ok(answered >= 3 && answered < 10, `${answered} answered in full`);
    ok(batch.filter(a => a.error).every(a => a.error!.message.startsWith('response too large')));
    ok(text.length < limits.maxResponseChars + 10 * 300, `batch answer of ${text.length} characters`);
  });
});

describe("lightningd's own commands: help categories, stop, listconfigs, getinfo.lightning-dir", () => {
  const id = '02' + '11'.repeat(32);
  async function node(extra: Partial<LightningdOptions> = {}) {
    const db = new LightningdDb(new MemoryLightningdStorage());
    await db.load();
    return new Lightningd({
      network: 'regtest',
      version: 'test',
      nodeId: id,
      alias: 'ALIAS',
      color: '112233',
      ourFeatures: { init: '', node: '', channel: '', invoice: '' },
      connectd: {
        connectToPeer: () => {
          throw new Error('no');
        },
        listPeers: () => [],
        ping: () => {
          throw new Error('no');
        },
        disconnect: () => undefined,
      },
      db,
      caps: { tcp: true, websocket: true, bridges: [], secureContext: true },
      ...extra,
    });
  }
  it("help gives Core Lightning's categories", async () => {
    const ld = await node();
    const h = (await ld.rpc.call('help')) as { help: { command: string; category: string }[] };
    const cat = Object.fromEntries(h.help.map(c => [c.command.split(' ')[0], c.category]));
    deepEqual(cat, {
      connect: 'network',
      decode: 'utility',
      disconnect: 'network',
      getinfo: 'utility',
      getroute: 'channels',
      help: 'utility',
      listchannels: 'channels',
      listconfigs: 'utility',
      listnodes: 'network',
      listpeers: 'network',
      ping: 'network',
      stop: 'utility',
    });
  });
  it('stop runs the runtime\'s stop, then answers "Shutdown complete"; without one it is refused', async () => {
    let stopped = 0;
    const ld = await node({ stop: async () => void stopped++ });
    equal(await ld.rpc.call('stop'), 'Shutdown complete');
    equal(stopped, 1);
    deepEqual(await ld.rpc.handle({ jsonrpc: '2.0', id: 1, method: 'stop' }), { jsonrpc: '2.0', id: 1, result: 'Shutdown complete' });
    equal((await rejects<RpcError>((await node()).rpc.call('stop'), RpcError)).code, -1);
  });
  it("listconfigs: configs by name in Core Lightning's shape, the runtime's entries over lightningd's", async () => {
    const ld = await node({
      lightningDir: '/tmp/ln',
      configs: () => ({
        network: { value_str: 'regtest', source: 'cmdline' },
        'rpc-file': { value_str: 'lightning-rpc', source: 'default' },
      }),
    });
    const all = (await ld.rpc.call('listconfigs')) as { configs: Record<string, { value_str: string; source: string }> };
    deepEqual(Object.keys(all.configs), ['alias', 'lightning-dir', 'network', 'rgb', 'rpc-file']);
    deepEqual(all.configs.network, { value_str: 'regtest', source: 'cmdline' });
    deepEqual(all.configs.alias, { value_str: 'ALIAS', source: 'default' });
    deepEqual(await ld.rpc.call('listconfigs', ['lightning-dir']), {
      configs: { 'lightning-dir': { value_str: '/tmp/ln', source: 'default' } },
    });
    equal((await rejects<RpcError>(ld.rpc.call('listconfigs', { config: 'nosuch' }), RpcError)).code, -32602);
  });
  it('getinfo has lightning-dir when the runtime has one', async () => {
    equal(((await (await node({ lightningDir: '/tmp/ln' })).rpc.call('getinfo')) as Record<string, unknown>)['lightning-dir'], '/tmp/ln');
    equal('lightning-dir' in ((await (await node()).rpc.call('getinfo')) as Record<string, unknown>), false);
  });
});
