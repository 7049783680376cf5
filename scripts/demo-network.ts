// The demo's local Lightning network, all on 127.0.0.1 with nothing from outside: a generated graph
// (bench/fixtures/topology.ts) signed with synthetic keys (bench/fixtures/signed-gossip.ts), fed
// into node A by a small in-process gossip source that connects to A as a BOLT 8 peer, sends
// `init` and then every message (A's gossipd validates each signature as it would any peer's);
// node B, connected to A at once, syncs from A with BOLT 7 queries while A is still validating
// (what A accepts later comes in B's next query rounds, `resyncMs` apart); node C behind B, with a
// private channel B → C (scripts/demo-payments.ts, opened while A validates); our WebSocket-to-TCP
// bridge, allowed to reach A and B only; `boltworker regtest` with every channel's funding output on
// it (scripts/demo-chain.ts), which A, B and the page follow over Esplora; and the page (Vite, dev server or the built files) with
// the page's /demo/* endpoints (invoices from B and C, B paying the tab: demo-payments.ts). `startDemo()` is used by
// scripts/demo.mjs (`npm start`) and by test/e2e/demo.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import { chainHash } from '../src/core/chain/chains.ts';
import { ourFeatures } from '../src/core/features/index.ts';
import { startNode, type RunningNode } from '../src/node/node.ts';
import { startBridge, type BridgeServer } from '../src/transports/bridge-server.ts';
import { deriveFixtureKeys } from '../bench/fixtures/keys.ts';
import { buildSignedGossip } from '../bench/fixtures/signed-gossip.ts';
import { fastSigner } from '../bench/fixtures/signed-gossip-cache.ts';
import { generateTopology } from '../bench/fixtures/topology.ts';
import { RawClient, initMessage, messageType } from '../test/interop/ldk/raw-client.ts';
import type { RegtestHandle } from '../src/regtest/server-node.ts';
import { fundTopology, startDemoChain } from './demo-chain.ts';
import { demoEndpoints, openBToC, until } from './demo-payments.ts';

const HOST = '127.0.0.1';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEMO_CONFIG = join(ROOT, 'vite.demo.config.ts');

export interface DemoOptions {
  /** Graph size (default 300 nodes, 800 channels) and seed. */
  nodes?: number;
  channels?: number;
  seed?: number;
  /** 'dev': Vite's dev server (default); 'static': serve dist/demo (run `npm run build:demo` first). */
  serve?: 'dev' | 'static';
  /** Port of the page's server (default: any free one). */
  port?: number;
  log?: (line: string) => void;
}

export interface Demo {
  /** The page, with the bridge and the peer as query parameters. */
  pageUrl: string;
  /** The bridge's URL template for the page (`ws://127.0.0.1:P/{host}:{port}`). */
  bridge: string;
  /** The peer the page connects to (`id@127.0.0.1:port`): node B. */
  peer: string;
  a: RunningNode;
  b: RunningNode;
  /** Node C, behind B: B → C is a private channel (`bToC`, its short_channel_id), so tab → B → C is a forwarded payment. */
  c: RunningNode;
  bToC: string;
  /** The chain every channel is funded on: its Esplora URL (the page's `esplora`); the page reaches its controls at /chain/regtest/. */
  chain: RegtestHandle;
  /** What a full sync holds: channels, channel directions with a channel_update (listchannels entries), announced nodes. */
  expected: { channels: number; directions: number; nodes: number };
  stop(): Promise<void>;
}

const gossipdConfig = { rangeTimeoutMs: 5000, scidTimeoutMs: 5000, relayIntervalMs: 1000, backfillIntervalMs: 200, resyncMs: 1000 };

/** Channels, directions (channel_updates held) and announced nodes a node holds. */
async function holds(n: RunningNode): Promise<{ channels: number; directions: number; nodes: number }> {
  const info = (await n.call('getinfo')) as { gossip?: { channels_known?: number } };
  const lc = (await n.call('listchannels')) as { channels: unknown[] };
  const ln = (await n.call('listnodes')) as { nodes: { alias?: string }[] };
  return {
    channels: info.gossip?.channels_known ?? 0,
    directions: lc.channels.length,
    nodes: ln.nodes.filter(x => x.alias !== undefined).length,
  };
}

/**
 * The gossip source: a bare BOLT 8 initiator (test/interop/ldk/raw-client.ts) that sends our
 * `init` (BOLT 1, with the regtest `networks` TLV), waits for A's, then sends every signed message.
 * It answers pings (BOLT 1: a `pong` with `num_pong_bytes` zeros) and ignores A's sync queries.
 */
async function feedGossip(nodeId: string, port: number, messages: Uint8Array[]): Promise<RawClient> {
  const client = await RawClient.connect(nodeId, port);
  client.send(initMessage(ourFeatures('I').toBytes(), [chainHash('regtest')]));
  const init = await client.nextOfType(16);
  if (!init) throw new Error("demo: node A closed the gossip source's connection before init");
  void (async () => {
    for (;;) {
      const m = await client.next();
      if (!m) return;
      if (messageType(m) === 18 && m.length >= 4) {
        const n = (m[2]! << 8) | m[3]!;
        if (n < 65532) {
          const pong = new Uint8Array(4 + n);
          pong[1] = 19;
          pong[2] = n >> 8;
          pong[3] = n & 0xff;
          client.send(pong);
        }
      }
    }
  })();
  for (const m of messages) client.send(m);
  return client;
}

export async function startDemo(o: DemoOptions = {}): Promise<Demo> {
  const log = o.log ?? (() => {});
  const nodes = o.nodes ?? 300;
  const channels = o.channels ?? 800;
  const keys = deriveFixtureKeys(nodes);
  // The chain first: the graph's short_channel_ids are where its funding outputs land.
  const chain = await startDemoChain(HOST);
  let topology;
  try {
    topology = fundTopology(chain, generateTopology({ nodes, channels, seed: o.seed ?? 2026 }), keys);
  } catch (e) {
    await chain.close();
    throw e;
  }
  log(`regtest chain at ${chain.url}: ${channels} channels funded, height ${chain.chain.height}`);
  const sign = await fastSigner();
  const gossip = buildSignedGossip(topology, {
    chainHash: chainHash('regtest'),
    now: Math.floor(Date.now() / 1000),
    seed: 11,
    keys,
    ...(sign ? { sign } : {}),
  });
  log(`signed ${gossip.messages.length} gossip messages: ${gossip.channel_announcements} channels, ${gossip.node_announcements} nodes`);

  const dir = mkdtempSync(join(tmpdir(), 'boltworker-demo-'));
  const started: { stop(): Promise<unknown> | unknown }[] = [{ stop: () => chain.close() }];
  let source: RawClient | undefined;
  const stopAll = async () => {
    await source?.close();
    for (const s of started.reverse()) await Promise.resolve(s.stop()).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const a = await startNode({
      network: 'regtest',
      lightningDir: join(dir, 'a'),
      alias: 'demo-a',
      esplora: chain.url,
      bindAddr: [`${HOST}:0`],
      gossipdConfig,
      verifyWorkers: 2,
    });
    started.push(a);
    const portA = a.binding[0]!.port;
    log(`node A ${a.id} on ${HOST}:${portA}`);
    // A validates the graph while B and C start and B opens its channel to C.
    source = await feedGossip(a.id, portA, gossip.messages);
    const peerNode = (name: 'b' | 'c') =>
      startNode({
        network: 'regtest',
        lightningDir: join(dir, name),
        alias: `demo-${name}`,
        esplora: chain.url,
        bindAddr: [`${HOST}:0`],
        gossipdConfig,
        verifyWorkers: 1,
      });
    const both = await Promise.allSettled([peerNode('b'), peerNode('c')]);
    for (const r of both) if (r.status === 'fulfilled') started.push(r.value);
    for (const r of both) if (r.status === 'rejected') throw r.reason;
    const [b, c] = both.map(r => (r as PromiseFulfilledResult<RunningNode>).value) as [RunningNode, RunningNode];
    const bToC = openBToC(chain, b, c);
    bToC.catch(() => undefined);
    const portB = b.binding[0]!.port;
    log(`node B ${b.id} on ${HOST}:${portB}`);

    // Every channel, both directions (those whose htlc_maximum_msat < htlc_minimum_msat too: BOLT 7
    // leaves them out of routes, not out of the graph), every node's announcement. A checks each
    // channel's funding output on the chain; B connects once A holds the graph and syncs it with
    // BOLT 7 queries, checking the chain too.
    const full = { channels, directions: 2 * channels, nodes: gossip.node_announcements };
    const complete = (h: typeof full) => h.channels >= full.channels && h.directions >= full.directions && h.nodes >= full.nodes;
    await until('node A to validate the gossip', async () => (complete(await holds(a)) ? true : undefined), 60_000);
    log(`node A validated ${full.channels} channels (${full.directions} channel_updates) and ${full.nodes} node_announcements`);
    await b.call('connect', { id: `${a.id}@${HOST}:${portA}` });
    await until('node B to sync from A', async () => (complete(await holds(b)) ? true : undefined), 60_000);
    log(`node B synced all of it from A`);
    const scid = await bToC;
    log(`node C ${c.id}, behind B: channel B → C ${scid} in normal operation`);

    const bridgeServer: BridgeServer = await startBridge({ listen: `${HOST}:0`, allowLoopback: true, allowedPorts: [portA, portB] });
    started.push({ stop: () => bridgeServer.close() });
    const bridge = `${bridgeServer.url}/{host}:{port}`;
    const peer = `${b.id}@${HOST}:${portB}`;

    // The page reaches the chain's controls (send, mine) through its own origin: the chain refuses them cross-origin.
    const proxy = { '/chain': { target: chain.url, rewrite: (path: string) => path.replace(/^\/chain/, '') } };
    let server: ViteDevServer | PreviewServer;
    if ((o.serve ?? 'dev') === 'dev') {
      const dev = await createServer({
        configFile: DEMO_CONFIG,
        logLevel: 'warn',
        plugins: [demoEndpoints({ a, b, c })],
        server: { host: HOST, port: o.port ?? 0, strictPort: o.port !== undefined, proxy },
      });
      await dev.listen();
      server = dev;
      started.push({ stop: () => dev.close() });
    } else {
      const p = await preview({
        configFile: DEMO_CONFIG,
        logLevel: 'warn',
        plugins: [demoEndpoints({ a, b, c })],
        preview: { host: HOST, port: o.port ?? 0, strictPort: o.port !== undefined, proxy },
      });
      server = p;
      started.push({ stop: () => p.close() });
    }
    const addr = server.httpServer?.address();
    if (!addr || typeof addr === 'string') throw new Error('demo: the page server has no address');
    const q = new URLSearchParams({ bridge, peer, channels: String(channels), esplora: chain.url });
    const pageUrl = `http://${HOST}:${addr.port}/?${q}`;
    return { pageUrl, bridge, peer, a, b, c, bToC: scid, chain, expected: full, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
