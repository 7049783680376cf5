// Finding 5 in real Chromium: the browser API's JSON-RPC errors carry Core Lightning's numeric codes
// (`e.code === 205` for no route, -32601 for an unknown method), as code written for Core Lightning
// expects; and `stop` over the RPC stops the node as stop() does.
import { RpcError, startNode, WebNodeError, type WebNode } from '../../src/web/index.ts';
import { HSM_SECRET_DB } from '../../src/web/hsm-secret-idb.ts';
import { LIGHTNINGD_DB } from '../../src/web/lightningd-storage-idb.ts';
import { gossipDbName } from '../../src/web/worker-api.ts';
import { installErrorTransfer } from '../../src/links/comlink-errors.ts';
import * as Comlink from 'comlink';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';

function deleteDb(name: string): Promise<void> {
  return new Promise(resolve => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}

describe('browser node: JSON-RPC errors with numeric codes', () => {
  const dataName = `test-${crypto.randomUUID()}`;
  let node: WebNode;

  before(async () => {
    node = await startNode({ network: 'regtest', dataName });
  });
  after(async () => {
    await node?.stop();
    for (const n of [HSM_SECRET_DB.name(dataName), LIGHTNINGD_DB.name(dataName), gossipDbName(dataName)]) await deleteDb(n);
  });

  it('getroute with no route rejects with e.code === 205', async () => {
    const e = await rejects<RpcError>(node.call('getroute', { id: `02${'ab'.repeat(32)}`, amount_msat: 1000, riskfactor: 10 }), RpcError);
    ok(e.code === 205, `code ${JSON.stringify(e.code)}`);
    equal(e.name, 'RpcError');
  });

  it('an unknown method rejects with e.code === -32601, bad parameters with -32602', async () => {
    const e = await rejects<RpcError>(node.call('nosuchmethod'), RpcError);
    ok(e.code === -32601, `code ${JSON.stringify(e.code)}`);
    const p = await rejects<RpcError>(node.call('ping', { id: 'x', len: 70000 }), RpcError);
    ok(p.code === -32602, `code ${JSON.stringify(p.code)}`);
  });

  it('an RpcError crosses a Comlink port as an RpcError with its numeric code and data', async () => {
    installErrorTransfer();
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(
      {
        fail: () => {
          throw new RpcError(205, 'no route', { tried: 3 });
        },
      },
      port1,
    );
    const remote = Comlink.wrap<{ fail(): void }>(port2);
    try {
      const e = await rejects<RpcError>(remote.fail() as Promise<void>, RpcError);
      equal(e.code, 205);
      deepEqual(e.data, { tried: 3 });
    } finally {
      remote[Comlink.releaseProxy]();
      port1.close();
      port2.close();
    }
  });
  it('help is Core Lightning\'s shape; stop answers "Shutdown complete" and the node is stopped', async () => {
    const h = (await node.call('help')) as { help: { command: string; category: string }[]; 'format-hint': string };
    equal(h['format-hint'], 'simple');
    equal(h.help.find(c => c.command.startsWith('connect '))?.category, 'network');
    equal(await node.call('stop'), 'Shutdown complete');
    await rejects(node.call('getinfo'), WebNodeError, 'stopped');
    // The data name is free again.
    node = await startNode({ network: 'regtest', dataName });
    equal(typeof ((await node.call('getinfo')) as { id: string }).id, 'string');
  });
});
