// `boltworker regtest` in Node: the regtest chain behind Esplora's REST API on node:http, loopback
// only, with its blocks appended to `<dataDir>/blocks.dat` (each record: u32 little-endian length,
// then the block) and reloaded on start. A torn last record (a crash mid-write) is cut off. The
// mempool is kept beside it in `mempool.dat` (the same records, one transaction each, in the order
// they entered), rewritten whole (a temporary file renamed over it) after each request that may
// change it, and accepted again on start, as Bitcoin Core reloads its mempool.dat.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { RegtestChain } from './chain.ts';
import { handleEsplora } from './esplora-api.ts';
import { bitcoreVerifier } from './scripts.ts';

export interface RegtestOptions {
  /** Loopback only: 127.0.0.1 (default), another 127.x address, ::1 or localhost. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Where blocks persist; without it the chain lives in memory. */
  dataDir?: string;
  /** Mine up to this height at start when the chain is lower (101 makes the chain's coins spendable). */
  premine?: number;
  /** UNIX seconds for block timestamps (default the wall clock). */
  now?: () => number;
}

export interface RegtestHandle {
  /** The Esplora base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  chain: RegtestChain;
  close(): Promise<void>;
}

/** The largest request body accepted (a 400,000-weight transaction in hex is 800 kB). */
const MAX_BODY = 4 * 1024 * 1024;

export class RegtestConfigError extends Error {
  override name = 'RegtestConfigError';
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The complete records of a file of length-prefixed records (u32 little-endian), and where they end. */
function readRecords(data: Uint8Array): { records: Uint8Array[]; end: number } {
  const records: Uint8Array[] = [];
  let off = 0;
  while (off + 4 <= data.length) {
    const len = new DataView(data.buffer, data.byteOffset + off, 4).getUint32(0, true);
    if (off + 4 + len > data.length) break;
    records.push(data.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return { records, end: off };
}

function record(raw: Uint8Array): Uint8Array {
  const rec = new Uint8Array(4 + raw.length);
  new DataView(rec.buffer).setUint32(0, raw.length, true);
  rec.set(raw, 4);
  return rec;
}

/** Replaces `<dir>/mempool.dat` with these transactions, atomically (a crash leaves the old file or the new one). */
function saveMempool(dir: string, txs: Uint8Array[]): void {
  const path = join(dir, 'mempool.dat');
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (const t of txs) writeSync(fd, record(t));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Opens `<dir>/blocks.dat`, returns its complete records and an fd positioned to append. */
function openBlockFile(dir: string): { fd: number; blocks: Uint8Array[] } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'blocks.dat');
  const data = existsSync(path) ? readFileSync(path) : new Uint8Array(0);
  const { records: blocks, end } = readRecords(data);
  const fd = openSync(path, 'a+');
  if (end < data.length) ftruncateSync(fd, end);
  return { fd, blocks };
}

export async function startRegtest(opts: RegtestOptions = {}): Promise<RegtestHandle> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new RegtestConfigError(`refusing to listen on ${host}: the regtest chain serves loopback only`);
  let fd: number | undefined;
  let dirty = false;
  let stored: Uint8Array[] = [];
  if (opts.dataDir !== undefined) ({ fd, blocks: stored } = openBlockFile(opts.dataDir));
  const chain = new RegtestChain({
    now: opts.now,
    verifier: bitcoreVerifier,
    onBlock: raw => {
      if (fd === undefined) return;
      writeSync(fd, record(raw));
      dirty = true;
    },
  });
  try {
    for (const raw of stored) chain.loadBlock(raw);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    throw new RegtestConfigError(`${opts.dataDir}/blocks.dat: ${(e as Error).message}`);
  }
  const dataDir = opts.dataDir;
  let mempoolSaved = '';
  const sync = () => {
    if (fd !== undefined && dirty) fdatasyncSync(fd);
    dirty = false;
    if (dataDir === undefined || fd === undefined) return;
    const txs = chain.mempool.list().map(e => e.tx);
    const now = txs.map(t => t.txid).join();
    if (now === mempoolSaved) return;
    saveMempool(
      dataDir,
      txs.map(t => t.raw),
    );
    mempoolSaved = now;
  };
  if (opts.premine !== undefined && chain.height < opts.premine) chain.mine(opts.premine - chain.height);
  // The mempool of the last run, each transaction accepted again (those no longer valid are dropped).
  if (dataDir !== undefined && existsSync(join(dataDir, 'mempool.dat'))) {
    for (const raw of readRecords(readFileSync(join(dataDir, 'mempool.dat'))).records) chain.accept(raw.slice());
    mempoolSaved = chain.mempool
      .list()
      .map(e => e.tx.txid)
      .join();
  }
  sync();

  const server: Server = createServer((req, res) => serve(req, res));
  function serve(req: IncomingMessage, res: ServerResponse): void {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    // A client that goes away mid-request costs only its own request.
    req.on('error', () => res.destroy());
    res.on('error', () => {});
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        over = true;
        res.writeHead(413, { 'content-type': 'text/plain' }).end('Request body too large');
        req.destroy();
      } else parts.push(c);
    });
    req.on('end', () => {
      if (over) return;
      // The test controls spend and rewrite the chain: a page on another origin must not reach them
      // with a "simple" cross-origin request (text/plain needs no preflight; application/json does,
      // and no preflight is ever granted). Esplora's own paths (POST /tx included) stay open as Esplora's are.
      if (
        req.method === 'POST' &&
        (req.url ?? '').startsWith('/regtest/') &&
        !/^application\/json\b/i.test(req.headers['content-type'] ?? '')
      ) {
        res.writeHead(415, { 'content-type': 'text/plain' }).end('The /regtest/ controls take Content-Type: application/json');
        return;
      }
      let out;
      try {
        out = handleEsplora(chain, { method: req.method ?? 'GET', path: req.url ?? '/', body: new Uint8Array(Buffer.concat(parts)) });
        sync();
      } catch (e) {
        out = { status: 500, contentType: 'text/plain' as const, body: `internal error: ${(e as Error).message}` };
      }
      res.writeHead(out.status, { 'content-type': out.contentType, 'access-control-allow-origin': '*' });
      res.end(req.method === 'HEAD' ? undefined : out.body);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    chain,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => {
          if (fd !== undefined) {
            sync();
            closeSync(fd);
            fd = undefined;
          }
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
