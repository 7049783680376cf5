// The secp256k1 engine of a Node thread (src/core/crypto/ec-engine.ts): libsecp256k1 from
// tiny-secp256k1's secp256k1.wasm (npm tiny-secp256k1 2.2.4), compiled once per thread and
// self-tested against @noble/secp256k1, which stays in use if the module will not load or run.
// lightningd's thread (src/node/node.ts) and each daemon host (src/node/workers/host.ts) call it.
import { readFile } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import { ecEngine, instantiateEcEngine, useEcEngine, type EcEngineName } from '../core/crypto/ec-engine.ts';

// The ES2022 lib has no WebAssembly value and @types/node declares only its types.
const wasmApi = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }).WebAssembly;

let installing: Promise<EcEngineName> | undefined;

/** tiny-secp256k1's secp256k1.wasm, compiled. */
export async function libsecp256k1EcModule(): Promise<WebAssembly.Module> {
  return wasmApi.compile(await readFile(new URL('./secp256k1.wasm', import.meta.resolve('tiny-secp256k1'))));
}

/** A random 32-bit integer for libsecp256k1's context blinding. */
export const randomInt32 = (): number => randomInt(-0x80000000, 0x7fffffff);

/** Installs libsecp256k1 as this thread's engine (once); the engine's name in use afterwards. */
export function installNodeEcEngine(): Promise<EcEngineName> {
  installing ??= (async () => {
    try {
      useEcEngine(await instantiateEcEngine(await libsecp256k1EcModule(), randomInt32));
    } catch {
      // @noble/secp256k1 stays.
    }
    return ecEngine().name;
  })();
  return installing;
}
