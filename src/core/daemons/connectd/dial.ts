// connectd's outgoing connections: a `connect` tries each dial target in turn (the targets come
// from address hints, bridges and direct routes, planned by src/core/net/address.ts planDial),
// each dial bounded by `dialTimeoutMs` and abortable, until one completes the BOLT 8 handshake and
// `init`. Concurrent calls for one node id share one attempt. Reconnecting to important peers with
// backoff is reconnect.ts's; what a connection does once ready is connectd.ts's.
import { isBoltError } from '../../base/errors.ts';
import type { ByteStream, DialTarget } from '../../net/transport.ts';
import { AbortControl } from './abort.ts';
import type { Connection } from './connection.ts';
import { ConnectError, errorText, type AttemptFailure } from './errors.ts';
import { describeTarget } from './netaddr.ts';
import type { Clock, ConnectdConfig, ConnectResult, Dialer, Log } from './types.ts';

/** A `connect` in progress: every caller for the same id shares it. */
export interface Attempt {
  id: string;
  promise: Promise<ConnectResult>;
  settled: boolean;
  resolve(r: ConnectResult): void;
  reject(e: ConnectError): void;
  /** Stops whatever the attempt is doing now (a dial or a handshake). */
  abort?: (reason: string) => void;
  /** The connection the attempt is handshaking on, if any. */
  conn?: Connection;
}

export interface DialDeps {
  config: ConnectdConfig;
  clock: Clock;
  log: Log;
  dialer: Dialer;
  stopped(): boolean;
  /** The peer's result when it is connected (by whoever dialled). */
  connected(id: string): ConnectResult | undefined;
  /** Starts the handshake and `init` as initiator on a dialled stream. */
  open(stream: ByteStream, target: DialTarget, idBytes: Uint8Array): Connection;
}

export class Dialing {
  private readonly attempts = new Map<string, Attempt>();

  constructor(private readonly d: DialDeps) {}

  /** The attempt in progress for `id`, if any. */
  get(id: string): Attempt | undefined {
    return this.attempts.get(id);
  }

  /** Every attempt in progress. */
  all(): Attempt[] {
    return [...this.attempts.values()];
  }

  /** A new attempt for `id` over `targets`, in order; the caller has checked there is none already. */
  start(id: string, idBytes: Uint8Array, targets: DialTarget[]): Promise<ConnectResult> {
    const attempt = this.newAttempt(id);
    void this.run(attempt, idBytes, targets);
    return attempt.promise;
  }

  private newAttempt(id: string): Attempt {
    let resolve!: (r: ConnectResult) => void;
    let reject!: (e: ConnectError) => void;
    const promise = new Promise<ConnectResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const attempt: Attempt = {
      id,
      promise,
      settled: false,
      resolve: r => {
        if (attempt.settled) return;
        attempt.settled = true;
        if (this.attempts.get(id) === attempt) this.attempts.delete(id);
        resolve(r);
      },
      reject: e => {
        if (attempt.settled) return;
        attempt.settled = true;
        if (this.attempts.get(id) === attempt) this.attempts.delete(id);
        reject(e);
      },
    };
    this.attempts.set(id, attempt);
    return attempt;
  }

  private async run(attempt: Attempt, idBytes: Uint8Array, targets: DialTarget[]): Promise<void> {
    const failures: AttemptFailure[] = [];
    for (const target of targets) {
      if (attempt.settled) return;
      try {
        await this.tryTarget(attempt, idBytes, target);
        // Ready: connectd's onReady has settled the attempt.
        return;
      } catch (e) {
        if (attempt.settled) return;
        const failure: AttemptFailure = { address: describe(target), target, reason: errorText(e) };
        if (isBoltError(e)) failure.code = e.code;
        failures.push(failure);
        this.d.log.debug(`connect ${attempt.id.slice(0, 16)}: ${failure.address} failed: ${failure.reason}`);
      } finally {
        attempt.abort = undefined;
        attempt.conn = undefined;
      }
    }
    const live = this.d.connected(attempt.id);
    if (live) {
      attempt.resolve(live);
      return;
    }
    const summary = failures.map(f => `${f.address}: ${f.reason}`).join('; ');
    attempt.reject(new ConnectError('all_failed', `all ${failures.length} address(es) failed: ${summary}`, failures));
  }

  /** Dials one target and runs the handshake and `init` on it; resolves when the peer is ready. */
  private async tryTarget(attempt: Attempt, idBytes: Uint8Array, target: DialTarget): Promise<void> {
    if (
      !target ||
      (target.kind !== 'tcp' && target.kind !== 'websocket') ||
      typeof target.host !== 'string' ||
      !Number.isInteger(target.port)
    ) {
      throw new ConnectError('bad_request', 'not a dial target');
    }
    const stream = await this.dial(attempt, target);
    if (attempt.settled || this.d.stopped()) {
      stream.close('no longer needed');
      return;
    }
    const conn = this.d.open(stream, target, idBytes);
    attempt.conn = conn;
    attempt.abort = reason => conn.close(reason, 'aborted');
    conn.start();
    await conn.whenReady();
  }

  /** `dialer.dial` bounded by `dialTimeoutMs` and abortable; a stream that arrives late is closed. */
  private dial(attempt: Attempt, target: DialTarget): Promise<ByteStream> {
    const { clock, config, dialer } = this.d;
    return new Promise<ByteStream>((resolve, reject) => {
      const ctl = new AbortControl();
      let done = false;
      const finish = (err: Error | undefined, stream?: ByteStream): void => {
        if (done) {
          if (stream) stream.close('dial no longer wanted');
          return;
        }
        done = true;
        clock.clearTimeout(timer);
        if (err) {
          ctl.abort();
          reject(err);
        } else resolve(stream!);
      };
      const timer = clock.setTimeout(
        () => finish(new ConnectError('all_failed', `dial timed out after ${config.dialTimeoutMs} ms`)),
        config.dialTimeoutMs,
      );
      attempt.abort = reason => finish(new ConnectError('disconnected', reason));
      let p: Promise<ByteStream>;
      try {
        p = Promise.resolve(dialer.dial(target, ctl.signal));
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(
        s => finish(undefined, s),
        e => finish(e instanceof Error ? e : new Error(String(e))),
      );
    });
  }
}

function describe(t: DialTarget): string {
  try {
    return describeTarget(t);
  } catch {
    return String((t as { url?: unknown; host?: unknown }).url ?? (t as { host?: unknown }).host);
  }
}
