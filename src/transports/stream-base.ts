// What every ByteStream shares, whatever carries the bytes: data that arrives before start() is
// kept and delivered in order, the close handler runs exactly once with the first reason, and
// writes still waiting for the buffer to drain reject when the stream closes.
// Writes are gathered: the writes of one task (connectd encrypts and writes each message: a
// gossip answer is thousands of ~200-byte messages) go to the transport as one write at the end of
// the task (one syscall, one TCP segment train, one WebSocket frame), or at once when they reach
// COALESCE_BYTES. Order is kept (one queue); a write resolves at once while the transport is under
// its high-water mark, else when the transport drains (what the last send waits for), so
// backpressure holds and at most COALESCE_BYTES wait here. close() sends what is gathered first.
import type { ByteStream, NetAddress, StreamHandlers } from '../core/net/transport.ts';
import { concat } from '../core/base/bytes.ts';
import { deferTask } from './defer.ts';
import { TransportError, errorMessage } from './errors.ts';

/** Bytes a transport may hold unsent before write() waits (a few BOLT 8 messages of 65,553 bytes). */
export const DEFAULT_HIGH_WATER_MARK = 256 * 1024;
/** Gathered writes go to the transport at once when they reach this many bytes. */
export const COALESCE_BYTES = 64 * 1024;

export interface StreamOptions {
  /** write() resolves once the transport buffers at most this many bytes. */
  highWaterMark?: number;
}

export abstract class StreamBase implements ByteStream {
  private handlers: StreamHandlers | undefined;
  private early: Uint8Array[] = [];
  private reason: string | undefined;
  private notified = false;
  private readonly waiting = new Set<(e: Error) => void>();
  private paused = false;
  /** What arrived while paused (transports that cannot stop reading at once, or at all). */
  private held: Uint8Array[] = [];
  /** Writes gathered for the end of this task, and their bytes. */
  private gathered: Uint8Array[] = [];
  private gatheredBytes = 0;
  private flushQueued = false;
  /** The last send, until it resolves: while the transport is over its high-water mark, writes wait for it. */
  private backlog: Promise<void> | undefined;

  constructor(readonly remote?: NetAddress) {}

  /** Sends `data` now (in call order) and resolves when the buffer is under the high-water mark. */
  protected abstract send(data: Uint8Array): Promise<void>;
  /** Closes the underlying transport both ways; called once, by close(). */
  protected abstract shutdown(reason: string): void;

  get closed(): boolean {
    return this.reason !== undefined;
  }

  start(handlers: StreamHandlers): void {
    if (this.handlers) throw new TransportError('already_started', 'start() was already called on this stream');
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const chunk of early) {
      if (this.notified) break;
      handlers.data(chunk);
    }
    if (this.reason !== undefined) this.notify();
  }

  write(data: Uint8Array): Promise<void> {
    if (this.reason !== undefined) return Promise.reject(new TransportError('closed', `stream closed: ${this.reason}`));
    this.gathered.push(data);
    this.gatheredBytes += data.length;
    if (this.gatheredBytes >= COALESCE_BYTES) return this.track(this.flush());
    if (!this.flushQueued) {
      this.flushQueued = true;
      deferTask(() => {
        this.flushQueued = false;
        // Nobody waits on this send: a failure ends the stream (and later writes reject).
        if (this.reason === undefined) this.flush().catch(() => {});
      });
    }
    return this.backlog ? this.track(this.backlog) : Promise.resolve();
  }

  /** Hands what is gathered to the transport as one write; the promise is the send's (rejects when it fails, which also closes the stream). */
  private flush(): Promise<void> {
    const chunks = this.gathered;
    this.gathered = [];
    this.gatheredBytes = 0;
    if (!chunks.length) return this.backlog ?? Promise.resolve();
    let sent: Promise<void>;
    try {
      sent = this.send(chunks.length === 1 ? chunks[0]! : concat(...chunks));
    } catch (e) {
      sent = Promise.reject(e);
    }
    const p: Promise<void> = sent.then(
      () => {
        if (this.backlog === p) this.backlog = undefined;
      },
      (e: unknown) => {
        if (this.backlog === p) this.backlog = undefined;
        const err = e instanceof TransportError ? e : new TransportError('closed', `write failed: ${errorMessage(e)}`);
        this.close(err.message);
        throw err;
      },
    );
    this.backlog = p;
    return p;
  }

  /** A write's promise: `sent`'s outcome, or a rejection when the stream closes first. */
  private track(sent: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const fail = (e: Error): void => {
        this.waiting.delete(fail);
        reject(e);
      };
      this.waiting.add(fail);
      sent.then(
        () => {
          this.waiting.delete(fail);
          resolve();
        },
        (e: unknown) => fail(e instanceof TransportError ? e : new TransportError('closed', `write failed: ${errorMessage(e)}`)),
      );
    });
  }

  close(reason: string): void {
    if (this.reason !== undefined) return;
    // What was written before close() goes first (a farewell `warning`, say).
    if (this.gathered.length) {
      const chunks = this.gathered;
      this.gathered = [];
      try {
        void this.send(concat(...chunks)).catch(() => {});
      } catch {
        // The transport is already gone.
      }
      this.gatheredBytes = 0;
    }
    this.reason = reason;
    this.shutdown(reason);
    this.release();
  }

  /** Stops delivering data (ByteStream.pause): the transport stops reading where it can. */
  pause(): void {
    if (this.paused || this.reason !== undefined) return;
    this.paused = true;
    this.pauseReading();
  }

  /** Delivers what was held, in order, then reads again. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // By index, not shift(): a browser WebSocket may have held thousands of frames.
    let i = 0;
    while (i < this.held.length && !this.paused && this.reason === undefined && this.handlers) this.handlers.data(this.held[i++]!);
    this.held = i >= this.held.length ? [] : this.held.slice(i);
    if (!this.paused && this.reason === undefined) this.resumeReading();
  }

  /** Stop reading from the transport (Node sockets: socket.pause()); default: none, data is held. */
  protected pauseReading(): void {}
  protected resumeReading(): void {}

  /** The transport delivered bytes (dropped once closed). */
  protected received(chunk: Uint8Array): void {
    if (this.reason !== undefined) return;
    if (this.paused) this.held.push(chunk);
    else if (this.handlers) this.handlers.data(chunk);
    else this.early.push(chunk);
  }

  /** The transport ended by itself (peer closed, error); nothing more to shut down. */
  protected ended(reason: string): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.release();
  }

  private release(): void {
    this.held = [];
    this.gathered = [];
    this.gatheredBytes = 0;
    const err = new TransportError('closed', `stream closed: ${this.reason}`);
    for (const fail of [...this.waiting]) fail(err);
    if (this.handlers) this.notify();
  }

  private notify(): void {
    if (this.notified) return;
    this.notified = true;
    this.handlers!.close(this.reason!);
  }
}

/** A WebSocket close frame's reason is at most 123 bytes of UTF-8 (RFC 6455 5.5); cut on a character boundary. */
export function closeFrameReason(reason: string): string {
  const enc = new TextEncoder();
  if (enc.encode(reason).length <= 123) return reason;
  let out = '';
  for (const ch of reason) {
    if (enc.encode(out + ch).length > 120) break;
    out += ch;
  }
  return `${out}...`;
}

export const TEXT_FRAME_REASON = 'protocol error: text frame received (BOLT 8 over WebSocket uses binary frames only)';
