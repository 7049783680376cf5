// lightningd's ChainBackend over the Esplora HTTP API (Blockstream's esplora/electrs, mempool.space,
// `boltworker regtest`: the same paths), for every runtime: the runtime injects a fetch-like
// function and its timers, so the same class runs in a browser, on the edge and in Node.
//
//   getchaininfo        GET /blocks/tip/height, and /block-height/0 once (the genesis block names the chain)
//   estimatefees        GET /fee-estimates                { "<blocks>": sat/vB, ... }
//   getrawblockbyheight GET /block-height/:h, then /block/:hash/raw
//   getutxout           GET /tx/:txid and /tx/:txid/outspend/:vout
//   sendrawtransaction  POST /tx (hex body)               txid, or HTTP 400 with bitcoind's refusal
//   submitpackage       POST /txs/package (JSON array of hex) bitcoind's submitpackage result
//   getblockhash        GET /block-height/:h
//   gettxidbyposition   GET /block-height/:h, then /block/:hash/txid/:index
//
// HTTP 404 means "no such block / transaction / output": the answer is `undefined`. A server that
// fails (5xx, 408, 429, a timeout, a network failure, a body we cannot read) is left for the next
// base URL, and once every URL has failed in a round the next round waits, each time twice as
// long (retry with backoff). After the last round the failure is a ChainSourceError, so lightningd
// can tell "the chain says no" from "we could not ask".
import { fromHex, toHex } from '../core/base/bytes.ts';
import type { ChainBackend, ChainInfo, FeeEstimates, RawBlock, SendResult, UtxOut } from '../core/chain/backend.ts';
import { bitcoindChainName, networkOfGenesis } from '../core/chain/chains.ts';
import { ChainSourceError } from '../core/chain/errors.ts';

export { ChainSourceError };

/** The part of a fetch Response we read (the global `fetch`'s Response fits). */
export interface FetchResponseLike {
  status: number;
  text(): Promise<string>;
  /** For `/block/:hash/raw` (the global `fetch`'s Response has it). */
  arrayBuffer?(): Promise<ArrayBuffer>;
}

export interface FetchInitLike {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  signal?: any;
}

/** The global `fetch` fits. */
export type FetchLike = (url: string, init?: FetchInitLike) => Promise<FetchResponseLike>;

/** Timers for timeouts and backoff (the daemons' Clock fits). */
export interface TimerLike {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface AbortLike {
  signal: unknown;
  abort(): void;
}

export interface EsploraOptions {
  /** One or more base URLs, e.g. `https://blockstream.info/api`; used in turn when one fails. */
  baseUrls: readonly string[];
  fetch: FetchLike;
  clock: TimerLike;
  /** Requests in flight at once (default 4). */
  maxConcurrent?: number;
  /** Per request, body included (default 15,000 ms). */
  timeoutMs?: number;
  /** Rounds over every URL after the first one failed everywhere (default 3). */
  retries?: number;
  /** The wait before the second round (default 1,000 ms); doubled each round, at most `maxBackoffMs` (default 30,000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Block hashes of buried blocks kept by height, and txids by position (default 10,000 each; the oldest go first). */
  maxCached?: number;
  /** Makes an AbortController for each request so a timeout cancels it; default the global one, if any. */
  abortController?: () => AbortLike;
}

export interface EsploraStats {
  /** HTTP requests sent (retries included). */
  requests: number;
  /** Requests that failed and were tried again (on the next URL, or after a backoff). */
  retries: number;
  cache_hits: number;
  max_in_flight: number;
}

const HASH_RE = /^[0-9a-f]{64}$/;
const DEFAULTS = { maxConcurrent: 4, timeoutMs: 15_000, maxCached: 10_000, retries: 3, backoffMs: 1_000, maxBackoffMs: 30_000 };
/** Block hashes cached by height only this deep below the tip: a reorganisation rarely reaches there. */
const CACHE_DEPTH = 6;
/** Bitcoin Core's minimum relay fee, 1 sat/vB: Esplora does not publish the mempool's own floor. */
const RELAY_FLOOR_PERKB = 1000;

function defaultAbort(): (() => AbortLike) | undefined {
  const AC = (globalThis as { AbortController?: new () => AbortLike }).AbortController;
  return AC ? () => new AC() : undefined;
}

/** A failure worth asking again (elsewhere, or later): the server's, not the request's. */
function retryable(e: unknown): boolean {
  if (!(e instanceof ChainSourceError)) return false;
  if (e.code === 'http_status') return e.status === undefined || e.status >= 500 || e.status === 408 || e.status === 429;
  return e.code === 'timeout' || e.code === 'network' || e.code === 'bad_response';
}

export class EsploraBackend implements ChainBackend {
  readonly stats: EsploraStats = { requests: 0, retries: 0, cache_hits: 0, max_in_flight: 0 };
  private readonly bases: string[];
  /** The URL asked first: the last one that answered. */
  private current = 0;
  private readonly maxConcurrent: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxCached: number;
  private readonly abort: (() => AbortLike) | undefined;
  /** Held unbound: a browser's fetch called as a method of another object throws "Illegal invocation". */
  private readonly fetchFn: FetchLike;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly hashes = new Map<number, string>();
  private readonly txids = new Map<string, string>();
  /** Lookups in flight by path: a second asker shares the first one's request (a gossip sync asks for many channels of one block at once). */
  private readonly pending = new Map<string, Promise<string | undefined>>();
  private tipSeen = -1;
  private chain: string | undefined;

  constructor(private readonly o: EsploraOptions) {
    if (!o.baseUrls.length) throw new ChainSourceError('bad_url', 'no Esplora URL given');
    for (const u of o.baseUrls)
      if (!/^https?:\/\/[^/?#]+/.test(u)) throw new ChainSourceError('bad_url', `not an http(s) URL: ${u.slice(0, 80)}`);
    this.bases = o.baseUrls.map(u => u.replace(/\/+$/, ''));
    this.maxConcurrent = Math.max(1, o.maxConcurrent ?? DEFAULTS.maxConcurrent);
    this.timeoutMs = o.timeoutMs ?? DEFAULTS.timeoutMs;
    this.retries = Math.max(0, o.retries ?? DEFAULTS.retries);
    this.backoffMs = Math.max(0, o.backoffMs ?? DEFAULTS.backoffMs);
    this.maxBackoffMs = Math.max(this.backoffMs, o.maxBackoffMs ?? DEFAULTS.maxBackoffMs);
    this.maxCached = Math.max(1, o.maxCached ?? DEFAULTS.maxCached);
    this.abort = o.abortController ?? defaultAbort();
    this.fetchFn = o.fetch;
  }

  /** For getinfo: `esplora <base URL>[, <base URL>...]`. */
  get description(): string {
    return `esplora ${this.bases.join(', ')}`;
  }

  // ------------------------------------------------------------------ ChainBackend

  async getchaininfo(): Promise<ChainInfo> {
    const height = await this.tipHeight();
    if (this.chain === undefined) {
      const genesis = await this.getHash('/block-height/0');
      const net = genesis === undefined ? undefined : networkOfGenesis(genesis);
      this.chain = net ? bitcoindChainName(net) : `unknown (genesis ${genesis})`;
    }
    return { chain: this.chain, headercount: height, blockcount: height, ibd: false };
  }

  async estimatefees(): Promise<FeeEstimates> {
    const body = await this.getText('/fee-estimates');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body ?? '');
    } catch {
      throw new ChainSourceError('bad_response', '/fee-estimates: not JSON');
    }
    if (!parsed || typeof parsed !== 'object') throw new ChainSourceError('bad_response', '/fee-estimates: not an object');
    const feerates: FeeEstimates['feerates'] = [];
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      const blocks = Number(k);
      // sat/vB → sat/kvB (Core Lightning's estimatefees unit).
      if (/^\d+$/.test(k) && blocks > 0 && typeof v === 'number' && Number.isFinite(v) && v > 0)
        feerates.push({ blocks, feerate: Math.round(v * 1000) });
    }
    feerates.sort((a, b) => a.blocks - b.blocks);
    return { feerate_floor: RELAY_FLOOR_PERKB, feerates };
  }

  async getrawblockbyheight(height: number): Promise<RawBlock | undefined> {
    const blockhash = await this.getblockhash(height);
    if (blockhash === undefined) return undefined;
    const block = await this.rawBlock(blockhash);
    // Replaced between the two requests (a reorganisation): no block at this height as asked.
    return block && { blockhash, block };
  }

  async getutxout(txid: string, vout: number): Promise<UtxOut | undefined> {
    if (!HASH_RE.test(txid) || !Number.isSafeInteger(vout) || vout < 0) return undefined;
    const [tx, spend] = await Promise.all([this.getJson(`/tx/${txid}`), this.getJson(`/tx/${txid}/outspend/${vout}`)]);
    if (tx === undefined || spend === undefined) return undefined;
    const vouts = (tx as { vout?: unknown } | null)?.vout;
    if (!Array.isArray(vouts)) throw new ChainSourceError('bad_response', `/tx/${txid}: no vout array`);
    if (vout >= vouts.length) return undefined;
    const s = (spend as { spent?: unknown } | null)?.spent;
    if (typeof s !== 'boolean') throw new ChainSourceError('bad_response', `/tx/${txid}/outspend/${vout}: no spent flag`);
    // Spent counts from the mempool on, as bitcoind's gettxout does for Core Lightning.
    if (s) return undefined;
    const o = vouts[vout] as { scriptpubkey?: unknown; value?: unknown } | null;
    const value = o?.value;
    // Liquid's confidential outputs carry `valuecommitment` instead of `value`: not a Bitcoin answer.
    if (typeof o?.scriptpubkey !== 'string' || typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      throw new ChainSourceError('bad_response', `/tx/${txid}: output ${vout} has no scriptpubkey or value`);
    try {
      return { amount_sat: value, script: fromHex(o.scriptpubkey) };
    } catch {
      throw new ChainSourceError('bad_response', `/tx/${txid}: output ${vout}: scriptpubkey is not hex`);
    }
  }

  async sendrawtransaction(tx: Uint8Array): Promise<SendResult> {
    try {
      const txid = await this.request('/tx', r => r.text(), { method: 'POST', body: toHex(tx), headers: { 'content-type': 'text/plain' } });
      return txid === undefined ? { success: false, errmsg: 'POST /tx: not found' } : { success: true };
    } catch (e) {
      // The server's refusal (HTTP 400 with bitcoind's reject reason), not a failure to ask.
      if (e instanceof ChainSourceError && e.code === 'refused') return { success: false, errmsg: e.message };
      throw e;
    }
  }

  /** A child and its parents together (Esplora's and mempool.space's POST /txs/package, bitcoind's submitpackage). */
  async submitpackage(txs: Uint8Array[]): Promise<SendResult> {
    try {
      const body = JSON.stringify(txs.map(t => toHex(t)));
      const r = await this.request('/txs/package', x => x.text(), {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      if (r === undefined) return { success: false, errmsg: 'POST /txs/package: not found' };
      const v = JSON.parse(r) as { package_msg?: unknown; 'tx-results'?: Record<string, { error?: unknown }> };
      if (v.package_msg === 'success') return { success: true };
      const errors = Object.values(v['tx-results'] ?? {})
        .map(x => x.error)
        .filter(e => typeof e === 'string');
      return { success: false, errmsg: [String(v.package_msg), ...errors].join('; ') };
    } catch (e) {
      if (e instanceof ChainSourceError && e.code === 'refused') return { success: false, errmsg: e.message };
      if (e instanceof SyntaxError) throw new ChainSourceError('bad_response', '/txs/package: not JSON');
      throw e;
    }
  }

  async getblockhash(height: number): Promise<string | undefined> {
    const hit = this.hashes.get(height);
    if (hit !== undefined) {
      this.stats.cache_hits++;
      return hit;
    }
    const h = await this.sharedHash(`/block-height/${height}`);
    // Only buried blocks are remembered: a recent one may yet be replaced.
    if (h !== undefined && this.tipSeen - height >= CACHE_DEPTH) remember(this.hashes, height, h, this.maxCached);
    return h;
  }

  async gettxidbyposition(height: number, txindex: number): Promise<string | undefined> {
    const hash = await this.getblockhash(height);
    if (hash === undefined) return undefined;
    const key = `${hash}/${txindex}`;
    const hit = this.txids.get(key);
    if (hit !== undefined) {
      this.stats.cache_hits++;
      return hit;
    }
    const t = await this.sharedHash(`/block/${hash}/txid/${txindex}`);
    if (t !== undefined) remember(this.txids, key, t, this.maxCached);
    return t;
  }

  // ------------------------------------------------------------------ internals

  private async tipHeight(): Promise<number> {
    const t = await this.getText('/blocks/tip/height');
    const h = t === undefined ? NaN : Number(t.trim());
    if (t === undefined || !/^\d+$/.test(t.trim()) || !Number.isSafeInteger(h))
      throw new ChainSourceError('bad_response', `/blocks/tip/height: not a height: ${String(t).slice(0, 40)}`);
    this.tipSeen = Math.max(this.tipSeen, h);
    return h;
  }

  /** A block as serialized on the wire; undefined when the server has no such block. */
  private async rawBlock(hash: string): Promise<Uint8Array | undefined> {
    const buf = await this.request(`/block/${hash}/raw`, r => {
      if (typeof r.arrayBuffer !== 'function') throw new Error('the fetch response has no arrayBuffer()');
      return r.arrayBuffer();
    });
    return buf && new Uint8Array(buf);
  }

  private sharedHash(path: string): Promise<string | undefined> {
    const p = this.pending.get(path);
    if (p) {
      this.stats.cache_hits++;
      return p;
    }
    const q = this.getHash(path).finally(() => this.pending.delete(path));
    this.pending.set(path, q);
    return q;
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

  private async getJson(path: string): Promise<unknown> {
    const t = await this.getText(path);
    if (t === undefined) return undefined;
    try {
      return JSON.parse(t) as unknown;
    } catch {
      throw new ChainSourceError('bad_response', `${path}: not JSON: ${t.slice(0, 70)}`);
    }
  }

  /**
   * One request, to each URL in turn from the last that answered, in rounds separated by a
   * growing wait: the body, or undefined on HTTP 404. Throws the last failure after the last round.
   */
  private async request<T>(path: string, read: (r: FetchResponseLike) => Promise<T>, init?: FetchInitLike): Promise<T | undefined> {
    let wait = this.backoffMs;
    for (let round = 0; ; round++) {
      let last: unknown;
      for (let k = 0; k < this.bases.length; k++) {
        const i = (this.current + k) % this.bases.length;
        try {
          const v = await this.once(this.bases[i]!, path, read, init);
          this.current = i;
          return v;
        } catch (e) {
          if (!retryable(e)) throw e;
          last = e;
          if (round < this.retries || k < this.bases.length - 1) this.stats.retries++;
        }
      }
      if (round >= this.retries) throw last;
      await new Promise<void>(r => this.o.clock.setTimeout(r, wait));
      wait = Math.min(this.maxBackoffMs, wait * 2);
    }
  }

  /** One request to one server, under the concurrency cap and the timeout. */
  private async once<T>(
    base: string,
    path: string,
    read: (r: FetchResponseLike) => Promise<T>,
    init?: FetchInitLike,
  ): Promise<T | undefined> {
    await this.acquire();
    try {
      return await this.timed(path, async signal => {
        this.stats.requests++;
        let r: FetchResponseLike;
        try {
          const f = this.fetchFn;
          r = await f(base + path, signal === undefined ? init : { ...init, signal });
        } catch (e) {
          throw new ChainSourceError('network', `${base}${path}: ${(e as Error)?.message ?? e}`);
        }
        if (r.status !== 200) {
          const body = await r.text().catch(() => ''); // and the connection goes back to the pool
          if (r.status === 404) return undefined;
          if (r.status === 400 && init?.method === 'POST') throw new ChainSourceError('refused', body.slice(0, 500) || 'HTTP 400', 400);
          throw new ChainSourceError('http_status', `${base}${path}: HTTP ${r.status}`, r.status);
        }
        try {
          return await read(r);
        } catch (e) {
          throw new ChainSourceError('bad_response', `${base}${path}: unreadable body: ${(e as Error)?.message ?? e}`);
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

/**
 * A platform's chain (core/node/platform.ts `chain`) over Esplora servers with the global `fetch`:
 * what every runtime gives lightningd when it is told of Esplora URLs (none: undefined, no chain).
 */
export function esploraChain(
  urls: string | readonly string[] | undefined,
  clock: TimerLike,
): { backend: EsploraBackend; description: string } | undefined {
  const baseUrls = typeof urls === 'string' ? [urls] : [...(urls ?? [])];
  if (!baseUrls.length) return undefined;
  const global = (globalThis as unknown as { fetch?: FetchLike }).fetch;
  if (!global) throw new ChainSourceError('bad_url', 'this runtime has no fetch');
  const backend = new EsploraBackend({ baseUrls, fetch: (u, i) => global(u, i), clock });
  return { backend, description: `esplora ${baseUrls.join(', ')}` };
}
