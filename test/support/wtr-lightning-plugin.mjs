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
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

const HOST = '127.0.0.1';

export function lightningPlugin() {
  let starting;
  let node;
  let bridge;
  let dir;
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
      onEvent: (event, payload) => {
        if (event === 'peer_connected' || event === 'peer_disconnected') events.push({ event, ...payload });
      },
    });
    const port = node.binding[0].port;
    bridge = await startBridge({ listen: `${HOST}:0`, allowLoopback: true, allowedPorts: [port] });
    return { id: node.id, host: HOST, port, bridge: `${bridge.url}/{host}:{port}` };
  }

  const json = (v) => ({ body: JSON.stringify(v), type: 'application/json' });

  return {
    name: 'lightning-node',
    async serve(context) {
      if (!context.path.startsWith('/__lightning')) return undefined;
      starting ??= start();
      const info = await starting;
      if (context.path === '/__lightning') return json(info);
      if (context.path === '/__lightning/peers') return json(await node.call('listpeers'));
      if (context.path === '/__lightning/events') return json(events);
      return undefined;
    },
    async serverStop() {
      if (!starting) return;
      await starting.catch(() => undefined);
      await bridge?.close();
      await node?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
