// 100,000 seeded random feature vectors through parse and every check: each passes or throws a
// FeatureError, nothing else; and the verdicts agree with a plain restatement of the rules.
import { equal as bytesEqual, toHex } from '../../src/core/base/bytes.ts';
import { FeatureError } from '../../src/core/base/errors.ts';
import {
  FeatureVector,
  MAX_FEATURE_BYTES,
  assignedIn,
  checkAnnouncedFeatures,
  checkInitFeatures,
  checkOwnFeatures,
  featureByBit,
  initFeatures,
  ourFeatures,
  type FeaturePlace,
} from '../../src/core/features/index.ts';
import { AssertionError } from '../support/assert.ts';
import { Rng } from '../support/fuzz.ts';

const RUNS = 100_000;
const PLACES: readonly FeaturePlace[] = ['I', 'N', 'C', '9', 'B', 'T'];

/** Mostly-zero bytes with a few bits, so known features (bits < 64) show up often. */
function vector(rng: Rng): Uint8Array {
  const kind = rng.int(4);
  const n = kind === 0 ? rng.size(300) : rng.range(0, 9);
  const b = kind === 1 ? rng.bytes(n) : new Uint8Array(n);
  if (kind !== 1) for (let k = rng.int(6); k > 0 && n > 0; k--) b[rng.int(n)]! |= 1 << rng.int(8);
  return b;
}

function expectFeatureError<T>(what: string, input: Uint8Array, fn: () => T): T | FeatureError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FeatureError) return e;
    throw new AssertionError(`${what} on ${toHex(input)}: threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

function fail(msg: string, input: Uint8Array): never {
  throw new AssertionError(`${msg} on ${toHex(input)}`);
}

describe('features fuzz', () => {
  it(`${RUNS} random vectors: parse, encode, validate; only FeatureError`, () => {
    const rng = new Rng('boltworker features');
    const ours = ourFeatures('I');
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < RUNS; i++) {
      const input = vector(rng);
      const fv = expectFeatureError('fromBytes', input, () => FeatureVector.fromBytes(input));
      if (fv instanceof FeatureError) fail(`fromBytes refused ${input.length} bytes`, input);

      // Encoding is the input without its leading zero bytes, and parses back to the same vector.
      let z = 0;
      while (z < input.length && input[z] === 0) z++;
      const out = fv.toBytes();
      if (!bytesEqual(out, input.subarray(z))) fail('toBytes is not minimal', input);
      if (!FeatureVector.fromBytes(out).equals(fv)) fail('round trip', input);
      if (!FeatureVector.fromBits(fv.bits()).equals(fv)) fail('bits() round trip', input);

      // init: passes or FeatureError, and passing means no even bit we cannot honour.
      const init = expectFeatureError('checkInitFeatures', input, () => checkInitFeatures(fv, ours));
      if (init instanceof FeatureError) refused++;
      else {
        accepted++;
        for (const bit of fv.bits()) {
          if (bit % 2 !== 0) continue;
          const f = featureByBit(bit);
          if (!f || !assignedIn(f, 'I')) fail(`accepted unknown even bit ${bit}`, input);
          if (!f.assumed && !ours.has(bit)) fail(`accepted unsupported required bit ${bit}`, input);
        }
      }
      // ...and refusing an unknown even bit is the only reason for unknown_required_feature.
      if (init instanceof FeatureError && init.code === 'unknown_required_feature') {
        const some = fv.bits().some(b => b % 2 === 0 && !(featureByBit(b) && assignedIn(featureByBit(b)!, 'I')));
        if (!some) fail('unknown_required_feature without an unknown even bit', input);
      }

      const place = rng.pick(PLACES);
      expectFeatureError('checkOwnFeatures', input, () => checkOwnFeatures(fv, place));
      const ann = checkAnnouncedFeatures(fv, rng.chance(0.5) ? 'N' : 'C');
      if (ann.usable !== (ann.report.unknownRequired.length === 0)) fail('usable disagrees with report', input);

      // BOLT 1: globalfeatures | features.
      const other = vector(rng);
      const merged = initFeatures(input, other);
      const want = new Set([...fv.bits(), ...FeatureVector.fromBytes(other).bits()]);
      if (merged.bits().length !== want.size || !merged.bits().every(b => want.has(b))) fail('OR', input);
    }
    if (accepted === 0 || refused === 0) throw new AssertionError(`fuzz never exercised both outcomes: ${accepted}/${refused}`);
  });

  it('the longest and over-long vectors', () => {
    const rng = new Rng(9);
    const longest = rng.bytes(MAX_FEATURE_BYTES);
    const fv = FeatureVector.fromBytes(longest);
    expectFeatureError('checkInitFeatures', longest, () => checkInitFeatures(fv, ourFeatures('I')));
    expectFeatureError('checkOwnFeatures', longest, () => checkOwnFeatures(fv, 'N'));
    checkAnnouncedFeatures(fv, 'N');
    try {
      FeatureVector.fromBytes(new Uint8Array(MAX_FEATURE_BYTES + 1));
      throw new AssertionError('accepted an over-long vector');
    } catch (e) {
      if (!(e instanceof FeatureError) || e.code !== 'feature_vector_too_long') throw e;
    }
  });
});
