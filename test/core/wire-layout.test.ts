// Field offsets and type numbers derived from the message declarations (wire/layout.ts,
// wire/messages.ts): checked against the BOLTs' byte counts and against encoded messages.
import { Reader } from '../../src/core/base/bytes.ts';
import { fieldOffset, fieldPlace, placeIn } from '../../src/core/wire/layout.ts';
import { encodeMessage, readType, TYPE } from '../../src/core/wire/messages.ts';
import { deepEqual, equal, throws } from '../support/assert.ts';

const bytes = (n: number, fill = 0) => new Uint8Array(n).fill(fill);
const point = (b: number) => {
  const p = bytes(33, b);
  p[0] = 2;
  return p;
};

describe('wire layout: type numbers', () => {
  it('come from the declarations, as the BOLTs number them', () => {
    equal(TYPE.warning, 1);
    equal(TYPE.init, 16);
    equal(TYPE.channel_announcement, 256);
    equal(TYPE.node_announcement, 257);
    equal(TYPE.channel_update, 258);
    equal(TYPE.gossip_timestamp_filter, 265);
    equal(TYPE.onion_message, 513);
  });

  it('readType reads the big-endian type, and -1 for fewer than two bytes', () => {
    equal(readType(new Uint8Array([0x01, 0x02, 0xff])), 258);
    equal(readType(new Uint8Array([0x00, 0x10])), 16);
    equal(readType(new Uint8Array([0x01])), -1);
    equal(readType(new Uint8Array(0)), -1);
  });
});

describe('wire layout: field offsets', () => {
  it('channel_update: fixed offsets, the 2-byte type counted (BOLT 7)', () => {
    equal(fieldOffset('channel_update', 'signature'), 2);
    equal(fieldOffset('channel_update', 'chain_hash'), 2 + 64);
    equal(fieldOffset('channel_update', 'short_channel_id'), 2 + 64 + 32);
    equal(fieldOffset('channel_update', 'timestamp'), 2 + 64 + 32 + 8);
    equal(fieldOffset('channel_update', 'channel_flags'), 2 + 64 + 32 + 8 + 4 + 1);
    equal(fieldOffset('channel_update', 'htlc_maximum_msat'), 138 - 8);
  });

  it('a field after a variable one is placed relative to its u16 length', () => {
    deepEqual(fieldPlace('channel_announcement', 'short_channel_id'), { at: 2 + 256 + 2 + 32, lenAt: 2 + 256, size: 8 });
    deepEqual(fieldPlace('node_announcement', 'node_id'), { at: 2 + 64 + 2 + 4, lenAt: 2 + 64, size: 33 });
    throws(() => fieldOffset('channel_announcement', 'node_id_1'), Error);
  });

  it('placeIn finds the field in encoded messages whatever the features length', () => {
    for (const features of [bytes(0), bytes(5, 0x80)]) {
      const raw = encodeMessage({
        name: 'channel_announcement',
        node_signature_1: bytes(64),
        node_signature_2: bytes(64),
        bitcoin_signature_1: bytes(64),
        bitcoin_signature_2: bytes(64),
        features,
        chain_hash: bytes(32, 7),
        short_channel_id: 0x0102030405060708n,
        node_id_1: point(1),
        node_id_2: point(2),
        bitcoin_key_1: point(3),
        bitcoin_key_2: point(4),
      });
      const at = placeIn(raw, fieldPlace('channel_announcement', 'short_channel_id'));
      equal(new Reader(raw.subarray(at)).u64(), 0x0102030405060708n);
      const k2 = placeIn(raw, fieldPlace('channel_announcement', 'bitcoin_key_2'));
      deepEqual(raw.subarray(k2, k2 + 33), point(4));
    }
  });

  it('placeIn is -1 when the bytes end before the length it needs', () => {
    equal(placeIn(bytes(259), fieldPlace('channel_announcement', 'short_channel_id')), -1);
  });

  it("init's features: a variable field after another, placed by the first one's length", () => {
    deepEqual(fieldPlace('init', 'features'), { at: 4, lenAt: 2, size: -1 });
  });
});
