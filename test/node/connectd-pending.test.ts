// Issue 10 finding 12, over real loopback sockets into the Node daemon (connectd in its worker):
// 40 silent TCP connections from one address used to take all 32 places for connections before
// `init` and lock every other peer out. Places are now shared per address (4 each by default), so
// a peer from another address (127.0.0.2: Linux accepts any 127.x.y.z as a source) still gets in.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainHash } from '../../src/core/chain/chains.ts';
import { DEFAULT_CONFIG } from '../../src/core/daemons/connectd/types.ts';
import { ourFeatures } from '../../src/core/features/index.ts';
import { startNode, type RunningNode } from '../../src/node/node.ts';
import { RawClient, initMessage } from '../interop/ldk/raw-client.ts';
import { equal, ok } from '../support/assert.ts';

const SILENT = 40;

/** Polls until `fn` holds. The bound only turns a hang into a failure; nothing asserts on time. */
async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

describe('connectd over TCP: one address cannot take every place before init', () => {
  let dir: string;
  let node: RunningNode;
  const sockets: Socket[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bw-pending-'));
    // Long timeouts: what frees the other address's place must be the per-address share, not a timer.
    node = await startNode({
      network: 'regtest',
      lightningDir: dir,
      bindAddr: ['127.0.0.1:0'],
      verifyWorkers: 1,
      connectdConfig: { actOneTimeoutMs: 600_000, handshakeTimeoutMs: 600_000, initTimeoutMs: 600_000 },
    });
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${SILENT} silent connections from 127.0.0.1 hold only their address's places; a peer from 127.0.0.2 completes the handshake and init`, async () => {
    const port = node.binding[0]!.port;
    let closed = 0;
    // One after another, so connectd meets them in this order (the listener accepts in order).
    for (let i = 0; i < SILENT; i++) {
      const s = netConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
      sockets.push(s);
      s.on('error', () => {});
      s.once('close', () => closed++);
      await new Promise<void>(resolve => {
        s.once('connect', () => resolve());
        s.once('close', () => resolve());
      });
    }
    // At least those beyond the global cap are refused, whatever the share per address.
    await until('refusals', () => closed >= SILENT - DEFAULT_CONFIG.maxPendingInbound);
    // The peer from another address: BOLT 8 handshake, then init both ways.
    const peer = await RawClient.connect(node.id, port, undefined, '127.0.0.2');
    try {
      peer.send(initMessage(ourFeatures('I').toBytes(), [chainHash('regtest')]));
      ok((await peer.nextOfType(16)) !== undefined, 'our init reached the peer from 127.0.0.2');
      await until('the peer in listpeers', async () => {
        const r = (await node.call('listpeers', { id: peer.nodeId })) as { peers: { connected: boolean }[] };
        return r.peers[0]?.connected === true;
      });
    } finally {
      await peer.close();
    }
    // The silent ones are refused beyond the address's share, and only they: its share stays open.
    const kept = DEFAULT_CONFIG.maxPendingInboundPerAddress;
    await until(`${SILENT - kept} refusals`, () => closed >= SILENT - kept);
    equal(closed, SILENT - kept);
    equal(sockets.filter(s => !s.closed).length, kept);
  });
});
