// What every runtime's pool of signature-check workers shares (src/node/verify-pool.ts with
// worker_threads, src/web/verify-pool.ts with module Workers): its options, the secp256k1.wasm
// compiled once per build and handed to every worker, and the init each new worker is sent. A
// runtime supplies only how a worker starts (`start`) and how the wasm is read and compiled.
import { VerifyPool, type EngineChoice, type ToVerifyWorker, type VerifyWorkerHandle, type SpawnVerifyWorker } from './verify-pool.ts';

export interface WorkerPoolOptions {
  /** Default: the runtime's defaultVerifyWorkers(). */
  size?: number;
  /** Default 'auto': libsecp256k1 (WASM) when it loads, else @noble/secp256k1. */
  engine?: EngineChoice;
  maxChunk?: number;
  /** Chunks a worker may hold at once (VerifyPoolOptions.depth). */
  depth?: number;
  /** Keys each worker keeps decompressed (crypto-verify.ts DEFAULT_KEY_CACHE; 0: none). */
  keyCache?: number;
}

/**
 * `compile(key)` run once per key and kept; a failure reads as null (the workers then fall back to
 * @noble/secp256k1).
 */
export function compiledOnce<K, M>(compile: (key: K) => Promise<M | null>): (key: K) => Promise<M | null> {
  const compiled = new Map<K, Promise<M | null>>();
  return key => {
    let p = compiled.get(key);
    if (!p) {
      p = compile(key).catch(() => null);
      compiled.set(key, p);
    }
    return p;
  };
}

/**
 * A VerifyPool of `start`ed workers. The engine choice asks for libsecp256k1 ('auto' or
 * 'libsecp256k1'): `wasm()` is called once and each worker is sent the module in its init once it
 * is ready (null: the init names the engine alone).
 */
export function workerVerifyPool(
  opts: WorkerPoolOptions,
  defaultSize: number,
  wasm: () => Promise<unknown>,
  start: SpawnVerifyWorker,
): VerifyPool {
  const engine = opts.engine ?? 'auto';
  const module = engine === 'auto' || engine === 'libsecp256k1' ? wasm() : Promise.resolve(null);
  const keyCache = opts.keyCache !== undefined ? { keyCache: opts.keyCache } : {};
  return new VerifyPool({
    size: opts.size ?? defaultSize,
    ...(opts.maxChunk !== undefined ? { maxChunk: opts.maxChunk } : {}),
    ...(opts.depth !== undefined ? { depth: opts.depth } : {}),
    spawn(events, index): VerifyWorkerHandle {
      const worker = start(events, index);
      void module.then(m => {
        const init: ToVerifyWorker = m ? { t: 'init', engine, wasm: m, ...keyCache } : { t: 'init', engine };
        try {
          worker.post(init, []);
        } catch {
          // already gone: the runtime's worker reports it through `events.died`
        }
      });
      return worker;
    },
  });
}
