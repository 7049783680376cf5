// Findings 8 and 10 over a real socket: the Node daemon's HTTP JSON-RPC (src/node/rpc-http.ts)
// answers what once crashed the process (an id nested 10,000 deep: JSON.stringify threw in the
// `end` callback) and refuses a 1 MB batch, and keeps answering afterwards.
import { RpcDispatcher } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { startRpcHttp } from '../../src/node/rpc-http.ts';
import { basicAuth } from '../../src/node/rpc-cookie.ts';
import { after, before, describe, it } from 'node:test';
import { equal, ok } from '../support/assert.ts';

describe('HTTP JSON-RPC: requests that crashed or bloated the node', () => {
  let server: Awaited<ReturnType<typeof startRpcHttp>>;
  const cookie = '__cookie__:00ff';
  const post = async (body: string) => {
    const r = await fetch(`http://127.0.0.1:${server.port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(cookie) },
      body,
    });
    return { status: r.status, text: await r.text() };
  };

  before(async () => {
    server = await startRpcHttp(new RpcDispatcher(), { host: '127.0.0.1', port: 0, cookie });
  });
  after(() => server.close());

  it('an id nested 10,000 deep is -32600 with id null, and the server answers the next request', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const r = await post(`{"jsonrpc":"2.0","id":${deep},"method":"help"}`);
    equal(r.status, 200);
    const a = JSON.parse(r.text) as { id: unknown; error: { code: number } };
    equal(a.id, null);
    equal(a.error.code, -32600);
    const h = JSON.parse((await post('{"jsonrpc":"2.0","id":1,"method":"help"}')).text) as { result: { 'format-hint': string } };
    equal(h.result['format-hint'], 'simple');
  });

  it('a 1 MB batch of help is one short -32600', async () => {
    const one = '{"jsonrpc":"2.0","id":1,"method":"help"}';
    const r = await post(`[${Array.from({ length: Math.floor(1_000_000 / (one.length + 1)) }, () => one).join(',')}]`);
    ok(r.text.length < 1000, `reply of ${r.text.length} characters`);
    equal((JSON.parse(r.text) as { error: { code: number } }).error.code, -32600);
  });
});
