// Workers under miniflare (workerd) for the tests and the edge bench: a TypeScript entry bundled
// with esbuild (src/wasm/secp256k1/verify.wasm left out as ./verify.wasm, a CompiledWasm module
// as wrangler makes it), and a Miniflare on 127.0.0.1 whose Durable Objects are SQLite-backed, as
// src/edge/wrangler.node.toml declares them (new_sqlite_classes).
import { readFileSync } from 'node:fs';
import { build, type Plugin } from 'esbuild';
import { Miniflare } from 'miniflare';

process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

export const WASM_PATH = 'src/wasm/secp256k1/verify.wasm';
const wasmExternal: Plugin = {
  name: 'wasm-external',
  setup(b) {
    b.onResolve({ filter: /\.wasm$/ }, () => ({ path: './verify.wasm', external: true }));
  },
};

/** `entry` and everything it imports as one ES module for workerd. */
export async function bundleWorker(entry: string): Promise<string> {
  const out = await build({
    plugins: [wasmExternal],
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['cloudflare:*'],
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser', 'import'],
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

export interface WorkerOptions {
  script: string;
  /** Binding name -> Durable Object class exported by the script (SQLite-backed). */
  durableObjects: Record<string, string>;
  /** Where Durable Object storage persists (a directory), or in memory when absent. */
  persist?: string;
  bindings?: Record<string, string>;
  /** The module given as ./verify.wasm (default: the real one). */
  wasm?: Uint8Array<ArrayBuffer>;
}

export function startWorker(o: WorkerOptions): Miniflare {
  return new Miniflare({
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: o.script },
      { type: 'CompiledWasm', path: 'verify.wasm', contents: o.wasm ?? new Uint8Array(readFileSync(WASM_PATH)) },
    ],
    compatibilityDate: '2026-04-01',
    durableObjects: Object.fromEntries(Object.entries(o.durableObjects).map(([k, className]) => [k, { className, useSQLite: true }])),
    ...(o.persist ? { durableObjectsPersist: o.persist } : {}),
    bindings: o.bindings ?? {},
    cf: false,
    host: '127.0.0.1',
    port: 0,
    handleRuntimeStdio: (stdout, stderr) => {
      stdout.resume();
      stderr.resume();
    },
  });
}
