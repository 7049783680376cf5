// A TCP socket that is a pair of WHATWG streams (`cloudflare:sockets`, Deno.connect): the reading
// pump, writes with the writable stream's backpressure, and the remote address, in one place.
import type { NetAddress } from '../core/net/transport.ts';
import { errorMessage } from './errors.ts';
import { StreamBase } from './stream-base.ts';

/** The structural part of a stream-pair socket that is used (no DOM or runtime types needed). */
export interface StreamPair {
  readonly readable: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }> } };
  readonly writable: { getWriter(): { write(chunk: Uint8Array): Promise<void>; readonly ready: Promise<void> } };
}

function remoteOf(host: string, port: number): NetAddress {
  return { type: host.includes(':') ? 'ipv6' : /^[0-9.]+$/.test(host) ? 'ipv4' : 'dns', address: host, port };
}

export abstract class WebStreamSocket extends StreamBase {
  private readonly writer: ReturnType<StreamPair['writable']['getWriter']>;

  constructor(pair: StreamPair, remote: { host: string; port: number }) {
    super(remoteOf(remote.host, remote.port));
    this.writer = pair.writable.getWriter();
    void this.pump(pair.readable.getReader());
  }

  private async pump(reader: ReturnType<StreamPair['readable']['getReader']>): Promise<void> {
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
}
