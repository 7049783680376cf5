// lightningd's database on the edge: its records (db-records.ts) in the Durable Object's storage,
// one value per record under `lightningd/<id>`, each batch one `transaction()` (all of it or none;
// the object's output gate holds back every outgoing message until it is durable). A value is at
// most 128 KiB and a key at most 2 KiB there, so a record is stored as the JSON text of
// [key, json] cut into parts of PART characters (at most 64 KiB even as a two-byte string): the
// first beside the part count under `lightningd/<id>`, the others under `lightningd-part/<id>/<i>`;
// <id> is `=` and the key, or `#` and its SHA-256 when the key is long. Before records the whole
// state was the one value `lightningd` (LEGACY_STATE_KEY): it loads as such, and the first batch
// deletes it.
import type { LightningdStorage } from '../core/daemons/lightningd/db.ts';
import { LEGACY_STATE_KEY } from '../core/daemons/lightningd/db-records.ts';
import { sha256 } from '../core/crypto/primitives.ts';
import { toHex } from '../core/base/bytes.ts';

const BASE = 'lightningd/';
const PARTS = 'lightningd-part/';
/** Characters of a record's text per value. */
const PART = 32 * 1024;
/** Keys longer than this (in characters, up to 4 UTF-8 bytes each) go by their hash. */
const MAX_DIRECT_KEY = 256;

/** What this store needs of Durable Object storage (a structural subset of DurableObjectStorage). */
export interface DoKvStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  list<T = unknown>(options: { prefix: string }): Promise<Map<string, T>>;
  transaction<T>(
    closure: (txn: { put(key: string, value: unknown): Promise<void>; delete(key: string): Promise<boolean> }) => Promise<T>,
  ): Promise<T>;
}

interface Head {
  /** How many parts the record's text has (the first is here). */
  n: number;
  p: string;
}

const idOf = (key: string): string => (key.length <= MAX_DIRECT_KEY ? `=${key}` : `#${toHex(sha256(new TextEncoder().encode(key)))}`);
const partKey = (id: string, i: number): string => `${PARTS}${id}/${i}`;

export class DoLightningdStorage implements LightningdStorage {
  /** Parts each stored record has, by id (to delete those a smaller value or a delete leaves). */
  #parts: Map<string, number> | undefined;

  constructor(private readonly storage: DoKvStorage) {}

  async load(): Promise<Map<string, string>> {
    const [heads, parts, legacy] = await Promise.all([
      this.storage.list<Head>({ prefix: BASE }),
      this.storage.list<string>({ prefix: PARTS }),
      this.storage.get<unknown>(LEGACY_STATE_KEY),
    ]);
    const out = new Map<string, string>();
    this.#parts = new Map();
    for (const [dk, head] of heads) {
      const id = dk.slice(BASE.length);
      let text = head.p;
      for (let i = 1; i < head.n; i++) {
        const part = parts.get(partKey(id, i));
        if (part === undefined) throw new Error(`lightningd's database: part ${i} of ${id} is missing`);
        text += part;
      }
      const [key, json] = JSON.parse(text) as [string, string];
      out.set(key, json);
      this.#parts.set(id, head.n);
    }
    if (legacy !== undefined) out.set(LEGACY_STATE_KEY, JSON.stringify(legacy));
    return out;
  }

  async write(puts: [string, string][], deletes: string[]): Promise<void> {
    const parts = this.#parts ?? (await this.load(), this.#parts!);
    const next = new Map(parts);
    await this.storage.transaction(async txn => {
      const ops: Promise<unknown>[] = [];
      const drop = (id: string, from: number): void => {
        const had = next.get(id) ?? 0;
        for (let i = Math.max(1, from); i < had; i++) ops.push(txn.delete(partKey(id, i)));
        if (from === 0 && had > 0) ops.push(txn.delete(BASE + id));
      };
      for (const k of deletes) {
        if (k === LEGACY_STATE_KEY) {
          ops.push(txn.delete(LEGACY_STATE_KEY));
          continue;
        }
        const id = idOf(k);
        drop(id, 0);
        next.delete(id);
      }
      for (const [k, json] of puts) {
        const id = idOf(k);
        const text = JSON.stringify([k, json]);
        const n = Math.max(1, Math.ceil(text.length / PART));
        drop(id, n);
        ops.push(txn.put(BASE + id, { n, p: text.slice(0, PART) } satisfies Head));
        for (let i = 1; i < n; i++) ops.push(txn.put(partKey(id, i), text.slice(i * PART, (i + 1) * PART)));
        next.set(id, n);
      }
      await Promise.all(ops);
    });
    this.#parts = next;
  }
}
