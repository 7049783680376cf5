// gossip over the wire into the Node daemon: a peer in a process of its own (bench/wire-peer.ts:
// our connectd and a query answerer serving the signed set) and our node (src/node/node.ts: every
// daemon in its worker thread, the file store), over loopback TCP. Timed from `connect` until the
// last message is applied and durable (gossipd's `accepted` and `stored` both reach the count the
// set prescribes, nothing pending), beside the bare signature checks of the same messages on a
// verify pool like the node's (same engine, same worker count) in the same run. Twice: the clean
// set, and the set with about 1% of bad messages (bench/wire-slice.ts), which must end with exactly
// the clean graph. `--quick`: the first 2,000 channels.
//
// The signed set is the mainnet-size fixture signed with `now` at noon of the current day
// (the node runs on the real clock: gossip older than two weeks would be stale), cached in
// bench/out/wire-signed-gossip.bin.
// Then the same in Chromium (bench/wire-browser.ts): a node in a page (daemons in Workers, IndexedDB)
// over a direct WebSocket to the peer process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EVENT_PREFIX, type BenchEvent, type Reporter } from './harness.ts';
import { bareChecks, describe, k, prefixMessages, s, wireRun, type PeerInfo, type WireRun } from './wire-shared.ts';
import { createNodeVerifyPool, defaultVerifyWorkers } from '../src/node/verify-pool.ts';
import { startNode, type RunningNode } from '../src/node/node.ts';
import { loadSignedGossip } from './fixtures/signed-gossip-cache.ts';
import { signatureItems } from './gossip.bench.ts';

export const title = 'gossip over the wire: a peer process → the Node daemon (worker threads, file store), loopback TCP';
export const runtimes = ['node'];

const QUICK_CHANNELS = 2000;
const WIRE_FILE = 'wire-signed-gossip.bin';

/**
 * Noon (UTC) of the current day: within 12 hours of the real clock, so the set's oldest update
 * (13 days before it) is not yet stale and its newest is not "too far in the future" (BOLT 7: one
 * day); the set is rebuilt once a day.
 */
export function wireNow(): number {
  return Math.floor(Date.now() / 86_400_000) * 86_400 + 43_200;
}

export async function startPeer(a: {
  channels?: number;
  adversarial: boolean;
  now: number;
  /** Extra Node flags for the peer process (bench/wire-cpu.ts: --cpu-prof). */
  execArgv?: string[];
  /** A small generated set instead of the mainnet one, cached in `cacheDir` as `file` (test/node/wire-path.test.ts). */
  generated?: { nodes: number; channels: number; seed: number };
  cacheDir?: string;
  file?: string;
  /** One channel in `stride` gets a bad message (adversarial; default 30). */
  stride?: number;
}): Promise<{ info: PeerInfo; child: ChildProcess }> {
  const { execArgv = [], ...peerArgs } = a;
  const child = spawn(
    process.execPath,
    [...execArgv, '--import', 'tsx', 'bench/wire-peer.ts', JSON.stringify({ file: WIRE_FILE, ...peerArgs })],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const rl = createInterface({ input: child.stdout! });
  const info = await new Promise<PeerInfo>((resolve, reject) => {
    rl.once('line', l => resolve(JSON.parse(l) as PeerInfo));
    child.once('exit', code => reject(new Error(`wire peer exited with ${code}`)));
  });
  return { info, child };
}

export async function run(report: Reporter): Promise<void> {
  process.env.BOLTWORKER_LOG ??= 'warn';
  const channels = report.quick ? QUICK_CHANNELS : undefined;
  const now = wireNow();
  const fx = await loadSignedGossip({ now, file: WIRE_FILE, log: l => process.stderr.write(`  ${l}\n`) });
  const msgs = prefixMessages(fx.gossip.messages, channels);
  const items = signatureItems(msgs);
  const workers = defaultVerifyWorkers();
  const pool = createNodeVerifyPool({ size: workers, engine: 'libsecp256k1' });
  report.note(
    `set: ${k(msgs.length)} messages (${channels ? `first ${k(channels)} channels` : 'all'} of the ${fx.topology.source} fixture), ${k(items.length)} signatures; node: ${workers} verify workers (libsecp256k1 WASM), FileGossipStore; the machine may be shared (figures noisy)`,
  );
  const dirs: string[] = [];
  try {
    await pool.verifyBatch(items.slice(0, 256));
    for (const adversarial of [false, true]) {
      const bare1 = await bareChecks(pool, items);
      const { info, child } = await startPeer({ ...(channels ? { channels } : {}), adversarial, now });
      const dir = mkdtempSync(join(tmpdir(), 'bw-wire-bench-'));
      dirs.push(dir);
      const node = await startNode({ network: 'regtest', lightningDir: dir, verifyWorkers: workers });
      let r: WireRun;
      try {
        r = await wireRun(node, info, `127.0.0.1:${info.tcp}`);
      } finally {
        await node.stop();
        child.stdin!.end();
      }
      const bare2 = await bareChecks(pool, items);
      const bare = (bare1 + bare2) / 2;
      const what = adversarial
        ? `adversarial (${k(info.badTotal)} bad messages: ${Object.entries(info.bad)
            .map(([n, c]) => `${n} ${c}`)
            .join(', ')}; ${k(info.reordered)} updates sent before their announcement)`
        : 'clean';
      report.note(
        `${what}: connect → last message applied and stored **${s(r.ms)}**${r.complete ? '' : ' (stalled: gave up)'}; bare checks of the good set's signatures ${s(bare)} (before ${s(bare1)}, after ${s(bare2)}); wire / bare = **${(r.ms / bare).toFixed(2)}x**; ${describe(r, info)}`,
      );
    }
  } finally {
    await pool.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  // Chromium: the same peer, over a direct WebSocket, into a node in a page (BOLTWORKER_WIRE_NODE_ONLY=1 skips it).
  if (!process.env.BOLTWORKER_WIRE_NODE_ONLY) await inChromium(report, channels, now);
}

/** Vite serving the repository on 127.0.0.1 (as scripts/bench.mjs does) and headless Chromium (wire-profile.ts uses it too). */
/** Vite's dev server for the repository on 127.0.0.1 (the bench pages), and its port. */
export async function viteServer() {
  const { createServer } = await import('vite');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'warn',
    clearScreen: false,
    appType: 'mpa',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, ws: false, watch: null },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await server.listen();
  return { server, port: (server.httpServer!.address() as { port: number }).port };
}

/** The system's Chromium, as the test runner launches it (its arguments). */
export async function chromiumLauncher() {
  const [{ chromium }, { chromiumArgs }] = await Promise.all([
    import('playwright-core'),
    import(/* @vite-ignore */ '../web-test-runner.config.mjs' as string) as Promise<{ chromiumArgs: string[] }>,
  ]);
  return { chromium, options: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: chromiumArgs } };
}

export async function viteAndChromium() {
  const { server, port } = await viteServer();
  const { chromium, options } = await chromiumLauncher();
  const browser = await chromium.launch(options);
  return { server, browser, port };
}

/**
 * The Chromium half: a peer process per run, and bench/wire-browser.ts in a page served by Vite on
 * 127.0.0.1 in headless Chromium (as scripts/bench.mjs runs the other benches); its notes are passed on.
 */
async function inChromium(report: Reporter, channels: number | undefined, now: number): Promise<void> {
  const { server, browser, port } = await viteAndChromium();
  try {
    for (const adversarial of [false, true]) {
      const { info, child } = await startPeer({ ...(channels ? { channels } : {}), adversarial, now });
      const page = await browser.newPage();
      try {
        const done = new Promise<void>(resolve => {
          page.on('console', msg => {
            const text = msg.text();
            if (!text.startsWith(EVENT_PREFIX)) return;
            const e = JSON.parse(text.slice(EVENT_PREFIX.length)) as BenchEvent;
            if (e.type === 'note') report.note(e.text);
            if (e.type === 'error') report.note(`[chromium] failed: ${e.message.split('\n')[0]}`);
            if (e.type === 'done' || e.type === 'error' || e.type === 'skip') resolve();
          });
          page.on('pageerror', err => {
            report.note(`[chromium] page error: ${err.message}`);
            resolve();
          });
        });
        const peer = encodeURIComponent(JSON.stringify({ ...info, adversarial, ...(channels ? { channels } : {}) }));
        await page.goto(
          `http://127.0.0.1:${port}/bench/index.html?file=bench/wire-browser.ts${report.quick ? '&quick=1' : ''}&set=${WIRE_FILE}&peer=${peer}`,
        );
        await done;
      } finally {
        await page.close();
        child.stdin!.end();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
}
