// Fuzzing the wire decoders: 100,000+ mutated and random inputs per run through the message
// decoder, the TLV stream decoder and bigsize; each either decodes or throws a BoltError, and
// whatever decodes re-encodes to a message that decodes to the same value.
import { fromHex } from '../../src/core/base/bytes.ts';
import { decodeBigSize } from '../../src/core/wire/bigsize.ts';
import { decodeTlvStream } from '../../src/core/wire/codec.ts';
import { decodeMessage, encodeMessage, MESSAGES, type Message } from '../../src/core/wire/messages.ts';
import type { TlvStreamDecl } from '../../src/core/wire/schema.ts';
import { deepEqual, ok } from '../support/assert.ts';
import { attempt, mutate, Rng } from '../support/fuzz.ts';

const seeds = [
  '001000000000',
  '001000000000c9012acb0104',
  '0010000000030a8a820120' + '06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f' + '0307017f000001260f',
  '0011' + '00'.repeat(32) + '000568656c6c6f',
  '0001' + '11'.repeat(32) + '0000',
  '00120004000a' + '00'.repeat(10),
  '00130004' + '00'.repeat(4),
].map(fromHex);

const n1 = {
  1: ['tlv1', [['amount_msat', 'tu64']]],
  2: ['tlv2', [['scid', 'short_channel_id']]],
  3: [
    'tlv3',
    [
      ['node_id', 'point'],
      ['amount_msat_1', 'u64'],
      ['amount_msat_2', 'u64'],
    ],
  ],
  254: ['tlv4', [['cltv_delta', 'u16']]],
} as const satisfies TlvStreamDecl;
const tlvSeeds = ['0100', '010101', '02080000000000000226', 'fd00fe020226', '21000f012a', 'fd020100'].map(fromHex);

function checkRoundTrip(input: Uint8Array): boolean {
  const m = attempt('decodeMessage', input, () => decodeMessage(input));
  if (m instanceof Error || m.name === 'unknown') return false;
  const again = decodeMessage(encodeMessage(m as Message));
  deepEqual(again, m, 'decode(encode(decode(x))) differs');
  return true;
}

describe('wire fuzz', () => {
  it('100,000 mutated messages: decode or a typed error; what decodes re-encodes faithfully', () => {
    const rng = new Rng('wire-messages');
    let decoded = 0;
    for (let i = 0; i < 100_000; i++) {
      const input = mutate(rng, rng.pick(seeds), { donors: seeds });
      if (checkRoundTrip(input)) decoded++;
    }
    ok(decoded > 1000, `only ${decoded} inputs decoded: the mutator is too destructive to be useful`);
  });
  it('30,000 random messages of every declared type', () => {
    const rng = new Rng('wire-random');
    const types = Object.values(MESSAGES).map(m => m.type);
    for (let i = 0; i < 30_000; i++) {
      const t = rng.chance(0.9) ? rng.pick(types) : rng.int(65536);
      const input = new Uint8Array([t >> 8, t & 0xff, ...rng.bytes(rng.size(300))]);
      checkRoundTrip(input);
    }
  });
  it('100,000 TLV streams and bigsizes', () => {
    const rng = new Rng('wire-tlv');
    for (let i = 0; i < 100_000; i++) {
      const input = rng.chance(0.2) ? rng.bytes(rng.size(40)) : mutate(rng, rng.pick(tlvSeeds), { donors: tlvSeeds });
      attempt('decodeTlvStream', input, () => decodeTlvStream(n1, input));
      attempt('decodeBigSize', input, () => decodeBigSize(input));
    }
  });
});
