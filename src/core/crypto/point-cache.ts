// A bounded least-recently-used map from a 33-byte compressed secp256k1 key to its 65-byte
// uncompressed form, so a verify engine parses a key that signs again (a BOLT 7 node_id signs
// every channel_update and node_announcement of its node) without the field square root that
// decompression costs. Entries live in one slab; the map is keyed by the key's exact 33 bytes, so
// two keys never share an entry.

export const COMPRESSED_BYTES = 33;
export const UNCOMPRESSED_BYTES = 65;

/** The exact bytes of a key as a string (one char per byte): a Map key with no collisions. */
function keyOf(pub: Uint8Array): string {
  return String.fromCharCode.apply(null, pub as unknown as number[]);
}

export class PointCache {
  readonly capacity: number;
  readonly #slab: Uint8Array;
  /** Key -> slot; Map order is recency order (oldest first). */
  readonly #slots = new Map<string, number>();

  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.#slab = new Uint8Array(this.capacity * UNCOMPRESSED_BYTES);
  }

  get size(): number {
    return this.#slots.size;
  }

  /** The cached uncompressed form of `pub` (a view valid until the next `set`), or undefined. */
  get(pub: Uint8Array): Uint8Array | undefined {
    const k = keyOf(pub);
    const slot = this.#slots.get(k);
    if (slot === undefined) return undefined;
    this.#slots.delete(k);
    this.#slots.set(k, slot);
    const at = slot * UNCOMPRESSED_BYTES;
    return this.#slab.subarray(at, at + UNCOMPRESSED_BYTES);
  }

  /** Remembers `point` (65 bytes) for `pub`, evicting the least recently used entry when full. */
  set(pub: Uint8Array, point: Uint8Array): void {
    const k = keyOf(pub);
    let slot = this.#slots.get(k);
    if (slot !== undefined) {
      this.#slots.delete(k);
    } else if (this.#slots.size < this.capacity) {
      slot = this.#slots.size;
    } else {
      const oldest = this.#slots.keys().next().value as string;
      slot = this.#slots.get(oldest)!;
      this.#slots.delete(oldest);
    }
    this.#slots.set(k, slot);
    this.#slab.set(point.subarray(0, UNCOMPRESSED_BYTES), slot * UNCOMPRESSED_BYTES);
  }

  has(pub: Uint8Array): boolean {
    return this.#slots.has(keyOf(pub));
  }
}

/**
 * Whether `point` (65 bytes, 0x04 | x | y) is the uncompressed form of `pub` (33 bytes, 0x02/0x03
 * | x): same x, and y's parity as the prefix says. With y on the curve (the verifier's parse checks
 * that) this pins the point, so a cached form can never stand for another key.
 */
export function isUncompressedOf(point: Uint8Array, pub: Uint8Array): boolean {
  if (point.length < UNCOMPRESSED_BYTES || pub.length !== COMPRESSED_BYTES || point[0] !== 0x04) return false;
  if (pub[0] !== 0x02 && pub[0] !== 0x03) return false;
  for (let i = 1; i < COMPRESSED_BYTES; i++) if (point[i] !== pub[i]) return false;
  return (point[UNCOMPRESSED_BYTES - 1]! & 1) === (pub[0] & 1);
}
