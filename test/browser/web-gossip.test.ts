// gossipd in a module Worker of the browser node, in real Chromium: signed gossip built in the page
// goes into the web node's gossipd, is verified (by the signature-check Workers), written to
// IndexedDB, and after a "reload" (stop(), then new Workers on the same dataName) listchannels and
// getroute answer from the store at once with no signature checked again (design.md "start").
//
// How the gossip gets in: through the gossipd Worker's TEST-ONLY `ingestForTest(peerId, msgs)`,
// which calls gossipd.newPeer/gossip exactly as connectd does for a real peer (the Node node the
// test runner starts has no gossip to sync us from). The connectd ↔ gossipd ports themselves are
// tested last, with that Node node as a real peer: BOLT 7 sync (query_channel_range out through
// connectd, reply_channel_range back in) runs over them.
import * as Comlink from 'comlink';
import { startNode, type WebNode } from '../../src/web/index.ts';
import { defaultWorker, type DaemonName } from '../../src/web/spawn.ts';
import { gossipDbName } from '../../src/web/worker-api.ts';
import type { GossipdDaemonApi as GossipdWorkerApi } from '../../src/core/daemons/gossipd/interface.ts';
import { HSM_SECRET_DB } from '../../src/web/hsm-secret-idb.ts';
import { LIGHTNINGD_DB } from '../../src/web/lightningd-storage-idb.ts';
import type { GossipdConfig, SyncProgress } from '../../src/core/daemons/gossipd/types.ts';
import type { ListChannelsEntry } from '../../src/core/gossip/list.ts';
import type { RouteHop } from '../../src/core/gossip/route.ts';
import { signChannelAnnouncement, signChannelUpdate, signNodeAnnouncement, type ChannelParty } from '../../src/core/gossip/sign.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const NODES = 100;
const CHANNELS = 600;
const FEE_BASE = 1000;

interface Stats {
  signatures_checked: number;
  rejected: number;
  accepted: number;
}
interface Info {
  stats: Stats;
  verifier_checks: number;
  channels_known: number;
}

function deleteDb(name: string): Promise<void> {
  return new Promise(resolve => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}

const secret = (label: string): Uint8Array => sha256(new TextEncoder().encode(`web-gossip-test ${label}`));
/** short_channel_id block×tx×output: block 100 + k, tx 1, output 0. */
const scidOf = (k: number): bigint => (BigInt(100 + k) << 40n) | (1n << 16n);
const scidText = (k: number): string => `${100 + k}x1x0`;

/** Starts the web node and hands back a second Comlink wrap of its gossipd Worker (the test's own). */
async function start(
  dataName: string,
  bridge?: string,
  gossipdConfig?: Partial<GossipdConfig>,
): Promise<{ node: WebNode; gossipd: Comlink.Remote<GossipdWorkerApi> }> {
  let gw: Worker | undefined;
  const node = await startNode({
    network: 'regtest',
    dataName,
    ...(bridge ? { bridge } : {}),
    ...(gossipdConfig ? { gossipdConfig } : {}),
    verifyWorkers: 2,
    log: 'silent',
    createWorker: (d: DaemonName) => {
      const w = defaultWorker(d);
      if (d === 'gossipd') gw = w;
      return w;
    },
  });
  ok(gw, 'a gossipd Worker was created');
  return { node, gossipd: Comlink.wrap<GossipdWorkerApi>(gw!) };
}

describe('browser node: gossipd in a module Worker, its store in IndexedDB', () => {
  const dataName = `gossip-${crypto.randomUUID()}`;
  const freshName = `gossip-peer-${crypto.randomUUID()}`;
  const chain = chainHash('regtest');
  const now = Math.floor(Date.now() / 1000) - 60;
  const parties: ChannelParty[] = [];
  const ids: string[] = [];
  const ends: [number, number][] = [];
  const good: Uint8Array[] = [];
  let badAnnouncement: Uint8Array;
  let badUpdate: Uint8Array;
  const badScid = 99;
  let node: WebNode | undefined;

  before(() => {
    for (let i = 0; i < NODES; i++) {
      parties.push({ nodeSecret: secret(`node ${i}`), bitcoinSecret: secret(`bitcoin ${i}`) });
      ids.push(toHex(getPublicKey(parties[i]!.nodeSecret)));
    }
    // A ring (so every node reaches every other) and then pseudo-random chords.
    let x = 7;
    for (let k = 0; k < CHANNELS; k++) {
      if (k < NODES) ends.push([k, (k + 1) % NODES]);
      else {
        x = (x * 1103515245 + 12345) % 2147483648;
        const a = x % NODES;
        const b = (a + 1 + ((x >> 8) % (NODES - 1))) % NODES;
        ends.push([a, b]);
      }
    }
    for (let k = 0; k < CHANNELS; k++) {
      const [a, b] = ends[k]!;
      good.push(signChannelAnnouncement({ chainHash: chain, short_channel_id: scidOf(k), parties: [parties[a]!, parties[b]!] }));
    }
    for (let k = 0; k < CHANNELS; k++) {
      const [a, b] = ends[k]!;
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        good.push(
          signChannelUpdate({
            secret: parties[from]!.nodeSecret,
            peer: getPublicKey(parties[to]!.nodeSecret),
            chainHash: chain,
            short_channel_id: scidOf(k),
            timestamp: now,
            fee_base_msat: FEE_BASE,
            htlc_maximum_msat: 1_000_000_000n,
          }),
        );
      }
    }
    for (let i = 0; i < NODES; i++)
      good.push(signNodeAnnouncement({ secret: parties[i]!.nodeSecret, timestamp: now, alias: `web-gossip-${i}` }));

    // A channel_announcement with one signature byte flipped, and a newer channel_update for
    // channel 0 with its signature broken: neither may reach the graph or the store.
    badAnnouncement = signChannelAnnouncement({
      chainHash: chain,
      short_channel_id: scidOf(badScid + CHANNELS),
      parties: [parties[0]!, parties[50]!],
    });
    badAnnouncement[2 + 64 + 10] = badAnnouncement[2 + 64 + 10]! ^ 1; // node_signature_2
    badUpdate = signChannelUpdate({
      secret: parties[0]!.nodeSecret,
      peer: getPublicKey(parties[1]!.nodeSecret),
      chainHash: chain,
      short_channel_id: scidOf(0),
      timestamp: now + 30,
      fee_base_msat: 77_777,
      htlc_maximum_msat: 1_000_000_000n,
    });
    badUpdate[2 + 20] = badUpdate[2 + 20]! ^ 1;
  });

  after(async () => {
    await node?.stop();
    for (const n of [dataName, freshName]) {
      for (const db of [gossipDbName(n), HSM_SECRET_DB.name(n), LIGHTNINGD_DB.name(n)]) await deleteDb(db);
    }
  });

  it(`takes ${CHANNELS} channels, ${2 * CHANNELS} updates and ${NODES} node_announcements, checking every signature, refusing bad ones`, async () => {
    const first = await start(dataName);
    node = first.node;
    const g = first.gossipd;
    equal(((await g.info()) as unknown as Info).channels_known, 0, 'a new data name starts with an empty graph');
    const progressed = new Promise<SyncProgress>(resolve => {
      const fn = (p: SyncProgress): void => {
        if (p.channels_known !== CHANNELS) return;
        node!.off('gossip_progress', fn);
        resolve(p);
      };
      node!.on('gossip_progress', fn);
    });
    const peer = toHex(getPublicKey(secret('feeding peer')));
    await g.ingestForTest(peer, good);
    await g.ingestForTest(peer, [badAnnouncement, badUpdate]);

    // gossipd verifies in batches and holds updates until their announcement is in: flush until
    // every half-channel is listed (each flush settles at least one more round).
    let channels: ListChannelsEntry[] = [];
    for (let round = 0; round < 20 && channels.length < 2 * CHANNELS; round++) {
      await g.flush();
      channels = ((await node.call('listchannels')) as { channels: ListChannelsEntry[] }).channels;
    }
    equal(channels.length, 2 * CHANNELS);
    equal((await progressed).channels_known, CHANNELS, 'gossip_progress reached the page');

    const info = (await g.info()) as unknown as Info;
    // BOLT 7: four signatures per channel_announcement, one per channel_update and node_announcement.
    ok(info.stats.signatures_checked >= 4 * CHANNELS + 2 * CHANNELS + NODES, `checked ${info.stats.signatures_checked}`);
    equal(info.verifier_checks, info.stats.signatures_checked, 'every check went to the verify pool');
    ok(info.stats.rejected >= 2, `rejected ${info.stats.rejected}`);
    const bad = (await node.call('listchannels', { short_channel_id: scidText(badScid + CHANNELS) })) as { channels: unknown[] };
    deepEqual(bad.channels, [], 'the badly signed channel_announcement is not in the graph');
    const ch0 = (await node.call('listchannels', { short_channel_id: scidText(0) })) as { channels: ListChannelsEntry[] };
    equal(ch0.channels.length, 2);
    ok(
      ch0.channels.every(c => c.base_fee_millisatoshi === FEE_BASE),
      'the badly signed channel_update replaced nothing',
    );
    const nodes = (await node.call('listnodes')) as { nodes: unknown[] };
    equal(nodes.nodes.length, NODES);
    // getinfo carries gossipd's info.
    const gi = (await node.call('getinfo')) as { gossip?: { channels_known?: number } };
    equal(gi.gossip?.channels_known, CHANNELS);

    await node.stop(); // closes gossipd after writing what it holds, then its pool and its store
    node = undefined;
  });

  it('after a reload, listchannels and getroute answer from IndexedDB with zero signature checks', async () => {
    const second = await start(dataName);
    node = second.node;
    const g = second.gossipd;
    // No flush, no waiting: startNode resolved once gossipd had loaded its store.
    const channels = ((await node.call('listchannels')) as { channels: ListChannelsEntry[] }).channels;
    equal(channels.length, 2 * CHANNELS);
    const route = (
      (await node.call('getroute', { id: ids[50], fromid: ids[0], amount_msat: 10_000, riskfactor: 1 })) as { route: RouteHop[] }
    ).route;
    ok(route.length >= 1, 'a route');
    equal(route[route.length - 1]!.id, ids[50]);
    // Each hop's channel joins the previous hop's node to this one.
    let at = ids[0]!;
    for (const hop of route) {
      const c = ((await node.call('listchannels', { short_channel_id: hop.channel })) as { channels: ListChannelsEntry[] }).channels;
      ok(
        c.some(e => e.source === at && e.destination === hop.id),
        `hop ${hop.channel} from ${at}`,
      );
      at = hop.id;
    }
    const bad = (await node.call('listchannels', { short_channel_id: scidText(badScid + CHANNELS) })) as { channels: unknown[] };
    deepEqual(bad.channels, [], 'the badly signed channel_announcement was not stored');
    const ch0 = (await node.call('listchannels', { short_channel_id: scidText(0) })) as { channels: ListChannelsEntry[] };
    ok(
      ch0.channels.every(c => c.base_fee_millisatoshi === FEE_BASE),
      'the badly signed channel_update was not stored',
    );
    equal(((await node.call('listnodes')) as { nodes: unknown[] }).nodes.length, NODES);

    const info = (await g.info()) as unknown as Info;
    equal(info.stats.signatures_checked, 0, 'gossipd checked no signature on load');
    equal(info.verifier_checks, 0, 'the verify pool was given no signature');
    equal(info.stats.accepted, 0, 'nothing came in through validation: it all came from the store');
    equal(info.channels_known, CHANNELS);
  });

  it('a real peer: connectd hands it to gossipd, and BOLT 7 sync runs over their two ports', async () => {
    await node?.stop();
    node = undefined;
    const ln = (await (await fetch('/__lightning')).json()) as { id: string; host: string; port: number; bridge: string };
    // No giving up on query_channel_range (gossipd would call that 'synced' too): a broken port fails
    // this test by its timeout.
    const fresh = await start(freshName, ln.bridge, { rangeTimeoutMs: 24 * 3600_000 });
    node = fresh.node;
    // 'synced' needs our query_channel_range to reach the peer (gossipd → connectd port) and its
    // reply_channel_range to come back (connectd → gossipd port).
    const synced = new Promise<SyncProgress>(resolve => {
      const fn = (p: SyncProgress): void => {
        if (p.state !== 'synced') return;
        node!.off('gossip_progress', fn);
        resolve(p);
      };
      node!.on('gossip_progress', fn);
    });
    await node.call('connect', { id: `${ln.id}@${ln.host}:${ln.port}` });
    const p = await synced;
    equal(p.peers_syncing, 0);
    const info = (await fresh.gossipd.info()) as unknown as { peers: number; state: string };
    equal(info.peers, 1, 'connectd told gossipd of the peer');
    equal(info.state, 'synced');
    await node.call('disconnect', { id: ln.id });
  });
});
