// BOLT 8 over raw TCP on Cloudflare Workers: `connect()` from `cloudflare:sockets` (outbound only,
// at most 6 at once per invocation). The socket is a pair of WHATWG streams.
import { connect } from 'cloudflare:sockets';
import type { AbortSignalLike, ByteStream, DialTarget, Dialer } from '../core/transport.ts';
import { TransportError, abortError, errorMessage } from './errors.ts';
import { StreamBase } from './stream-base.ts';

/** The part of workerd's Socket used here. */
interface CfSocket {
  readonly readable: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }> } };
  readonly writable: { getWriter(): { write(chunk: Uint8Array): Promise<void>; readonly ready: Promise<void> } };
  readonly opened: Promise<unknown>;
  close(): Promise<void>;
}

export class CloudflareSocketStream extends StreamBase {
  private readonly writer: ReturnType<CfSocket['writable']['getWriter']>;

  constructor(private readonly socket: CfSocket, remote: { host: string; port: number }) {
    super({ type: remote.host.includes(':') ? 'ipv6' : /^[0-9.]+$/.test(remote.host) ? 'ipv4' : 'dns', address: remote.host, port: remote.port });
    this.writer = socket.writable.getWriter();
    void this.pump(socket.readable.getReader());
  }

  private async pump(reader: ReturnType<CfSocket['readable']['getReader']>): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return this.ended('peer closed the connection');
        if (value) this.received(value);
      }
    } catch (e) {
      this.ended(`socket error: ${errorMessage(e)}`);
    }
  }

  protected send(data: Uint8Array): Promise<void> {
    this.writer.write(data).catch((e: unknown) => this.ended(`socket error: ${errorMessage(e)}`));
    // `ready` resolves when the writable stream's queue is under its high-water mark.
    return this.writer.ready;
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
    const aborted = new Promise<never>((_, reject) =>
      signal?.addEventListener('abort', () => reject(abortError(signal, what))),
    );
    try {
      await Promise.race([socket.opened, aborted]);
    } catch (e) {
      socket.close().catch(() => {});
      throw e instanceof TransportError ? e : new TransportError('dial_failed', `${what} failed: ${errorMessage(e)}`);
    }
    return new CloudflareSocketStream(socket, target);
  }
}
