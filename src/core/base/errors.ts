// Typed errors for everything src/core decides. A bad input is one of these, carrying what was
// wrong; anything else escaping a decoder is a bug (the fuzz tests hold us to that).

export class BoltError extends Error {
  /** A stable machine-readable reason, e.g. 'short_read', 'tlv_not_increasing', 'bad_mac'. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A BOLT 2 rule the peer (or our own caller) broke, named by `code` from the rule set `R`, with
 * what the spec tells the receiver to do: `warning` (send BOLT 1 `warning` and close the
 * connection) or `error` (send BOLT 1 `error` and fail the channel). openingd, channeld and closingd
 * each have their set (OpeningError, ChannelError, ClosingError); channel/errors.ts peerMessageFor
 * turns one into the message.
 */
export class PeerRuleError<R extends string> extends BoltError {
  declare readonly code: R;
  readonly action: 'warning' | 'error';
  constructor(code: R, message: string, action: 'warning' | 'error') {
    super(code, message);
    this.action = action;
  }
}

/** Malformed bytes: wire fields, bigsize, TLV streams, messages (BOLT 1). */
export class DecodeError extends BoltError {}

/** A value we refuse to encode (out of range, wrong length). */
export class EncodeError extends BoltError {}

/** A BOLT 8 handshake or transport failure. */
export class NoiseError extends BoltError {}

/** A feature negotiation failure (BOLT 9). */
export class FeatureError extends BoltError {}

/** A protocol rule broken by a peer after decoding (e.g. unknown even message type). */
export class ProtocolError extends BoltError {}

export function isBoltError(e: unknown): e is BoltError {
  return e instanceof BoltError;
}
