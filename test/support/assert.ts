// A small assertion module that runs the same in Node and in the browser.
import { equal as bytesEqual, toHex } from '../../src/core/base/bytes.ts';

export class AssertionError extends Error {
  override name = 'AssertionError';
}

function show(v: unknown): string {
  if (v instanceof Uint8Array) return `bytes(${toHex(v)})`;
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? toHex(x) : x));
  } catch {
    return String(v);
  }
}

export function ok(cond: unknown, msg = 'expected truthy'): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

export function equal<T>(actual: T, expected: T, msg?: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${msg ?? 'not equal'}: got ${show(actual)}, want ${show(expected)}`);
  }
}

export function deepEqual(actual: unknown, expected: unknown, msg?: string): void {
  if (!deepEq(actual, expected)) {
    throw new AssertionError(`${msg ?? 'not deep-equal'}: got ${show(actual)}, want ${show(expected)}`);
  }
}

function deepEq(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b);
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter(k => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter(k => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every(k => deepEq((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Asserts fn throws an instance of cls (and, if given, with that `code`). Returns the error. */
export function throws<E extends Error>(fn: () => unknown, cls: ErrorClass, code?: string): E {
  try {
    fn();
  } catch (e) {
    checkError(e, cls, code);
    return e as E;
  }
  throw new AssertionError(`expected ${cls.name}${code ? `(${code})` : ''} to be thrown`);
}

export async function rejects<E extends Error>(p: Promise<unknown> | (() => Promise<unknown>), cls: ErrorClass, code?: string): Promise<E> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    checkError(e, cls, code);
    return e as E;
  }
  throw new AssertionError(`expected ${cls.name}${code ? `(${code})` : ''} to be rejected`);
}

function checkError(e: unknown, cls: ErrorClass, code?: string): void {
  if (!(e instanceof cls)) throw new AssertionError(`expected ${cls.name}, got ${String(e)}`);
  if (code !== undefined && (e as { code?: string }).code !== code) {
    throw new AssertionError(`expected code ${code}, got ${(e as { code?: string }).code}: ${e.message}`);
  }
}
