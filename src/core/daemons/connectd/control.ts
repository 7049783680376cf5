// BOLT 1 control messages from a connected peer, answered by connectd itself: ping, pong, warning,
// error (and a repeated init).
import { toHex } from '../../base/bytes.ts';
import { ProtocolError } from '../../base/errors.ts';
import { decodeMessage, encodeMessage, type MessageOf } from '../../wire/messages.ts';
import type { PingAllowance } from './flood.ts';
import { NO_PONG_THRESHOLD, type Pinger } from './ping.ts';
import type { ChannelOwner, Log } from './types.ts';

/** What handling a control message may touch: one peer's connection and its channel owners. */
export interface ControlContext {
  label: string;
  log: Log;
  pinger: Pinger;
  /** Pings (and unasked pongs) this peer may still send (flood.ts). */
  allowance: PingAllowance;
  ownerOf(channelId: Uint8Array): ChannelOwner | undefined;
  deliver(owner: ChannelOwner, msg: Uint8Array): void;
  send(msg: Uint8Array): void;
  close(reason: string, code: string): void;
}

export type ControlName = 'init' | 'error' | 'warning' | 'ping' | 'pong';

const MAX_SHOWN_BYTES = 300;

/** BOLT 1: "SHOULD NOT print out `data` verbatim" unless it is all printable ASCII (32–126): else hex. */
export function printableData(data: Uint8Array): string {
  const shown = data.subarray(0, MAX_SHOWN_BYTES);
  const more = data.length > MAX_SHOWN_BYTES ? `… (${data.length} bytes)` : '';
  if (shown.every(c => c >= 32 && c <= 126)) return JSON.stringify(String.fromCharCode(...shown)) + more;
  return `hex:${toHex(shown)}${more}`;
}

function isZero(b: Uint8Array): boolean {
  return b.every(x => x === 0);
}

/** Handles one control message. A malformed one throws DecodeError (the caller closes with a warning). */
/** A ping asking for a pong this large (or larger) is charged as two pings, and so on. */
export const PONG_BYTES_PER_PING = 4096;

export function handleControl(name: ControlName, msg: Uint8Array, c: ControlContext): void {
  switch (name) {
    case 'init':
      c.log.debug(`${c.label}: a second init ignored`);
      return;
    case 'ping': {
      const ping = decodeMessage(msg) as MessageOf<'ping'>;
      // BOLT 1 rationale: "Limited precautions are recommended against `ping` flooding". Thrown,
      // this ends the connection with a `warning` (connection.ts); channels are not failed.
      // A large pong costs more: one ping more per PONG_BYTES_PER_PING bytes asked for.
      const answered = ping.num_pong_bytes < NO_PONG_THRESHOLD;
      if (!c.allowance.take(answered ? 1 + Math.floor(ping.num_pong_bytes / PONG_BYTES_PER_PING) : 1)) {
        throw new ProtocolError('ping_flood', 'too many pings');
      }
      // BOLT 1: "if `num_pong_bytes` is less than 65532: MUST respond by sending a `pong` message,
      // with `byteslen` equal to `num_pong_bytes`"; otherwise "MUST ignore the `ping`". The pong's
      // `ignored` is zeros ("SHOULD set `ignored` to 0s").
      if (answered) {
        c.send(encodeMessage({ name: 'pong', ignored: new Uint8Array(ping.num_pong_bytes) }));
      } else {
        c.log.debug(`${c.label}: ping asking for ${ping.num_pong_bytes} bytes ignored (BOLT 1: 65532 or more)`);
      }
      return;
    }
    case 'pong': {
      const pong = decodeMessage(msg) as MessageOf<'pong'>;
      // BOLT 1: a pong whose `byteslen` answers no ping we sent: "MAY close the connection". One
      // now and then is forgiven; each costs the peer as much as a ping.
      if (!c.pinger.onPong(pong.ignored.length) && !c.allowance.take()) {
        throw new ProtocolError('unexpected_pong', 'too many pongs that answer no ping');
      }
      return;
    }
    case 'warning': {
      const w = decodeMessage(msg) as MessageOf<'warning'>;
      const zero = isZero(w.channel_id);
      // BOLT 1: "upon receiving `warning`: SHOULD log the message for later diagnosis".
      c.log.warn(`${c.label}: peer sent warning${zero ? '' : ` for channel ${toHex(w.channel_id)}`}: ${printableData(w.data)}`);
      const owner = zero ? undefined : c.ownerOf(w.channel_id);
      if (owner) c.deliver(owner, msg);
      return;
    }
    case 'error': {
      const e = decodeMessage(msg) as MessageOf<'error'>;
      const text = printableData(e.data);
      if (isZero(e.channel_id)) {
        // BOLT 1: "if `channel_id` is all zero: MUST fail all channels with the sending node". The
        // channel daemons hear it as the connection ending.
        c.log.warn(`${c.label}: peer sent error: ${text}`);
        c.close(`peer sent error: ${text}`, 'peer_error');
        return;
      }
      const owner = c.ownerOf(e.channel_id);
      if (owner) {
        c.log.warn(`${c.label}: peer sent error for channel ${toHex(e.channel_id)}: ${text}`);
        c.deliver(owner, msg);
      } else {
        // BOLT 1: "if no existing channel is referred to by `channel_id`: MUST ignore the message."
        c.log.info(`${c.label}: peer sent error for unknown channel ${toHex(e.channel_id)} (ignored): ${text}`);
      }
      return;
    }
  }
}
