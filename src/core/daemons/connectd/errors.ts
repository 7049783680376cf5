// connectd's typed failures. `connect` failures carry each address tried and why it failed, so that
// lightningd can answer as Core Lightning does (connect_errors: 400, 401, 402).
import { BoltError } from '../../base/errors.ts';
import type { DialTarget } from '../../net/transport.ts';

export interface AttemptFailure {
  /** The address tried, as `host:port` or the WebSocket URL. */
  address: string;
  target: DialTarget;
  /** Why it failed, for people. */
  reason: string;
  /** The BoltError code of the failure, when there was one (e.g. 'bad_version', 'unknown_required_feature'). */
  code?: string;
}

export type ConnectErrorCode =
  /** No address to try (Core Lightning 400, CONNECT_NO_KNOWN_ADDRESS). */
  | 'no_address'
  /** Every address failed (401, CONNECT_ALL_ADDRESSES_FAILED); `attempts` says why each did. */
  | 'all_failed'
  /** The attempt was ended by a disconnect while connecting (402, CONNECT_DISCONNECTED_DURING). */
  | 'disconnected'
  /** The peer is not connected (sendToPeer, ping, disconnect). */
  | 'not_connected'
  /** A request connectd refuses (bad node id, connecting to ourselves, bad ping lengths...). */
  | 'bad_request'
  /** disconnect() without force while channel daemons own channels with the peer. */
  | 'has_channels'
  /** A ping that got no pong (timeout or the connection closed). */
  | 'no_pong'
  /** An incoming connection refused: `maxPendingInbound` others (or `maxPendingInboundPerAddress` from its address) are still in the handshake or before init. */
  | 'too_many_pending';

/** Core Lightning's JSON-RPC codes for the connect errors (common/jsonrpc_errors.h). */
export const CONNECT_RPC_CODES: Readonly<Partial<Record<ConnectErrorCode, number>>> = Object.freeze({
  no_address: 400,
  all_failed: 401,
  disconnected: 402,
});

export class ConnectError extends BoltError {
  declare readonly code: ConnectErrorCode;
  readonly attempts: AttemptFailure[];
  constructor(code: ConnectErrorCode, message: string, attempts: AttemptFailure[] = []) {
    super(code, message);
    this.attempts = attempts;
  }
  /** A plain object (errors lose their fields when Comlink carries them across a port). */
  toJSON(): { code: ConnectErrorCode; message: string; attempts: AttemptFailure[] } {
    return { code: this.code, message: this.message, attempts: this.attempts };
  }
}

/** An error's message for a log line or a failure reason (anything thrown, not only Errors). */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
