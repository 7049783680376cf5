// BOLT 8 over the platform WebSocket (a browser tab or a Worker; also Deno and workerd, which have
// the same global): binary frames only, in order; a text frame is a protocol error that closes the
// stream. The platform has no drain event, so write() polls `bufferedAmount`.
// Through a bridge it offers the `bridge-ack` subprotocol (bridge-policy.ts): when the bridge picks
// it, the stream tells the bridge, in text frames, how many bytes it has received, at least every
// BRIDGE_ACK_EVERY bytes, and stops telling while paused. The edge bridge, which cannot see what the
// client has read, stops reading the target while its window is unacknowledged: backpressure from
// connectd reaches the peer's TCP even from a browser. A bridge that answers the offer with no
// subprotocol makes the browser fail the handshake; the dial is then tried once without it. Nor can it stop
// reading: while paused (connectd's backpressure), frames that arrive are held in order by
// StreamBase and delivered on resume; connectd asks one query at a time, so that is one answer.
import type { AbortSignalLike, ByteStream, DialTarget, Dialer, NetAddress } from '../core/net/transport.ts';
import { BRIDGE_ACK_EVERY, BRIDGE_ACK_PROTOCOL, BRIDGE_CLIENT_PROTOCOLS } from '../core/bridge/policy.ts';
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
  /** The bridge picked `bridge-ack`: bytes received, the count last told, and whether we hold the next one back (paused). */
  private readonly acks: boolean;
  private receivedBytes = 0;
  private ackedBytes = 0;
  private holdAcks = false;

  constructor(
    private readonly ws: WebSocket,
    remote: NetAddress | undefined,
    opts: BrowserWebSocketOptions = {},
  ) {
    super(remote);
    this.hwm = opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.pollMs = opts.pollMs ?? 5;
    this.acks = ws.protocol === BRIDGE_ACK_PROTOCOL;
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev: MessageEvent) => {
      if (ev.data instanceof ArrayBuffer) {
        this.receivedBytes += ev.data.byteLength;
        this.received(new Uint8Array(ev.data));
        if (this.acks) this.ack(false);
      } else {
        this.closeCode = CLOSE_UNSUPPORTED_DATA;
        this.close(typeof ev.data === 'string' ? TEXT_FRAME_REASON : 'protocol error: unexpected WebSocket message type');
      }
    };
    ws.onclose = (ev: { code: number; reason: string }) =>
      this.ended(`peer closed the WebSocket (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`);
    ws.onerror = () => {}; // a close event follows, with the code
  }

  protected send(data: Uint8Array): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN) return Promise.reject(new TransportError('closed', 'WebSocket is closing'));
    // send() takes an ArrayBuffer-backed view; copy one backed by a SharedArrayBuffer.
    this.ws.send(data.buffer instanceof ArrayBuffer ? (data as Uint8Array<ArrayBuffer>) : data.slice());
    if (this.ws.bufferedAmount <= this.hwm) return Promise.resolve();
    this.drain ??= new Promise<void>(resolve => {
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

  /** Tells the bridge what was received: every BRIDGE_ACK_EVERY bytes, or all of it when `now`; never while paused. */
  private ack(now: boolean): void {
    if (this.holdAcks || this.closed || this.ws.readyState !== this.ws.OPEN) return;
    const due = this.receivedBytes - this.ackedBytes;
    if (due === 0 || (!now && due < BRIDGE_ACK_EVERY)) return;
    this.ackedBytes = this.receivedBytes;
    this.ws.send(String(this.receivedBytes));
  }

  protected override pauseReading(): void {
    this.holdAcks = true;
  }

  protected override resumeReading(): void {
    this.holdAcks = false;
    if (this.acks) this.ack(true);
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
    if (!target.bridge) return this.open(target, what, undefined, signal);
    // A bridge: offer `bridge-ack`; one that answers without a subprotocol fails the browser's
    // handshake, so once more without the offer.
    return this.open(target, what, BRIDGE_CLIENT_PROTOCOLS, signal).catch((e: unknown) => {
      if (!(e instanceof TransportError) || e.code !== 'dial_failed' || signal?.aborted) throw e;
      return this.open(target, what, undefined, signal);
    });
  }

  private open(
    target: Extract<DialTarget, { kind: 'websocket' }>,
    what: string,
    protocols: readonly string[] | undefined,
    signal?: AbortSignalLike,
  ): Promise<ByteStream> {
    if (signal?.aborted) return Promise.reject(abortError(signal, what));
    return new Promise<ByteStream>((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = protocols ? new WebSocket(target.url, [...protocols]) : new WebSocket(target.url);
      } catch (e) {
        // SyntaxError for a bad URL; SecurityError for ws:// from a secure page or a blocked port.
        reject(new TransportError('bad_url', `${what}: ${(e as Error).message}`));
        return;
      }
      ws.binaryType = 'arraybuffer';
      let settled = false;
      ws.onerror = () => {}; // the browser says nothing useful; the close event has the code
      ws.onclose = (ev: { code: number; reason: string }) => {
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
