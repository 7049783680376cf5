// `npm run bench`: runs every bench/*.bench.ts (or those whose name contains an argument) in Node
// (through tsx, in a child process) and in headless Chromium (the system's /usr/bin/chromium driven
// by playwright-core; the bench page is served by Vite's dev server on 127.0.0.1), prints a markdown
// table per bench file, and writes all results as JSON to bench/out/.
//
//   node scripts/bench.mjs [NAME...] [--quick] [--node-only | --browser-only]
//
// A bench file exports `run(report)` (see bench/harness.ts), optionally `title` and `runtimes`;
// name it `*.node.bench.ts` when it cannot even be loaded in a browser (it is then run in Node only).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const EVENT_PREFIX = 'BENCH_EVENT ';
const PAGE_TIMEOUT_MS = 20 * 60 * 1000;
const START_TIMEOUT_MS = 60 * 1000;

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runNode = !args.includes('--browser-only');
const runBrowser = !args.includes('--node-only');
const filters = args.filter(a => !a.startsWith('--'));

const files = readdirSync(join(root, 'bench'))
  .filter(f => f.endsWith('.bench.ts'))
  .filter(f => filters.length === 0 || filters.some(x => f.includes(x)))
  .sort()
  .map(f => `bench/${f}`);
if (files.length === 0) {
  console.error(`no bench files match ${filters.join(' ')}`);
  process.exit(1);
}

/** Every event, in arrival order. */
const events = [];
let failed = false;
function onEvent(e) {
  events.push(e);
  if (e.type === 'row') {
    console.error(`  [${e.runtime}] ${e.row.label}: ${fmtOps(e.row.opsPerSec)} ${e.row.unit}/s`);
  } else if (e.type === 'start') {
    console.error(`${e.file} in ${e.env}`);
  } else if (e.type === 'error') {
    failed = true;
    console.error(`[${e.runtime}] ${e.file} failed: ${e.message}`);
  }
}

function parseLine(line) {
  const i = line.indexOf(EVENT_PREFIX);
  if (i < 0) return false;
  onEvent(JSON.parse(line.slice(i + EVENT_PREFIX.length)));
  return true;
}

async function benchNode() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run-node.ts', ...(quick ? ['--quick'] : []), ...files], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const rl = createInterface({ input: child.stdout });
  rl.on('line', line => {
    if (!parseLine(line)) console.error(line);
  });
  const code = await new Promise(res => child.on('close', res));
  if (code !== 0) {
    failed = true;
    console.error(`node bench runner exited with ${code}`);
  }
}

async function benchChromium() {
  const [{ createServer }, { chromium }, { chromiumArgs }] = await Promise.all([
    import('vite'),
    import('playwright-core'),
    import('../web-test-runner.config.mjs'),
  ]);
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'warn',
    clearScreen: false,
    appType: 'mpa',
    // Cross-origin isolated, so the page may call performance.measureUserAgentSpecificMemory().
    server: {
      host: '127.0.0.1',
      port: 0,
      strictPort: false,
      hmr: false,
      ws: false,
      watch: null,
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
    // Serve node_modules ESM as it is: no dependency pre-bundling, so no reload mid-run.
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await server.listen();
  const addr = server.httpServer.address();
  const base = `http://127.0.0.1:${addr.port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    // gc() on the page, so memory is measured after a full collection.
    args: [...chromiumArgs, '--js-flags=--expose-gc'],
  });
  try {
    for (const file of files) {
      if (file.endsWith('.node.bench.ts')) {
        onEvent({ type: 'skip', file, runtime: 'chromium' });
        continue;
      }
      const page = await browser.newPage();
      const finished = new Promise(res => {
        page.on('console', msg => {
          const text = msg.text();
          if (!text.startsWith(EVENT_PREFIX)) return;
          const e = JSON.parse(text.slice(EVENT_PREFIX.length));
          onEvent(e);
          if (e.type === 'done' || e.type === 'error' || e.type === 'skip') res();
        });
        page.on('pageerror', err => {
          onEvent({ type: 'error', file, runtime: 'chromium', message: `page error: ${err.message}` });
          res();
        });
      });
      let started = false;
      page.on('console', msg => {
        if (msg.text().startsWith(EVENT_PREFIX)) started = true;
      });
      await page.goto(`${base}/bench/index.html?file=${encodeURIComponent(file)}${quick ? '&quick=1' : ''}`);
      // A page whose module never loads prints nothing: give up on it after START_TIMEOUT_MS.
      let timer;
      const t0 = Date.now();
      const timeout = new Promise(res => {
        timer = setInterval(() => {
          const waited = Date.now() - t0;
          if ((!started && waited > START_TIMEOUT_MS) || waited > PAGE_TIMEOUT_MS) {
            onEvent({
              type: 'error',
              file,
              runtime: 'chromium',
              message: started
                ? `no result within ${PAGE_TIMEOUT_MS / 60000} minutes`
                : 'the bench page did not start (module load failed?)',
            });
            res();
          }
        }, 1000);
      });
      await Promise.race([finished, timeout]);
      clearInterval(timer);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

function fmtOps(x) {
  if (x >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(3);
}

function fmtRow(row) {
  let s = `${fmtOps(row.opsPerSec)} ${row.unit}/s`;
  if (row.bytesPerOp) s += ` (${((row.opsPerSec * row.bytesPerOp) / 1e6).toFixed(row.bytesPerOp < 100 ? 2 : 0)} MB/s)`;
  if (row.spread > 0.25) s += ` ±${Math.round(row.spread * 50)}%`;
  return s;
}

/** Time per op of `row` over time per op of its baseline: 1.00x means no overhead. */
function ratio(row, rows) {
  if (!row.baselines) return '';
  return row.baselines
    .map(id => row.ratios?.[id] ?? (rows.get(id) ? rows.get(id).opsPerSec / row.opsPerSec : undefined))
    .filter(r => r !== undefined)
    .map(r => `${r.toFixed(2)}x`)
    .join(' / ');
}

function tables() {
  const out = [];
  const runtimes = ['node', 'chromium'].filter(r => events.some(e => e.runtime === r && e.type === 'row'));
  for (const file of files) {
    const starts = events.filter(e => e.file === file && e.type === 'start');
    const title = starts[0]?.title ?? file;
    const byRuntime = new Map(
      runtimes.map(r => [
        r,
        new Map(events.filter(e => e.file === file && e.runtime === r && e.type === 'row').map(e => [e.row.id, e.row])),
      ]),
    );
    const ids = [...new Set(events.filter(e => e.file === file && e.type === 'row').map(e => e.row.id))];
    const noteEvents = events.filter(e => e.file === file && e.type === 'note');
    if (ids.length === 0 && noteEvents.length === 0) continue;
    out.push(`### ${title}`, '');
    out.push(starts.map(s => s.env).join('; '), '');
    if (ids.length === 0) {
      out.push(...[...new Set(noteEvents.map(e => `- [${e.runtime}] ${e.text}`))], '');
      continue;
    }
    const anyRatio = ids.some(id => runtimes.some(r => byRuntime.get(r).get(id)?.baselines));
    const head = ['case', ...runtimes.flatMap(r => (anyRatio ? [r, `${r} ours/raw`] : [r]))];
    out.push(`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
    for (const id of ids) {
      const label = runtimes.map(r => byRuntime.get(r).get(id)?.label).find(Boolean);
      const cells = runtimes.flatMap(r => {
        const rows = byRuntime.get(r);
        const row = rows.get(id);
        const main = row ? fmtRow(row) : '—';
        return anyRatio ? [main, row ? ratio(row, rows) : ''] : [main];
      });
      out.push(`| ${[label, ...cells].join(' | ')} |`);
    }
    const notes = [...new Set(events.filter(e => e.file === file && e.type === 'note').map(e => e.text))];
    if (notes.length) out.push('', ...notes.map(n => `- ${n}`));
    out.push('');
  }
  return out.join('\n');
}

if (runNode) await benchNode();
if (runBrowser) await benchChromium();

const md = tables();
console.log(`\n${md}`);
const outDir = join(root, 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const json = JSON.stringify({ date: new Date().toISOString(), quick, files, events }, null, 2);
const outFile = join(outDir, `bench-${stamp}.json`);
writeFileSync(outFile, json);
writeFileSync(join(outDir, 'latest.json'), json);
writeFileSync(join(outDir, 'latest.md'), md);
console.error(`results: ${relative(root, outFile)} (and bench/out/latest.json, latest.md)`);
process.exit(failed ? 1 : 0);
