// The edge node's database across a restart of workerd (miniflare, SQLite-backed Durable Object):
// 1100 invoices, more than one Durable Object value may hold (128 KiB with the key-value backend,
// 2 MB with SQLite: lightningd's whole state as one value failed here at invoice 988 with
// SQLITE_TOOBIG), persist and come back, and `delinvoice` after the restart sticks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import { after, describe, it } from 'node:test';
import { bundleWorker, startWorker } from './miniflare.ts';
import { equal, ok } from '../support/assert.ts';

const N = 1100;
const persist = mkdtempSync(join(tmpdir(), 'bw-edge-db-'));
const script = await bundleWorker('src/edge/worker.ts');
const start = (): Miniflare =>
  startWorker({ script, durableObjects: { NODE: 'BoltworkerNode' }, persist, bindings: { NETWORK: 'regtest' } });

async function call(mf: Miniflare, body: unknown): Promise<unknown> {
  const res = await mf.dispatchFetch('http://localhost/rpc', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  equal(res.status, 200);
  return res.json();
}

describe('edge node: lightningd database larger than one Durable Object value', { timeout: 600_000 }, () => {
  after(() => rmSync(persist, { recursive: true, force: true }));
  it(`keeps ${N} invoices across a restart of workerd`, async () => {
    let mf = start();
    try {
      // JSON-RPC batches of 50: each invoice is its own write of lightningd's database.
      for (let b = 0; b < N; b += 50) {
        const batch = Array.from({ length: 50 }, (_, i) => ({
          jsonrpc: '2.0',
          id: b + i,
          method: 'invoice',
          params: { amount_msat: 1000 + b + i, label: `inv-${b + i}`, description: `invoice ${b + i} ${'d'.repeat(600)}` },
        }));
        const out = (await call(mf, batch)) as { error?: unknown }[];
        ok(
          out.every(r => !r.error),
          JSON.stringify(out.find(r => r.error)),
        );
      }
    } finally {
      await mf.dispose();
    }
    mf = start();
    try {
      const list = (await call(mf, { jsonrpc: '2.0', id: 1, method: 'listinvoices', params: {} })) as {
        result: { invoices: { label: string; bolt11: string }[] };
      };
      equal(list.result.invoices.length, N);
      const bytes = JSON.stringify(list.result.invoices).length;
      ok(bytes > 2 * 1024 * 1024, `${bytes} bytes of invoices`);
      equal(list.result.invoices[N - 1]!.label, `inv-${N - 1}`);
      await call(mf, { jsonrpc: '2.0', id: 2, method: 'delinvoice', params: { label: 'inv-7', status: 'unpaid' } });
    } finally {
      await mf.dispose();
    }
    mf = start();
    try {
      const list = (await call(mf, { jsonrpc: '2.0', id: 1, method: 'listinvoices', params: {} })) as {
        result: { invoices: { label: string }[] };
      };
      equal(list.result.invoices.length, N - 1);
      ok(!list.result.invoices.some(i => i.label === 'inv-7'));
    } finally {
      await mf.dispose();
    }
  });
});
