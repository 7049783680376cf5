// A WebSocket listener in Node (`ws`), as Core Lightning's `--bind-addr ws:127.0.0.1:PORT`: each
// connection is a ByteStream carrying BOLT 8 in binary frames. Connections are bounded before
// their upgrade (per address, a header timeout, maxConnections: upgrade-guard.ts); once upgraded,
// connectd's own peer limits apply.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import type { ByteStream } from '../core/net/transport.ts';
import { TransportError, errorMessage } from './errors.ts';
import type { Listener } from './tcp-node.ts';
import { netAddress } from './tcp-node.ts';
import { guardUpgrades, type UpgradeLimits } from './upgrade-guard.ts';
import { DEFAULT_MAX_PAYLOAD, WsStream, type WsOptions } from './ws-node.ts';

export interface WsListenerOptions extends WsOptions, UpgradeLimits {}

/** TCP connections a WebSocket listener holds at once, upgraded or not, unless told otherwise. */
export const DEFAULT_WS_MAX_CONNECTIONS = 512;

export function listenWebSocket(
  host: string,
  port: number,
  onStream: (s: ByteStream) => void,
  opts: WsListenerOptions = {},
): Promise<Listener> {
  const open = new Set<WsStream>();
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
    res.end('BOLT 8 over WebSocket: open a WebSocket\n');
  });
  const guard = guardUpgrades(server, opts, DEFAULT_WS_MAX_CONNECTIONS);
  // No subprotocol is selected (ws would echo whatever the client offers first).
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: opts.maxPayload ?? DEFAULT_MAX_PAYLOAD,
    handleProtocols: () => false,
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    wss.handleUpgrade(req, socket, head, ws => {
      guard.upgraded(req.socket);
      const s = new WsStream(ws, netAddress(req.socket.remoteAddress ?? '', req.socket.remotePort ?? 0), opts);
      open.add(s);
      ws.once('close', () => open.delete(s));
      onStream(s);
    });
  });
  return new Promise<Listener>((resolve, reject) => {
    server.once('error', e => reject(new TransportError('listen_failed', `cannot listen on ws:${host}:${port}: ${errorMessage(e)}`)));
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({
        port: addr !== null && typeof addr === 'object' ? addr.port : port,
        close: () =>
          new Promise<void>(done => {
            guard.close();
            for (const s of open) s.close('listener closed');
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
