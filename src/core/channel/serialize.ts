// A channel's state as a string and back (JSON with tagged bigints and bytes), for channeld to
// persist before it sends the messages that depend on it.
import { fromHex, toHex } from '../base/bytes.ts';
import type { ChannelState } from './state.ts';

export function serializeChannel(s: ChannelState): string {
  return serializeValue(s);
}

export function deserializeChannel(text: string): ChannelState {
  return deserializeValue<ChannelState>(text);
}

/** Any plain data of bigints, bytes and JSON values (a funded channel, a ChannelState) as a string. */
export function serializeValue(s: unknown): string {
  return JSON.stringify(s, (_k, v: unknown) => {
    if (typeof v === 'bigint') return { $n: v.toString() };
    if (v instanceof Uint8Array) return { $b: toHex(v) };
    return v;
  });
}

export function deserializeValue<T>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && typeof o.$n === 'string') return BigInt(o.$n);
      if (keys.length === 1 && typeof o.$b === 'string') return fromHex(o.$b);
    }
    return v;
  }) as T;
}
