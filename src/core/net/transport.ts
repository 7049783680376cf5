// The one byte-stream interface every transport implements (browser WebSocket, `ws`, Node TCP,
// `cloudflare:sockets`), so that connectd (in src/core) never knows which one it drives.

/** Where a stream goes to or came from, as connectd reports it (Core Lightning's address shape). */
export interface NetAddress {
  type: 'ipv4' | 'ipv6' | 'dns' | 'torv3' | 'websocket';
  address: string;
  port: number;
}

export interface StreamHandlers {
  /** Bytes in the order the peer sent them. For WebSockets, one binary frame's payload. */
  data(chunk: Uint8Array): void;
  /** The stream ended (by either side, or by an error); called exactly once. */
  close(reason: string): void;
}

export interface ByteStream {
  /** The remote end, when the transport knows it. */
  readonly remote?: NetAddress;
  /** Installs the handlers; data that arrived before is delivered then, in order. */
  start(handlers: StreamHandlers): void;
  /**
   * Queues bytes; the promise resolves once the transport's buffer is below its high-water mark
   * (backpressure), and rejects if the stream is closed.
   */
  write(data: Uint8Array): Promise<void>;
  /** Closes the stream; the close handler then runs with this reason. Idempotent. */
  close(reason: string): void;
  /**
   * Optional: stop delivering data until resume(). A transport that can stops reading, so the
   * peer's sends back up (TCP's window, the `ws` socket); one that cannot (the browser's WebSocket)
   * keeps what arrives, in order, and delivers it on resume(). Nothing is dropped either way.
   */
  pause?(): void;
  resume?(): void;
}

/** Opens outbound streams. `signal` aborts a dial in progress. */
export interface Dialer {
  dial(target: DialTarget, signal?: AbortSignalLike): Promise<ByteStream>;
}

/** A concrete thing to dial: a TCP host/port, or a WebSocket URL (direct or through a bridge). */
export type DialTarget =
  | { kind: 'tcp'; host: string; port: number }
  /** `bridge`: the URL is a WebSocket-to-TCP bridge's (bridge-policy.ts: the client offers `bridge-ack`). */
  | { kind: 'websocket'; url: string; host: string; port: number; bridge?: boolean };

/** The part of AbortSignal core uses (core has no DOM types). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', fn: () => void): void;
}
