// The secp256k1 engine of a browser realm (src/core/crypto/ec-engine.ts): libsecp256k1 from
// tiny-secp256k1's secp256k1.wasm (npm tiny-secp256k1 2.2.4, 1.2 MB), fetched and compiled once per
// realm and self-tested against @noble/secp256k1, which stays in use if it cannot be fetched or run.
// The page (lightningd, src/web/node.ts) and each daemon host Worker (workers/host.worker.ts) call it.
import { ecEngine, instantiateEcEngine, useEcEngine, type EcEngineName } from '../core/crypto/ec-engine.ts';

/**
 * Where the module is served: relative to this file, so the test runner's and Vite's dev servers
 * serve it from node_modules, and a Vite build emits it as an asset.
 */
export const EC_WASM_URL = new URL('../../node_modules/tiny-secp256k1/lib/secp256k1.wasm', import.meta.url);

/** A random 32-bit integer for libsecp256k1's context blinding. */
export const randomInt32 = (): number => crypto.getRandomValues(new Int32Array(1))[0]!;

/** tiny-secp256k1's secp256k1.wasm from `url`, compiled; null when it cannot be fetched. */
export async function libsecp256k1EcModule(url: string | URL = EC_WASM_URL): Promise<WebAssembly.Module | null> {
  const res = await fetch(url);
  return res.ok ? WebAssembly.compile(await res.arrayBuffer()) : null;
}

let installing: Promise<EcEngineName> | undefined;

/** Installs libsecp256k1 as this realm's engine (once); the engine's name in use afterwards. Never rejects. */
export function installWebEcEngine(url: string | URL = EC_WASM_URL): Promise<EcEngineName> {
  installing ??= (async () => {
    try {
      const module = await libsecp256k1EcModule(url);
      if (module) useEcEngine(await instantiateEcEngine(module, randomInt32));
    } catch {
      // @noble/secp256k1 stays.
    }
    return ecEngine().name;
  })();
  return installing;
}
