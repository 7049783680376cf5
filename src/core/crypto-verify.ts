// Signature-check engines behind one shape, so gossipd's verify workers can use the fastest one that
// loads in their runtime (bench/verify.bench.ts measures them side by side):
// - 'noble': @noble/secp256k1 through crypto.ts `verifyDigest`, the default and the fallback;
// - 'curves': @noble/curves' secp256k1, pure JS too, about 1.7x faster;
// - 'libsecp256k1': libsecp256k1 compiled to WASM, as shipped by tiny-secp256k1 2.2.4 (its .wasm file,
//   driven here directly, since its JS entry cannot load in a browser without a bundler step).
// Every engine answers BOLT 7's question the same way (test/node and test/browser hold them to it):
// a 64-byte compact signature (BOLT 1 `signature`), low-S required, over a 32-byte digest, by a
// 33-byte compressed key; false, never a throw, for any bad input.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { fromHex } from './bytes.ts';
import { verifyDigest } from './crypto.ts';
import { BoltError } from './errors.ts';

export type EngineName = 'noble' | 'curves' | 'libsecp256k1';

export interface VerifyEngine {
  readonly name: EngineName;
  verify(sig: Uint8Array, digest: Uint8Array, pub: Uint8Array): boolean;
}

/** An engine that cannot be used here: 'engine_unavailable' (cannot load), 'engine_self_test'. */
export class EngineError extends BoltError {}

function shaped(sig: Uint8Array, digest: Uint8Array, pub: Uint8Array): boolean {
  return sig.length === 64 && digest.length === 32 && pub.length === 33;
}

export const nobleEngine: VerifyEngine = {
  name: 'noble',
  verify: (sig, digest, pub) => shaped(sig, digest, pub) && verifyDigest(sig, digest, pub),
};

const CURVES_OPTS = { prehash: false, lowS: true, format: 'compact' } as const;

export const curvesEngine: VerifyEngine = {
  name: 'curves',
  verify(sig, digest, pub) {
    if (!shaped(sig, digest, pub)) return false;
    try {
      return secp256k1.verify(sig, digest, pub, CURVES_OPTS);
    } catch {
      return false;
    }
  },
};

/** What tiny-secp256k1's secp256k1.wasm exports that verification needs. */
interface Libsecp256k1Exports {
  memory: { buffer: ArrayBuffer };
  HASH_INPUT: { value: number };
  PUBLIC_KEY_INPUT: { value: number };
  SIGNATURE_INPUT: { value: number };
  initializeContext(): void;
  verify(pubLength: number, strict: number): number;
}

function isLibsecpExports(x: unknown): x is Libsecp256k1Exports {
  const e = x as Record<string, unknown> | null;
  return (
    !!e &&
    typeof e.verify === 'function' &&
    typeof e.initializeContext === 'function' &&
    typeof e.memory === 'object' &&
    ['HASH_INPUT', 'PUBLIC_KEY_INPUT', 'SIGNATURE_INPUT'].every((k) => typeof (e[k] as { value?: unknown } | undefined)?.value === 'number')
  );
}

/** The engine over an instantiated secp256k1.wasm: inputs are copied into its fixed input slots. */
function libsecp256k1Engine(exp: Libsecp256k1Exports): VerifyEngine {
  let buffer = exp.memory.buffer;
  let mem = new Uint8Array(buffer);
  const hashAt = exp.HASH_INPUT.value;
  const pubAt = exp.PUBLIC_KEY_INPUT.value;
  const sigAt = exp.SIGNATURE_INPUT.value;
  return {
    name: 'libsecp256k1',
    verify(sig, digest, pub) {
      if (!shaped(sig, digest, pub)) return false;
      if (exp.memory.buffer !== buffer) {
        buffer = exp.memory.buffer;
        mem = new Uint8Array(buffer);
      }
      mem.set(digest, hashAt);
      mem.set(pub, pubAt);
      mem.set(sig, sigAt);
      try {
        // strict = 1: plain secp256k1_ecdsa_verify, which rejects high-S as BOLT 1 requires.
        // tiny-secp256k1 otherwise normalises s first (its JS `verify` defaults to that), which
        // would accept the malleated twin of every signature. A bad key or r/s >= n reaches
        // `throwError` (a no-op below) and the call returns 0.
        return exp.verify(33, 1) === 1;
      } catch {
        return false;
      }
    },
  };
}

interface WasmApi {
  instantiate(module: unknown, imports: object): Promise<{ exports: unknown }>;
}

/**
 * Instantiates a compiled tiny-secp256k1 2.2.4 `secp256k1.wasm` (a WebAssembly.Module; compiling
 * the bytes is the runtime's job) and self-tests it. `randomInt32` seeds libsecp256k1's context
 * blinding (which protects signing; verification does not depend on it).
 */
export async function instantiateLibsecp256k1(module: unknown, randomInt32: () => number): Promise<VerifyEngine> {
  const wa = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wa) throw new EngineError('engine_unavailable', 'no WebAssembly in this runtime');
  let exports: unknown;
  try {
    const instance = await wa.instantiate(module, {
      './rand.js': { generateInt32: () => randomInt32() | 0 },
      // Called with an error code just before the wasm returns 0 for a bad key or signature.
      './validate_error.js': { throwError: () => {} },
    });
    exports = instance.exports;
  } catch (e) {
    throw new EngineError('engine_unavailable', `secp256k1.wasm did not instantiate: ${(e as Error)?.message ?? e}`);
  }
  if (!isLibsecpExports(exports)) throw new EngineError('engine_unavailable', 'secp256k1.wasm lacks the expected exports');
  exports.initializeContext();
  const engine = libsecp256k1Engine(exports);
  if (!engineSelfTest(engine)) throw new EngineError('engine_self_test', 'libsecp256k1 engine failed its self-test');
  return engine;
}

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** (r, n - s): the high-S twin of a compact signature, valid ECDSA but refused by BOLT 1. */
export function highSTwin(sig: Uint8Array): Uint8Array {
  let s = 0n;
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(sig[i]!);
  let t = (N - s) % N;
  const out = sig.slice();
  for (let i = 63; i >= 32; i--) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  return out;
}

// sha256("boltworker verify engine self-test") signed by the key sha256("... self-test key").
const TEST_PUB = fromHex('025886598b85352d7a263f935074da8f604c24174f87cb97dac1adc89691d2ec23');
const TEST_DIGEST = fromHex('dddd1ff785160a5387ceb6ebe87317373070b67faee2ca6e614abc349e5d5758');
const TEST_SIG = fromHex(
  '3bd4690beca2fbf6341502dbb85f3a28c8c638de27b6daf7a7d94d274a4042724861a7bc10debcc2fe4703899e3fdbbd9727029f13b790626b18deb144be2a35',
);

/** One known-good signature holds; its flipped, high-S and wrong-key variants do not. */
export function engineSelfTest(engine: VerifyEngine): boolean {
  const flipped = TEST_SIG.slice();
  flipped[5]! ^= 1;
  const badPub = TEST_PUB.slice();
  badPub[0] = 0x03;
  return (
    engine.verify(TEST_SIG, TEST_DIGEST, TEST_PUB) &&
    !engine.verify(flipped, TEST_DIGEST, TEST_PUB) &&
    !engine.verify(highSTwin(TEST_SIG), TEST_DIGEST, TEST_PUB) &&
    !engine.verify(TEST_SIG, TEST_DIGEST, badPub)
  );
}

/**
 * The engine a verify worker uses: 'auto' and 'libsecp256k1' take the WASM engine when `wasmModule`
 * instantiates and passes its self-test, otherwise @noble/secp256k1; 'curves' and 'noble' as named.
 * Never rejects: @noble/secp256k1 is the floor.
 */
export async function selectEngine(
  choice: 'auto' | EngineName,
  wasmModule: unknown,
  randomInt32: () => number,
): Promise<VerifyEngine> {
  if (choice === 'curves') return engineSelfTest(curvesEngine) ? curvesEngine : nobleEngine;
  if (choice !== 'noble' && wasmModule) {
    try {
      return await instantiateLibsecp256k1(wasmModule, randomInt32);
    } catch {
      // fall through to the floor
    }
  }
  return nobleEngine;
}
