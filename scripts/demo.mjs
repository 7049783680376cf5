// `npm start`: a local Lightning network on this machine, nothing from outside. Two of our nodes
// (each with hsmd and connectd in worker threads) on 127.0.0.1 do the BOLT 8 handshake and `init`
// over TCP and over WebSocket, ping each other, and show what each sees. With --serve it keeps
// running and prints their JSON-RPC addresses for `boltworker cli`.
import { register } from 'tsx/esm/api';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

register();
const { startNode } = await import('../src/node/node.ts');
const keep = process.argv.includes('--serve');
const dir = mkdtempSync(join(tmpdir(), 'boltworker-demo-'));
const show = (title, v) => console.log(`\n## ${title}\n${JSON.stringify(v, null, 2)}`);

const alice = await startNode({ network: 'regtest', lightningDir: join(dir, 'alice'), alias: 'alice', bindAddr: ['127.0.0.1:0', 'ws:127.0.0.1:0'], rpcAddr: '127.0.0.1:0' });
const bob = await startNode({ network: 'regtest', lightningDir: join(dir, 'bob'), alias: 'bob', rpcAddr: '127.0.0.1:0' });
const carol = await startNode({ network: 'regtest', lightningDir: join(dir, 'carol'), alias: 'carol', rpcAddr: '127.0.0.1:0' });
try {
  show('alice getinfo', await alice.call('getinfo'));
  const tcp = alice.binding.find((b) => b.type !== 'websocket');
  const ws = alice.binding.find((b) => b.type === 'websocket');
  show('bob: connect alice over TCP (BOLT 8 handshake, then init)', await bob.call('connect', { id: `${alice.id}@127.0.0.1:${tcp.port}` }));
  show('carol: connect alice over WebSocket', await carol.call('connect', { id: alice.id, host: `ws://127.0.0.1:${ws.port}` }));
  show('bob: ping alice (len 1000, pongbytes 500)', await bob.call('ping', { id: alice.id, len: 1000, pongbytes: 500 }));
  show('alice listpeers', await alice.call('listpeers'));
  if (keep) {
    console.log(`\nRunning. Try: npx boltworker cli --rpc-addr 127.0.0.1:${alice.rpcPort} listpeers   (Ctrl-C stops)`);
    await new Promise((r) => process.once('SIGINT', r));
  }
} finally {
  await Promise.all([alice.stop(), bob.stop(), carol.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
console.log('\ndemo finished: three nodes, two transports, handshakes, init and ping all done on 127.0.0.1');
