// BOLT 8 over raw TCP in Node (node:net): a Dialer, and a listener (connectd's TCP `bind-addr`).
import net from 'node:net';
import type { AbortSignalLike, ByteStream, DialTarget, Dialer, NetAddress } from '../core/net/transport.ts';
import { TransportError, abortError, errorMessage } from './errors.ts';
import { StreamBase } from './stream-base.ts';

/** After close() sends our FIN, how long a peer gets to send its own before the socket is destroyed. */
const CLOSE_GRACE_MS = 2000;
/** Unsent bytes Node may hold for a socket before a send waits for 'drain'. */
const SEND_BUFFER = 1 << 20;

export function netAddress(host: string, port: number): NetAddress {
  const v = net.isIP(host);
  return { type: v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : 'dns', address: host, port };
}

export class TcpStream extends StreamBase {
  private drain: Promise<void> | undefined;

  constructor(
    private readonly socket: net.Socket,
    remote?: NetAddress,
  ) {
    super(remote);
    socket.setNoDelay(true);
    // A copy: each chunk owns its ArrayBuffer (it may be transferred to another worker).
    socket.on('data', (b: Buffer) => this.received(new Uint8Array(b)));
    socket.on('end', () => this.ended('peer closed the connection'));
    socket.on('error', e => this.ended(`socket error: ${e.message}`));
    socket.on('close', () => this.ended('connection closed'));
  }

  protected send(data: Uint8Array): Promise<void> {
    // Backpressure: wait for 'drain' only once Node holds more than SEND_BUFFER unsent bytes, not
    // at its 16 KiB high-water mark, which a single 32 KiB message passes (every large message
    // would then wait for the one before it to leave; the connectd bench measured 2.5x slower).
    // Past SEND_BUFFER write() has returned false, so 'drain' will come.
    this.socket.write(data);
    if (this.socket.writableLength <= SEND_BUFFER) return Promise.resolve();
    this.drain ??= new Promise<void>(resolve =>
      this.socket.once('drain', () => {
        this.drain = undefined;
        resolve();
      }),
    );
    return this.drain;
  }

  // Backpressure in: a paused socket is not read, so the kernel's receive buffer and then the
  // peer's TCP window fill and its writes wait.
  protected override pauseReading(): void {
    this.socket.pause();
  }

  protected override resumeReading(): void {
    this.socket.resume();
  }

  protected shutdown(): void {
    const s = this.socket;
    s.end();
    const t = setTimeout(() => s.destroy(), CLOSE_GRACE_MS);
    t.unref();
    s.once('close', () => clearTimeout(t));
  }
}

export class TcpDialer implements Dialer {
  dial(target: DialTarget, signal?: AbortSignalLike): Promise<ByteStream> {
    if (target.kind !== 'tcp') return Promise.reject(new TransportError('unsupported_target', `TcpDialer cannot dial ${target.kind}`));
    const what = `TCP connect to ${target.host}:${target.port}`;
    if (signal?.aborted) return Promise.reject(abortError(signal, what));
    return new Promise<ByteStream>((resolve, reject) => {
      let settled = false;
      const socket = net.connect({ host: target.host, port: target.port });
      const onError = (e: Error): void => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(new TransportError('dial_failed', `${what} failed: ${e.message}`));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        if (settled) return;
        settled = true;
        socket.off('error', onError);
        resolve(new TcpStream(socket, netAddress(target.host, target.port)));
      });
      signal?.addEventListener('abort', () => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(abortError(signal, what));
      });
    });
  }
}

export interface Listener {
  /** The port listened on (the one the OS chose when 0 was asked). */
  port: number;
  /** Stops listening and closes every stream it accepted that is still open. */
  close(): Promise<void>;
}

/** Listens for TCP connections on host:port (0: any free port); each becomes a ByteStream. */
export function listenTcp(host: string, port: number, onStream: (s: ByteStream) => void): Promise<Listener> {
  const open = new Set<TcpStream>();
  const server = net.createServer(socket => {
    const s = new TcpStream(socket, netAddress(socket.remoteAddress ?? '', socket.remotePort ?? 0));
    open.add(s);
    socket.once('close', () => open.delete(s));
    onStream(s);
  });
  return new Promise<Listener>((resolve, reject) => {
    server.once('error', e => reject(new TransportError('listen_failed', `cannot listen on ${host}:${port}: ${errorMessage(e)}`)));
    server.listen(port, host, () => {
      const addr = server.address() as net.AddressInfo;
      resolve({
        port: addr.port,
        close: () =>
          new Promise<void>(done => {
            server.close(() => done());
            for (const s of open) s.close('listener closed');
          }),
      });
    });
  });
}
