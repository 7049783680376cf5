// gossipd's signature-check pool in Node: worker_threads, one per core up to 4, each running
// src/node/workers/verify-worker.ts over the scheduling in src/core/gossip/verify-pool.ts. The
// libsecp256k1 WASM engine (our src/wasm/secp256k1/verify.wasm, else tiny-secp256k1's
// secp256k1.wasm) is compiled once here and handed to every worker; a worker falls back to
// @noble/secp256k1 if it will not run.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import type { VerifyPool } from '../core/gossip/verify-pool.ts';
import { compiledOnce, workerVerifyPool, type WorkerPoolOptions } from '../core/gossip/worker-pool.ts';

const BOOT = new URL('./workers/boot.mjs', import.meta.url);
const ENTRY = new URL('./workers/verify-worker.ts', import.meta.url);

/** Workers by default: one per core, at most 4 (gossip ingest is the only heavy user). */
export function defaultVerifyWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

/**
 * Which secp256k1.wasm: 'verify' is ours (src/wasm/secp256k1, about 3x faster), 'tiny' is
 * tiny-secp256k1 2.2.4's; 'auto' is ours, else tiny's.
 */
export type WasmBuild = 'auto' | 'verify' | 'tiny';

// The ES2022 lib has no WebAssembly value and @types/node declares only its types.
const wasmApi = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }).WebAssembly;

function wasmUrl(build: 'verify' | 'tiny'): URL {
  return build === 'verify'
    ? new URL('../wasm/secp256k1/verify.wasm', import.meta.url)
    : new URL('./secp256k1.wasm', import.meta.resolve('tiny-secp256k1'));
}

const compile = compiledOnce(async (build: 'verify' | 'tiny') => wasmApi.compile(await readFile(wasmUrl(build))));

/** A secp256k1.wasm, compiled once per process; null when it cannot be loaded. */
export async function libsecp256k1Module(build: WasmBuild = 'auto'): Promise<WebAssembly.Module | null> {
  if (build === 'auto') return (await compile('verify')) ?? compile('tiny');
  return compile(build);
}

export interface NodeVerifyPoolOptions extends WorkerPoolOptions {
  /** Which secp256k1.wasm; default 'auto'. */
  wasm?: WasmBuild;
  /** Sees each worker as it starts, replacements included (tests use it to kill one). */
  onSpawn?: (worker: Worker, index: number) => void;
}

export function createNodeVerifyPool(opts: NodeVerifyPoolOptions = {}): VerifyPool {
  return workerVerifyPool(
    opts,
    defaultVerifyWorkers(),
    () => libsecp256k1Module(opts.wasm),
    (events, index) => {
      const worker = new Worker(BOOT, { workerData: { entry: ENTRY.href }, name: `verify-${index}` });
      worker.on('message', msg => events.message(msg));
      worker.once('error', e => events.died(`verify worker ${index} crashed: ${e.message}`));
      worker.once('exit', code => events.died(`verify worker ${index} exited with code ${code}`));
      opts.onSpawn?.(worker, index);
      return {
        post: (msg, transfer) => worker.postMessage(msg, transfer),
        terminate: () => worker.terminate(),
      };
    },
  );
}
