// BOLT 8 over the platform WebSocket (a browser tab or a Worker; also Deno and workerd, which have
// the same global): binary frames only, in order; a text frame is a protocol error that closes the
// stream. The platform has no drain event, so write() polls `bufferedAmount`. Nor can it stop
// reading: while paused (connectd's backpressure), frames that arrive are held in order by
// StreamBase and delivered on resume; connectd asks one query at a time, so that is one answer.
import type { AbortSignalLike, ByteStream, DialTarget, Dialer, NetAddress } from '../core/transport.ts';
import { TransportError, abortError } from './errors.ts';
import { DEFAULT_HIGH_WATER_MARK, StreamBase, TEXT_FRAME_REASON, closeFrameReason, type StreamOptions } from './stream-base.ts';

export interface BrowserWebSocketOptions extends StreamOptions {
  /** How often write() looks at `bufferedAmount` while the buffer is over the high-water mark. */
  pollMs?: number;
}

// close() from script may only use 1000 or 3000-4999; 4003 is our "unsupported data" (RFC 6455's 1003).
const CLOSE_NORMAL = 1000;
const CLOSE_UNSUPPORTED_DATA = 4003;

function remoteOf(target: { host: string; port: number }): NetAddress {
  const type = target.host.includes(':') ? 'ipv6' : /^[0-9.]+$/.test(target.host) ? 'ipv4' : 'dns';
  return { type, address: target.host, port: target.port };
}

export class BrowserWebSocketStream extends StreamBase {
  private readonly hwm: number;
  private readonly pollMs: number;
  private drain: Promise<void> | undefined;
  private closeCode = CLOSE_NORMAL;

  constructor(private readonly ws: WebSocket, remote: NetAddress | undefined, opts: BrowserWebSocketOptions = {}) {
    super(remote);
    this.hwm = opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.pollMs = opts.pollMs ?? 5;
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev: MessageEvent) => {
      if (ev.data instanceof ArrayBuffer) {
        this.received(new Uint8Array(ev.data));
      } else {
        this.closeCode = CLOSE_UNSUPPORTED_DATA;
        this.close(typeof ev.data === 'string' ? TEXT_FRAME_REASON : 'protocol error: unexpected WebSocket message type');
      }
    };
    ws.onclose = (ev: CloseEvent) => this.ended(`peer closed the WebSocket (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`);
    ws.onerror = () => {}; // a close event follows, with the code
  }

  protected send(data: Uint8Array): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN) return Promise.reject(new TransportError('closed', 'WebSocket is closing'));
    // send() takes an ArrayBuffer-backed view; copy one backed by a SharedArrayBuffer.
    this.ws.send(data.buffer instanceof ArrayBuffer ? (data as Uint8Array<ArrayBuffer>) : data.slice());
    if (this.ws.bufferedAmount <= this.hwm) return Promise.resolve();
    this.drain ??= new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.closed || this.ws.bufferedAmount <= this.hwm) {
          this.drain = undefined;
          resolve();
        } else {
          setTimeout(check, this.pollMs);
        }
      };
      setTimeout(check, this.pollMs);
    });
    return this.drain;
  }

  protected shutdown(reason: string): void {
    this.ws.close(this.closeCode, closeFrameReason(reason));
  }
}

export class BrowserWebSocketDialer implements Dialer {
  constructor(private readonly opts: BrowserWebSocketOptions = {}) {}

  dial(target: DialTarget, signal?: AbortSignalLike): Promise<ByteStream> {
    if (target.kind !== 'websocket') {
      return Promise.reject(new TransportError('unsupported_target', `BrowserWebSocketDialer cannot dial ${target.kind}`));
    }
    const what = `WebSocket to ${target.url}`;
    if (signal?.aborted) return Promise.reject(abortError(signal, what));
    return new Promise<ByteStream>((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(target.url);
      } catch (e) {
        // SyntaxError for a bad URL; SecurityError for ws:// from a secure page or a blocked port.
        reject(new TransportError('bad_url', `${what}: ${(e as Error).message}`));
        return;
      }
      ws.binaryType = 'arraybuffer';
      let settled = false;
      ws.onerror = () => {}; // the browser says nothing useful; the close event has the code
      ws.onclose = (ev: CloseEvent) => {
        if (settled) return;
        settled = true;
        reject(new TransportError('dial_failed', `${what} failed (closed before opening, code ${ev.code})`));
      };
      ws.onopen = () => {
        if (settled) return;
        settled = true;
        resolve(new BrowserWebSocketStream(ws, remoteOf(target), this.opts));
      };
      signal?.addEventListener('abort', () => {
        if (settled) return;
        settled = true;
        ws.close();
        reject(abortError(signal, what));
      });
    });
  }
}
