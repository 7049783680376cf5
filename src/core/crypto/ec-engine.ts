// The secp256k1 operations channels and payments spend their CPU on (BOLT 3 key derivation, the
// ECDSA signatures of commitments and HTLCs, BOLT 4 and BOLT 8 ECDH), behind one shape, so a
// runtime can hand core a faster engine than the default:
// - 'noble': @noble/secp256k1 (pure JS, BigInt), the default and the floor: every runtime has it;
// - 'libsecp256k1': libsecp256k1 compiled to WASM (tiny-secp256k1 2.2.4's secp256k1.wasm), driven
//   here through its fixed input slots. Core never loads it: a runtime compiles the module and calls
//   `instantiateEcEngine` then `useEcEngine` (src/node/ec-engine.ts, src/web/ec-engine.ts).
// Every engine gives the same bytes for the same input (test/core/crypto/ec-engine.test.ts runs the
// BOLT 3 vectors through each): RFC 6979 deterministic ECDSA, low-S, 64-byte compact signatures;
// 33-byte compressed keys; scalars as 32 big-endian bytes in [0, n) (a multiplier in [1, n)).
import * as secp from '@noble/secp256k1';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { BoltError } from '../base/errors.ts';

// @noble/secp256k1's deterministic signing needs these.
secp.hashes.sha256 = m => nobleSha256(m);
secp.hashes.hmacSha256 = (k, m) => hmac(nobleSha256, k, m);

export type EcEngineName = 'noble' | 'libsecp256k1';

export interface EcEngine {
  readonly name: EcEngineName;
  /** The compressed public key of `secret`; null when it is not a secret key (0 or >= n). */
  publicKey(secret: Uint8Array): Uint8Array | null;
  /** RFC 6979 low-S ECDSA over a 32-byte digest, 64 bytes compact; null for a bad secret key. */
  sign(digest: Uint8Array, secret: Uint8Array): Uint8Array | null;
  /** A compact low-S signature over a 32-byte digest by a 33-byte key; false (never a throw) for any bad input. */
  verify(sig: Uint8Array, digest: Uint8Array, pub: Uint8Array): boolean;
  /** Whether `pub` is a 33-byte compressed point on the curve. */
  isPoint(pub: Uint8Array): boolean;
  /** pub + tweak*G; null for a bad point, a tweak >= n, or the point at infinity. */
  pointAddScalar(pub: Uint8Array, tweak: Uint8Array): Uint8Array | null;
  /** scalar*pub; null for a bad point or a scalar not in [1, n). */
  pointMultiply(pub: Uint8Array, scalar: Uint8Array): Uint8Array | null;
  /** a + b; null for a bad point or the point at infinity. */
  pointAdd(a: Uint8Array, b: Uint8Array): Uint8Array | null;
}

/** An engine that cannot be used here: 'engine_unavailable' (cannot load), 'engine_self_test'. */
export class EcEngineError extends BoltError {}

export const CURVE_N = secp.Point.CURVE().n;

function scalarOf(b: Uint8Array): bigint {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
}

const NOBLE_OPTS = { prehash: false, lowS: true, format: 'compact' } as const;
/** Parsed points by their 33 bytes (a channel's basepoints and funding keys come back on every commitment). */
const PARSED_CAPACITY = 1024;

function noblePoints() {
  const parsed = new Map<string, secp.Point>();
  return (pub: Uint8Array): secp.Point | null => {
    if (pub.length !== 33) return null;
    const k = String.fromCharCode.apply(null, pub as unknown as number[]);
    const hit = parsed.get(k);
    if (hit) {
      parsed.delete(k);
      parsed.set(k, hit);
      return hit;
    }
    let p: secp.Point;
    try {
      p = secp.Point.fromBytes(pub);
    } catch {
      return null;
    }
    if (parsed.size >= PARSED_CAPACITY) parsed.delete(parsed.keys().next().value as string);
    parsed.set(k, p);
    return p;
  };
}

function nonZero(p: secp.Point): Uint8Array | null {
  return p.equals(secp.Point.ZERO) ? null : p.toBytes(true);
}

function nobleEngine(): EcEngine {
  const parse = noblePoints();
  return {
    name: 'noble',
    publicKey(secret) {
      return secp.utils.isValidSecretKey(secret) ? secp.getPublicKey(secret, true) : null;
    },
    sign(digest, secret) {
      if (digest.length !== 32 || !secp.utils.isValidSecretKey(secret)) return null;
      return secp.sign(digest, secret, NOBLE_OPTS);
    },
    verify(sig, digest, pub) {
      if (sig.length !== 64 || digest.length !== 32) return false;
      const p = parse(pub);
      if (!p) return false;
      try {
        return secp.verify(sig, digest, p.toBytes(true), NOBLE_OPTS);
      } catch {
        return false;
      }
    },
    isPoint: pub => parse(pub) !== null,
    pointAddScalar(pub, tweak) {
      const p = parse(pub);
      const t = scalarOf(tweak);
      if (!p || tweak.length !== 32 || t >= CURVE_N) return null;
      return nonZero(t === 0n ? p : p.add(secp.Point.BASE.multiply(t)));
    },
    pointMultiply(pub, scalar) {
      const p = parse(pub);
      const k = scalarOf(scalar);
      if (!p || scalar.length !== 32 || k === 0n || k >= CURVE_N) return null;
      return nonZero(p.multiply(k));
    },
    pointAdd(a, b) {
      const p = parse(a);
      const q = parse(b);
      return p && q ? nonZero(p.add(q)) : null;
    },
  };
}

/** @noble/secp256k1: the default engine and the one every runtime can fall back to. */
export const nobleEc: EcEngine = nobleEngine();

/** What tiny-secp256k1 2.2.4's secp256k1.wasm exports that this engine drives. */
interface TinyExports {
  memory: { buffer: ArrayBuffer };
  PRIVATE_INPUT: { value: number };
  PUBLIC_KEY_INPUT: { value: number };
  PUBLIC_KEY_INPUT2: { value: number };
  TWEAK_INPUT: { value: number };
  HASH_INPUT: { value: number };
  SIGNATURE_INPUT: { value: number };
  initializeContext(): void;
  isPoint(len: number): number;
  pointAdd(lenA: number, lenB: number, outLen: number): number;
  pointAddScalar(len: number, outLen: number): number;
  pointMultiply(len: number, outLen: number): number;
  pointFromScalar(outLen: number): number;
  sign(withExtraData: number): void;
  verify(len: number, strict: number): number;
}

const SLOTS = ['PRIVATE_INPUT', 'PUBLIC_KEY_INPUT', 'PUBLIC_KEY_INPUT2', 'TWEAK_INPUT', 'HASH_INPUT', 'SIGNATURE_INPUT'];
const FUNCS = ['initializeContext', 'isPoint', 'pointAdd', 'pointAddScalar', 'pointMultiply', 'pointFromScalar', 'sign', 'verify'];

function isTinyExports(x: unknown): x is TinyExports {
  const e = x as Record<string, unknown> | null;
  return (
    !!e &&
    typeof e.memory === 'object' &&
    SLOTS.every(k => typeof (e[k] as { value?: unknown } | undefined)?.value === 'number') &&
    FUNCS.every(k => typeof e[k] === 'function')
  );
}

const N_BYTES = new Uint8Array(32).map((_, i) => Number((CURVE_N >> BigInt(8 * (31 - i))) & 0xffn));

/** A 32-byte big-endian scalar below n (zero allowed). */
function belowN(b: Uint8Array): boolean {
  if (b.length !== 32) return false;
  for (let i = 0; i < 32; i++) if (b[i] !== N_BYTES[i]) return b[i]! < N_BYTES[i]!;
  return false;
}

function isZero(b: Uint8Array): boolean {
  for (const v of b) if (v !== 0) return false;
  return true;
}

/** A scalar in [1, n): a secret key or a multiplier. */
const isNonZeroScalar = (b: Uint8Array) => belowN(b) && !isZero(b);

/** Keys known to be on the curve (inputs that passed, outputs of the curve operations), bounded. */
const KNOWN_POINTS = 4096;

/**
 * libsecp256k1 in tiny-secp256k1's build refuses a bad input by calling its `throwError` import,
 * and a JS exception thrown through the wasm leaves its stack pointer where it was (each refusal
 * would leak stack until memory access faults). So nothing bad reaches it: every key and scalar is
 * checked here first, `throwError` only records that it was called (that call's result is
 * discarded), and a trap turns this engine into @noble/secp256k1 for good.
 */
function libsecp256k1Ec(exp: TinyExports, refusals: { count: number }): EcEngine {
  let buffer = exp.memory.buffer;
  let mem = new Uint8Array(buffer);
  const privAt = exp.PRIVATE_INPUT.value;
  const pubAt = exp.PUBLIC_KEY_INPUT.value;
  const pub2At = exp.PUBLIC_KEY_INPUT2.value;
  const tweakAt = exp.TWEAK_INPUT.value;
  const hashAt = exp.HASH_INPUT.value;
  const sigAt = exp.SIGNATURE_INPUT.value;
  const known = new Set<string>();
  let broken = false;

  const keyOf = (pub: Uint8Array) => String.fromCharCode.apply(null, pub as unknown as number[]);
  function remember(pub: Uint8Array): Uint8Array {
    if (known.size >= KNOWN_POINTS) known.delete(known.values().next().value as string);
    known.add(keyOf(pub));
    return pub;
  }
  function view(): Uint8Array {
    if (exp.memory.buffer !== buffer) {
      buffer = exp.memory.buffer;
      mem = new Uint8Array(buffer);
    }
    return mem;
  }
  /** Runs `f` on the wasm memory; `fallback` if the wasm refused, noble's answer from now on if it trapped. */
  function run<T>(fallback: T, f: (m: Uint8Array) => T, noble: () => T): T {
    if (broken) return noble();
    const before = refusals.count;
    try {
      const out = f(view());
      return refusals.count === before ? out : fallback;
    } catch {
      broken = true;
      return noble();
    }
  }
  function validPoint(pub: Uint8Array): boolean {
    if (pub.length !== 33 || (pub[0] !== 2 && pub[0] !== 3)) return false;
    if (known.has(keyOf(pub))) return true;
    const ok = run(
      false,
      m => {
        m.set(pub, pubAt);
        return exp.isPoint(33) === 1;
      },
      () => nobleEc.isPoint(pub),
    );
    if (ok) remember(pub);
    return ok;
  }
  const point33 = (m: Uint8Array) => remember(m.slice(pubAt, pubAt + 33));
  const wipe = (m: Uint8Array, at: number) => m.fill(0, at, at + 32);

  return {
    name: 'libsecp256k1',
    publicKey(secret) {
      if (!isNonZeroScalar(secret)) return null;
      return run(
        null,
        m => {
          m.set(secret, privAt);
          try {
            return exp.pointFromScalar(33) === 1 ? point33(m) : null;
          } finally {
            wipe(m, privAt);
          }
        },
        () => nobleEc.publicKey(secret),
      );
    },
    sign(digest, secret) {
      if (digest.length !== 32 || !isNonZeroScalar(secret)) return null;
      return run(
        null,
        m => {
          m.set(digest, hashAt);
          m.set(secret, privAt);
          try {
            // No extra data: RFC 6979 exactly; libsecp256k1 signs low-S.
            exp.sign(0);
            return m.slice(sigAt, sigAt + 64);
          } finally {
            wipe(m, privAt);
          }
        },
        () => nobleEc.sign(digest, secret),
      );
    },
    verify(sig, digest, pub) {
      if (sig.length !== 64 || digest.length !== 32) return false;
      const r = sig.subarray(0, 32);
      const s = sig.subarray(32);
      if (!isNonZeroScalar(r) || !isNonZeroScalar(s) || !validPoint(pub)) return false;
      return run(
        false,
        m => {
          m.set(digest, hashAt);
          m.set(sig, sigAt);
          m.set(pub, pubAt);
          // strict = 1: plain secp256k1_ecdsa_verify, which refuses high-S as BOLT 1 requires.
          return exp.verify(33, 1) === 1;
        },
        () => nobleEc.verify(sig, digest, pub),
      );
    },
    isPoint: validPoint,
    pointAddScalar(pub, tweak) {
      if (!belowN(tweak) || !validPoint(pub)) return null;
      if (isZero(tweak)) return pub.slice();
      return run(
        null,
        m => {
          m.set(pub, pubAt);
          m.set(tweak, tweakAt);
          return exp.pointAddScalar(33, 33) === 1 ? point33(m) : null;
        },
        () => nobleEc.pointAddScalar(pub, tweak),
      );
    },
    pointMultiply(pub, scalar) {
      if (!isNonZeroScalar(scalar) || !validPoint(pub)) return null;
      return run(
        null,
        m => {
          m.set(pub, pubAt);
          m.set(scalar, tweakAt);
          try {
            return exp.pointMultiply(33, 33) === 1 ? point33(m) : null;
          } finally {
            // ECDH multiplies by a secret key.
            wipe(m, tweakAt);
          }
        },
        () => nobleEc.pointMultiply(pub, scalar),
      );
    },
    pointAdd(a, b) {
      if (!validPoint(a) || !validPoint(b)) return null;
      return run(
        null,
        m => {
          m.set(a, pubAt);
          m.set(b, pub2At);
          return exp.pointAdd(33, 33, 33) === 1 ? point33(m) : null;
        },
        () => nobleEc.pointAdd(a, b),
      );
    },
  };
}

interface WasmApi {
  instantiate(module: unknown, imports: object): Promise<{ exports: unknown }>;
}

/**
 * Instantiates tiny-secp256k1 2.2.4's compiled secp256k1.wasm (a WebAssembly.Module: compiling is
 * the runtime's job) and self-tests it against @noble/secp256k1. `randomInt32` seeds
 * libsecp256k1's context blinding, which protects signing from side channels.
 */
export async function instantiateEcEngine(module: unknown, randomInt32: () => number): Promise<EcEngine> {
  const wa = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wa) throw new EcEngineError('engine_unavailable', 'no WebAssembly in this runtime');
  let exports: unknown;
  const refusals = { count: 0 };
  try {
    const instance = await wa.instantiate(module, {
      './rand.js': { generateInt32: () => randomInt32() | 0 },
      './validate_error.js': { throwError: () => void refusals.count++ },
    });
    exports = instance.exports;
  } catch (e) {
    throw new EcEngineError('engine_unavailable', `secp256k1.wasm did not instantiate: ${(e as Error)?.message ?? e}`);
  }
  if (!isTinyExports(exports)) throw new EcEngineError('engine_unavailable', 'secp256k1.wasm lacks the expected exports');
  exports.initializeContext();
  const engine = libsecp256k1Ec(exports, refusals);
  if (!ecEngineSelfTest(engine)) throw new EcEngineError('engine_self_test', 'libsecp256k1 engine disagrees with @noble/secp256k1');
  return engine;
}

function equalBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hexBytes(h: string): Uint8Array {
  return new Uint8Array(h.length / 2).map((_, i) => parseInt(h.slice(2 * i, 2 * i + 2), 16));
}

// Fixed arbitrary inputs, and what @noble/secp256k1 answers for them (written down rather than
// computed here: noble's first use builds its tables, which would cost each thread a startup delay).
const ST_SECRET = new Uint8Array(32).map((_, i) => (i * 29 + 7) & 0xff);
const ST_TWEAK = new Uint8Array(32).map((_, i) => (i * 53 + 11) & 0x7f);
const ST_DIGEST = new Uint8Array(32).map((_, i) => (i * 101 + 3) & 0xff);
const ST_PUB = hexBytes('03a81df847442cfe85d5fb51a94cbe0d9a66b5bfe5ffeaacd1b9662966a6098f7c');
const ST_SIG = hexBytes(
  'b935d6a681ccf68d53ed663e50e4e5a727ab9a1e21bdf14e7c5c7263031e74b16c68d1107cc75cf048768cac32bed103395860175d80d87ffc1ae3e073e80900',
);
/** ST_PUB + ST_TWEAK*G, ST_TWEAK*ST_PUB, and their sum. */
const ST_ADDED = hexBytes('025d7c5cb1c66d24e589d29fd667f9e1da04a14d4ce4e4d2dbf7385b16217b51b0');
const ST_PRODUCT = hexBytes('020c09d9c041d90fa6b78c7027e304a444512d5d7752a92d14f866be9e8d5293ff');
const ST_SUM = hexBytes('0387a034730eee082757be45e01f45668f57fa52d3f2a75d6ede13d19e041c307e');

/** `engine` gives @noble/secp256k1's bytes for each operation, and refuses what it refuses. */
export function ecEngineSelfTest(engine: EcEngine): boolean {
  try {
    if (!equalBytes(engine.publicKey(ST_SECRET), ST_PUB)) return false;
    if (!equalBytes(engine.sign(ST_DIGEST, ST_SECRET), ST_SIG)) return false;
    if (!engine.verify(ST_SIG, ST_DIGEST, ST_PUB)) return false;
    const bad = ST_SIG.slice();
    bad[40]! ^= 1;
    if (engine.verify(bad, ST_DIGEST, ST_PUB)) return false;
    if (!equalBytes(engine.pointAddScalar(ST_PUB, ST_TWEAK), ST_ADDED)) return false;
    if (!equalBytes(engine.pointMultiply(ST_PUB, ST_TWEAK), ST_PRODUCT)) return false;
    if (!equalBytes(engine.pointAdd(ST_ADDED, ST_PRODUCT), ST_SUM)) return false;
    // x = 5 is not on secp256k1 (5^3 + 7 = 132 is not a square mod p).
    const offCurve = new Uint8Array(33);
    offCurve[0] = 0x02;
    offCurve[32] = 5;
    if (engine.isPoint(offCurve) || engine.pointAddScalar(offCurve, ST_TWEAK) !== null) return false;
    return engine.publicKey(new Uint8Array(32)) === null;
  } catch {
    return false;
  }
}

let current: EcEngine = nobleEc;
let generation = 0;

/** The engine core's cryptography uses in this thread (@noble/secp256k1 until a runtime says otherwise). */
export function ecEngine(): EcEngine {
  return current;
}

/** Makes `engine` the one this thread uses (it must have passed `ecEngineSelfTest`). */
export function useEcEngine(engine: EcEngine): void {
  if (engine !== current) generation++;
  current = engine;
}

/** Changes whenever the engine does: memo.ts forgets what the previous engine computed. */
export function ecEngineGeneration(): number {
  return generation;
}
