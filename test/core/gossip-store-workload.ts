// A synthetic stream of gossip store batches for the crash tests (Node: a child process killed with
// SIGKILL; Chromium: a Worker terminated mid-transaction), and the check of what survived. Each raw
// message carries its batch, its index and its own sha256, so a torn or mixed-up record shows.
//   batch b: 100..249 records with keys unique to (b, i), types mixed like mainnet's; one "head"
//   channel_update whose key every batch rewrites (superseding); and when b % 5 == 0 and b >= 10,
//   deletes of every key batch b - 10 wrote. Not a test file itself.
import { channelUpdateKey, type GossipKeyRef, type GossipRecord, type GossipRecordType } from '../../src/core/gossip/store.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { equal as bytesEqual, toHex } from '../../src/core/base/bytes.ts';

export const HEAD_KEY = channelUpdateKey(1n << 63n, 1);
const HEAD_INDEX = 0xffff;
const T0 = 1_600_000_000;

export function batchSize(b: number): number {
  return 100 + ((b * 37) % 150);
}

function typeOf(i: number): GossipRecordType {
  const k = i % 10;
  return k < 3 ? 256 : k < 9 ? 258 : 257;
}

function keyOf(b: number, i: number): bigint | string {
  const t = typeOf(i);
  const id = BigInt(b) * 1000n + BigInt(i);
  if (t === 256) return id;
  if (t === 258) return channelUpdateKey(id, (i & 1) as 0 | 1);
  return `02${toHex(sha256(new TextEncoder().encode(`node ${b} ${i}`)))}`;
}

/** xorshift32: cheap pseudo-random filler, seeded by batch and index. */
function filler(b: number, i: number, n: number): Uint8Array {
  let x = (b * 2654435761 + i * 40503 + 1) >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[j] = x & 0xff;
  }
  return out;
}

function raw(type: number, b: number, i: number): Uint8Array {
  const n = 40 + ((b * 131 + i * 17) % 860);
  const out = new Uint8Array(10 + n + 32);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, type);
  dv.setUint32(2, b);
  dv.setUint16(6, i);
  out.set(filler(b, i, n), 10);
  out.set(sha256(out.subarray(0, 10 + n)), 10 + n);
  return out;
}

export function makeBatch(b: number): { records: GossipRecord[]; deletes: GossipKeyRef[] } {
  const records: GossipRecord[] = [];
  for (let i = 0; i < batchSize(b); i++) {
    const type = typeOf(i);
    const r: GossipRecord = { type, key: keyOf(b, i), timestamp: T0 + b, raw: raw(type, b, i) };
    if (type === 256) r.extra = { amount_sat: b * 1000 + i };
    records.push(r);
  }
  records.push({ type: 258, key: HEAD_KEY, timestamp: T0 + b, raw: raw(258, b, HEAD_INDEX) });
  const deletes: GossipKeyRef[] = [];
  if (b % 5 === 0 && b >= 10) {
    for (let i = 0; i < batchSize(b - 10); i++) deletes.push({ type: typeOf(i), key: keyOf(b - 10, i) });
  }
  return { records, deletes };
}

export interface Verdict {
  /** The first batch not in the store: where ingestion resumes. */
  next: number;
  /** Everything wrong, empty when the store is as it must be. */
  problems: string[];
}

/**
 * Checks a loaded store: every record intact and where its batch put it; batches committed form a
 * prefix 0..next-1 in which each batch is whole (or wholly deleted by batch b + 10, if that one is
 * in); none partial; the head record is from the last batch; `acked` (the highest batch
 * acknowledged as durable, -1 for none) is below `next`.
 */
export function verifyStore(records: readonly GossipRecord[], acked: number): Verdict {
  const problems: string[] = [];
  const count = new Map<number, number>();
  let head: number | undefined;
  let max = -1;
  for (const r of records) {
    if (r.raw.length < 42) {
      problems.push(`record ${r.type}:${r.key} too short`);
      continue;
    }
    const dv = new DataView(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength);
    const end = r.raw.length - 32;
    if (!bytesEqual(sha256(r.raw.subarray(0, end)), r.raw.subarray(end))) {
      problems.push(`record ${r.type}:${r.key} fails its sha256`);
      continue;
    }
    const b = dv.getUint32(2);
    const i = dv.getUint16(6);
    if (i === HEAD_INDEX) {
      if (r.type !== 258 || r.key !== HEAD_KEY || head !== undefined) problems.push(`stray head record from batch ${b}`);
      head = b;
      continue;
    }
    const typeOk = r.type === typeOf(i) && dv.getUint16(0) === r.type;
    const keyOk = r.key === keyOf(b, i);
    const extraOk = r.type === 256 ? r.extra?.amount_sat === b * 1000 + i : r.extra === undefined;
    if (!typeOk || !keyOk || r.timestamp !== T0 + b || !extraOk || i >= batchSize(b)) {
      problems.push(`record (${b}, ${i}) is not what batch ${b} wrote`);
    }
    count.set(b, (count.get(b) ?? 0) + 1);
    if (b > max) max = b;
  }
  const next = max + 1;
  for (let b = 0; b < next; b++) {
    const deleted = b % 5 === 0 && b + 10 < next;
    const want = deleted ? 0 : batchSize(b);
    const got = count.get(b) ?? 0;
    if (got !== want)
      problems.push(`batch ${b}: ${got} of ${batchSize(b)} records${deleted ? ' (batch ' + (b + 10) + ' deleted them)' : ''}`);
  }
  if (next > 0 && head !== next - 1) problems.push(`head record from batch ${String(head)}, want ${next - 1}`);
  if (next === 0 && head !== undefined) problems.push('a head record without its batch');
  if (acked >= next) problems.push(`batch ${acked} was acknowledged but the store ends at ${next - 1}`);
  return { next, problems };
}
