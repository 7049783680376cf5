// Issue 10, findings 8 and 9, as a web page meets them: a page on another origin (this test page,
// served by the test runner on its own port) against the Node daemon's HTTP JSON-RPC on 127.0.0.1
// (test/support/wtr-lightning-plugin.mjs starts it with --rpc-addr). The page cannot drive it: a
// "simple" no-cors POST (text/plain, no preflight, no cookie) is refused before any method runs,
// so `connect` does not make the node dial (a plain listener counts what reaches it); a JSON
// request needs a preflight no foreign origin passes; the 20 KB request with an `id` nested
// 10,000 deep that once killed the node is answered and the node goes on.
import { equal, ok } from '../support/assert.ts';

interface Coordinates {
  id: string;
  rpc: string;
  sink: number;
}

async function coordinates(): Promise<Coordinates> {
  return (await fetch('/__lightning')).json() as Promise<Coordinates>;
}

async function sinkConnections(): Promise<number> {
  return ((await (await fetch('/__lightning/sink')).json()) as { connections: number }).connections;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
// A node id nobody has: the dial happens before the handshake could fail, so the sink would see it.
const SOMEONE = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'; // G: a valid key nobody listens as

describe('the HTTP JSON-RPC against a page on another origin', () => {
  it('is on another origin than this page', async () => {
    const c = await coordinates();
    ok(new URL(c.rpc).origin !== location.origin, `${c.rpc} vs ${location.origin}`);
  });

  it('a no-cors text/plain POST of `connect` makes the node dial nothing (no port scanning through it)', async () => {
    const c = await coordinates();
    const before = await sinkConnections();
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'connect', params: { id: `${SOMEONE}@127.0.0.1:${c.sink}` } });
    const r = await fetch(c.rpc, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body });
    equal(r.type, 'opaque', 'the page cannot read the answer either');
    // Batches too: the same, twice, in one request.
    await fetch(c.rpc, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: `[${body},${body}]` });
    await sleep(1500);
    equal(await sinkConnections(), before, 'the node dialled the address the page gave');
    // The control: the same `connect`, asked by the test runner itself, does reach the listener.
    const asked = ((await (await fetch('/__lightning/sink/connect')).json()) as { connections: number }).connections;
    ok(asked > before, 'the listener counts what the node dials');
  });

  it('a CORS request with application/json fails its preflight, and nothing runs', async () => {
    const c = await coordinates();
    const before = await sinkConnections();
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'connect', params: { id: `${SOMEONE}@127.0.0.1:${c.sink}` } });
    let failed = false;
    try {
      await fetch(c.rpc, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    } catch (e) {
      failed = e instanceof TypeError;
    }
    ok(failed, 'the browser must refuse the cross-origin JSON request');
    await sleep(1000);
    equal(await sinkConnections(), before);
  });

  it('an id nested 10,000 deep, sent no-cors, does not stop the node', async () => {
    const c = await coordinates();
    const body = `{"jsonrpc":"2.0","method":"getinfo","id":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    await fetch(c.rpc, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body });
    await sleep(300);
    // The node still answers (through the test runner, which calls it in-process).
    const peers = (await (await fetch('/__lightning/peers')).json()) as { peers: unknown[] };
    ok(Array.isArray(peers.peers));
  });
});
