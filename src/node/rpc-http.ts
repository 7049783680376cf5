// JSON-RPC 2.0 over HTTP POST, for tools that need HTTP: off unless `--rpc-addr` asks for it. Unlike
// the Unix socket, any local process and any web page the user opens can reach a TCP port, so a
// request must carry the cookie (`Authorization: Basic`, the cookie file's `__cookie__:HEX`, as
// bitcoind's), name the bound address as `Host` (no DNS rebinding), come from no `Origin` or a
// listed one (no cross-site page), and be `application/json` (no form or `no-cors` text/plain).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { answerText, type RpcRequestHandler } from '../core/daemons/lightningd/rpc-text.ts';
import { TRANSPORT_LIMITS } from './rpc-socket.ts';
import { basicAuth } from './rpc-cookie.ts';

export interface RpcHttpOptions {
  host: string;
  port: number;
  /** The cookie file's content, `__cookie__:HEX`: the Basic credential. */
  cookie: string;
  /** Origins (`https://app.example`) allowed to call from a web page; none by default. */
  allowOrigins?: readonly string[];
}

export interface RpcHttpServer {
  server: Server;
  /** The address actually bound. */
  host: string;
  port: number;
  /** True when bound to an address other hosts can reach. */
  beyondLoopback: boolean;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || /^127\./.test(host) || host === '::1' || host === '::ffff:127.0.0.1';
}

function hostHeaderOk(got: string | undefined, bound: string, port: number): boolean {
  if (!got) return false;
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(got.toLowerCase());
  if (!m || Number(m[2]) !== port) return false;
  const name = m[1]!.replace(/^\[|\]$/g, '');
  if (name === bound) return true;
  if (isLoopback(bound) && name === 'localhost') return true;
  // Bound to every interface: any address literal of this machine; a DNS name could be rebound.
  if (bound === '0.0.0.0' || bound === '::') return isIP(name) !== 0;
  return false;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function refuse(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message } }));
}

export async function startRpcHttp(rpc: RpcRequestHandler, o: RpcHttpOptions): Promise<RpcHttpServer> {
  const expected = basicAuth(o.cookie);
  const origins = new Set(o.allowOrigins ?? []);
  let bound = { host: o.host, port: o.port };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (!hostHeaderOk(req.headers.host, bound.host, bound.port))
      return refuse(res, 403, `Host must be ${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}`);
    const origin = req.headers.origin;
    const cors: Record<string, string> = {};
    if (origin !== undefined) {
      if (!origins.has(origin)) return refuse(res, 403, `Origin ${origin} not allowed (--rpc-allow-origin)`);
      Object.assign(cors, { 'access-control-allow-origin': origin, vary: 'Origin' });
      if (req.method === 'OPTIONS') {
        res
          .writeHead(204, {
            ...cors,
            'access-control-allow-methods': 'POST',
            'access-control-allow-headers': 'authorization, content-type',
            'access-control-max-age': '600',
          })
          .end();
        return;
      }
    }
    if (req.method !== 'POST') return refuse(res, 405, 'POST only', { allow: 'POST', ...cors });
    const auth = req.headers.authorization ?? '';
    if (!sameSecret(auth, expected))
      return refuse(res, 401, 'missing or wrong credential: send the cookie file (Authorization: Basic)', {
        'www-authenticate': 'Basic realm="boltworker"',
        ...cors,
      });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') return refuse(res, 415, 'Content-Type must be application/json', cors);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > TRANSPORT_LIMITS.maxBytes) {
        if (!res.headersSent) refuse(res, 413, `request larger than ${TRANSPORT_LIMITS.maxBytes} bytes`, cors);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      // Bounded and never throws (src/core/daemons/lightningd/rpc-text.ts).
      void answerText(rpc, Buffer.concat(chunks).toString('utf8')).then(text => {
        if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json', ...cors }).end(text);
      });
    });
    req.on('error', () => undefined);
  };
  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      if (!res.headersSent) refuse(res, 500, (e as Error).message);
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxConnections = TRANSPORT_LIMITS.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  bound = { host: a.address, port: a.port };
  return {
    server,
    host: a.address,
    port: a.port,
    beyondLoopback: !isLoopback(a.address),
    // Answers already written go out (a `stop` answer included); a connection still busy after 2 s is cut.
    close: () =>
      new Promise<void>(r => {
        const t = setTimeout(() => server.closeAllConnections(), 2000);
        server.close(() => {
          clearTimeout(t);
          r();
        });
        server.closeIdleConnections();
      }),
  };
}
