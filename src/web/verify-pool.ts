// gossipd's signature-check pool in the browser: module Workers, one per core up to 4, each running
// src/web/workers/verify-worker.ts over the scheduling in src/core/gossip/verify-pool.ts.
// Our secp256k1.wasm (src/wasm/secp256k1/verify.wasm, 84 KB) is fetched and compiled once on this
// side and the compiled module handed to every worker; a worker falls back to @noble/secp256k1 if it
// will not load or run (a browser without WebAssembly's bulk-memory and sign-extension, pre-2021).
// tiny-secp256k1's 1.3 MB build is not shipped here (Node keeps it as a second choice): it is 3x
// slower than ours and would triple the bundle for those old browsers only.
import { VerifyPool, type EngineChoice, type ToVerifyWorker } from '../core/gossip/verify-pool.ts';

/**
 * Where the secp256k1.wasm builds are served. Relative to this file, so that the test runner's dev
 * server and Vite's dev server serve them, and a Vite build emits them as assets.
 */
export const DEFAULT_WASM_URL = new URL('../wasm/secp256k1/verify.wasm', import.meta.url);

/** Workers by default: one per core, at most 4. */
export function defaultVerifyWorkers(): number {
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4));
}

const compiled = new Map<string, Promise<WebAssembly.Module | null>>();

/** The compiled secp256k1.wasm from `url` (once per URL); null when it cannot be fetched or compiled. */
export function libsecp256k1Module(url: string | URL = DEFAULT_WASM_URL): Promise<WebAssembly.Module | null> {
  const key = String(url);
  let p = compiled.get(key);
  if (!p) {
    p = (async () => {
      try {
        const res = await fetch(key);
        if (!res.ok) return null;
        return await WebAssembly.compile(await res.arrayBuffer());
      } catch {
        return null;
      }
    })();
    compiled.set(key, p);
  }
  return p;
}

export interface WebVerifyPoolOptions {
  /** Default: defaultVerifyWorkers(). */
  size?: number;
  /** Default 'auto': libsecp256k1 (WASM) when it loads, else @noble/secp256k1. */
  engine?: EngineChoice;
  maxChunk?: number;
  /** Chunks a worker may hold at once (VerifyPoolOptions.depth). */
  depth?: number;
  /** Where a secp256k1.wasm is (ours or tiny-secp256k1's); default DEFAULT_WASM_URL; null never tries WASM. */
  wasmUrl?: string | URL | null;
  /** Keys each worker keeps decompressed (crypto-verify.ts DEFAULT_KEY_CACHE; 0: none). */
  keyCache?: number;
  /** Sees each worker as it starts, replacements included (tests use it to crash one). */
  onSpawn?: (worker: Worker, index: number) => void;
}

export function createWebVerifyPool(opts: WebVerifyPoolOptions = {}): VerifyPool {
  const engine = opts.engine ?? 'auto';
  const wantWasm = (engine === 'auto' || engine === 'libsecp256k1') && opts.wasmUrl !== null;
  const wasm = !wantWasm ? Promise.resolve(null) : opts.wasmUrl ? libsecp256k1Module(opts.wasmUrl) : libsecp256k1Module(DEFAULT_WASM_URL);
  const keyCache = opts.keyCache !== undefined ? { keyCache: opts.keyCache } : {};
  return new VerifyPool({
    size: opts.size ?? defaultVerifyWorkers(),
    ...(opts.maxChunk !== undefined ? { maxChunk: opts.maxChunk } : {}),
    ...(opts.depth !== undefined ? { depth: opts.depth } : {}),
    spawn(events, index) {
      // Written out in full so Vite finds and bundles the worker.
      const worker = new Worker(new URL('./workers/verify-worker.ts', import.meta.url), { type: 'module', name: `verify-${index}` });
      worker.onmessage = ev => events.message(ev.data);
      worker.onerror = ev => {
        ev.preventDefault();
        events.died(`verify worker ${index} failed: ${ev.message || 'error'}`);
      };
      worker.onmessageerror = () => events.died(`verify worker ${index}: a message could not be read`);
      void wasm.then(module => {
        const init: ToVerifyWorker = module ? { t: 'init', engine, wasm: module, ...keyCache } : { t: 'init', engine };
        worker.postMessage(init);
      });
      opts.onSpawn?.(worker, index);
      return {
        post: (msg, transfer) => worker.postMessage(msg, transfer),
        terminate: () => worker.terminate(),
      };
    },
  });
}
