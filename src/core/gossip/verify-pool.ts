// Signature checks off gossipd's message loop (design.md "gossip in": "check signatures off the main
// path"). A full mainnet ingest is about 322,000 ECDSA checks (BOLT 7: four per
// channel_announcement, one per node_announcement and channel_update), so they run in a small pool
// of workers. This file is the pure part: the SigVerifier interface, the packed batch format that
// crosses a port as one transferable buffer, the pool's scheduling (split, order, retry, close) over
// an injected `spawn`, the worker's message handler, and an in-thread verifier for runtimes without
// workers and for tests. src/node/verify-pool.ts and src/web/verify-pool.ts supply real workers.
import { BoltError } from '../base/errors.ts';
import { nobleEngine, selectEngine, type EngineName, type VerifyEngine } from '../crypto/verify-engines.ts';

export interface VerifyItem {
  /** 64-byte compact signature (BOLT 1 `signature`). */
  sig: Uint8Array;
  /** 32-byte digest that was signed (BOLT 7: sha256d of the signed part of the message). */
  digest: Uint8Array;
  /** 33-byte compressed public key that must have signed. */
  pub: Uint8Array;
  /**
   * The BOLT 7 field checked (signatures.ts SignatureField), as a hint: a `bitcoin_signature_*` key
   * signs once, every other key (a node_id) signs again and is worth keeping decompressed.
   */
  field?: string;
}

/** Whether an item's key is likely to sign again (see VerifyItem.field); only a cache hint. */
export function keyReused(it: VerifyItem): boolean {
  return !it.field?.startsWith('bitcoin_');
}

export interface SigVerifier {
  /** One verdict per item, in order: 1 = valid, 0 = invalid (a malformed item is invalid). */
  verifyBatch(items: readonly VerifyItem[]): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * A pool failure: 'worker_died' (a chunk's worker died, and so did the one it was retried on),
 * 'worker_failed' (a worker answered with an error or a malformed result), 'closed'.
 */
export class VerifyPoolError extends BoltError {}

// ---- the packed format: per item sig(64) | digest(32) | pub(33) | flags(1) ----
export const ITEM_BYTES = 130;
const DIGEST_AT = 64;
const PUB_AT = 96;
const FLAGS_AT = 129;
/** flags bit 0: the key is likely to sign again (keyReused). */
const FLAG_KEY_REUSED = 1;

/** Packs items [start, end) into one buffer. A malformed item packs as zeros (invalid in every engine). */
export function packItems(items: readonly VerifyItem[], start = 0, end = items.length): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array((end - start) * ITEM_BYTES);
  for (let i = start; i < end; i++) {
    const it = items[i]!;
    if (!wellFormed(it)) continue;
    const at = (i - start) * ITEM_BYTES;
    out.set(it.sig, at);
    out.set(it.digest, at + DIGEST_AT);
    out.set(it.pub, at + PUB_AT);
    out[at + FLAGS_AT] = keyReused(it) ? FLAG_KEY_REUSED : 0;
  }
  return out;
}

function wellFormed(it: VerifyItem | undefined): boolean {
  return (
    !!it &&
    it.sig instanceof Uint8Array &&
    it.sig.length === 64 &&
    it.digest instanceof Uint8Array &&
    it.digest.length === 32 &&
    it.pub instanceof Uint8Array &&
    it.pub.length === 33
  );
}

/** Verifies every packed item with one engine (the loop a worker runs). */
export function verifyPacked(packed: Uint8Array, engine: VerifyEngine): Uint8Array<ArrayBuffer> {
  const n = Math.floor(packed.length / ITEM_BYTES);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const at = i * ITEM_BYTES;
    const sig = packed.subarray(at, at + DIGEST_AT);
    const digest = packed.subarray(at + DIGEST_AT, at + PUB_AT);
    const pub = packed.subarray(at + PUB_AT, at + FLAGS_AT);
    out[i] = engine.verify(sig, digest, pub, (packed[at + FLAGS_AT]! & FLAG_KEY_REUSED) !== 0) ? 1 : 0;
  }
  return out;
}

/**
 * Verdicts for items [start, end) into out[start, end) in this thread: the loop that InlineVerifier
 * and signatures.ts verifyGossipSignatures share. A malformed item is invalid.
 */
export function verifyItems(
  items: readonly VerifyItem[],
  engine: VerifyEngine = nobleEngine,
  out: Uint8Array = new Uint8Array(items.length),
  start = 0,
  end = items.length,
): Uint8Array {
  for (let i = start; i < end; i++) {
    const it = items[i]!;
    out[i] = wellFormed(it) && engine.verify(it.sig, it.digest, it.pub, keyReused(it)) ? 1 : 0;
  }
  return out;
}

// ---- the in-thread verifier ----
export interface InlineVerifierOptions {
  /** Default: @noble/secp256k1 through crypto.ts verifyDigest. */
  engine?: VerifyEngine;
  /** Called between chunks so a caller can yield to its event loop (core has no timers). */
  pause?: () => Promise<void>;
  /** Items per chunk between pauses; default 256. */
  chunk?: number;
}

/** Verifies in the caller's thread: edge runtimes without workers, and tests. */
export class InlineVerifier implements SigVerifier {
  readonly #engine: VerifyEngine;
  readonly #pause: (() => Promise<void>) | undefined;
  readonly #chunk: number;
  #closed = false;

  constructor(opts: InlineVerifierOptions = {}) {
    this.#engine = opts.engine ?? nobleEngine;
    this.#pause = opts.pause;
    this.#chunk = Math.max(1, opts.chunk ?? 256);
  }

  get engine(): EngineName {
    return this.#engine.name;
  }

  async verifyBatch(items: readonly VerifyItem[]): Promise<Uint8Array> {
    const out = new Uint8Array(items.length);
    const step = this.#pause ? this.#chunk : Math.max(1, items.length);
    for (let i = 0; i < items.length; i += step) {
      if (i > 0) await this.#pause!();
      if (this.#closed) throw new VerifyPoolError('closed', 'verifier closed');
      verifyItems(items, this.#engine, out, i, Math.min(i + step, items.length));
    }
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

// ---- what crosses a worker's port ----
export type EngineChoice = 'auto' | EngineName;

export type ToVerifyWorker =
  /** Sent first by the runtime's pool: which engine, and a compiled secp256k1.wasm if there is one. */
  | { t: 'init'; engine: EngineChoice; wasm?: unknown; keyCache?: number }
  /** Packed items, transferred. */
  | { t: 'verify'; id: number; items: ArrayBuffer }
  /** Test hook: the worker dies as a crash would kill it (handled by the runtime's worker entry). */
  | { t: 'crash' };

export type FromVerifyWorker =
  | { t: 'ready'; engine: EngineName }
  /** One byte per item, transferred. */
  | { t: 'result'; id: number; verdicts: ArrayBuffer }
  | { t: 'error'; id: number; message: string };

/**
 * The worker side: the first 'init' picks the engine (crypto-verify.ts selectEngine), then each
 * 'verify' is answered in arrival order (ones that arrive before 'init' wait for it). Returns the
 * handler for incoming messages; the runtime's worker entry wires it to its port and handles 'crash'.
 */
export function serveVerifyWorker(
  post: (msg: FromVerifyWorker, transfer: ArrayBuffer[]) => void,
  randomInt32: () => number,
): (msg: ToVerifyWorker) => void {
  let choose!: (e: Promise<VerifyEngine>) => void;
  const engine = new Promise<VerifyEngine>(resolve => (choose = resolve));
  let initialised = false;
  return msg => {
    if (msg?.t === 'init' && !initialised) {
      initialised = true;
      const chosen = selectEngine(msg.engine, msg.wasm, randomInt32, msg.keyCache !== undefined ? { keyCache: msg.keyCache } : {});
      choose(chosen);
      chosen.then(e => post({ t: 'ready', engine: e.name }, []));
      return;
    }
    if (msg?.t !== 'verify') return;
    const { id, items } = msg;
    engine.then(e => {
      let verdicts: ArrayBuffer;
      try {
        verdicts = verifyPacked(new Uint8Array(items), e).buffer;
      } catch (err) {
        post({ t: 'error', id, message: String((err as Error)?.message ?? err) }, []);
        return;
      }
      post({ t: 'result', id, verdicts }, [verdicts]);
    });
  };
}

// ---- the pool ----
/** One worker as the pool sees it. */
export interface VerifyWorkerHandle {
  post(msg: ToVerifyWorker, transfer: ArrayBuffer[]): void;
  terminate(): void | Promise<unknown>;
}

/** What a worker reports; `died` for any exit or uncaught error. Calls after death are ignored. */
export interface VerifyWorkerEvents {
  message(msg: FromVerifyWorker): void;
  died(reason: string): void;
}

export type SpawnVerifyWorker = (events: VerifyWorkerEvents, index: number) => VerifyWorkerHandle;

export interface VerifyPoolOptions {
  /** Number of workers (at least 1). */
  size: number;
  spawn: SpawnVerifyWorker;
  /** Largest chunk sent to one worker; default 1024 items (about 0.1 s of WASM checks). */
  maxChunk?: number;
  /**
   * Chunks a worker may hold at once, default 2: it starts the next as soon as it finishes one,
   * instead of idling until the pool's thread (busy with gossip) reads its answer and sends more.
   */
  depth?: number;
}

interface Batch {
  packed: Uint8Array;
  out: Uint8Array;
  pending: number;
  done: boolean;
  resolve(v: Uint8Array): void;
  reject(e: Error): void;
}

interface Chunk {
  batch: Batch;
  /** First item and count in the batch. */
  first: number;
  count: number;
  /** How many workers it has been sent to. */
  attempts: number;
}

interface Slot {
  handle: VerifyWorkerHandle | null;
  /** Chunks sent and not answered, oldest first. */
  busy: Chunk[];
  dead: boolean;
}

/**
 * Splits each batch into chunks, up to `depth` per worker at a time, and writes verdicts back in
 * order. A worker that dies is replaced when there is work for it; the chunks it held are retried
 * once on another worker, and if a chunk's second worker dies too its whole batch rejects with
 * VerifyPoolError('worker_died').
 */
export class VerifyPool implements SigVerifier {
  readonly size: number;
  readonly #spawn: SpawnVerifyWorker;
  readonly #maxChunk: number;
  readonly #depth: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Chunk[] = [];
  readonly #inFlight = new Map<number, Chunk>();
  #nextId = 1;
  #closed = false;
  #spawned = 0;
  #engine: Promise<EngineName>;
  #engineSettle!: { resolve(e: EngineName): void; reject(e: Error): void };

  constructor(opts: VerifyPoolOptions) {
    this.size = Number.isFinite(opts.size) ? Math.max(1, Math.floor(opts.size)) : 1;
    this.#spawn = opts.spawn;
    this.#maxChunk = Math.max(1, Math.floor(opts.maxChunk ?? 1024));
    this.#depth = Math.max(1, Math.floor(opts.depth ?? 2));
    this.#engine = new Promise((resolve, reject) => (this.#engineSettle = { resolve, reject }));
    this.#engine.catch(() => {});
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#start(i));
  }

  /** The engine the first ready worker chose. */
  engine(): Promise<EngineName> {
    return this.#engine;
  }

  /** How many workers were ever started (replacements included). */
  get spawned(): number {
    return this.#spawned;
  }

  verifyBatch(items: readonly VerifyItem[]): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new VerifyPoolError('closed', 'verify pool closed'));
    return this.verifyPacked(packItems(items));
  }

  /** Like verifyBatch for items already packed (ITEM_BYTES each); the buffer is not kept after. */
  verifyPacked(packed: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new VerifyPoolError('closed', 'verify pool closed'));
    const n = Math.floor(packed.length / ITEM_BYTES);
    if (n === 0) return Promise.resolve(new Uint8Array(0));
    return new Promise<Uint8Array>((resolve, reject) => {
      const parts = Math.max(Math.ceil(n / this.#maxChunk), Math.min(this.size, n));
      const per = Math.ceil(n / parts);
      const batch: Batch = { packed, out: new Uint8Array(n), pending: 0, done: false, resolve, reject };
      for (let first = 0; first < n; first += per) {
        this.#queue.push({ batch, first, count: Math.min(per, n - first), attempts: 0 });
        batch.pending++;
      }
      this.#pump();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const err = new VerifyPoolError('closed', 'verify pool closed');
    for (const c of [...this.#queue, ...this.#inFlight.values()]) this.#fail(c.batch, err);
    this.#queue.length = 0;
    this.#inFlight.clear();
    this.#engineSettle.reject(err);
    const ends = this.#slots.map(s => {
      s.dead = true;
      const h = s.handle;
      s.handle = null;
      return h
        ? Promise.resolve()
            .then(() => h.terminate())
            .catch(() => {})
        : undefined;
    });
    await Promise.all(ends);
  }

  #start(index: number): Slot {
    const slot: Slot = { handle: null, busy: [], dead: false };
    this.#spawned++;
    try {
      slot.handle = this.#spawn(
        {
          message: msg => {
            if (!slot.dead) this.#onMessage(slot, msg);
          },
          died: reason => {
            if (!slot.dead) this.#onDeath(slot, reason);
          },
        },
        index,
      );
    } catch {
      slot.dead = true;
    }
    return slot;
  }

  #onMessage(slot: Slot, msg: FromVerifyWorker): void {
    if (msg?.t === 'ready') {
      this.#engineSettle.resolve(msg.engine);
      return;
    }
    if (msg?.t !== 'result' && msg?.t !== 'error') return;
    const chunk = this.#inFlight.get(msg.id);
    const at = chunk ? slot.busy.indexOf(chunk) : -1;
    if (!chunk || at < 0) return;
    this.#inFlight.delete(msg.id);
    slot.busy.splice(at, 1);
    const verdicts = msg.t === 'result' && msg.verdicts instanceof ArrayBuffer ? new Uint8Array(msg.verdicts) : null;
    if (!verdicts || verdicts.length !== chunk.count) {
      const why = msg.t === 'error' ? msg.message : 'malformed result';
      this.#fail(chunk.batch, new VerifyPoolError('worker_failed', `verify worker failed: ${why}`));
    } else if (!chunk.batch.done) {
      // Only 0 or 1 leave the pool, whatever a worker sent.
      for (let i = 0; i < verdicts.length; i++) chunk.batch.out[chunk.first + i] = verdicts[i] === 1 ? 1 : 0;
      if (--chunk.batch.pending === 0) {
        chunk.batch.done = true;
        chunk.batch.resolve(chunk.batch.out);
      }
    }
    this.#pump();
  }

  #onDeath(slot: Slot, reason: string): void {
    slot.dead = true;
    const h = slot.handle;
    slot.handle = null;
    if (h)
      Promise.resolve()
        .then(() => h.terminate())
        .catch(() => {});
    const held = slot.busy;
    slot.busy = [];
    for (const [id, c] of this.#inFlight) if (held.includes(c)) this.#inFlight.delete(id);
    // Back to the front of the queue in their order, each for its second (and last) try.
    const retry: Chunk[] = [];
    for (const chunk of held) {
      if (chunk.attempts >= 2) {
        this.#fail(chunk.batch, new VerifyPoolError('worker_died', `verify worker died twice on one chunk: ${reason}`));
      } else if (!chunk.batch.done) {
        retry.push(chunk);
      }
    }
    this.#queue.unshift(...retry.filter(c => !c.batch.done));
    this.#pump();
  }

  #fail(batch: Batch, err: Error): void {
    if (batch.done) return;
    batch.done = true;
    for (let i = this.#queue.length - 1; i >= 0; i--) if (this.#queue[i]!.batch === batch) this.#queue.splice(i, 1);
    batch.reject(err);
  }

  #pump(): void {
    if (this.#closed) return;
    // Level by level: every worker gets a first chunk before any gets a second.
    for (let level = 0; level < this.#depth && this.#queue.length > 0; level++) {
      for (let i = 0; i < this.#slots.length && this.#queue.length > 0; i++) {
        let slot = this.#slots[i]!;
        if (slot.dead) {
          slot = this.#start(i);
          this.#slots[i] = slot;
          if (slot.dead) continue;
        }
        if (slot.busy.length > level) continue;
        this.#send(slot, this.#queue.shift()!);
      }
    }
    // No worker could be started at all: nothing would ever take the queue.
    if (this.#queue.length > 0 && this.#slots.every(s => s.dead)) {
      const err = new VerifyPoolError('worker_died', 'no verify worker could be started');
      for (const c of this.#queue.splice(0)) this.#fail(c.batch, err);
    }
  }

  #send(slot: Slot, chunk: Chunk): void {
    const id = this.#nextId++;
    chunk.attempts++;
    slot.busy.push(chunk);
    this.#inFlight.set(id, chunk);
    // A copy for each send: the transfer detaches it, and a retry needs the bytes again.
    const items = chunk.batch.packed.slice(chunk.first * ITEM_BYTES, (chunk.first + chunk.count) * ITEM_BYTES).buffer;
    try {
      slot.handle!.post({ t: 'verify', id, items }, [items]);
    } catch (e) {
      this.#onDeath(slot, `post failed: ${(e as Error)?.message ?? e}`);
    }
  }
}
