// Deterministic fuzzing helpers shared by the fuzz tests: a seeded PRNG (sfc32), byte mutators
// (bit flips, byte sets, truncations, extensions, insertions, deletions, splices), random chunking,
// and the one rule every decoder is held to: succeed or throw a BoltError, never anything else.
import { toHex } from '../../src/core/base/bytes.ts';
import { BoltError } from '../../src/core/base/errors.ts';
import { AssertionError } from './assert.ts';

/** sfc32: small, fast, and the same sequence in every runtime for a given seed. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string) {
    let s = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
    // splitmix32 expands the seed into the four words of state.
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    if (n <= 0) return 0;
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** An integer in [lo, hi], both included. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      out[i] = v;
      if (i + 1 < n) out[i + 1] = v >>> 8;
      if (i + 2 < n) out[i + 2] = v >>> 16;
      if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }

  /** A size skewed towards small values (most bugs live at the edges), at most max. */
  size(max: number): number {
    const r = this.int(4);
    if (r === 0) return this.int(Math.min(max, 4) + 1);
    if (r === 1) return this.int(Math.min(max, 64) + 1);
    return this.int(max + 1);
  }
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A region [from, to) of the input that a mutation may touch; defaults to all of it. */
export interface Region {
  from?: number;
  to?: number;
}

function bounds(b: Uint8Array, r: Region | undefined): [number, number] {
  const from = Math.max(0, Math.min(r?.from ?? 0, b.length));
  const to = Math.max(from, Math.min(r?.to ?? b.length, b.length));
  return [from, to];
}

/** Flips `count` random bits inside the region (a copy; the input is untouched). */
export function flipBits(rng: Rng, b: Uint8Array, count = 1, region?: Region): Uint8Array {
  const out = b.slice();
  const [from, to] = bounds(out, region);
  if (to === from) return out;
  for (let i = 0; i < count; i++) out[rng.range(from, to - 1)]! ^= 1 << rng.int(8);
  return out;
}

/** Sets `count` random bytes inside the region to random or boundary values (0x00, 0xff, 0x7f, 0x80). */
export function setBytes(rng: Rng, b: Uint8Array, count = 1, region?: Region): Uint8Array {
  const out = b.slice();
  const [from, to] = bounds(out, region);
  if (to === from) return out;
  for (let i = 0; i < count; i++) {
    out[rng.range(from, to - 1)] = rng.chance(0.5) ? rng.int(256) : rng.pick([0x00, 0xff, 0x7f, 0x80, 0x01]);
  }
  return out;
}

/** Cuts the input to a random shorter length (possibly empty). */
export function truncate(rng: Rng, b: Uint8Array): Uint8Array {
  return b.slice(0, b.length === 0 ? 0 : rng.int(b.length));
}

/** Appends 1..max random bytes. */
export function extend(rng: Rng, b: Uint8Array, max = 64): Uint8Array {
  const extra = rng.bytes(rng.range(1, Math.max(1, max)));
  const out = new Uint8Array(b.length + extra.length);
  out.set(b);
  out.set(extra, b.length);
  return out;
}

/** Inserts 1..max random bytes at a random position. */
export function insertBytes(rng: Rng, b: Uint8Array, max = 16): Uint8Array {
  const at = rng.int(b.length + 1);
  const ins = rng.bytes(rng.range(1, Math.max(1, max)));
  const out = new Uint8Array(b.length + ins.length);
  out.set(b.subarray(0, at));
  out.set(ins, at);
  out.set(b.subarray(at), at + ins.length);
  return out;
}

/** Deletes a random run of 1..max bytes. */
export function deleteBytes(rng: Rng, b: Uint8Array, max = 16): Uint8Array {
  if (b.length === 0) return b.slice();
  const at = rng.int(b.length);
  const n = rng.range(1, Math.min(max, b.length - at));
  const out = new Uint8Array(b.length - n);
  out.set(b.subarray(0, at));
  out.set(b.subarray(at + n), at);
  return out;
}

/** A prefix of `a` followed by a suffix of `b` (two valid inputs crossed). */
export function splice(rng: Rng, a: Uint8Array, b: Uint8Array): Uint8Array {
  const i = rng.int(a.length + 1);
  const j = rng.int(b.length + 1);
  const out = new Uint8Array(i + (b.length - j));
  out.set(a.subarray(0, i));
  out.set(b.subarray(j), i);
  return out;
}

/** Repeats a random slice of the input in place (replays, duplicated fields). */
export function duplicate(rng: Rng, b: Uint8Array): Uint8Array {
  if (b.length === 0) return b.slice();
  const at = rng.int(b.length);
  const n = rng.range(1, b.length - at);
  const out = new Uint8Array(b.length + n);
  out.set(b.subarray(0, at + n));
  out.set(b.subarray(at), at + n);
  return out;
}

export type MutationKind = 'flip' | 'set' | 'truncate' | 'extend' | 'insert' | 'delete' | 'splice' | 'duplicate';
export const MUTATIONS: readonly MutationKind[] = ['flip', 'set', 'truncate', 'extend', 'insert', 'delete', 'splice', 'duplicate'];

export interface MutateOptions {
  /** Which mutations to draw from (default: all). */
  kinds?: readonly MutationKind[];
  /** Other inputs to splice with (default: the input itself). */
  donors?: readonly Uint8Array[];
  /** At most this many stacked mutations (default 3). */
  maxOps?: number;
  /** Where flips and sets land (default: anywhere). */
  region?: Region;
}

/** Applies 1..maxOps random mutations; always returns a new array. */
export function mutate(rng: Rng, input: Uint8Array, opts: MutateOptions = {}): Uint8Array {
  const kinds = opts.kinds ?? MUTATIONS;
  let b: Uint8Array = input.slice();
  const ops = rng.range(1, opts.maxOps ?? 3);
  for (let i = 0; i < ops; i++) {
    switch (rng.pick(kinds)) {
      case 'flip':
        b = flipBits(rng, b, rng.range(1, 3), opts.region);
        break;
      case 'set':
        b = setBytes(rng, b, rng.range(1, 3), opts.region);
        break;
      case 'truncate':
        b = truncate(rng, b);
        break;
      case 'extend':
        b = extend(rng, b);
        break;
      case 'insert':
        b = insertBytes(rng, b);
        break;
      case 'delete':
        b = deleteBytes(rng, b);
        break;
      case 'splice':
        b = splice(rng, b, opts.donors?.length ? rng.pick(opts.donors) : input);
        break;
      case 'duplicate':
        b = duplicate(rng, b);
        break;
    }
  }
  return b;
}

/** Splits bytes into consecutive chunks: sometimes single bytes, sometimes all at once, mostly random sizes. */
export function chunks(rng: Rng, b: Uint8Array, maxChunk = 4096): Uint8Array[] {
  const mode = rng.int(8);
  if (mode === 0) return [b];
  const out: Uint8Array[] = [];
  for (let pos = 0; pos < b.length;) {
    const n = mode === 1 ? 1 : rng.range(1, mode === 2 ? 20 : maxChunk);
    out.push(b.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

/**
 * The fuzz rule: an input either succeeds or is refused with a BoltError. Anything else (a
 * TypeError, a RangeError, a plain Error) fails the test, naming the input that caused it.
 */
export function checkBoltError(e: unknown, what: string, input?: Uint8Array): BoltError {
  if (e instanceof BoltError) return e;
  const shown =
    input === undefined ? '' : ` on input ${toHex(input.subarray(0, 200))}${input.length > 200 ? `… (${input.length} bytes)` : ''}`;
  const err = new AssertionError(`${what}: threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}${shown}`);
  if (e instanceof Error && e.stack) err.stack = `${err.message}\ncaused by ${e.stack}`;
  throw err;
}

/** Runs fn on input; returns its result, or the BoltError it threw (anything else is a test failure). */
export function attempt<T>(what: string, input: Uint8Array, fn: () => T): T | BoltError {
  try {
    return fn();
  } catch (e) {
    return checkBoltError(e, what, input);
  }
}

/** attempt() for async work. */
export async function attemptAsync<T>(what: string, input: Uint8Array, fn: () => Promise<T>): Promise<T | BoltError> {
  try {
    return await fn();
  } catch (e) {
    return checkBoltError(e, what, input);
  }
}
