// gossipd's signature-check pool in the browser: module Workers, one per core up to 4, each running
// src/web/workers/verify-worker.ts over the scheduling in src/core/gossip/verify-pool.ts.
// Our secp256k1.wasm (src/wasm/secp256k1/verify.wasm, 84 KB) is fetched and compiled once on this
// side and the compiled module handed to every worker; a worker falls back to @noble/secp256k1 if it
// will not load or run (a browser without WebAssembly's bulk-memory and sign-extension, pre-2021).
// tiny-secp256k1's 1.2 MB build is not used here (Node keeps it as a second choice): it is 3x
// slower than ours at verifying (src/web/ec-engine.ts loads it for signing and key derivation).
import type { VerifyPool } from '../core/gossip/verify-pool.ts';
import { compiledOnce, workerVerifyPool, type WorkerPoolOptions } from '../core/gossip/worker-pool.ts';

/**
 * Where the secp256k1.wasm builds are served. Relative to this file, so that the test runner's dev
 * server and Vite's dev server serve them, and a Vite build emits them as assets.
 */
export const DEFAULT_WASM_URL = new URL('../wasm/secp256k1/verify.wasm', import.meta.url);

/** Workers by default: one per core, at most 4. */
export function defaultVerifyWorkers(): number {
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4));
}

const compile = compiledOnce(async (url: string) => {
  const res = await fetch(url);
  return res.ok ? WebAssembly.compile(await res.arrayBuffer()) : null;
});

/** The compiled secp256k1.wasm from `url` (once per URL); null when it cannot be fetched or compiled. */
export function libsecp256k1Module(url: string | URL = DEFAULT_WASM_URL): Promise<WebAssembly.Module | null> {
  return compile(String(url));
}

export interface WebVerifyPoolOptions extends WorkerPoolOptions {
  /** Where a secp256k1.wasm is (ours or tiny-secp256k1's); default DEFAULT_WASM_URL; null never tries WASM. */
  wasmUrl?: string | URL | null;
  /** Sees each worker as it starts, replacements included (tests use it to crash one). */
  onSpawn?: (worker: Worker, index: number) => void;
}

export function createWebVerifyPool(opts: WebVerifyPoolOptions = {}): VerifyPool {
  const url = opts.wasmUrl;
  return workerVerifyPool(
    opts,
    defaultVerifyWorkers(),
    () => (url === null ? Promise.resolve(null) : libsecp256k1Module(url ?? DEFAULT_WASM_URL)),
    (events, index) => {
      // Written out in full so Vite finds and bundles the worker.
      const worker = new Worker(new URL('./workers/verify-worker.ts', import.meta.url), { type: 'module', name: `verify-${index}` });
      worker.onmessage = ev => events.message(ev.data);
      worker.onerror = ev => {
        ev.preventDefault();
        events.died(`verify worker ${index} failed: ${ev.message || 'error'}`);
      };
      worker.onmessageerror = () => events.died(`verify worker ${index}: a message could not be read`);
      opts.onSpawn?.(worker, index);
      return {
        post: (msg, transfer) => worker.postMessage(msg, transfer),
        terminate: () => worker.terminate(),
      };
    },
  );
}
