// A @web/test-runner plugin for the browser node's tests: in the test runner's own Node process,
// one of our Node nodes (src/node/node.ts: daemons in worker threads) listening on 127.0.0.1 TCP,
// and our WebSocket-to-TCP bridge (src/transports/bridge-server.ts) on 127.0.0.1, allowed to reach
// that one port only. Both start on the first request for their coordinates (so test runs that do
// not need them pay nothing) and stop with the server. Everything is on loopback.
//
// The dev server serves:
//   /__lightning        JSON {id, host, port, bridge}: the node's id, its TCP port, the bridge's URL
//                       template ('ws://127.0.0.1:P/{host}:{port}')
//   /__lightning/peers  JSON: the Node node's `listpeers`
//   /__lightning/events JSON: every peer_connected / peer_disconnected the Node node emitted
//   /__lightning/sink   JSON {connections}: TCP connections a plain listener (port `sink` in
//                       /__lightning) has received: what a page that drove the node's RPC would
//                       make it dial (/__lightning/sink/connect: the runner asks the same `connect`
//                       itself, the control). The node serves its HTTP JSON-RPC at `rpc` (cookie required).
//   /__lightning/chain-node?esplora=URL   JSON {id, host, port, bridge}: a second Node node, on the
//                       chain at URL (the regtest plugin's) with its wallet, behind a bridge of its own
//                       (started on the first request)
//   /__lightning/chain-node/channels      JSON: that node's `listpeerchannels`
//   /__lightning/chain-node/rpc?method=M&params=JSON   JSON: that node's answer to one of the payment
//                       methods (invoice, xpay, keysend, waitinvoice, listinvoices, listpays, getinfo, checkmessage,
//                       listpeerchannels),
//                       or HTTP 500 {code, message}
//   /__lightning/crash-rounds             JSON {rounds}: the runner's CRASH_ROUNDS (null when unset)
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

const HOST = '127.0.0.1';
/** What the browser's payment tests may ask the chain node. */
const CHAIN_NODE_RPC = new Set([
  'invoice',
  'xpay',
  'keysend',
  'waitinvoice',
  'listinvoices',
  'listpays',
  'getinfo',
  'checkmessage',
  'listpeerchannels',
]);

export function lightningPlugin() {
  let starting;
  let node;
  let bridge;
  let dir;
  let sink;
  let sinkConnections = 0;
  const events = [];

  async function start() {
    // The plugin is .mjs; the node is TypeScript: tsx loads it (and what it imports) for us.
    const { startNode } = await tsImport('../../src/node/node.ts', import.meta.url);
    const { startBridge } = await tsImport('../../src/transports/bridge-server.ts', import.meta.url);
    dir = await mkdtemp(join(tmpdir(), 'bw-wtr-'));
    node = await startNode({
      network: 'regtest',
      lightningDir: dir,
      bindAddr: [`${HOST}:0`],
      alias: 'wtr-node',
      rpcAddr: `${HOST}:0`,
      onEvent: (event, payload) => {
        if (event === 'peer_connected' || event === 'peer_disconnected') events.push({ event, ...payload });
      },
    });
    const port = node.binding[0].port;
    bridge = await startBridge({ listen: `${HOST}:0`, allowLoopback: true, allowedPorts: [port] });
    sink = createServer(c => {
      sinkConnections++;
      c.destroy();
    });
    await new Promise(r => sink.listen(0, HOST, r));
    return {
      id: node.id,
      host: HOST,
      port,
      bridge: `${bridge.url}/{host}:{port}`,
      rpc: `http://${HOST}:${node.rpcHttp.port}/`,
      sink: sink.address().port,
    };
  }

  // The node's own calls answer amounts as bigints: numbers in JSON, as its JSON-RPC writes them.
  const json = v => ({ body: JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)), type: 'application/json' });

  // The node on a chain, for channel tests: its own directory and bridge.
  let chainStarting;
  let chainNode;
  let chainBridge;
  let chainDir;
  async function startChainNode(esplora) {
    const { startNode } = await tsImport('../../src/node/node.ts', import.meta.url);
    const { startBridge } = await tsImport('../../src/transports/bridge-server.ts', import.meta.url);
    chainDir = await mkdtemp(join(tmpdir(), 'bw-wtr-chain-'));
    // It follows the chain every 100 ms (as test/node/regtest-nodes.ts's nodes): a block a test mines is seen at once.
    chainNode = await startNode({
      network: 'regtest',
      lightningDir: chainDir,
      bindAddr: [`${HOST}:0`],
      esplora,
      verifyWorkers: 1,
      chainPollMs: 100,
    });
    const port = chainNode.binding[0].port;
    chainBridge = await startBridge({ listen: `${HOST}:0`, allowLoopback: true, allowedPorts: [port] });
    return { id: chainNode.id, host: HOST, port, bridge: `${chainBridge.url}/{host}:{port}` };
  }

  return {
    name: 'lightning-node',
    async serve(context) {
      if (!context.path.startsWith('/__lightning')) return undefined;
      if (context.path === '/__lightning/chain-node') {
        chainStarting ??= startChainNode(String(context.query?.esplora));
        return json(await chainStarting);
      }
      if (context.path === '/__lightning/chain-node/rpc') {
        if (!chainNode) return { status: 404, body: 'no chain node' };
        const method = String(context.query?.method);
        if (!CHAIN_NODE_RPC.has(method)) return { status: 403, body: `not allowed: ${method}` };
        try {
          return json(await chainNode.call(method, JSON.parse(String(context.query?.params ?? '{}'))));
        } catch (e) {
          return { status: 500, ...json({ code: e?.code, message: e?.message }) };
        }
      }
      if (context.path === '/__lightning/chain-node/channels') {
        if (!chainNode) return { status: 404, body: 'no chain node' };
        return json(await chainNode.call('listpeerchannels', {}));
      }
      if (context.path === '/__lightning/crash-rounds') return json({ rounds: Number(process.env.CRASH_ROUNDS) || null });
      starting ??= start();
      const info = await starting;
      if (context.path === '/__lightning') return json(info);
      if (context.path === '/__lightning/peers') return json(await node.call('listpeers'));
      if (context.path === '/__lightning/events') return json(events);
      if (context.path === '/__lightning/sink') return json({ connections: sinkConnections });
      // The control for /sink: the same `connect` asked by the runner itself, which may.
      if (context.path === '/__lightning/sink/connect') {
        const before = sinkConnections;
        await node
          .call('connect', { id: `0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798@${HOST}:${info.sink}` })
          .catch(() => undefined);
        for (let i = 0; i < 50 && sinkConnections === before; i++) await new Promise(r => setTimeout(r, 20));
        return json({ connections: sinkConnections });
      }
      return undefined;
    },
    async serverStop() {
      if (chainStarting) {
        await chainStarting.catch(() => undefined);
        await chainBridge?.close();
        await chainNode?.stop();
        if (chainDir) await rm(chainDir, { recursive: true, force: true });
      }
      if (!starting) return;
      await starting.catch(() => undefined);
      await bridge?.close();
      await new Promise(r => (sink ? sink.close(r) : r()));
      await node?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
