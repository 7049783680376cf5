// The on-chain wallet in the edge node (miniflare: the Worker, the Durable Object, the node in its
// isolate) with ESPLORA set to `boltworker regtest`: keys from hsmd in the isolate, blocks over the
// isolate's fetch, the wallet's state a value of the Durable Object's storage. Coins the chain sends
// to a `newaddr` are in `listfunds` once mined, and still there after the runtime is restarted on
// the same storage.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import { after, before, describe, it } from 'node:test';
import { startRegtest, type RegtestHandle } from '../../src/regtest/server-node.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { bundleWorker, startWorker } from './miniflare.ts';
import { fundsWhen, postJson } from '../support/regtest-client.ts';

type Funds = { outputs: { txid: string; amount_msat: number; status: string }[] };

async function call(mf: Miniflare, method: string, params: unknown = {}): Promise<Record<string, unknown>> {
  const res = await mf.dispatchFetch('http://localhost/rpc', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  equal(res.status, 200);
  const r = (await res.json()) as { result?: Record<string, unknown>; error?: unknown };
  ok(r.result, JSON.stringify(r.error));
  return r.result!;
}

describe('edge node (miniflare): the wallet over ESPLORA', { timeout: 120_000 }, () => {
  let h: RegtestHandle;
  let persist: string;
  let script: string;
  let mf: Miniflare | undefined;
  before(async () => {
    h = await startRegtest({ port: 0, premine: 101 });
    persist = mkdtempSync(join(tmpdir(), 'bw-edge-wallet-'));
    script = await bundleWorker('src/edge/worker.ts');
  });
  after(async () => {
    await mf?.dispose();
    await h?.close();
    rmSync(persist, { recursive: true, force: true });
  });
  const start = () =>
    startWorker({ script, durableObjects: { NODE: 'BoltworkerNode' }, persist, bindings: { NETWORK: 'regtest', ESPLORA: h.url } });

  it('receives to a newaddr, and keeps the coins in Durable Object storage across a restart', async () => {
    mf = start();
    await mf.ready;
    const { p2tr } = (await call(mf, 'newaddr')) as { p2tr: string };
    ok(p2tr.startsWith('bcrt1p'), p2tr);
    const { txid } = (await postJson(`${h.url}/regtest/send`, { address: p2tr, amount_sat: 250_000 })) as { txid: string };
    await postJson(`${h.url}/regtest/mine`, { blocks: 1 });
    const funds = await fundsWhen(
      async () => (await call(mf!, 'listfunds')) as Funds,
      f => f.outputs.some(o => o.status === 'confirmed'),
      'the coins confirmed',
    );
    deepEqual(
      funds.outputs.map(o => `${o.txid}:${o.amount_msat}:${o.status}`),
      [`${txid}:250000000:confirmed`],
    );
    await mf.dispose();
    mf = start();
    await mf.ready;
    deepEqual(((await call(mf, 'listfunds')) as Funds).outputs, funds.outputs, 'the same coins from storage');
  });
});
