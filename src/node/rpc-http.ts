// JSON-RPC 2.0 over HTTP POST for the Node daemon. Listens where it is told (127.0.0.1 in tests).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerText } from '../core/daemons/lightningd/rpc-text.ts';

export interface RpcHandler {
  handle(req: unknown): Promise<Record<string, unknown>>;
}

const MAX_BODY = 1 << 20;

export async function startRpcHttp(rpc: RpcHandler, host: string, port: number): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', async () => {
      if (res.headersSent) return;
      // Bounded and never throws (src/core/daemons/lightningd/rpc-text.ts).
      const out = await answerText(rpc, Buffer.concat(chunks).toString('utf8'));
      if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(out);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
