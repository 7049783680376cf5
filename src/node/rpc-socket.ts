// JSON-RPC on a Unix socket, as lightningd serves it (`<lightning-dir>/<network>/lightning-rpc`):
// requests are JSON objects back to back on the stream, each response is one JSON object followed
// by "\n\n", answered as each command completes. The socket's file mode (0600 by default) is the
// credential: only its owner can connect.
import { createServer, type Server, type Socket } from 'node:net';
import { chmod, lstat, unlink } from 'node:fs/promises';
import { JsonFrameError, JsonSplitter } from './json-stream.ts';
import { answerText, RPC_LIMITS, type RpcRequestHandler } from '../core/daemons/lightningd/rpc-text.ts';

/** What the Node transports bound before a request reaches answerText: bytes read for one request, nesting while framing, commands at once per connection, connections. */
export const TRANSPORT_LIMITS = {
  maxBytes: RPC_LIMITS.maxRequestChars,
  maxDepth: RPC_LIMITS.maxDepth,
  maxInFlight: 16,
  maxConnections: 64,
} as const;

/** Linux's sun_path holds 107 bytes and a NUL. */
const MAX_SOCKET_PATH = 107;

export interface RpcSocketServer {
  readonly path: string;
  /** Stops accepting, lets running commands answer, then closes every connection and removes the file. */
  close(): Promise<void>;
}

export async function startRpcSocket(rpc: RpcRequestHandler, path: string, mode = 0o600): Promise<RpcSocketServer> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH)
    throw new Error(
      `rpc-file path ${path} is longer than ${MAX_SOCKET_PATH} bytes (a Unix socket limit): use a shorter lightning-dir or rpc-file`,
    );
  // We hold the network directory's lock, so a socket file here is left by a daemon that is gone.
  const old = await lstat(path).catch(() => undefined);
  if (old) {
    if (!old.isSocket()) throw new Error(`${path} exists and is not a socket`);
    await unlink(path);
  }
  const conns = new Set<{ socket: Socket; inFlight: number; closing: boolean }>();
  const server: Server = createServer(socket => {
    const conn = { socket, inFlight: 0, closing: false };
    conns.add(conn);
    const split = new JsonSplitter(TRANSPORT_LIMITS);
    const flowControl = () => {
      if (conn.inFlight >= TRANSPORT_LIMITS.maxInFlight || socket.writableNeedDrain) socket.pause();
      else if (!conn.closing) socket.resume();
    };
    const send = (text: string) => {
      if (!socket.destroyed) socket.write(`${text}\n\n`);
    };
    socket.on('drain', flowControl);
    socket.on('data', (chunk: Buffer) => {
      let texts: string[];
      try {
        texts = split.push(chunk);
      } catch (e) {
        // As lightningd: a malformed stream gets one error and the connection is closed.
        send(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: (e as JsonFrameError).message } }));
        socket.end();
        socket.pause();
        return;
      }
      for (const text of texts) {
        conn.inFlight++;
        void answerText(rpc, text).then(answer => {
          send(answer);
          conn.inFlight--;
          if (conn.closing && conn.inFlight === 0) socket.end();
          flowControl();
        });
      }
      flowControl();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => conns.delete(conn));
  });
  server.maxConnections = TRANSPORT_LIMITS.maxConnections;
  // The socket is created with the umask in force: make it owner-only from the start, then set the mode asked for.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  await chmod(path, mode);
  let closing: Promise<void> | undefined;
  return {
    path,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>(r => server.close(() => r()));
        for (const c of conns) {
          c.closing = true;
          c.socket.pause();
          if (c.inFlight === 0) c.socket.end();
        }
        // A client that never reads its answers does not hold the daemon up for long.
        const t = setTimeout(() => conns.forEach(c => c.socket.destroy()), 2000);
        await closed;
        clearTimeout(t);
        await unlink(path).catch(() => undefined);
      })();
      return closing;
    },
  };
}
