// gossipd's signature-check pool in Node: worker_threads, one per core up to 4, each running
// src/node/workers/verify-worker.ts over the scheduling in src/core/gossip/verify-pool.ts. The
// libsecp256k1 WASM engine (tiny-secp256k1's secp256k1.wasm) is compiled once here and handed to
// every worker; a worker falls back to @noble/secp256k1 if it will not run.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import { VerifyPool, type EngineChoice, type ToVerifyWorker } from '../core/gossip/verify-pool.ts';

const BOOT = new URL('./workers/boot.mjs', import.meta.url);
const ENTRY = new URL('./workers/verify-worker.ts', import.meta.url);

/** Workers by default: one per core, at most 4 (gossip ingest is the only heavy user). */
export function defaultVerifyWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

let wasmModule: Promise<WebAssembly.Module | null> | undefined;
// The ES2022 lib has no WebAssembly value and @types/node declares only its types.
const wasmApi = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }).WebAssembly;

/** tiny-secp256k1's secp256k1.wasm, compiled once per process; null when it cannot be loaded. */
export function libsecp256k1Module(): Promise<WebAssembly.Module | null> {
  wasmModule ??= (async () => {
    try {
      const wasmUrl = new URL('./secp256k1.wasm', import.meta.resolve('tiny-secp256k1'));
      return await wasmApi.compile(await readFile(wasmUrl));
    } catch {
      return null;
    }
  })();
  return wasmModule;
}

export interface NodeVerifyPoolOptions {
  /** Default: defaultVerifyWorkers(). */
  size?: number;
  /** Default 'auto': libsecp256k1 (WASM) when it loads, else @noble/secp256k1. */
  engine?: EngineChoice;
  maxChunk?: number;
  /** Sees each worker as it starts, replacements included (tests use it to kill one). */
  onSpawn?: (worker: Worker, index: number) => void;
}

export function createNodeVerifyPool(opts: NodeVerifyPoolOptions = {}): VerifyPool {
  const engine = opts.engine ?? 'auto';
  const wasm = engine === 'auto' || engine === 'libsecp256k1' ? libsecp256k1Module() : Promise.resolve(null);
  return new VerifyPool({
    size: opts.size ?? defaultVerifyWorkers(),
    ...(opts.maxChunk !== undefined ? { maxChunk: opts.maxChunk } : {}),
    spawn(events, index) {
      const worker = new Worker(BOOT, { workerData: { entry: ENTRY.href }, name: `verify-${index}` });
      worker.on('message', (msg) => events.message(msg));
      worker.once('error', (e) => events.died(`verify worker ${index} crashed: ${e.message}`));
      worker.once('exit', (code) => events.died(`verify worker ${index} exited with code ${code}`));
      void wasm.then((module) => {
        const init: ToVerifyWorker = module ? { t: 'init', engine, wasm: module } : { t: 'init', engine };
        try {
          worker.postMessage(init);
        } catch {
          // already gone: its 'exit' reports it
        }
      });
      opts.onSpawn?.(worker, index);
      return {
        post: (msg, transfer) => worker.postMessage(msg, transfer),
        terminate: () => worker.terminate(),
      };
    },
  });
}
