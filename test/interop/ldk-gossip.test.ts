// gossipd against LDK and against ourselves, with every daemon in its worker thread: LDK serves
// signed gossip to our node, which validates and stores it (LDK 0.1 never answers
// query_short_channel_ids, so our sync falls back to gossip_timestamp_filter 0); our node serves its
// gossip to a second LDK, whose graph then holds our channels; a second node of ours syncs from the
// first with query_channel_range + query_short_channel_ids; a restart answers from the store.
// LDK's silence on query_short_channel_ids is recognised from its behaviour (sync.ts: the probe), not
// by a timeout: query_short_channel_ids has a 10-minute timeout here, so only that can end the wait.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getPublicKey, randomSecretKey } from '../../src/core/crypto/primitives.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { startNode, type RunningNode } from '../../src/node/node.ts';
import { startLdkPeer, type LdkPeer } from './ldk/peer.ts';
import {
  makeScid,
  signedChannelAnnouncement,
  signedChannelUpdate,
  signedNodeAnnouncement,
  sortedNodeSecrets,
  type ChannelKeys,
} from './ldk/signed-gossip.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const CHANNELS = 60;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'bw-gossip-'));
  dirs.push(d);
  return d;
};
const gossipdConfig = { scidTimeoutMs: 600_000, rangeTimeoutMs: 3000, relayIntervalMs: 500 };

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

type Channels = { channels: { short_channel_id: string; source: string; base_fee_millisatoshi: number; delay: number }[] };

describe('gossip interop: LDK and our Node nodes', () => {
  let ldk: LdkPeer;
  let ldk2: LdkPeer;
  let a: RunningNode;
  let b: RunningNode | undefined;
  const dirA = tmp();
  const scids: string[] = [];
  const nodeIds = new Set<string>();

  before(async () => {
    ldk = await startLdkPeer({ tickIntervalMs: 0, name: 'ldk-gossip' });
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < CHANNELS; i++) {
      const keys: ChannelKeys = {
        nodeSecrets: [randomSecretKey(), randomSecretKey()],
        bitcoinSecrets: [randomSecretKey(), randomSecretKey()],
      };
      const [s1, s2] = sortedNodeSecrets(keys);
      const scid = makeScid(200 + i, 1, 0);
      scids.push(`${200 + i}x1x0`);
      ldk.addGossip(signedChannelAnnouncement(keys, scid));
      ldk.addGossip(signedChannelUpdate(s1, { scid, timestamp: now - 60, direction: 0, feeBaseMsat: 1000 + i }));
      ldk.addGossip(signedChannelUpdate(s2, { scid, timestamp: now - 60, direction: 1, cltvExpiryDelta: 40 + i }));
      ldk.addGossip(signedNodeAnnouncement(s1, now - 60, `ldk-node-${i}`));
      nodeIds.add(toHex(getPublicKey(s1)));
      nodeIds.add(toHex(getPublicKey(s2)));
    }
    a = await startNode({ network: 'regtest', lightningDir: dirA, bindAddr: ['127.0.0.1:0'], gossipdConfig, verifyWorkers: 1 });
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop(), ldk?.stop(), ldk2?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("our node syncs LDK's signed gossip, validates it and answers listchannels/listnodes/getroute", async () => {
    const port = await ldk.listen();
    const t0 = Date.now();
    await a.call('connect', { id: `${ldk.nodeId}@127.0.0.1:${port}` });
    const got = await until("our graph to hold LDK's channels", async () => {
      for (let i = 0; i < 5; i++) ldk.processEvents();
      const r = (await a.call('listchannels')) as Channels;
      return r.channels.length === 2 * CHANNELS ? r : undefined;
    });
    console.log(`# ${CHANNELS} channels from LDK in ${Date.now() - t0} ms`);
    // Recognised as a peer that does not answer query_short_channel_ids, once, and not by a timeout.
    const gi = (await a.call('getinfo')) as { gossip: { sync_fallbacks: { silent: number; timeout: number } } };
    deepEqual(gi.gossip.sync_fallbacks, { silent: 1, timeout: 0 });
    deepEqual([...new Set(got.channels.map(c => c.short_channel_id))].sort(), [...scids].sort());
    const c0 = got.channels.find(c => c.short_channel_id === scids[0]);
    ok(c0 && (c0.base_fee_millisatoshi === 1000 || c0.delay === 40), 'the policies are the signed ones');
    const nodes = (await a.call('listnodes')) as { nodes: { nodeid: string; alias?: string }[] };
    ok(nodes.nodes.every(n => nodeIds.has(n.nodeid)));
    ok(
      nodes.nodes.some(n => n.alias === 'ldk-node-0'),
      'node_announcements stored',
    );
  });

  it('a second LDK that connects to us receives our gossip: its graph then holds our channels', async () => {
    ldk2 = await startLdkPeer({ tickIntervalMs: 0, name: 'ldk-gossip-2' });
    await ldk2.connect(a.id, '127.0.0.1', a.binding[0]!.port);
    const g = await until('LDK 2 to learn our channels', () => {
      ldk2.processEvents();
      const gr = ldk2.graph();
      return gr.channels.filter(c => c.hasAnnouncement).length === CHANNELS ? gr : undefined;
    });
    deepEqual(g.channels.map(c => c.scid).sort(), [...scids].sort());
  });

  it('a second node of ours syncs from the first with query_channel_range and query_short_channel_ids', async () => {
    b = await startNode({ network: 'regtest', lightningDir: tmp(), gossipdConfig, verifyWorkers: 1 });
    await b.call('connect', { id: `${a.id}@127.0.0.1:${a.binding[0]!.port}` });
    const got = await until('node b to sync', async () => {
      const r = (await b!.call('listchannels')) as Channels;
      return r.channels.length === 2 * CHANNELS ? r : undefined;
    });
    equal(got.channels.length, 2 * CHANNELS);
    const info = (await b.call('getinfo')) as { gossip?: Record<string, unknown> };
    ok(info.gossip, 'getinfo reports gossipd');
  });

  it('after a restart the node answers from its store', async () => {
    await a.stop();
    a = await startNode({ network: 'regtest', lightningDir: dirA, gossipdConfig, verifyWorkers: 1 });
    const r = (await a.call('listchannels')) as Channels;
    equal(r.channels.length, 2 * CHANNELS);
  });
});
