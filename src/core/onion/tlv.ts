// One encode/decode pair for the TLV streams BOLT 4 carries (hop payloads, encrypted_data_tlv),
// over the wire codec; a stream that breaks BOLT 1's TLV rules fails with the BOLT 4 failure given.
import { DecodeError } from '../base/errors.ts';
import { decodeTlvStream, encodeTlvStream } from '../wire/codec.ts';
import type { TlvStreamDecl, TlvValues } from '../wire/schema.ts';
import { OnionError } from './errors.ts';

export function onionTlvCodec<D extends TlvStreamDecl>(
  decl: D,
  code: string,
  failure: string,
): { encode(v: TlvValues<D>): Uint8Array; decode(bytes: Uint8Array): TlvValues<D> } {
  return {
    encode: v => encodeTlvStream(decl, v as Record<string, unknown>),
    decode(bytes) {
      try {
        return decodeTlvStream(decl, bytes) as TlvValues<D>;
      } catch (e) {
        if (e instanceof DecodeError) throw new OnionError(code, e.message, failure);
        throw e;
      }
    },
  };
}
