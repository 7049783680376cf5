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
