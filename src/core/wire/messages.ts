// Every message boltworker speaks, from the per-BOLT tables, behind one encode and one decode.
import { Reader, Writer } from '../base/bytes.ts';
import { DecodeError, EncodeError } from '../base/errors.ts';
import { readFields, readTlvStream, writeFields, writeTlvStream } from './codec.ts';
import { BOLT1 } from './bolt1.ts';
import { BOLT2 } from './bolt2.ts';
import { BOLT4 } from './bolt4.ts';
import { BOLT7 } from './bolt7.ts';
import type { MessageDecl, MessageValue, TlvStreamDecl } from './schema.ts';

export const MESSAGES = { ...BOLT1, ...BOLT2, ...BOLT4, ...BOLT7 } as const;

export type MessageName = keyof typeof MESSAGES;
export type MessageOf<N extends MessageName> = { name: N } & MessageValue<(typeof MESSAGES)[N]>;
export type Message = { [N in MessageName]: MessageOf<N> }[MessageName];

/** A message whose type we don't know: BOLT 1 says ignore it if odd, close the connection if even. */
export interface UnknownMessage {
  name: 'unknown';
  type: number;
  payload: Uint8Array;
}

const BY_TYPE = new Map<number, [MessageName, MessageDecl]>();
for (const [name, decl] of Object.entries(MESSAGES) as [MessageName, MessageDecl][]) {
  if (BY_TYPE.has(decl.type)) throw new Error(`two messages declared with type ${decl.type}`);
  BY_TYPE.set(decl.type, [name, decl]);
}

/** Each message's type number by name, from the declarations (`TYPE.channel_update` is 258). */
export const TYPE = Object.freeze(Object.fromEntries(Object.entries(MESSAGES).map(([name, decl]) => [name, decl.type]))) as {
  readonly [N in MessageName]: (typeof MESSAGES)[N]['type'];
};

export function messageType(name: MessageName): number {
  return MESSAGES[name].type;
}

/**
 * The type of a raw message: its first two bytes, big-endian (BOLT 1 "Lightning Message Format":
 * `type` is a 2-byte big-endian field), or -1 when it is shorter than that. The one place a type
 * is read from bytes; cheap enough for every message on the wire.
 */
export function readType(msg: Uint8Array): number {
  return msg.length < 2 ? -1 : (msg[0]! << 8) | msg[1]!;
}

export function messageName(type: number): MessageName | undefined {
  return BY_TYPE.get(type)?.[0];
}

function hasTlvs(decl: MessageDecl): decl is MessageDecl & { tlvs: TlvStreamDecl } {
  return decl.tlvs !== undefined && Object.keys(decl.tlvs).length > 0;
}

/**
 * Decodes one plaintext Lightning message (BOLT 1 "Lightning Message Format"). A known message
 * that is too short, or whose TLV extension is invalid, throws DecodeError (the connection MUST be
 * closed). Bytes after the fields of a message with no declared TLV stream are ignored, as the
 * spec lets readers ignore an extension.
 */
export function decodeMessage(bytes: Uint8Array): Message | UnknownMessage {
  const r = new Reader(bytes);
  const type = r.u16('message type');
  const known = BY_TYPE.get(type);
  if (!known) return { name: 'unknown', type, payload: r.rest() };
  const [name, decl] = known;
  const out: Record<string, unknown> = { name };
  try {
    Object.assign(out, readFields(r, decl.fields));
    if (hasTlvs(decl) && r.remaining > 0) out.tlvs = readTlvStream(r, decl.tlvs);
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(e.code, `${name}: ${e.message}`);
    throw e;
  }
  return out as Message;
}

/** Encodes a message (type + fields + its TLV extension). Limited to 65,535 bytes (BOLT 1/8). */
export function encodeMessage(m: Message): Uint8Array {
  const decl = MESSAGES[m.name] as MessageDecl | undefined;
  if (!decl) throw new EncodeError('unknown_message', `no such message: ${String(m.name)}`);
  const w = new Writer();
  w.u16(decl.type);
  writeFields(w, decl.fields, m as Record<string, unknown>);
  if (hasTlvs(decl)) writeTlvStream(w, decl.tlvs, (m as { tlvs?: Record<string, unknown> }).tlvs);
  if (w.length > 65535) throw new EncodeError('message_too_long', `${m.name} is ${w.length} bytes, over 65535`);
  return w.finish();
}
