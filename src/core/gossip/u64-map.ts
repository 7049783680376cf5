// A hash map from u64 keys (bigint, such as a short_channel_id) to non-negative int32 values, in
// typed arrays: 12 bytes a slot, 2 to 4 slots an entry, where a Map of bigints costs 60 to 80 bytes
// an entry (each key a heap object of its own). The gossip store's index (store-log.ts) keeps every channel's and every
// channel_update's record position in these. Open addressing, linear probing, at most half full.

const EMPTY = -1;
const DELETED = -2;
const MIN_CAPACITY = 1024;

export class U64Map {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private val: Int32Array;
  private mask: number;
  /** Live entries. */
  size = 0;
  /** Slots live or deleted (a probe walks over both). */
  private used = 0;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
  }

  get(key: bigint): number | undefined {
    const i = this.find(key);
    return i >= 0 ? this.val[i] : undefined;
  }

  has(key: bigint): boolean {
    return this.find(key) >= 0;
  }

  set(key: bigint, value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff)
      throw new RangeError(`U64Map value ${value} is not a non-negative int32`);
    const f = this.find(key);
    if (f >= 0) {
      this.val[f] = value;
      return;
    }
    const i = -1 - f;
    if (this.val[i] === EMPTY) this.used++;
    this.hi[i] = Number(key >> 32n);
    this.lo[i] = Number(key & 0xffffffffn);
    this.val[i] = value;
    this.size++;
    if (this.used * 2 > this.val.length) this.rehash();
  }

  delete(key: bigint): boolean {
    const i = this.find(key);
    if (i < 0) return false;
    this.val[i] = DELETED;
    this.size--;
    return true;
  }

  /** Replaces every value `v` with `f(v)`. */
  remap(f: (value: number) => number): void {
    for (let i = 0; i < this.val.length; i++) if (this.val[i]! >= 0) this.val[i] = f(this.val[i]!);
  }

  /** The slot holding `key`, or -1 - the slot to put it in. */
  private find(key: bigint): number {
    if (key < 0n || key >= 1n << 64n) throw new RangeError('U64Map keys are u64');
    const hi = Number(key >> 32n);
    const lo = Number(key & 0xffffffffn);
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let i = h & this.mask;
    let free = -1;
    for (;;) {
      const v = this.val[i]!;
      if (v === EMPTY) return -1 - (free >= 0 ? free : i);
      if (v === DELETED) {
        if (free < 0) free = i;
      } else if (this.hi[i] === hi && this.lo[i] === lo) {
        return i;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Grows when more than a quarter is live, else only drops the deleted slots. */
  private rehash(): void {
    const { hi, lo, val } = this;
    const cap = this.size * 4 > val.length ? val.length * 2 : val.length;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.size = 0;
    this.used = 0;
    for (let i = 0; i < val.length; i++) {
      if (val[i]! >= 0) this.set((BigInt(hi[i]!) << 32n) | BigInt(lo[i]!), val[i]!);
    }
  }
}
