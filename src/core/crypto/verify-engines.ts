// Signature-check engines behind one shape, so gossipd's verify workers can use the fastest one that
// loads in their runtime (bench/verify.bench.ts measures them side by side):
// - 'noble': @noble/secp256k1 through crypto.ts `verifyDigest`, the default and the fallback;
// - 'curves': @noble/curves' secp256k1, pure JS too, about 1.7x faster;
// - 'libsecp256k1': libsecp256k1 compiled to WASM, driven here directly through fixed input slots.
//   Two builds share that ABI: ours (src/wasm/secp256k1/verify.wasm, the 10x26 field, about 3x
//   faster on wasm32) and tiny-secp256k1 2.2.4's secp256k1.wasm (whose JS entry cannot load in a
//   browser without a bundler step). Keys that sign again are kept decompressed (point-cache.ts).
// Every engine answers BOLT 7's question the same way (test/node and test/browser hold them to it):
// a 64-byte compact signature (BOLT 1 `signature`), low-S required, over a 32-byte digest, by a
// 33-byte compressed key; false, never a throw, for any bad input.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { fromHex } from '../base/bytes.ts';
import { verifyDigest } from './primitives.ts';
import { BoltError } from '../base/errors.ts';
import { PointCache, UNCOMPRESSED_BYTES, isUncompressedOf } from './point-cache.ts';

export type EngineName = 'noble' | 'curves' | 'libsecp256k1';

export interface VerifyEngine {
  readonly name: EngineName;
  /**
   * `keyReused`: a hint that `pub` signs often (a node_id), so an engine may keep its parsed form;
   * it never changes the verdict.
   */
  verify(sig: Uint8Array, digest: Uint8Array, pub: Uint8Array, keyReused?: boolean): boolean;
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

/** What a secp256k1.wasm (tiny-secp256k1's or ours) exports that verification needs. */
interface Libsecp256k1Exports {
  memory: { buffer: ArrayBuffer };
  HASH_INPUT: { value: number };
  PUBLIC_KEY_INPUT: { value: number };
  SIGNATURE_INPUT: { value: number };
  initializeContext(): void;
  verify(pubLength: number, strict: number): number;
  /** Re-encodes the key in PUBLIC_KEY_INPUT in place (33 <-> 65 bytes). Optional: no key cache without it. */
  pointCompress?(inLength: number, outLength: number): unknown;
}

function isLibsecpExports(x: unknown): x is Libsecp256k1Exports {
  const e = x as Record<string, unknown> | null;
  return (
    !!e &&
    typeof e.verify === 'function' &&
    typeof e.initializeContext === 'function' &&
    typeof e.memory === 'object' &&
    ['HASH_INPUT', 'PUBLIC_KEY_INPUT', 'SIGNATURE_INPUT'].every(k => typeof (e[k] as { value?: unknown } | undefined)?.value === 'number')
  );
}

/** Entries of a libsecp256k1 engine's key cache by default: every mainnet node_id (about 17,000) fits. */
export const DEFAULT_KEY_CACHE = 32_768;

/**
 * The engine over an instantiated secp256k1.wasm: inputs are copied into its fixed input slots. A
 * key passed with `keyReused` is decompressed once (inside the wasm) and then handed over as its
 * 65-byte form, which skips the square root of parsing a compressed key.
 */
function libsecp256k1Engine(exp: Libsecp256k1Exports, keyCache: number): VerifyEngine {
  let buffer = exp.memory.buffer;
  let mem = new Uint8Array(buffer);
  const hashAt = exp.HASH_INPUT.value;
  const pubAt = exp.PUBLIC_KEY_INPUT.value;
  const sigAt = exp.SIGNATURE_INPUT.value;
  const cache = keyCache > 0 && typeof exp.pointCompress === 'function' ? new PointCache(keyCache) : undefined;

  /** Puts `pub` in the key slot, as its cached 65-byte form when it has one; returns the length. */
  function placeKey(pub: Uint8Array, keyReused: boolean): number {
    if (!cache || !keyReused) {
      mem.set(pub, pubAt);
      return 33;
    }
    const point = cache.get(pub);
    if (point) {
      mem.set(point, pubAt);
      return UNCOMPRESSED_BYTES;
    }
    mem.set(pub, pubAt);
    try {
      exp.pointCompress!(33, UNCOMPRESSED_BYTES);
    } catch {
      // left to the 33-byte path below
    }
    const out = mem.subarray(pubAt, pubAt + UNCOMPRESSED_BYTES);
    // Cached only when the output is this key's point: a key off the curve (or a wasm that did
    // nothing) is verified from its 33 bytes, and fails there.
    if (isUncompressedOf(out, pub)) {
      cache.set(pub, out);
      return UNCOMPRESSED_BYTES;
    }
    mem.set(pub, pubAt);
    return 33;
  }

  return {
    name: 'libsecp256k1',
    verify(sig, digest, pub, keyReused = false) {
      if (!shaped(sig, digest, pub)) return false;
      if (exp.memory.buffer !== buffer) {
        buffer = exp.memory.buffer;
        mem = new Uint8Array(buffer);
      }
      try {
        mem.set(digest, hashAt);
        mem.set(sig, sigAt);
        const pubLength = placeKey(pub, keyReused);
        // strict = 1: plain secp256k1_ecdsa_verify, which rejects high-S as BOLT 1 requires.
        // tiny-secp256k1 otherwise normalises s first (its JS `verify` defaults to that), which
        // would accept the malleated twin of every signature. A bad key or r/s >= n reaches
        // `throwError` (a no-op below) and the call returns 0.
        return exp.verify(pubLength, 1) === 1;
      } catch {
        return false;
      }
    },
  };
}

interface WasmApi {
  instantiate(module: unknown, imports: object): Promise<{ exports: unknown }>;
}

export interface Libsecp256k1Options {
  /** Keys kept decompressed (least recently used evicted); 0 turns the cache off. Default DEFAULT_KEY_CACHE. */
  keyCache?: number;
}

/**
 * Instantiates a compiled secp256k1.wasm, ours or tiny-secp256k1 2.2.4's (a WebAssembly.Module;
 * compiling the bytes is the runtime's job) and self-tests it. `randomInt32` seeds tiny-secp256k1's
 * context blinding (which protects signing; verification does not depend on it; ours has none).
 */
export async function instantiateLibsecp256k1(
  module: unknown,
  randomInt32: () => number,
  opts: Libsecp256k1Options = {},
): Promise<VerifyEngine> {
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
  const engine = libsecp256k1Engine(exports, opts.keyCache ?? DEFAULT_KEY_CACHE);
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
  // Each case twice with the key-reuse hint: once to fill a key cache, once to read it.
  return [false, true, true].every(
    reused =>
      engine.verify(TEST_SIG, TEST_DIGEST, TEST_PUB, reused) &&
      !engine.verify(flipped, TEST_DIGEST, TEST_PUB, reused) &&
      !engine.verify(highSTwin(TEST_SIG), TEST_DIGEST, TEST_PUB, reused) &&
      !engine.verify(TEST_SIG, TEST_DIGEST, badPub, reused),
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
  opts: Libsecp256k1Options = {},
): Promise<VerifyEngine> {
  if (choice === 'curves') return engineSelfTest(curvesEngine) ? curvesEngine : nobleEngine;
  if (choice !== 'noble' && wasmModule) {
    try {
      return await instantiateLibsecp256k1(wasmModule, randomInt32, opts);
    } catch {
      // fall through to the floor
    }
  }
  return nobleEngine;
}
