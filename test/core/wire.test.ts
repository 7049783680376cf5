// BOLT 1 wire format: the spec's Appendix A (bigsize), Appendix B (TLV) and Appendix C (message
// extension) vectors, plus round trips of every BOLT 1 message and short_channel_id forms.
import { fromHex, toHex, Reader } from '../../src/core/base/bytes.ts';
import { DecodeError } from '../../src/core/base/errors.ts';
import { decodeBigSize, encodeBigSize } from '../../src/core/wire/bigsize.ts';
import { decodeTlvStream, encodeTlvStream } from '../../src/core/wire/codec.ts';
import { decodeMessage, encodeMessage, type Message } from '../../src/core/wire/messages.ts';
import { formatScid, parseScid, scidFromParts } from '../../src/core/wire/scid.ts';
import type { TlvStreamDecl } from '../../src/core/wire/schema.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';

const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));

describe('BOLT 1 Appendix A: bigsize', () => {
  const good: [string, bigint, string][] = [
    ['zero', 0n, '00'],
    ['one byte high', 252n, 'fc'],
    ['two byte low', 253n, 'fd00fd'],
    ['two byte high', 65535n, 'fdffff'],
    ['four byte low', 65536n, 'fe00010000'],
    ['four byte high', 4294967295n, 'feffffffff'],
    ['eight byte low', 4294967296n, 'ff0000000100000000'],
    ['eight byte high', 18446744073709551615n, 'ffffffffffffffffff'],
  ];
  for (const [name, value, bytes] of good) {
    it(`decodes and encodes ${name}`, () => {
      equal(decodeBigSize(fromHex(bytes)), value);
      equal(toHex(encodeBigSize(value)), bytes);
    });
  }
  const bad: [string, string, string][] = [
    ['two byte not canonical', 'fd00fc', 'bigsize_not_canonical'],
    ['four byte not canonical', 'fe0000ffff', 'bigsize_not_canonical'],
    ['eight byte not canonical', 'ff00000000ffffffff', 'bigsize_not_canonical'],
    ['two byte short read', 'fd00', 'short_read'],
    ['four byte short read', 'feffff', 'short_read'],
    ['eight byte short read', 'ffffffffff', 'short_read'],
    ['one byte no read', '', 'short_read'],
    ['two byte no read', 'fd', 'short_read'],
    ['four byte no read', 'fe', 'short_read'],
    ['eight byte no read', 'ff', 'short_read'],
  ];
  for (const [name, bytes, code] of bad) {
    it(`rejects ${name}`, () => {
      throws(() => decodeBigSize(fromHex(bytes)), DecodeError, code);
    });
  }
});

// Appendix B's two test namespaces.
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
const n2 = {
  0: ['tlv1', [['amount_msat', 'tu64']]],
  11: ['tlv2', [['cltv_expiry', 'tu32']]],
} as const satisfies TlvStreamDecl;

describe('BOLT 1 Appendix B: TLV decoding failures', () => {
  const anyNamespace = [
    'fd',
    'fd01',
    'fd0001 00',
    'fd0101',
    '0f fd',
    '0f fd26',
    '0f fd2602',
    '0f fd0001 00',
    '0f fd0201' + '00'.repeat(256),
  ];
  const eitherNamespace = ['12 00', 'fd0102 00', 'fe01000002 00', 'ff0100000000000002 00'];
  const n1Only = [
    '01 09 ffffffffffffffffff',
    '01 01 00',
    '01 02 0001',
    '01 03 000100',
    '01 04 00010000',
    '01 05 0001000000',
    '01 06 000100000000',
    '01 07 00010000000000',
    '01 08 0001000000000000',
    '02 07 01010101010101',
    '02 09 010101010101010101',
    '03 21 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb',
    '03 29 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb0000000000000001',
    '03 30 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb000000000000000100000000000001',
    '03 31 043da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb00000000000000010000000000000002',
    '03 32 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb0000000000000001000000000000000001',
    'fd00fe 00',
    'fd00fe 01 01',
    'fd00fe 03 010101',
    '00 00',
    // "TLV Stream Decoding Failure" in n1
    '02 08 0000000000000226 01 01 2a',
    '02 08 0000000000000231 02 08 0000000000000451',
    '1f 00 0f 01 2a',
    '1f 00 1f 01 2a',
  ];
  for (const s of [...anyNamespace, ...eitherNamespace]) {
    it(`fails in n1 and n2: ${s.slice(0, 40)}`, () => {
      throws(() => decodeTlvStream(n1, hex(s)), DecodeError);
      throws(() => decodeTlvStream(n2, hex(s)), DecodeError);
    });
  }
  for (const s of n1Only) {
    it(`fails in n1: ${s.slice(0, 40)}`, () => {
      throws(() => decodeTlvStream(n1, hex(s)), DecodeError);
    });
  }
  it('fails in n2: ffffffffffffffffff 00 00 00 (invalid ordering)', () => {
    throws(() => decodeTlvStream(n2, hex('ffffffffffffffffff 00 00 00')), DecodeError, 'tlv_not_increasing');
  });
  it('names the reason: unknown even type, non-minimal, ordering', () => {
    throws(() => decodeTlvStream(n1, hex('12 00')), DecodeError, 'tlv_unknown_even');
    throws(() => decodeTlvStream(n1, hex('01 01 00')), DecodeError, 'not_minimal');
    throws(() => decodeTlvStream(n1, hex('fd0001 00')), DecodeError, 'bigsize_not_canonical');
    throws(() => decodeTlvStream(n1, hex('02 08 0000000000000231 02 08 0000000000000451')), DecodeError, 'tlv_not_increasing');
  });
  it('appending an invalid stream to a valid one fails', () => {
    throws(() => decodeTlvStream(n1, hex('01 00' + '12 00')), DecodeError);
  });
});

describe('BOLT 1 Appendix B: TLV decoding successes', () => {
  const ignored = ['', '21 00', 'fd0201 00', 'fd00fd 00', 'fd00ff 00', 'fe02000001 00', 'ff0200000000000001 00'];
  for (const s of ignored) {
    it(`decodes and ignores in n1 and n2: "${s}"`, () => {
      for (const ns of [n1, n2] as TlvStreamDecl[]) {
        const v = decodeTlvStream(ns, hex(s));
        const named = Object.keys(v).filter(k => k !== 'unknown');
        equal(named.length, 0);
        equal((v.unknown as unknown[] | undefined)?.length ?? 0, s === '' ? 0 : 1);
      }
    });
  }
  const values: [string, Record<string, unknown>][] = [
    ['01 00', { tlv1: { amount_msat: 0n } }],
    ['01 01 01', { tlv1: { amount_msat: 1n } }],
    ['01 02 0100', { tlv1: { amount_msat: 256n } }],
    ['01 03 010000', { tlv1: { amount_msat: 65536n } }],
    ['01 04 01000000', { tlv1: { amount_msat: 16777216n } }],
    ['01 05 0100000000', { tlv1: { amount_msat: 4294967296n } }],
    ['01 06 010000000000', { tlv1: { amount_msat: 1099511627776n } }],
    ['01 07 01000000000000', { tlv1: { amount_msat: 281474976710656n } }],
    ['01 08 0100000000000000', { tlv1: { amount_msat: 72057594037927936n } }],
    ['02 08 0000000000000226', { tlv2: { scid: scidFromParts({ block: 0, txindex: 0, outnum: 550 }) } }],
    [
      '03 31 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb00000000000000010000000000000002',
      {
        tlv3: {
          node_id: fromHex('023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb'),
          amount_msat_1: 1n,
          amount_msat_2: 2n,
        },
      },
    ],
    ['fd00fe 02 0226', { tlv4: { cltv_delta: 550 } }],
  ];
  for (const [s, want] of values) {
    it(`decodes n1 ${s.slice(0, 30)} and re-encodes the same bytes`, () => {
      const got = decodeTlvStream(n1, hex(s));
      deepEqual(got, want);
      equal(toHex(encodeTlvStream(n1, got)), toHex(hex(s)));
    });
  }
  it('appending a higher-numbered valid stream to a lower one decodes', () => {
    const v = decodeTlvStream(n1, hex('01 01 01' + '02 08 0000000000000226' + 'fd00fe 02 0226'));
    deepEqual(Object.keys(v).sort(), ['tlv1', 'tlv2', 'tlv4']);
  });
  it('the 0x0x550 scid prints as Core Lightning prints it', () => {
    equal(formatScid(0x226n), '0x0x550');
  });
});

describe('BOLT 1 Appendix C: message extension', () => {
  it('0x001000000000: init without extension', () => {
    const m = decodeMessage(hex('001000000000'));
    equal(m.name, 'init');
    ok(m.name === 'init' && m.features.length === 0 && m.tlvs === undefined);
  });
  it('0x001000000000c9012acb0104: two unknown odd TLVs are valid', () => {
    const m = decodeMessage(hex('001000000000c9012acb0104'));
    ok(m.name === 'init');
    equal(m.tlvs?.unknown?.length, 2);
    // The extension is kept, so re-encoding gives the same bytes (signed messages need this).
    equal(toHex(encodeMessage(m)), '001000000000c9012acb0104');
  });
  for (const [s, why] of [
    ['00100000000001', 'truncated extension'],
    ['001000000000ca012a', 'unknown even TLV'],
    ['001000000000c90101c90102', 'duplicate TLV'],
  ] as const) {
    it(`0x${s} is invalid: ${why}`, () => {
      throws(() => decodeMessage(hex(s)), DecodeError);
    });
  }
});

describe('BOLT 1 messages', () => {
  const regtest = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
  const cases: Message[] = [
    {
      name: 'init',
      globalfeatures: new Uint8Array(0),
      features: fromHex('028a82'),
      tlvs: { networks: { chains: [regtest] }, remote_addr: { data: fromHex('017f000001260f') } },
    },
    { name: 'error', channel_id: new Uint8Array(32), data: new TextEncoder().encode('bad things') },
    { name: 'warning', channel_id: new Uint8Array(32).fill(1), data: new Uint8Array(0) },
    { name: 'ping', num_pong_bytes: 4, ignored: new Uint8Array(10) },
    { name: 'pong', ignored: new Uint8Array(4) },
  ];
  for (const m of cases) {
    it(`${m.name} round-trips`, () => {
      const b = encodeMessage(m);
      deepEqual(decodeMessage(b), m);
    });
  }
  it('ping has the declared layout: type 18, num_pong_bytes, byteslen, ignored', () => {
    equal(toHex(encodeMessage({ name: 'ping', num_pong_bytes: 0x0102, ignored: new Uint8Array(3) })), '0012' + '0102' + '0003' + '000000');
  });
  it('an unknown type is reported with its number, not thrown', () => {
    const m = decodeMessage(hex('8001 aabb'));
    ok(m.name === 'unknown' && m.type === 0x8001 && toHex(m.payload) === 'aabb');
  });
  it('a known message with insufficient length is a DecodeError', () => {
    throws(() => decodeMessage(hex('0012 0004 0005 0000')), DecodeError, 'short_read');
    throws(() => decodeMessage(hex('00')), DecodeError, 'short_read');
  });
  it('refuses to encode more than 65535 bytes', () => {
    throws(() => encodeMessage({ name: 'pong', ignored: new Uint8Array(65532) }), Error);
  });
});

describe('short_channel_id', () => {
  it('BLOCKxTXxOUT and u64 agree', () => {
    const v = parseScid('539268x845x1');
    equal(v, (539268n << 40n) | (845n << 16n) | 1n);
    equal(formatScid(v), '539268x845x1');
    equal(parseScid(v.toString()), v);
    equal(new Reader(fromHex('00083a8400034d0001')).u8(), 0);
  });
  it('rejects garbage and out-of-range parts', () => {
    throws(() => parseScid('1x2'), DecodeError, 'bad_scid');
    throws(() => scidFromParts({ block: 1 << 24, txindex: 0, outnum: 0 }), Error);
  });
});

describe('BOLT 1 peer storage and BOLT 4 onion_message', () => {
  const point = fromHex('02' + '11'.repeat(32));
  it('peer_storage (7) and peer_storage_retrieval (9): a u16 length, then the blob', () => {
    equal(toHex(encodeMessage({ name: 'peer_storage', blob: fromHex('aabbcc') })), '0007' + '0003' + 'aabbcc');
    equal(toHex(encodeMessage({ name: 'peer_storage_retrieval', blob: new Uint8Array(0) })), '0009' + '0000');
    // "MUST limit its `blob` to 65531 bytes": the largest blob fits a message exactly.
    const full: Message = { name: 'peer_storage', blob: new Uint8Array(65531).fill(5) };
    const bytes = encodeMessage(full);
    equal(bytes.length, 65535);
    deepEqual(decodeMessage(bytes), full);
    throws(() => encodeMessage({ name: 'peer_storage', blob: new Uint8Array(65532) }), Error);
    throws(() => decodeMessage(hex('0009 0004 aabbcc')), DecodeError, 'short_read');
  });
  it('onion_message (513): path_key, then a u16 length and the onion_message_packet', () => {
    const m: Message = { name: 'onion_message', path_key: point, onion_message_packet: fromHex('00ffee') };
    equal(toHex(encodeMessage(m)), '0201' + toHex(point) + '0003' + '00ffee');
    deepEqual(decodeMessage(encodeMessage(m)), m);
    throws(() => decodeMessage(hex('0201 02')), DecodeError);
  });
});
