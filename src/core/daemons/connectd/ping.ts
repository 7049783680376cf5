// BOLT 1 "The ping and pong Messages", our side: keepalive pings, the `ping` RPC, and matching each
// pong to the ping that asked for it. One Pinger per live connection.
import { encodeMessage } from '../../wire/messages.ts';
import { ConnectError } from './errors.ts';
import type { Clock, PingResult } from './types.ts';

/** BOLT 1: a ping with `num_pong_bytes` of at least this MUST be ignored: no pong will come. */
export const NO_PONG_THRESHOLD = 65532;
/** A ping is type + num_pong_bytes + byteslen + ignored: `ignored` is at most 65535 - 6 bytes. */
export const MAX_PING_PADDING = 65535 - 6;

interface Outstanding {
  numPongBytes: number;
  timer: unknown;
  resolve?: (r: PingResult) => void;
  reject?: (e: Error) => void;
}

export interface PingerDeps {
  clock: Clock;
  intervalMs: number;
  timeoutMs: number;
  /** Sends a plaintext message to the peer. */
  send(msg: Uint8Array): void;
  /** Ends the connection (a pong that never came). */
  fail(reason: string): void;
  /**
   * Optional: true while we do not read the peer (backpressure from gossipd): a pong cannot be
   * seen then, so a ping's timeout starts again instead of failing the connection.
   */
  notReading?(): boolean;
  debug(msg: string): void;
}

export class Pinger {
  private outstanding: Outstanding[] = [];
  private keepalive: unknown;
  private stopped = false;

  constructor(private readonly d: PingerDeps) {}

  /** Starts keepalive pings: one every `intervalMs`, unless a ping is already waiting for its pong. */
  start(): void {
    if (this.stopped || this.d.intervalMs <= 0) return;
    this.keepalive = this.d.clock.setTimeout(() => {
      this.keepalive = undefined;
      if (this.stopped) return;
      // BOLT 1 sender: "SHOULD set `ignored` to 0s"; we ask for an empty pong.
      if (this.outstanding.length === 0) this.send(0, 0);
      this.start();
    }, this.d.intervalMs);
  }

  /**
   * The `ping` RPC: sends a ping with `len` bytes of padding asking for `pongbytes` bytes back and
   * resolves with the pong's total length, as Core Lightning's `ping` does ({totlen: 0} at once
   * when `pongbytes` is 65532 or more: BOLT 1 says the peer MUST ignore such a ping).
   */
  ping(len: number, pongbytes: number): Promise<PingResult> {
    return new Promise((resolve, reject) => this.send(pongbytes, len, resolve, reject));
  }

  private send(numPongBytes: number, len: number, resolve?: (r: PingResult) => void, reject?: (e: Error) => void): void {
    if (this.stopped) {
      reject?.(new ConnectError('not_connected', 'the connection is closed'));
      return;
    }
    const msg = encodeMessage({ name: 'ping', num_pong_bytes: numPongBytes, ignored: new Uint8Array(len) });
    if (numPongBytes >= NO_PONG_THRESHOLD) {
      this.d.send(msg);
      resolve?.({ totlen: 0 });
      return;
    }
    const entry: Outstanding = { numPongBytes, timer: undefined };
    if (resolve) entry.resolve = resolve;
    if (reject) entry.reject = reject;
    entry.timer = this.d.clock.setTimeout(() => this.timedOut(entry), this.d.timeoutMs);
    this.outstanding.push(entry);
    this.d.send(msg);
  }

  /**
   * A pong arrived with `byteslen` bytes. BOLT 1: "if `byteslen` does not correspond to any `ping`'s
   * `num_pong_bytes` value it has sent: MAY close the connection" — here we only log it and say
   * so (false); control.ts charges unasked pongs to the peer's ping allowance (flood.ts).
   */
  onPong(byteslen: number): boolean {
    const i = this.outstanding.findIndex(o => o.numPongBytes === byteslen);
    if (i < 0) {
      this.d.debug(`pong with ${byteslen} bytes matches no ping we sent; ignored`);
      return false;
    }
    const [o] = this.outstanding.splice(i, 1);
    this.d.clock.clearTimeout(o!.timer);
    // Core Lightning's `totlen`: the whole pong, type (2) and byteslen (2) included.
    o!.resolve?.({ totlen: 4 + byteslen });
    return true;
  }

  private timedOut(o: Outstanding): void {
    const i = this.outstanding.indexOf(o);
    if (i < 0) return;
    if (this.d.notReading?.()) {
      o.timer = this.d.clock.setTimeout(() => this.timedOut(o), this.d.timeoutMs);
      return;
    }
    this.outstanding.splice(i, 1);
    const reason = `no pong within ${this.d.timeoutMs} ms`;
    o.reject?.(new ConnectError('no_pong', reason));
    // BOLT 1: "if it doesn't receive a corresponding pong: MAY close the network connection".
    this.d.fail(reason);
  }

  /** The connection ended: stop keepalives, fail every ping still waiting. */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.keepalive !== undefined) this.d.clock.clearTimeout(this.keepalive);
    this.keepalive = undefined;
    const waiting = this.outstanding;
    this.outstanding = [];
    for (const o of waiting) {
      this.d.clock.clearTimeout(o.timer);
      o.reject?.(new ConnectError('no_pong', `the connection closed before the pong: ${reason}`));
    }
  }
}
