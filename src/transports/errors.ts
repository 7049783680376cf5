// Typed transport failures (dialing, listening, writing to a closed stream), and the AbortSignal
// handling every dialer shares.
import { BoltError } from '../core/base/errors.ts';
import type { AbortSignalLike } from '../core/net/transport.ts';

/**
 * Codes: `dial_failed` (refused, unreachable, handshake refused), `dial_aborted`, `dial_timeout`
 * (the signal's reason was a TimeoutError, as from `AbortSignal.timeout()`), `bad_url`,
 * `unsupported_target` (the wrong dialer for a target kind), `closed` (write after close),
 * `already_started`, `listen_failed`.
 */
export class TransportError extends BoltError {}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The error a dial rejects with when its signal aborts. */
export function abortError(signal: AbortSignalLike, what: string): TransportError {
  const reason = (signal as { reason?: unknown }).reason;
  const timeout = reason instanceof Error && reason.name === 'TimeoutError';
  return new TransportError(timeout ? 'dial_timeout' : 'dial_aborted', `${what}: ${timeout ? 'timed out' : 'aborted'}`);
}
