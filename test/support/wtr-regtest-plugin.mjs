// A @web/test-runner plugin for the browser tests of the chain: `boltworker regtest` (src/regtest,
// in the test runner's own Node process) on 127.0.0.1, and a proxy in front of it that answers 500
// for a given number of requests and then forwards (a server that fails and recovers). Both start
// on the first request for their coordinates and stop with the server. Everything is on loopback;
// the page drives the chain's controls through the dev server (same origin), as the regtest server
// refuses its /regtest/ controls to a cross-origin page.
//
//   /__regtest                        JSON {url, flaky}: the chain's Esplora URL, the proxy's
//   /__regtest/mine?blocks=N          JSON {hashes}
//   /__regtest/reorg?depth=N          JSON {hashes}
//   /__regtest/send?address=A&amount_sat=N   JSON {txid}: the chain's own coins to A
//   /__regtest/flaky?fail=N           the proxy answers 500 to its next N requests; JSON {url}
import { createServer } from 'node:http';
import { tsImport } from 'tsx/esm/api';

const HOST = '127.0.0.1';

export function regtestPlugin() {
  let starting;
  let chain;
  let proxy;
  let failures = 0;

  async function start() {
    const { startRegtest } = await tsImport('../../src/regtest/server-node.ts', import.meta.url);
    chain = await startRegtest({ host: HOST, port: 0, premine: 101 });
    proxy = createServer((req, res) => {
      if (failures > 0) {
        failures--;
        res.writeHead(500, { 'access-control-allow-origin': '*' }).end('internal error');
        return;
      }
      const parts = [];
      req.on('data', c => parts.push(c));
      req.on('end', async () => {
        try {
          const r = await fetch(chain.url + req.url, {
            method: req.method,
            ...(req.method === 'POST' ? { body: Buffer.concat(parts) } : {}),
          });
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain', 'access-control-allow-origin': '*' });
          res.end(Buffer.from(await r.arrayBuffer()));
        } catch (e) {
          res.writeHead(502).end(String(e));
        }
      });
    });
    await new Promise(r => proxy.listen(0, HOST, r));
    return { url: chain.url, flaky: `http://${HOST}:${proxy.address().port}` };
  }

  async function control(path, body) {
    const r = await fetch(`${chain.url}/regtest/${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    return { body: await r.text(), type: 'application/json', status: r.status };
  }

  return {
    name: 'regtest-chain',
    async serve(context) {
      if (!context.path.startsWith('/__regtest')) return undefined;
      starting ??= start();
      const info = await starting;
      const q = context.query ?? {};
      if (context.path === '/__regtest') return { body: JSON.stringify(info), type: 'application/json' };
      if (context.path === '/__regtest/mine') return control('mine', { blocks: Number(q.blocks ?? 1) });
      if (context.path === '/__regtest/send') return control('send', { address: String(q.address), amount_sat: Number(q.amount_sat) });
      if (context.path === '/__regtest/reorg') return control('reorg', { depth: Number(q.depth ?? 1) });
      if (context.path === '/__regtest/flaky') {
        failures = Number(q.fail ?? 0);
        return { body: JSON.stringify({ url: info.flaky }), type: 'application/json' };
      }
      return undefined;
    },
    async serverStop() {
      if (!starting) return;
      await starting.catch(() => undefined);
      await new Promise(r => (proxy ? proxy.close(r) : r()));
      await chain?.close();
    },
  };
}
