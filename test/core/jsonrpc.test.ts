import { RpcDispatcher, RpcError, RpcCode, toJson } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';

function make() {
  const d = new RpcDispatcher();
  d.register('echo', { params: ['id', 'len?'], description: 'Echo back.', handler: (p) => ({ id: p.id, len: p.len ?? 128 }) });
  return d;
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
    equal(e1.rpcCode, RpcCode.INVALID_PARAMS);
    const e2 = await rejects<RpcError>(d.call('echo', { id: 1, nope: 2 }), RpcError);
    equal(e2.rpcCode, RpcCode.INVALID_PARAMS);
    const e3 = await rejects<RpcError>(d.call('echo', [1, 2, 3]), RpcError);
    equal(e3.rpcCode, RpcCode.INVALID_PARAMS);
  });
  it('an unknown method is -32601 in the {code, message} shape', async () => {
    const res = await make().handle({ jsonrpc: '2.0', id: 7, method: 'nosuch', params: {} });
    deepEqual(res, { jsonrpc: '2.0', id: 7, error: { code: -32601, message: "Unknown command 'nosuch'" } });
  });
  it('help lists every command with a one-line description', async () => {
    const h = (await make().call('help')) as { help: { command: string; description: string }[] };
    deepEqual(h.help.map((c) => c.command), ['echo id [len]', 'help [command]']);
    ok(h.help.every((c) => c.description.length > 0));
  });
  it('results are JSON-safe: bigints and bytes', async () => {
    deepEqual(toJson({ a: 5n, b: new Uint8Array([1, 255]), c: 2n ** 64n }), { a: 5, b: '01ff', c: '18446744073709551616' });
  });
});
