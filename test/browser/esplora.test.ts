// lightningd's chain in the browser: the same EsploraBackend (src/platform/esplora.ts) with the
// page's fetch, and the chain service following `boltworker regtest` (started by the test runner's
// regtest plugin on 127.0.0.1) through a reorganisation, and through a server that answers 500s
// and then recovers.
import { ChainService } from '../../src/core/daemons/lightningd/chain.ts';
import { EsploraBackend } from '../../src/platform/esplora.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const quiet = { debug() {}, info() {}, warn() {} };
const timers = {
  now: () => Date.now(),
  setTimeout: (f: () => void, ms: number) => setTimeout(f, ms),
  clearTimeout: (t: unknown) => clearTimeout(t as number),
};

async function ask<T>(path: string): Promise<T> {
  const r = await fetch(path);
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}: ${await r.text()}`);
  return (await r.json()) as T;
}

function backend(url: string, retries = 0): EsploraBackend {
  // Unbound, as the page hands it: the client must not call it as a method of another object.
  return new EsploraBackend({ baseUrls: [url], fetch: (u, i) => fetch(u, i as RequestInit), clock: timers, retries, backoffMs: 20 });
}

describe('lightningd chain over Esplora in the browser', () => {
  it('follows the regtest chain and its reorganisation, block by block', async () => {
    const { url } = await ask<{ url: string }>('/__regtest');
    const b = backend(url);
    equal((await b.getchaininfo()).chain, 'regtest');
    const chain = new ChainService({ backend: b, network: 'regtest', clock: timers, log: quiet });
    const seen: string[] = [];
    chain.addListener({ blockConnected: x => void seen.push(`+${x.height}`), blockDisconnected: x => void seen.push(`-${x.height}`) });
    const start = (await chain.sync()).height;
    await ask('/__regtest/mine?blocks=2');
    await chain.sync();
    await ask('/__regtest/reorg?depth=1');
    const r = await chain.sync();
    deepEqual(r, { height: start + 3, connected: 2, disconnected: 1 });
    deepEqual(seen, [`+${start + 1}`, `+${start + 2}`, `-${start + 2}`, `+${start + 2}`, `+${start + 3}`]);
    const fees = await chain.feerates();
    ok(fees.perkw.every(f => f.feerate >= 253));
  });

  it('asks again, with backoff, a server that answers 500s, until it recovers', async () => {
    const { url } = await ask<{ url: string }>('/__regtest/flaky?fail=4');
    const b = backend(url, 5);
    const info = await b.getchaininfo();
    equal(info.chain, 'regtest');
    ok(b.stats.retries >= 4, `retries ${b.stats.retries}`);
    const tip = await b.getrawblockbyheight(info.blockcount);
    equal(tip?.blockhash, await b.getblockhash(info.blockcount));
  });
});
