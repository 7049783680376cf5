// A WebSocket listener in Node (`ws`), as Core Lightning's `--bind-addr ws:127.0.0.1:PORT`: each
// connection is a ByteStream carrying BOLT 8 in binary frames.
import { WebSocketServer } from 'ws';
import type { ByteStream } from '../core/transport.ts';
import { TransportError, errorMessage } from './errors.ts';
import type { Listener } from './tcp-node.ts';
import { netAddress } from './tcp-node.ts';
import { DEFAULT_MAX_PAYLOAD, WsStream, type WsOptions } from './ws-node.ts';

export function listenWebSocket(host: string, port: number, onStream: (s: ByteStream) => void, opts: WsOptions = {}): Promise<Listener> {
  const open = new Set<WsStream>();
  const wss = new WebSocketServer({ host, port, perMessageDeflate: false, maxPayload: opts.maxPayload ?? DEFAULT_MAX_PAYLOAD });
  wss.on('connection', (ws, req) => {
    const s = new WsStream(ws, netAddress(req.socket.remoteAddress ?? '', req.socket.remotePort ?? 0), opts);
    open.add(s);
    ws.once('close', () => open.delete(s));
    onStream(s);
  });
  return new Promise<Listener>((resolve, reject) => {
    wss.once('error', (e) => reject(new TransportError('listen_failed', `cannot listen on ws:${host}:${port}: ${errorMessage(e)}`)));
    wss.once('listening', () => {
      const addr = wss.address();
      resolve({
        port: addr !== null && typeof addr === 'object' ? addr.port : port,
        close: () =>
          new Promise<void>((done) => {
            wss.close(() => done());
            for (const s of open) s.close('listener closed');
          }),
      });
    });
  });
}
