// A ChainSource (gossipd's funding-output check) over the Esplora HTTP API (Blockstream's esplora /
// electrs, mempool.space: the same paths). Pure: the runtime injects a fetch-like function and its
// timers, so the same class runs in a browser, on the edge and in Node.
//
// BOLT 7 "The channel_announcement Message", receiving node: "if the short_channel_id's output does
// NOT correspond to a P2WSH (using bitcoin_key_1 and bitcoin_key_2, as specified in BOLT #3) OR the
// output is spent: MUST ignore the message." A short_channel_id names the output by block height,
// transaction index and output index (BOLT 7 "Definition of short_channel_id"); Esplora walks it:
//   GET /block-height/:height          -> block hash (text)        (cached by height)
//   GET /block/:hash/txid/:index       -> txid (text)              (cached)
//   GET /tx/:txid                      -> { vout: [{ scriptpubkey, value }] }
//   GET /tx/:txid/outspend/:vout       -> { spent }
//   GET /blocks/tip/height             -> height (text)
//   GET /block/:hash/raw               -> the block (binary), read for spends (spends.ts, block.ts)
// HTTP 404 means "no such block / transaction / output": the answer is `undefined`. Anything else
// that is not a usable 200 (5xx, 429, a timeout, a network failure, a malformed body) is a
// ChainSourceError, so the caller can tell "the chain says no" from "we could not ask".
import { fromHex } from '../base/bytes.ts';
import { scidParts } from '../wire/scid.ts';
import { ChainSourceError } from './errors.ts';
import { SpendFollower, type SpendFollowerOptions, type SpendScan } from './spends.ts';

export { ChainSourceError };

/** The part of a fetch Response we read (the global `fetch`'s Response fits). */
export interface FetchResponseLike {
  status: number;
  json(): Promise<unknown>;
  text(): Promise<string>;
  /** For `/block/:hash/raw` (the global `fetch`'s Response has it). */
  arrayBuffer?(): Promise<ArrayBuffer>;
}

/** The global `fetch` fits; `init.signal` is passed only when an abort controller is available. */
export type FetchLike = (url: string, init?: { signal?: any }) => Promise<FetchResponseLike>;

/** Timers for the per-request timeout (the daemons' Clock fits). */
export interface TimerLike {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface AbortLike {
  signal: unknown;
  abort(): void;
}

export interface FundingOutput {
  amount_sat: number;
  scriptPubKey: Uint8Array;
  /** The funding transaction's txid, display order (gossipd watches the output for its spend). */
  txid: string;
}

export interface EsploraOptions {
  /** e.g. `https://blockstream.info/api`, `https://mempool.space/testnet/api` (no trailing slash needed). */
  baseUrl: string;
  fetch: FetchLike;
  clock: TimerLike;
  /** Requests in flight at once (default 4). */
  maxConcurrent?: number;
  /** Per request, body included (default 15,000 ms). */
  timeoutMs?: number;
  /** Block hashes (and txids) kept by height (default 10,000 each; the oldest go first). */
  maxCached?: number;
  /** Makes an AbortController for each request so a timeout cancels it; default the global one, if any. */
  abortController?: () => AbortLike;
  /** How `newSpends` follows the chain (spends.ts). */
  spends?: SpendFollowerOptions;
}

export interface EsploraStats {
  /** HTTP requests sent. */
  requests: number;
  /** Block hash or txid answers served from the cache (or shared with a request already in flight). */
  cache_hits: number;
  /** The most requests that were in flight at once. */
  max_in_flight: number;
}

const HASH_RE = /^[0-9a-f]{64}$/;
const DEFAULTS = { maxConcurrent: 4, timeoutMs: 15_000, maxCached: 10_000 };

function defaultAbort(): (() => AbortLike) | undefined {
  const AC = (globalThis as { AbortController?: new () => AbortLike }).AbortController;
  return AC ? () => new AC() : undefined;
}

/** BOLT 3 "Funding Transaction Output": P2WSH, `OP_0 <32-byte sha256(witnessScript)>`. */
function isP2wsh(s: Uint8Array): boolean {
  return s.length === 34 && s[0] === 0x00 && s[1] === 0x20;
}

export class EsploraChainSource {
  readonly stats: EsploraStats = { requests: 0, cache_hits: 0, max_in_flight: 0 };
  private readonly base: string;
  private readonly maxConcurrent: number;
  private readonly timeoutMs: number;
  private readonly maxCached: number;
  private readonly abort: (() => AbortLike) | undefined;
  /** Held unbound: a browser's fetch called as a method of another object throws "Illegal invocation". */
  private readonly fetchFn: FetchLike;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly hashes = new Map<number, string>();
  private readonly hashLookups = new Map<number, Promise<string | undefined>>();
  private readonly txids = new Map<string, string>();
  private readonly txidLookups = new Map<string, Promise<string | undefined>>();
  private readonly follower: SpendFollower;

  constructor(private readonly o: EsploraOptions) {
    if (!/^https?:\/\/[^/?#]+/.test(o.baseUrl)) throw new ChainSourceError('bad_url', `not an http(s) URL: ${o.baseUrl.slice(0, 80)}`);
    this.base = o.baseUrl.replace(/\/+$/, '');
    this.maxConcurrent = Math.max(1, o.maxConcurrent ?? DEFAULTS.maxConcurrent);
    this.timeoutMs = o.timeoutMs ?? DEFAULTS.timeoutMs;
    this.maxCached = Math.max(1, o.maxCached ?? DEFAULTS.maxCached);
    this.abort = o.abortController ?? defaultAbort();
    this.fetchFn = o.fetch;
    this.follower = new SpendFollower(
      {
        tipHeight: () => this.tipHeight(),
        currentBlockHash: h => this.getHash(`/block-height/${h}`),
        rawBlock: hash => this.rawBlock(hash),
      },
      o.spends,
    );
  }

  /** For getinfo: `esplora <base URL>`. */
  get description(): string {
    return `esplora ${this.base}`;
  }

  /**
   * gossipd's ChainSource: the unspent P2WSH output `short_channel_id` names, or undefined when
   * there is no such block, transaction or output, when it is not P2WSH, or when it is spent
   * (BOLT 7; a spend still in the mempool counts, as bitcoind's gettxout does for Core Lightning).
   * Throws ChainSourceError when the backend cannot answer.
   */
  async fundingOutput(short_channel_id: bigint): Promise<FundingOutput | undefined> {
    const { block, txindex, outnum } = scidParts(short_channel_id);
    const txid = await this.txidAt(block, txindex);
    if (txid === undefined) return undefined;
    const [tx, spend] = await Promise.all([this.getJson(`/tx/${txid}`), this.getJson(`/tx/${txid}/outspend/${outnum}`)]);
    if (tx === undefined) return undefined;
    const out = this.output(tx, txid, outnum);
    if (out === undefined || !isP2wsh(out.scriptPubKey)) return undefined;
    if (spend === undefined || this.spent(spend, txid, outnum)) return undefined;
    return { ...out, txid };
  }

  /**
   * gossipd's ChainSource spend watch: reads each block mined since the last call (one
   * `/block/:hash/raw` per block; the first call starts at the tip, or after block `after`) and returns the outputs
   * `watched` accepts that those blocks spend (spends.ts).
   */
  newSpends(watched: (txid: string, vout: number) => boolean, after?: number): Promise<SpendScan> {
    return this.follower.scan(watched, after);
  }

  /** A block as serialized on the wire. Throws ChainSourceError, 'bad_block' when there is no such block. */
  async rawBlock(hash: string): Promise<Uint8Array> {
    if (!HASH_RE.test(hash)) throw new ChainSourceError('bad_block', `not a block hash: ${hash.slice(0, 70)}`);
    const path = `/block/${hash}/raw`;
    const buf = await this.request(path, r => {
      if (typeof r.arrayBuffer !== 'function') throw new Error('the fetch response has no arrayBuffer()');
      return r.arrayBuffer();
    });
    if (buf === undefined) throw new ChainSourceError('bad_block', `${path}: no such block`);
    return new Uint8Array(buf);
  }

  /**
   * For pruning closed channels: true when the output `short_channel_id` names is spent, or when
   * its block or transaction is gone (a reorganisation). Throws ChainSourceError when the backend
   * cannot answer.
   */
  async isSpent(short_channel_id: bigint): Promise<boolean> {
    const { block, txindex, outnum } = scidParts(short_channel_id);
    const txid = await this.txidAt(block, txindex);
    if (txid === undefined) return true;
    const spend = await this.getJson(`/tx/${txid}/outspend/${outnum}`);
    return spend === undefined || this.spent(spend, txid, outnum);
  }

  /** The best chain's height (getinfo's `blockheight`). */
  async tipHeight(): Promise<number> {
    const t = await this.getText('/blocks/tip/height');
    const h = t === undefined ? NaN : Number(t);
    if (t === undefined || !/^\d+$/.test(t) || !Number.isSafeInteger(h))
      throw new ChainSourceError('bad_response', `/blocks/tip/height: not a height: ${String(t).slice(0, 40)}`);
    return h;
  }

  /** The hash (hex, as Esplora prints it) of the best chain's block at `height`; undefined past the tip. */
  blockHash(height: number): Promise<string | undefined> {
    const hit = this.hashes.get(height);
    if (hit !== undefined) {
      this.stats.cache_hits++;
      return Promise.resolve(hit);
    }
    const pending = this.hashLookups.get(height);
    if (pending) {
      this.stats.cache_hits++;
      return pending;
    }
    const p = this.getHash(`/block-height/${height}`).then(h => {
      // A block not yet mined is not remembered: it may be there next time.
      if (h !== undefined) remember(this.hashes, height, h, this.maxCached);
      return h;
    });
    this.hashLookups.set(height, p);
    const done = () => this.hashLookups.delete(height);
    p.then(done, done);
    return p;
  }

  /** The txid (hex) at `txindex` in the block at `height`, or undefined. */
  async txidAt(height: number, txindex: number): Promise<string | undefined> {
    const hash = await this.blockHash(height);
    if (hash === undefined) return undefined;
    const key = `${hash}/${txindex}`;
    const hit = this.txids.get(key);
    if (hit !== undefined) {
      this.stats.cache_hits++;
      return hit;
    }
    const pending = this.txidLookups.get(key);
    if (pending) {
      this.stats.cache_hits++;
      return pending;
    }
    const p = this.getHash(`/block/${hash}/txid/${txindex}`).then(t => {
      if (t !== undefined) remember(this.txids, key, t, this.maxCached);
      return t;
    });
    this.txidLookups.set(key, p);
    const done = () => this.txidLookups.delete(key);
    p.then(done, done);
    return p;
  }

  // ------------------------------------------------------------------ internals

  /** `vout[outnum]` of an Esplora transaction, or undefined if it has fewer outputs. */
  private output(tx: unknown, txid: string, outnum: number): Omit<FundingOutput, 'txid'> | undefined {
    const vout = (tx as { vout?: unknown } | null)?.vout;
    if (!Array.isArray(vout)) throw new ChainSourceError('bad_response', `/tx/${txid}: no vout array`);
    if (outnum >= vout.length) return undefined;
    const o = vout[outnum] as { scriptpubkey?: unknown; value?: unknown } | null;
    const value = o?.value;
    // Liquid's confidential outputs carry `valuecommitment` instead of `value`: not a Bitcoin answer.
    if (typeof o?.scriptpubkey !== 'string' || typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new ChainSourceError('bad_response', `/tx/${txid}: output ${outnum} has no scriptpubkey or value`);
    }
    try {
      return { amount_sat: value, scriptPubKey: fromHex(o.scriptpubkey) };
    } catch {
      throw new ChainSourceError('bad_response', `/tx/${txid}: output ${outnum}: scriptpubkey is not hex`);
    }
  }

  private spent(spend: unknown, txid: string, outnum: number): boolean {
    const s = (spend as { spent?: unknown } | null)?.spent;
    if (typeof s !== 'boolean') throw new ChainSourceError('bad_response', `/tx/${txid}/outspend/${outnum}: no spent flag`);
    return s;
  }

  /** A block hash or txid: 64 lowercase hex characters (checked, as it goes into the next URL). */
  private async getHash(path: string): Promise<string | undefined> {
    const t = await this.getText(path);
    if (t === undefined) return undefined;
    const h = t.trim().toLowerCase();
    if (!HASH_RE.test(h)) throw new ChainSourceError('bad_response', `${path}: not a 32-byte hash: ${t.slice(0, 70)}`);
    return h;
  }

  private getText(path: string): Promise<string | undefined> {
    return this.request(path, r => r.text());
  }

  private getJson(path: string): Promise<unknown> {
    return this.request(path, r => r.json());
  }

  /** One GET under the concurrency cap and the timeout: the body, or undefined on HTTP 404. */
  private async request<T>(path: string, read: (r: FetchResponseLike) => Promise<T>): Promise<T | undefined> {
    await this.acquire();
    try {
      return await this.timed(path, async signal => {
        this.stats.requests++;
        let r: FetchResponseLike;
        try {
          const f = this.fetchFn;
          r = await f(this.base + path, signal === undefined ? undefined : { signal });
        } catch (e) {
          throw new ChainSourceError('network', `${path}: ${(e as Error)?.message ?? e}`);
        }
        if (r.status !== 200) {
          await r.text().catch(() => ''); // let the connection go back to the pool
          if (r.status === 404) return undefined;
          throw new ChainSourceError('http_status', `${path}: HTTP ${r.status}`, r.status);
        }
        try {
          return await read(r);
        } catch (e) {
          throw new ChainSourceError('bad_response', `${path}: unreadable body: ${(e as Error)?.message ?? e}`);
        }
      });
    } finally {
      this.release();
    }
  }

  private timed<T>(path: string, run: (signal: unknown) => Promise<T>): Promise<T> {
    const ctl = this.abort?.();
    return new Promise<T>((resolve, reject) => {
      let over = false;
      const timer = this.o.clock.setTimeout(() => {
        over = true;
        ctl?.abort();
        reject(new ChainSourceError('timeout', `${path}: no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      run(ctl?.signal).then(
        v => {
          this.o.clock.clearTimeout(timer);
          if (!over) resolve(v);
        },
        e => {
          this.o.clock.clearTimeout(timer);
          if (!over) reject(e);
        },
      );
    });
  }

  private acquire(): Promise<void> {
    if (this.inFlight < this.maxConcurrent) {
      this.inFlight++;
      this.stats.max_in_flight = Math.max(this.stats.max_in_flight, this.inFlight);
      return Promise.resolve();
    }
    // The slot is handed over by release(), so inFlight stays counted.
    return new Promise<void>(r => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }
}

function remember<K, V>(m: Map<K, V>, k: K, v: V, max: number): void {
  m.delete(k);
  m.set(k, v);
  while (m.size > max) m.delete(m.keys().next().value as K);
}
