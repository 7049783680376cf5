// Loads the LDK WebAssembly module (npm `lightningdevkit`, the TypeScript bindings of LDK 0.1) once
// per process. The bindings keep the instance in module state, so every LdkPeer shares it.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ldk from 'lightningdevkit';

let loading: Promise<void> | undefined;

/** The `.wasm` file shipped inside node_modules/lightningdevkit. */
function wasmPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('lightningdevkit/package.json')), 'liblightningjs.wasm');
}

/**
 * Instantiates the WASM once. The bindings print a "Loaded LDK-Java Bindings ..." banner through
 * console.log while initialising; it is silenced unless LDK_DEBUG=1.
 */
export function loadLdk(): Promise<void> {
  loading ??= (async () => {
    const bin = await readFile(wasmPath());
    const quiet = process.env['LDK_DEBUG'] !== '1';
    const log = console.log;
    if (quiet) console.log = () => {};
    try {
      await ldk.initializeWasmFromBinary(new Uint8Array(bin));
    } finally {
      if (quiet) console.log = log;
    }
  })();
  return loading;
}
