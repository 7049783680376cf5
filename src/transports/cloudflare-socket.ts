// BOLT 8 over raw TCP on Cloudflare Workers: `connect()` from `cloudflare:sockets` (outbound only,
// at most 6 at once per invocation). The socket is a pair of WHATWG streams.
import { connect } from 'cloudflare:sockets';
import type { AbortSignalLike, ByteStream, DialTarget, Dialer } from '../core/net/transport.ts';
import { TransportError, abortError, errorMessage } from './errors.ts';
import { WebStreamSocket, type StreamPair } from './web-stream-socket.ts';

/** The part of workerd's Socket used here. */
interface CfSocket extends StreamPair {
  readonly opened: Promise<unknown>;
  close(): Promise<void>;
}

export class CloudflareSocketStream extends WebStreamSocket {
  constructor(
    private readonly socket: CfSocket,
    remote: { host: string; port: number },
  ) {
    super(socket, remote);
  }

  protected shutdown(): void {
    this.socket.close().catch(() => {});
  }
}

export class CloudflareSocketDialer implements Dialer {
  async dial(target: DialTarget, signal?: AbortSignalLike): Promise<ByteStream> {
    if (target.kind !== 'tcp') throw new TransportError('unsupported_target', `CloudflareSocketDialer cannot dial ${target.kind}`);
    const what = `TCP connect to ${target.host}:${target.port}`;
    if (signal?.aborted) throw abortError(signal, what);
    let socket: CfSocket;
    try {
      socket = connect({ hostname: target.host, port: target.port }, { secureTransport: 'off', allowHalfOpen: false }) as CfSocket;
    } catch (e) {
      throw new TransportError('dial_failed', `${what} failed: ${errorMessage(e)}`);
    }
    const aborted = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(abortError(signal, what))));
    try {
      await Promise.race([socket.opened, aborted]);
    } catch (e) {
      socket.close().catch(() => {});
      throw e instanceof TransportError ? e : new TransportError('dial_failed', `${what} failed: ${errorMessage(e)}`);
    }
    return new CloudflareSocketStream(socket, target);
  }
}
