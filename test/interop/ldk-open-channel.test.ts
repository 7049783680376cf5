// LDK opens a channel to our node (hsmd and connectd in worker threads): we accept no channels yet,
// so LDK must hear an `error` naming its temporary_channel_id at once (BOLT 1), drop that channel,
// and stay connected, instead of waiting for its own timeout (issue 9 finding 9).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ldk from 'lightningdevkit';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { startNode, type RunningNode } from '../../src/node/node.ts';
import { startLdkPeer, type LdkPeer } from './ldk/peer.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

/** Turns a hang into a failure; nothing asserts on time. */
function bounded<T>(what: string, p: Promise<T>, ms = 15_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fail = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, fail]).finally(() => clearTimeout(timer));
}

describe('LDK opens a channel to us (we accept none)', () => {
  let dir: string;
  let ldkPeer: LdkPeer;
  let node: RunningNode;

  before(async () => {
    ldkPeer = await startLdkPeer({ tickIntervalMs: 0, name: 'ldk-open' });
    dir = mkdtempSync(join(tmpdir(), 'bw-ldk-open-'));
    node = await startNode({ network: 'regtest', lightningDir: dir, bindAddr: ['127.0.0.1:0'], verifyWorkers: 1 });
  });

  after(async () => {
    await Promise.all([node?.stop(), ldkPeer?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('LDK gets an error with its temporary_channel_id, forgets the channel and keeps the connection', async () => {
    await ldkPeer.connect(node.id, '127.0.0.1', node.binding[0]!.port);
    const cm = ldkPeer.channelManager!;
    const from = ldkPeer.messages.length;
    const r = cm.create_channel(fromHex(node.id), 100_000n, 0n, 42n, null, null);
    ok(r instanceof ldk.Result_ChannelIdAPIErrorZ_OK, 'LDK starts the open');
    const temp = toHex(r.res.get_a());
    equal(cm.list_channels().length, 1);
    ldkPeer.processEvents(); // sends open_channel
    const sent = await ldkPeer.waitForMessage(e => e.direction === 'out' && e.type === 'OpenChannel' && e.peer === node.id, from);
    ok(sent.detail.includes(temp), 'LDK logs the temporary_channel_id it sent');
    const err = await bounded(
      'our error',
      ldkPeer.waitForMessage(e => e.direction === 'in' && e.type === 'Error' && e.peer === node.id, from),
    );
    ok(err.detail.includes(temp), `the error names the temporary_channel_id: ${err.detail}`);
    ok(err.detail.includes('This node does not accept channels'), err.detail);
    // LDK has failed that channel, and only it: the peer is still connected.
    equal(cm.list_channels().length, 0);
    deepEqual(ldkPeer.connectedPeers(), [node.id]);
    const peers = (await node.call('listpeers', { id: ldkPeer.nodeId })) as { peers: { connected: boolean }[] };
    equal(peers.peers[0]?.connected, true);
  });
});
