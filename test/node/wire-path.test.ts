// The whole gossip path, untimed (issue 9): a small signed set served by a peer in a process of
// its own (bench/wire-peer.ts: our connectd and a query answerer) over loopback TCP into the Node
// daemon (every daemon in its worker thread, the file store), until gossipd has applied and stored
// exactly what the set prescribes: clean, and with bad messages among the good ones (bad
// signatures, wrong signer, unknown channels, stale, future, wrong chain, duplicates, updates
// before their announcement), where the graph must still be exactly the clean one and the peer kept.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from '../../src/node/node.ts';
import { startPeer, wireNow } from '../../bench/wire.node.bench.ts';
import { wireRun } from '../../bench/wire-shared.ts';
import { equal, ok } from '../support/assert.ts';

const GENERATED = { nodes: 40, channels: 80, seed: 11 };

describe('gossip over the real wire path (Node, TCP, worker threads, file store)', () => {
  for (const adversarial of [false, true]) {
    it(`${adversarial ? 'with bad messages among the good' : 'clean'}: the node ends with exactly the set's graph`, async () => {
      const cacheDir = mkdtempSync(join(tmpdir(), 'bw-wire-path-set-'));
      const dir = mkdtempSync(join(tmpdir(), 'bw-wire-path-node-'));
      const { info, child } = await startPeer({
        adversarial,
        now: wireNow(),
        generated: GENERATED,
        cacheDir,
        file: 'small-signed-gossip.bin',
        ...(adversarial ? { stride: 4 } : {}),
      });
      const node = await startNode({ network: 'regtest', lightningDir: dir, verifyWorkers: 1 });
      try {
        if (adversarial) ok(info.badTotal >= 8, `the slice has bad messages of every kind (${info.badTotal})`);
        equal(info.expected.channels, GENERATED.channels);
        const r = await wireRun(node, info, `127.0.0.1:${info.tcp}`);
        ok(r.complete, `every expected message applied and stored (accepted ${r.accepted} of ${info.expected.accepted})`);
        equal(r.accepted, info.expected.accepted, 'accepted');
        equal(r.stored, r.accepted, 'stored');
        equal(r.channels, info.expected.channels, 'channels');
        equal(r.nodes, info.expected.nodes, 'nodes');
        ok(r.peerConnected, 'the peer is kept');
        if (adversarial) ok(r.rejected + r.ignored > 0, 'the bad messages were refused or ignored');
        else equal(r.rejected + r.ignored, 0, 'nothing refused in the clean set');
      } finally {
        await node.stop();
        child.stdin!.end();
        rmSync(dir, { recursive: true, force: true });
        rmSync(cacheDir, { recursive: true, force: true });
      }
    });
  }
});
