// A bounded memo for pure functions of byte strings that return bytes (BOLT 3 derives the same
// keys for every HTLC of a commitment, and again when the commitment is checked, signed and
// persisted): the least recently used answer is dropped when full, and each caller gets its own
// copy, so no caller can alter another's. A change of secp256k1 engine empties it, so each engine's
// answers are its own (test/node/ec-engine.test.ts holds every engine to the BOLT 3 vectors).
import { ecEngineGeneration } from './ec-engine.ts';

/** The exact bytes of the arguments as one string (one char per byte, lengths between): no collisions. */
function keyOf(args: readonly Uint8Array[]): string {
  let k = '';
  for (const a of args)
    k += String.fromCharCode(a.length & 0xff, a.length >> 8) + String.fromCharCode.apply(null, a as unknown as number[]);
  return k;
}

/** `fn` remembered for its last `capacity` distinct arguments. A throw is not remembered. */
export function memoBytes<A extends Uint8Array[]>(capacity: number, fn: (...args: A) => Uint8Array): (...args: A) => Uint8Array {
  const answers = new Map<string, Uint8Array>();
  let generation = ecEngineGeneration();
  return (...args: A) => {
    if (generation !== ecEngineGeneration()) {
      answers.clear();
      generation = ecEngineGeneration();
    }
    const k = keyOf(args);
    let v = answers.get(k);
    if (v) {
      answers.delete(k);
    } else {
      v = fn(...args);
      if (answers.size >= capacity) answers.delete(answers.keys().next().value as string);
    }
    answers.set(k, v);
    return v.slice();
  };
}
