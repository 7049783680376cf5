// A BOLT 9 feature vector over bytes. BOLT 1: "The least-significant bit is numbered 0, which is
// _even_, and the next most significant bit is numbered 1, which is _odd_", and all fields are
// big-endian: bit 0 is the least significant bit of the LAST byte. Immutable: every change
// returns a new vector.
import { toHex } from '../base/bytes.ts';
import { FeatureError } from '../base/errors.ts';
import { featureByBit, featureByName, type FeatureSpec, type FeatureSupport } from './table.ts';

/** Every field that carries features (`init`'s `globalfeatures`/`features`, `node_announcement`,
 * `channel_announcement`) has a u16 length, so no vector is longer than this. */
export const MAX_FEATURE_BYTES = 0xffff;
export const MAX_FEATURE_BIT = MAX_FEATURE_BYTES * 8 - 1;

/** One set bit, named. `name` is `unknown_<even bit>` for an unassigned pair. */
export interface FeatureBit {
  readonly bit: number;
  readonly name: string;
  readonly support: FeatureSupport;
}

function checkBit(bit: number): number {
  if (!Number.isInteger(bit) || bit < 0 || bit > MAX_FEATURE_BIT) {
    throw new FeatureError('bad_feature_bit', `feature bit ${String(bit)} is not an integer in 0..${MAX_FEATURE_BIT}`);
  }
  return bit;
}

function spec(feature: string): FeatureSpec {
  const f = featureByName(feature);
  if (!f) throw new FeatureError('unknown_feature_name', `no BOLT 9 feature is named ${feature}`);
  return f;
}

/** Drops high zero bytes (kept little-endian inside, so those are at the end). */
function trim(le: Uint8Array): Uint8Array {
  let n = le.length;
  while (n > 0 && le[n - 1] === 0) n--;
  return n === le.length ? le : le.slice(0, n);
}

export class FeatureVector {
  /** le[i] holds bits 8i..8i+7; no trailing zero bytes. */
  readonly #le: Uint8Array;

  private constructor(le: Uint8Array) {
    this.#le = le;
  }

  static readonly EMPTY = new FeatureVector(new Uint8Array(0));

  /** Reads a feature field as sent (BOLT 1 big-endian; leading zero bytes allowed on input). */
  static fromBytes(bytes: Uint8Array): FeatureVector {
    if (!(bytes instanceof Uint8Array)) throw new FeatureError('bad_feature_bytes', 'a feature vector is read from a Uint8Array');
    if (bytes.length > MAX_FEATURE_BYTES) {
      throw new FeatureError('feature_vector_too_long', `feature vector of ${bytes.length} bytes exceeds ${MAX_FEATURE_BYTES}`);
    }
    const le = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) le[i] = bytes[bytes.length - 1 - i]!;
    return new FeatureVector(trim(le));
  }

  static fromBits(bits: Iterable<number>): FeatureVector {
    let v = FeatureVector.EMPTY;
    for (const b of bits) v = v.withBit(b);
    return v;
  }

  /** Builds a vector from feature names, e.g. `{ var_onion_optin: 'optional' }`. */
  static fromFeatures(features: Readonly<Record<string, FeatureSupport>>): FeatureVector {
    let v = FeatureVector.EMPTY;
    for (const [name, support] of Object.entries(features)) v = v.withFeature(name, support);
    return v;
  }

  /** Minimal big-endian bytes (BOLT 1 and BOLT 7: "SHOULD use the minimum length"). */
  toBytes(): Uint8Array {
    const n = this.#le.length;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.#le[n - 1 - i]!;
    return out;
  }

  toHex(): string {
    return toHex(this.toBytes());
  }

  get isEmpty(): boolean {
    return this.#le.length === 0;
  }

  /** Whether exactly this bit is set. */
  isSet(bit: number): boolean {
    if (!Number.isInteger(bit) || bit < 0) return false;
    const byte = this.#le[bit >>> 3];
    return byte !== undefined && (byte & (1 << (bit & 7))) !== 0;
  }

  /**
   * BOLT 1: a feature is *offered* if either bit of its pair is set. With `support`, asks for that
   * bit only. `feature` is a BOLT 9 name or a bit number (meaning the pair holding it).
   */
  has(feature: string | number, support?: FeatureSupport): boolean {
    const even =
      typeof feature === 'number' ? (feature >= 0 && Number.isInteger(feature) ? feature - (feature % 2) : -1) : spec(feature).bit;
    if (even < 0) return false;
    if (support === 'required') return this.isSet(even);
    if (support === 'optional') return this.isSet(even + 1);
    return this.isSet(even) || this.isSet(even + 1);
  }

  /** The even bit is set. BOLT 9: "if both the optional and the mandatory feature bits in a pair
   * are set, the feature should be treated as mandatory" — so this is true then too. */
  requires(feature: string | number): boolean {
    return this.has(feature, 'required');
  }

  withBit(bit: number): FeatureVector {
    checkBit(bit);
    const i = bit >>> 3;
    const le = new Uint8Array(Math.max(this.#le.length, i + 1));
    le.set(this.#le);
    le[i]! |= 1 << (bit & 7);
    return new FeatureVector(le);
  }

  withoutBit(bit: number): FeatureVector {
    if (!this.isSet(bit)) return this;
    const le = this.#le.slice();
    le[bit >>> 3]! &= ~(1 << (bit & 7));
    return new FeatureVector(trim(le));
  }

  /** Sets the feature's even (`required`) or odd (`optional`) bit, clearing the other one
   * (BOLT 9: the origin "MUST NOT set both the optional and mandatory bits"). */
  withFeature(feature: string, support: FeatureSupport = 'optional'): FeatureVector {
    const { bit } = spec(feature);
    return support === 'required' ? this.withoutBit(bit + 1).withBit(bit) : this.withoutBit(bit).withBit(bit + 1);
  }

  /** Clears both bits of the feature's pair. */
  withoutFeature(feature: string): FeatureVector {
    const { bit } = spec(feature);
    return this.withoutBit(bit).withoutBit(bit + 1);
  }

  /** Bitwise OR. BOLT 1 `init`: the receiver "MUST combine (bitwise OR) the two feature bitmaps
   * into one logical `features` map". */
  or(other: FeatureVector): FeatureVector {
    const [long, short] = this.#le.length >= other.#le.length ? [this.#le, other.#le] : [other.#le, this.#le];
    const le = long.slice();
    for (let i = 0; i < short.length; i++) le[i]! |= short[i]!;
    return new FeatureVector(le);
  }

  equals(other: FeatureVector): boolean {
    const a = this.#le;
    const b = other.#le;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** Set bits, ascending. */
  bits(): number[] {
    const out: number[] = [];
    const le = this.#le;
    for (let i = 0; i < le.length; i++) {
      const byte = le[i]!;
      if (byte === 0) continue;
      for (let j = 0; j < 8; j++) if (byte & (1 << j)) out.push(i * 8 + j);
    }
    return out;
  }

  /** Set bits with their BOLT 9 names, ascending (both bits of a pair appear if both are set). */
  list(): FeatureBit[] {
    return this.bits().map(bit => ({
      bit,
      name: featureByBit(bit)?.name ?? `unknown_${bit - (bit % 2)}`,
      support: bit % 2 === 0 ? 'required' : 'optional',
    }));
  }

  /** Names of the offered features, ascending, each once (`unknown_<even bit>` if unassigned). */
  names(): string[] {
    const out: string[] = [];
    for (const f of this.list()) if (out[out.length - 1] !== f.name) out.push(f.name);
    return out;
  }

  toString(): string {
    return this.list()
      .map(f => `${f.name}/${f.support === 'required' ? 'even' : 'odd'}`)
      .join(',');
  }
}

/** BOLT 1 `init`: the receiver "MUST combine (bitwise OR) the two feature bitmaps". */
export function initFeatures(globalfeatures: Uint8Array, features: Uint8Array): FeatureVector {
  return FeatureVector.fromBytes(globalfeatures).or(FeatureVector.fromBytes(features));
}
