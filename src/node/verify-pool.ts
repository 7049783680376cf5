// gossipd's signature-check pool in Node: worker_threads, one per core up to 4, each running
// src/node/workers/verify-worker.ts over the scheduling in src/core/gossip/verify-pool.ts. The
// libsecp256k1 WASM engine (our src/wasm/secp256k1/verify.wasm, else tiny-secp256k1's
// secp256k1.wasm) is compiled once here and handed to every worker; a worker falls back to
// @noble/secp256k1 if it will not run.
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

/**
 * Which secp256k1.wasm: 'verify' is ours (src/wasm/secp256k1, about 3x faster), 'tiny' is
 * tiny-secp256k1 2.2.4's; 'auto' is ours, else tiny's.
 */
export type WasmBuild = 'auto' | 'verify' | 'tiny';

const compiled = new Map<'verify' | 'tiny', Promise<WebAssembly.Module | null>>();
// The ES2022 lib has no WebAssembly value and @types/node declares only its types.
const wasmApi = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }).WebAssembly;

function wasmUrl(build: 'verify' | 'tiny'): URL {
  return build === 'verify'
    ? new URL('../wasm/secp256k1/verify.wasm', import.meta.url)
    : new URL('./secp256k1.wasm', import.meta.resolve('tiny-secp256k1'));
}

/** A secp256k1.wasm, compiled once per process; null when it cannot be loaded. */
export async function libsecp256k1Module(build: WasmBuild = 'auto'): Promise<WebAssembly.Module | null> {
  if (build === 'auto') return (await libsecp256k1Module('verify')) ?? libsecp256k1Module('tiny');
  let p = compiled.get(build);
  if (!p) {
    p = (async () => {
      try {
        return await wasmApi.compile(await readFile(wasmUrl(build)));
      } catch {
        return null;
      }
    })();
    compiled.set(build, p);
  }
  return p;
}

export interface NodeVerifyPoolOptions {
  /** Default: defaultVerifyWorkers(). */
  size?: number;
  /** Default 'auto': libsecp256k1 (WASM) when it loads, else @noble/secp256k1. */
  engine?: EngineChoice;
  maxChunk?: number;
  /** Chunks a worker may hold at once (VerifyPoolOptions.depth). */
  depth?: number;
  /** Which secp256k1.wasm; default 'auto'. */
  wasm?: WasmBuild;
  /** Keys each worker keeps decompressed (crypto-verify.ts DEFAULT_KEY_CACHE; 0: none). */
  keyCache?: number;
  /** Sees each worker as it starts, replacements included (tests use it to kill one). */
  onSpawn?: (worker: Worker, index: number) => void;
}

export function createNodeVerifyPool(opts: NodeVerifyPoolOptions = {}): VerifyPool {
  const engine = opts.engine ?? 'auto';
  const wasm = engine === 'auto' || engine === 'libsecp256k1' ? libsecp256k1Module(opts.wasm) : Promise.resolve(null);
  const keyCache = opts.keyCache !== undefined ? { keyCache: opts.keyCache } : {};
  return new VerifyPool({
    size: opts.size ?? defaultVerifyWorkers(),
    ...(opts.maxChunk !== undefined ? { maxChunk: opts.maxChunk } : {}),
    ...(opts.depth !== undefined ? { depth: opts.depth } : {}),
    spawn(events, index) {
      const worker = new Worker(BOOT, { workerData: { entry: ENTRY.href }, name: `verify-${index}` });
      worker.on('message', msg => events.message(msg));
      worker.once('error', e => events.died(`verify worker ${index} crashed: ${e.message}`));
      worker.once('exit', code => events.died(`verify worker ${index} exited with code ${code}`));
      void wasm.then(module => {
        const init: ToVerifyWorker = module ? { t: 'init', engine, wasm: module, ...keyCache } : { t: 'init', engine };
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
