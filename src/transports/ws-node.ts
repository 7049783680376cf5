// BOLT 8 over WebSocket in Node, with the `ws` package: binary frames only, in order; a text frame
// is a protocol error that closes the stream. Also the stream type ws-listener-node.ts hands out.
import WebSocket from 'ws';
import type { AbortSignalLike, ByteStream, DialTarget, Dialer, NetAddress } from '../core/net/transport.ts';
import { TransportError, abortError } from './errors.ts';
import { DEFAULT_HIGH_WATER_MARK, StreamBase, TEXT_FRAME_REASON, closeFrameReason, type StreamOptions } from './stream-base.ts';
import { netAddress } from './tcp-node.ts';

export interface WsOptions extends StreamOptions {
  /** Largest frame accepted (a BOLT 8 message is at most 2 + 16 + 65,535 + 16 bytes). */
  maxPayload?: number;
}

export const DEFAULT_MAX_PAYLOAD = 1 << 20;

export class WsStream extends StreamBase {
  private readonly hwm: number;
  private closeCode = 1000;

  constructor(
    private readonly ws: WebSocket,
    remote: NetAddress | undefined,
    opts: StreamOptions = {},
  ) {
    super(remote);
    this.hwm = opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    ws.binaryType = 'arraybuffer';
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        // RFC 6455 7.4.1: 1003, "received a type of data it cannot accept".
        this.closeCode = 1003;
        this.close(TEXT_FRAME_REASON);
        return;
      }
      this.received(new Uint8Array(data as ArrayBuffer));
    });
    ws.on('close', (code, reason) => {
      const why = reason.length > 0 ? `: ${reason.toString()}` : '';
      this.ended(`peer closed the WebSocket (code ${code}${why})`);
    });
    ws.on('error', e => this.ended(`WebSocket error: ${e.message}`));
  }

  protected send(data: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // The callback runs once this frame has been handed to the kernel, so every earlier one too.
      this.ws.send(data, { binary: true }, err => {
        if (err) reject(new TransportError('closed', `WebSocket write failed: ${err.message}`));
        else resolve();
      });
      if (this.ws.bufferedAmount <= this.hwm) resolve();
    });
  }

  // `ws` stops reading the underlying socket while paused: TCP backpressure to the peer.
  protected override pauseReading(): void {
    this.ws.pause();
  }

  protected override resumeReading(): void {
    this.ws.resume();
  }

  protected shutdown(reason: string): void {
    this.ws.close(this.closeCode, closeFrameReason(reason));
  }
}

export class WsDialer implements Dialer {
  constructor(private readonly opts: WsOptions = {}) {}

  dial(target: DialTarget, signal?: AbortSignalLike): Promise<ByteStream> {
    if (target.kind !== 'websocket') return Promise.reject(new TransportError('unsupported_target', `WsDialer cannot dial ${target.kind}`));
    const what = `WebSocket to ${target.url}`;
    if (signal?.aborted) return Promise.reject(abortError(signal, what));
    return new Promise<ByteStream>((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(target.url, { perMessageDeflate: false, maxPayload: this.opts.maxPayload ?? DEFAULT_MAX_PAYLOAD });
      } catch (e) {
        reject(new TransportError('bad_url', `${what}: ${(e as Error).message}`));
        return;
      }
      let settled = false;
      const onError = (e: Error): void => {
        if (settled) return;
        settled = true;
        ws.terminate();
        reject(new TransportError('dial_failed', `${what} failed: ${e.message}`));
      };
      ws.once('error', onError);
      ws.once('open', () => {
        if (settled) return;
        settled = true;
        ws.off('error', onError);
        resolve(new WsStream(ws, netAddress(target.host, target.port), this.opts));
      });
      signal?.addEventListener('abort', () => {
        if (settled) return;
        settled = true;
        ws.once('error', () => {}); // terminate() while connecting reports an error we no longer need
        ws.terminate();
        reject(abortError(signal, what));
      });
    });
  }
}
