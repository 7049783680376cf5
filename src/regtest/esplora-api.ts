// Esplora's REST API (Blockstream/esplora API.md, as electrs serves it) over the regtest chain, plus
// the test controls under /regtest/. Pure: a request in, a response out; server-node.ts puts it on
// node:http, and a Worker could answer fetches with it the same way.
import { difficulty, encodeHeader, merkleBranch } from './block.ts';
import type { BlockEntry, RegtestChain } from './chain.ts';
import { addressScript, scriptAddress, scriptKind } from './policy.ts';
import { scriptAsm } from './asm.ts';
import { isCoinbase, outpointKey, type Tx } from './tx.ts';
import { equal, fromHex, toHex } from '../core/base/bytes.ts';
import { sha256 } from '../core/crypto/primitives.ts';
import { WalletError } from './wallet.ts';
import { ChainError } from './chain.ts';

export interface ApiRequest {
  method: string;
  /** Path and query, e.g. `/tx/<txid>/status`. */
  path: string;
  body: Uint8Array;
}

export interface ApiResponse {
  status: number;
  contentType: 'text/plain' | 'application/json' | 'application/octet-stream';
  body: string | Uint8Array;
}

/** The most blocks one /regtest/mine call makes (each is a few milliseconds of work). */
export const MAX_MINE_PER_CALL = 1000;
const HASH = /^[0-9a-f]{64}$/;
/** Fee-estimate targets Esplora reports. */
const TARGETS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 144, 504, 1008];

const text = (body: string, status = 200): ApiResponse => ({ status, contentType: 'text/plain', body });
const json = (v: unknown, status = 200): ApiResponse => ({ status, contentType: 'application/json', body: JSON.stringify(v) });
const binary = (body: Uint8Array): ApiResponse => ({ status: 200, contentType: 'application/octet-stream', body });
const notFound = (what: string): ApiResponse => text(`${what} not found`, 404);

export function handleEsplora(chain: RegtestChain, req: ApiRequest): ApiResponse {
  try {
    return route(chain, req);
  } catch (e) {
    if (e instanceof WalletError || e instanceof ChainError || e instanceof BadRequest) return controlError(req, e.message);
    throw e;
  }
}

class BadRequest extends Error {}

function controlError(req: ApiRequest, msg: string): ApiResponse {
  return req.path.startsWith('/regtest/') ? json({ error: msg }, 400) : text(msg, 400);
}

function route(chain: RegtestChain, req: ApiRequest): ApiResponse {
  const path = req.path.split('?')[0]!.replace(/\/+$/, '');
  const p = path.split('/').slice(1);
  if (req.method === 'POST') return post(chain, p, req.body);
  if (req.method !== 'GET' && req.method !== 'HEAD') return text('Method not allowed', 405);

  if (p[0] === 'blocks' && p[1] === 'tip' && p.length === 3) {
    if (p[2] === 'height') return text(String(chain.height));
    if (p[2] === 'hash') return text(chain.tip.block.hash);
  }
  if (p[0] === 'blocks' && p.length <= 2) {
    const start = p[1] === undefined ? chain.height : int(p[1]);
    const out = [];
    for (let h = Math.min(start, chain.height); h >= 0 && out.length < 10; h--) out.push(blockJson(chain, chain.active[h]!));
    return json(out);
  }
  if (p[0] === 'block-height' && p.length === 2) {
    const e = chain.at(int(p[1]!));
    return e ? text(e.block.hash) : notFound('Block');
  }
  if (p[0] === 'block' && p[1] !== undefined) {
    const e = HASH.test(p[1]) ? chain.index.get(p[1]) : undefined;
    if (!e) return notFound('Block');
    const b = e.block;
    if (p.length === 2) return json(blockJson(chain, e));
    if (p.length === 3 && p[2] === 'header') return text(toHex(encodeHeader(b.header)));
    if (p.length === 3 && p[2] === 'raw') return binary(b.raw);
    if (p.length === 3 && p[2] === 'status') {
      const active = chain.isActive(e);
      return json({ in_best_chain: active, height: e.height, next_best: active ? (chain.at(e.height + 1)?.block.hash ?? null) : null });
    }
    if (p.length === 3 && p[2] === 'txids') return json(b.txs.map(t => t.txid));
    if (p.length === 4 && p[2] === 'txid') {
      const t = b.txs[int(p[3]!)];
      return t ? text(t.txid) : notFound('Transaction');
    }
    if ((p.length === 3 || p.length === 4) && p[2] === 'txs') {
      const start = p[3] === undefined ? 0 : int(p[3]);
      if (start % 25 !== 0 || start >= b.txs.length) return text('start index must be a multiple of 25 below the transaction count', 400);
      return json(b.txs.slice(start, start + 25).map(t => txJson(chain, t)));
    }
  }
  if (p[0] === 'tx' && p[1] !== undefined && HASH.test(p[1])) {
    const found = chain.findTx(p[1]);
    if (!found) return notFound('Transaction');
    const { tx } = found;
    if (p.length === 2) return json(txJson(chain, tx));
    if (p.length === 3 && p[2] === 'hex') return text(toHex(tx.raw));
    if (p.length === 3 && p[2] === 'raw') return binary(tx.raw);
    if (p.length === 3 && p[2] === 'status') return json(txStatus(chain, tx.txid));
    if (p.length === 3 && p[2] === 'outspends') return json(tx.outputs.map((_, n) => outspend(chain, tx.txid, n)));
    if (p.length === 4 && p[2] === 'outspend') {
      const n = int(p[3]!);
      return n < tx.outputs.length ? json(outspend(chain, tx.txid, n)) : notFound('Output');
    }
    if (p.length === 3 && p[2] === 'merkle-proof') {
      const loc = found.location;
      if (!loc) return notFound('Transaction');
      return json({
        block_height: loc.entry.height,
        merkle: merkleBranch(
          loc.entry.block.txs.map(t => t.txid),
          loc.index,
        ),
        pos: loc.index,
      });
    }
  }
  if ((p[0] === 'address' || p[0] === 'scripthash') && p[1] !== undefined && p.length <= 5) {
    const match = scriptMatcher(p[0], p[1]);
    if (!match) return text(p[0] === 'address' ? 'Invalid Bitcoin address' : 'Invalid scripthash', 400);
    const rest = p.slice(2).join('/');
    const list = (txs: Tx[]) => json(txs.map(t => txJson(chain, t)));
    if (rest === '') {
      const mem = chain.mempool
        .list()
        .map(e => e.tx)
        .filter(t => touches(chain, t, match));
      const all = chain.active.flatMap(e => e.block.txs.filter(t => touches(chain, t, match)));
      return json({ [p[0]]: p[1], chain_stats: addressStats(chain, match, all), mempool_stats: addressStats(chain, match, mem) });
    }
    if (rest === 'utxo') return json(addressUtxos(chain, match));
    if (rest === 'txs') return list([...mempoolTxs(chain, match), ...chainTxs(chain, match)]);
    if (rest === 'txs/mempool') return list(mempoolTxs(chain, match));
    if (p[2] === 'txs' && p[3] === 'chain') return list(chainTxs(chain, match, p[4]));
  }
  if (p[0] === 'fee-estimates' && p.length === 1) {
    // What pays the mempool's minimum and the miner's floor is mined in the next block here: that is
    // the estimate for every target (Core's estimatesmartfee never answers below mempoolminfee).
    const m = chain.mempool;
    const satPerVb = Number(m.minFee > m.blockMinFee ? m.minFee : m.blockMinFee) / 1000;
    return json(Object.fromEntries(TARGETS.map(t => [String(t), satPerVb])));
  }
  if (p[0] === 'mempool' && p[1] === 'txids' && p.length === 2) return json(chain.mempool.list().map(e => e.tx.txid));
  if (p[0] === 'mempool' && p.length === 1) {
    const list = chain.mempool.list();
    // fee_histogram: (feerate, vsize) from the highest feerate down, one entry per transaction.
    const hist = list.map(e => [Number(e.fee) / e.tx.vsize, e.tx.vsize] as [number, number]).sort((a, b) => b[0] - a[0]);
    return json({
      count: list.length,
      vsize: list.reduce((n, e) => n + e.tx.vsize, 0),
      total_fee: Number(list.reduce((n, e) => n + e.fee, 0n)),
      fee_histogram: hist,
    });
  }
  if (p[0] === 'mempool' && p[1] === 'recent' && p.length === 2) {
    return json(
      chain.mempool
        .list()
        .slice(-10)
        .reverse()
        .map(e => ({
          txid: e.tx.txid,
          fee: Number(e.fee),
          vsize: e.tx.vsize,
          value: Number(e.tx.outputs.reduce((n, o) => n + o.value, 0n)),
        })),
    );
  }
  return text('Not found', 404);
}

function post(chain: RegtestChain, p: string[], body: Uint8Array): ApiResponse {
  if (p.length === 1 && p[0] === 'tx') {
    let raw: Uint8Array;
    try {
      raw = fromHex(new TextDecoder().decode(body).trim());
    } catch {
      return text('sendrawtransaction RPC error: {"code":-22,"message":"TX decode failed"}', 400);
    }
    const r = chain.accept(raw);
    if (r.ok) return text(r.txid);
    // As electrs passes bitcoind's refusal on.
    return text(`sendrawtransaction RPC error: ${JSON.stringify({ code: r.code, message: r.message })}`, 400);
  }
  if (p.length === 2 && p[0] === 'txs' && p[1] === 'package') return submitPackage(chain, body);
  if (p.length === 2 && p[0] === 'regtest') {
    const args = readJson(body);
    if (p[1] === 'mempoolminfee') {
      // Stands for a full mempool's rolling minimum feerate (Core's TrimToSize): what is below leaves.
      const rate = args.sat_per_kvb;
      if (!Number.isSafeInteger(rate) || (rate as number) < 0) throw new BadRequest('sat_per_kvb must be a non-negative integer');
      chain.mempool.setMinFee(BigInt(rate as number));
      return json({ mempoolminfee: Number(chain.mempool.minFee) });
    }
    if (p[1] === 'blockmintxfee') {
      // The miner's floor (Core's -blockmintxfee): blocks full of better-paying transactions.
      const rate = args.sat_per_kvb;
      if (!Number.isSafeInteger(rate) || (rate as number) < 0) throw new BadRequest('sat_per_kvb must be a non-negative integer');
      chain.mempool.blockMinFee = BigInt(rate as number);
      return json({ blockmintxfee: rate });
    }
    if (p[1] === 'mine') {
      const n = args.blocks;
      if (!Number.isSafeInteger(n) || (n as number) < 1 || (n as number) > MAX_MINE_PER_CALL)
        throw new BadRequest(`blocks must be an integer 1..${MAX_MINE_PER_CALL}`);
      let script: Uint8Array | undefined;
      if (args.address !== undefined) {
        try {
          script = addressScript(String(args.address));
        } catch {
          throw new BadRequest('address: not a regtest address');
        }
      }
      return json({ hashes: chain.mine(n as number, script) });
    }
    if (p[1] === 'send') {
      const amt = args.amount_sat;
      if (typeof args.address !== 'string') throw new BadRequest('address: a string is required');
      if (!Number.isSafeInteger(amt) || (amt as number) <= 0) throw new BadRequest('amount_sat must be a positive integer');
      return json({ txid: chain.wallet.send(args.address, BigInt(amt as number)) });
    }
    if (p[1] === 'reorg') {
      return json({ hashes: chain.reorg(args.depth as number) });
    }
  }
  return text('Not found', 404);
}

/**
 * POST /txs/package (Esplora's and mempool.space's, passing on bitcoind's submitpackage): a JSON
 * array of raw transactions, the child last; the answer is submitpackage's result.
 */
function submitPackage(chain: RegtestChain, body: Uint8Array): ApiResponse {
  let raws: Uint8Array[];
  try {
    const list = JSON.parse(new TextDecoder().decode(body)) as unknown;
    if (!Array.isArray(list) || list.some(x => typeof x !== 'string')) throw new Error('not an array of strings');
    raws = (list as string[]).map(x => fromHex(x));
  } catch {
    return text('submitpackage RPC error: {"code":-22,"message":"TX decode failed"}', 400);
  }
  const r = chain.acceptPackage(raws);
  if (r.results.length === 0) return text(`submitpackage RPC error: ${JSON.stringify({ code: -25, message: r.message })}`, 400);
  const results: Record<string, unknown> = {};
  r.results.forEach((x, i) => {
    const key = x.ok ? x.txid : `tx${i}`;
    results[key] = x.ok ? { txid: x.txid } : { error: x.message };
  });
  return json({ package_msg: r.message, 'tx-results': results, 'replaced-transactions': [] });
}

function readJson(body: Uint8Array): Record<string, unknown> {
  try {
    const v = JSON.parse(new TextDecoder().decode(body) || '{}');
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // falls through
  }
  throw new BadRequest('the body must be a JSON object');
}

function int(s: string): number {
  return /^\d{1,15}$/.test(s) ? Number(s) : -1;
}

function blockJson(chain: RegtestChain, e: BlockEntry): unknown {
  const h = e.block.header;
  return {
    id: e.block.hash,
    height: e.height,
    version: h.version,
    timestamp: h.time,
    tx_count: e.block.txs.length,
    size: e.block.size,
    weight: e.block.weight,
    merkle_root: h.merkleRoot,
    previousblockhash: e.prev ? h.prevHash : null,
    mediantime: chain.medianTimePast(e),
    nonce: h.nonce,
    bits: h.bits,
    difficulty: difficulty(h.bits),
  };
}

function txStatus(chain: RegtestChain, txid: string): unknown {
  const loc = chain.txIndex.get(txid);
  if (!loc) return { confirmed: false };
  return { confirmed: true, block_height: loc.entry.height, block_hash: loc.entry.block.hash, block_time: loc.entry.block.header.time };
}

function outJson(o: { value: bigint; script: Uint8Array }): Record<string, unknown> {
  const addr = scriptAddress(o.script);
  return {
    scriptpubkey: toHex(o.script),
    scriptpubkey_asm: scriptAsm(o.script),
    scriptpubkey_type: scriptKind(o.script),
    ...(addr ? { scriptpubkey_address: addr } : {}),
    value: Number(o.value),
  };
}

/** electrs's inner_redeemscript_asm (P2SH: the last scriptSig push) and inner_witnessscript_asm (P2WSH: the last witness item). */
function innerAsm(prev: Uint8Array | undefined, scriptSig: Uint8Array, witness: Uint8Array[]): Record<string, string> {
  if (!prev) return {};
  const kind = scriptKind(prev);
  const out: Record<string, string> = {};
  let redeem: Uint8Array | undefined;
  if (kind === 'p2sh' && scriptSig.length > 0) {
    redeem = lastPush(scriptSig);
    if (redeem) out.inner_redeemscript_asm = scriptAsm(redeem);
  }
  const wsh = kind === 'v0_p2wsh' || (redeem !== undefined && scriptKind(redeem) === 'v0_p2wsh');
  if (wsh && witness.length > 0) out.inner_witnessscript_asm = scriptAsm(witness[witness.length - 1]!);
  return out;
}

/** The data of a push-only script's last push. */
function lastPush(s: Uint8Array): Uint8Array | undefined {
  let last: Uint8Array | undefined;
  for (let i = 0; i < s.length;) {
    const op = s[i]!;
    const head = op === 0x4c ? 2 : op === 0x4d ? 3 : 1;
    const len = op <= 0x4b ? op : op === 0x4c ? (s[i + 1] ?? 0) : op === 0x4d ? (s[i + 1] ?? 0) | ((s[i + 2] ?? 0) << 8) : -1;
    if (len < 0 || i + head + len > s.length) return undefined;
    last = s.subarray(i + head, i + head + len);
    i += head + len;
  }
  return last;
}

function txJson(chain: RegtestChain, tx: Tx): unknown {
  const cb = isCoinbase(tx);
  let inTotal = 0n;
  const vin = tx.inputs.map(i => {
    const prev = cb ? undefined : chain.output(i.txid, i.vout);
    if (prev) inTotal += prev.value;
    return {
      txid: i.txid,
      vout: i.vout,
      prevout: prev ? outJson(prev) : null,
      scriptsig: toHex(i.scriptSig),
      scriptsig_asm: scriptAsm(i.scriptSig),
      ...innerAsm(prev?.script, i.scriptSig, i.witness),
      ...(i.witness.length > 0 ? { witness: i.witness.map(toHex) } : {}),
      is_coinbase: cb,
      sequence: i.sequence,
    };
  });
  const outTotal = tx.outputs.reduce((s, o) => s + o.value, 0n);
  return {
    txid: tx.txid,
    version: tx.version,
    locktime: tx.lockTime,
    vin,
    vout: tx.outputs.map(outJson),
    size: tx.size,
    weight: tx.weight,
    fee: cb ? 0 : Number(inTotal - outTotal),
    status: txStatus(chain, tx.txid),
  };
}

function outspend(chain: RegtestChain, txid: string, vout: number): unknown {
  const k = outpointKey(txid, vout);
  const c = chain.spentBy.get(k);
  if (c) return { spent: true, txid: c.txid, vin: c.vin, status: txStatus(chain, c.txid) };
  const m = chain.mempool.spends.get(k);
  if (m !== undefined) {
    const vin = chain.mempool.get(m)!.tx.inputs.findIndex(i => i.txid === txid && i.vout === vout);
    return { spent: true, txid: m, vin, status: { confirmed: false } };
  }
  return { spent: false };
}

/** Which output scripts an /address/:addr or /scripthash/:hash path is about. */
type Matcher = (script: Uint8Array) => boolean;

/** An address's script, or a scripthash (SHA-256 of the script, hex, not reversed, as electrs reads it). */
function scriptMatcher(kind: 'address' | 'scripthash', arg: string): Matcher | undefined {
  if (kind === 'scripthash') {
    const h = arg.toLowerCase();
    return HASH.test(h) ? s => toHex(sha256(s)) === h : undefined;
  }
  try {
    const script = addressScript(arg);
    return s => equal(s, script);
  } catch {
    return undefined;
  }
}

/** Unspent outputs paying `script`: confirmed ones and mempool ones, less what the mempool spends. */
function addressUtxos(chain: RegtestChain, match: Matcher): unknown[] {
  const out: unknown[] = [];
  for (const [k, c] of chain.utxos) {
    if (!match(c.script) || chain.mempool.spends.has(k)) continue;
    const [txid, vout] = k.split(':');
    out.push({ txid, vout: Number(vout), status: txStatus(chain, txid!), value: Number(c.value) });
  }
  for (const e of chain.mempool.list()) {
    e.tx.outputs.forEach((o, vout) => {
      if (match(o.script) && !chain.mempool.spends.has(outpointKey(e.tx.txid, vout)))
        out.push({ txid: e.tx.txid, vout, status: { confirmed: false }, value: Number(o.value) });
    });
  }
  return out;
}

function touches(chain: RegtestChain, tx: Tx, match: Matcher): boolean {
  if (tx.outputs.some(o => match(o.script))) return true;
  return (
    !isCoinbase(tx) &&
    tx.inputs.some(i => {
      const prev = chain.output(i.txid, i.vout);
      return prev !== undefined && match(prev.script);
    })
  );
}

/** Mempool transactions touching `script`, newest first (at most 50, as Esplora). */
function mempoolTxs(chain: RegtestChain, match: Matcher): Tx[] {
  return chain.mempool
    .list()
    .map(e => e.tx)
    .filter(t => touches(chain, t, match))
    .reverse()
    .slice(0, 50);
}

/** Confirmed transactions touching `script`, newest first, 25 after `lastSeen` (Esplora's paging). */
function chainTxs(chain: RegtestChain, match: Matcher, lastSeen?: string): Tx[] {
  const out: Tx[] = [];
  let seen = lastSeen === undefined;
  for (let h = chain.height; h >= 0 && out.length < 25; h--) {
    const txs = chain.active[h]!.block.txs;
    for (let i = txs.length - 1; i >= 0 && out.length < 25; i--) {
      const t = txs[i]!;
      if (!touches(chain, t, match)) continue;
      if (seen) out.push(t);
      else if (t.txid === lastSeen) seen = true;
    }
  }
  return out;
}

/** Esplora's `{chain,mempool}_stats` for an address. */
function addressStats(chain: RegtestChain, match: Matcher, txs: Tx[]): Record<string, number> {
  const st = { funded_txo_count: 0, funded_txo_sum: 0, spent_txo_count: 0, spent_txo_sum: 0, tx_count: txs.length };
  for (const t of txs) {
    for (const o of t.outputs)
      if (match(o.script)) {
        st.funded_txo_count++;
        st.funded_txo_sum += Number(o.value);
      }
    if (isCoinbase(t)) continue;
    for (const i of t.inputs) {
      const prev = chain.output(i.txid, i.vout);
      if (prev && match(prev.script)) {
        st.spent_txo_count++;
        st.spent_txo_sum += Number(prev.value);
      }
    }
  }
  return st;
}
