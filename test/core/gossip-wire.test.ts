// BOLT 7 on the wire: every message round-trips through the declared codec; encoded arrays
// (encoding 0, and zlib encoding 1 through an injected inflate); address descriptors; the
// channel_update checksum (CRC32C, RFC 3720 vectors); signed digests from the right offsets.
import { concat, fromHex, toHex } from '../../src/core/base/bytes.ts';
import { getPublicKey, sha256d, verifyDigest } from '../../src/core/crypto/primitives.ts';
import { DecodeError, EncodeError } from '../../src/core/base/errors.ts';
import { encodeAddresses, parseAddresses, type NodeAddress } from '../../src/core/gossip/address.ts';
import { channelUpdateChecksum, crc32c } from '../../src/core/gossip/checksum.ts';
import {
  decodeQueryFlags,
  decodeShortChannelIds,
  decodeShortChannelIdsAsync,
  decodeTimestamps,
  decodeTimestampsAsync,
  encodeQueryFlags,
  encodeShortChannelIds,
  encodeTimestamps,
  type InflateAsync,
} from '../../src/core/gossip/encoding.ts';
import { fundingScriptPubKey, fundingWitnessScript } from '../../src/core/gossip/funding.ts';
import { gossipDigest, peekGossip } from '../../src/core/gossip/peek.ts';
import { signChannelAnnouncement, signChannelUpdate, signNodeAnnouncement } from '../../src/core/gossip/sign.ts';
import { decodeMessage, encodeMessage, messageName, type Message } from '../../src/core/wire/messages.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok, rejects, throws } from '../support/assert.ts';

const REGTEST = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
const key = (i: number) => new Uint8Array(32).fill(i);
const sig = (i: number) => new Uint8Array(64).fill(i);
const scid = (block: number, txindex: number, outnum: number) => scidFromParts({ block, txindex, outnum });

describe('BOLT 7 messages: declared once, round-trip through the generic codec', () => {
  const cases: Message[] = [
    {
      name: 'announcement_signatures',
      channel_id: new Uint8Array(32).fill(7),
      short_channel_id: scid(539268, 845, 1),
      node_signature: sig(1),
      bitcoin_signature: sig(2),
    },
    {
      name: 'channel_announcement',
      node_signature_1: sig(1),
      node_signature_2: sig(2),
      bitcoin_signature_1: sig(3),
      bitcoin_signature_2: sig(4),
      features: fromHex('0100'),
      chain_hash: REGTEST,
      short_channel_id: scid(103, 1, 0),
      node_id_1: getPublicKey(key(1)),
      node_id_2: getPublicKey(key(2)),
      bitcoin_key_1: getPublicKey(key(3)),
      bitcoin_key_2: getPublicKey(key(4)),
    },
    {
      name: 'node_announcement',
      signature: sig(5),
      features: fromHex('0a'),
      timestamp: 1700000000,
      node_id: getPublicKey(key(1)),
      rgb_color: fromHex('ff8000'),
      alias: new Uint8Array(32).fill(0x41),
      addresses: fromHex('017f000001260f'),
      tlvs: { option_will_fund: { will_fund_rates: fromHex('0001aabb') }, unknown: [{ type: 7n, value: fromHex('01') }] },
    },
    {
      name: 'channel_update',
      signature: sig(6),
      chain_hash: REGTEST,
      short_channel_id: scid(103, 1, 0),
      timestamp: 1700000000,
      message_flags: 1,
      channel_flags: 3,
      cltv_expiry_delta: 144,
      htlc_minimum_msat: 1000n,
      fee_base_msat: 1000,
      fee_proportional_millionths: 100,
      htlc_maximum_msat: 990_000_000n,
    },
    {
      name: 'query_short_channel_ids',
      chain_hash: REGTEST,
      encoded_short_ids: encodeShortChannelIds([scid(103, 1, 0), scid(105, 2, 1)]),
      tlvs: { query_flags: encodeQueryFlags([1, 0x1f]) },
    },
    { name: 'query_short_channel_ids', chain_hash: REGTEST, encoded_short_ids: encodeShortChannelIds([]) },
    { name: 'reply_short_channel_ids_end', chain_hash: REGTEST, full_information: 1 },
    {
      name: 'query_channel_range',
      chain_hash: REGTEST,
      first_blocknum: 100,
      number_of_blocks: 1000,
      tlvs: { query_option: { query_option_flags: 3n } },
    },
    {
      name: 'reply_channel_range',
      chain_hash: REGTEST,
      first_blocknum: 100,
      number_of_blocks: 1000,
      sync_complete: 1,
      encoded_short_ids: encodeShortChannelIds([scid(103, 1, 0), scid(105, 2, 1)]),
      tlvs: {
        timestamps_tlv: encodeTimestamps([
          { timestamp_node_id_1: 1700000000, timestamp_node_id_2: 0 },
          { timestamp_node_id_1: 1, timestamp_node_id_2: 2 },
        ]),
        checksums_tlv: {
          checksums: [
            { checksum_node_id_1: 0xdeadbeef, checksum_node_id_2: 0 },
            { checksum_node_id_1: 1, checksum_node_id_2: 2 },
          ],
        },
      },
    },
    { name: 'gossip_timestamp_filter', chain_hash: REGTEST, first_timestamp: 0xffffffff, timestamp_range: 0 },
  ];
  for (const m of cases) {
    it(`${m.name} round-trips${'tlvs' in m && m.tlvs ? ' with its TLVs' : ''}`, () => {
      const b = encodeMessage(m);
      deepEqual(decodeMessage(b), m);
      equal(toHex(encodeMessage(decodeMessage(b) as Message)), toHex(b));
    });
  }
  it('uses the type numbers of BOLT 7', () => {
    const want: [number, string][] = [
      [256, 'channel_announcement'],
      [257, 'node_announcement'],
      [258, 'channel_update'],
      [259, 'announcement_signatures'],
      [261, 'query_short_channel_ids'],
      [262, 'reply_short_channel_ids_end'],
      [263, 'query_channel_range'],
      [264, 'reply_channel_range'],
      [265, 'gossip_timestamp_filter'],
    ];
    for (const [t, n] of want) equal(messageName(t), n);
  });
  it('lays out channel_update as the spec lists its fields (138 bytes with the type)', () => {
    const b = encodeMessage(cases[3]!);
    equal(b.length, 2 + 64 + 32 + 8 + 4 + 1 + 1 + 2 + 8 + 4 + 4 + 8);
    equal(toHex(b.subarray(0, 2)), '0102');
    equal(toHex(b.subarray(2 + 64 + 32, 2 + 64 + 40)), '0000670000010000');
    equal(toHex(b.subarray(b.length - 8)), toHex(fromHex('000000003b023380')));
  });
  it('channel_update without htlc_maximum_msat (an old 130-byte one) is a DecodeError', () => {
    const b = encodeMessage(cases[3]!).subarray(0, 130);
    throws(() => decodeMessage(b), DecodeError, 'short_read');
  });
  it('checksums_tlv must hold whole channel_update_checksums', () => {
    const m = encodeMessage({
      name: 'reply_channel_range',
      chain_hash: REGTEST,
      first_blocknum: 1,
      number_of_blocks: 1,
      sync_complete: 1,
      encoded_short_ids: fromHex('00'),
    });
    throws(() => decodeMessage(concat(m, fromHex('0305 0000000100'))), DecodeError);
  });
  it('node_announcement whose node_id is not a compressed point is a DecodeError', () => {
    const b = encodeMessage(cases[2]!);
    b[2 + 64 + 2 + 1 + 4] = 0x04;
    throws(() => decodeMessage(b), DecodeError, 'bad_point');
  });
});

describe('BOLT 7 encoded arrays', () => {
  const ids = [scid(103, 1, 0), scid(103, 2, 0), scid(105, 1, 1), scid(700000, 1234, 1)];
  const rawIds = '0000670000010000000067000002000000006900000100010aae600004d20001';
  // zlib.compress(rawIds, 9) from Python's zlib: what a pre-2020 peer would send as encoding 1.
  const zlibIds = '78da63604867606064000220cd04a233417c46ae75090c2c9718180124f8032c';

  it('encoding 0: a 0 byte then the ids, big-endian', () => {
    equal(toHex(encodeShortChannelIds(ids)), '00' + rawIds);
    deepEqual(decodeShortChannelIds(fromHex('00' + rawIds)), ids);
    deepEqual(decodeShortChannelIds(fromHex('00')), []);
  });
  it('encoding 0 must be ascending and whole', () => {
    throws(() => encodeShortChannelIds([ids[1]!, ids[0]!]), EncodeError, 'not_ascending');
    throws(() => decodeShortChannelIds(fromHex('00' + rawIds.slice(0, -2))), DecodeError, 'bad_encoded_length');
    throws(() => decodeShortChannelIds(new Uint8Array(0)), DecodeError, 'short_read');
  });
  it('an unknown encoding is a DecodeError', () => {
    throws(() => decodeShortChannelIds(fromHex('02' + rawIds)), DecodeError, 'unknown_encoding');
  });
  it('encoding 1 without an inflate is a typed error, never a crash', () => {
    throws(() => decodeShortChannelIds(fromHex('01' + zlibIds)), DecodeError, 'zlib_unsupported');
  });
  it('encoding 1 goes through the injected inflate, with the cap on its output', () => {
    let seen: [string, number] | undefined;
    const inflate = (b: Uint8Array, max: number) => {
      seen = [toHex(b), max];
      return fromHex(rawIds);
    };
    deepEqual(decodeShortChannelIds(fromHex('01' + zlibIds), inflate, 1000), ids);
    deepEqual(seen, [zlibIds, 1000]);
    throws(() => decodeShortChannelIds(fromHex('01' + zlibIds), () => new Uint8Array(16), 8), DecodeError, 'too_long');
    throws(
      () =>
        decodeShortChannelIds(fromHex('01' + zlibIds), () => {
          throw new Error('incorrect header check');
        }),
      DecodeError,
      'bad_zlib',
    );
    throws(
      () => decodeShortChannelIds(fromHex('01' + zlibIds), (() => Promise.resolve(fromHex(rawIds))) as never),
      DecodeError,
      'zlib_async',
    );
  });

  // The runtimes' own zlib (Node 20 and Chromium both have DecompressionStream('deflate')).
  interface Stream {
    readable: unknown;
    writable: unknown;
  }
  const DS = (globalThis as unknown as { DecompressionStream?: new (f: string) => Stream }).DecompressionStream;
  const realInflate: InflateAsync = async b => {
    const R = (
      globalThis as unknown as {
        Response: new (body: unknown) => { body: { pipeThrough(s: Stream): unknown }; arrayBuffer(): Promise<ArrayBuffer> };
      }
    ).Response;
    const out = new R(new R(b).body.pipeThrough(new DS!('deflate')));
    return new Uint8Array(await out.arrayBuffer());
  };
  it('encoding 1 decodes through a real, async inflate (DecompressionStream)', async () => {
    ok(DS, 'DecompressionStream is a global in Node 20 and Chromium');
    deepEqual(await decodeShortChannelIdsAsync(fromHex('01' + zlibIds), realInflate), ids);
    deepEqual(await decodeShortChannelIdsAsync(fromHex('00' + rawIds)), ids);
    await rejects(decodeShortChannelIdsAsync(fromHex('01' + '00112233'), realInflate), DecodeError, 'bad_zlib');
  });
  it('encoded_timestamps: pairs of u32, in either encoding', async () => {
    const ts = [
      { timestamp_node_id_1: 1700000000, timestamp_node_id_2: 0 },
      { timestamp_node_id_1: 1700000100, timestamp_node_id_2: 1700000200 },
    ];
    const tlv = encodeTimestamps(ts);
    equal(toHex(tlv.encoded_timestamps), '6553f100000000006553f1646553f1c8');
    deepEqual(decodeTimestamps(tlv), ts);
    deepEqual(
      await decodeTimestampsAsync(
        { encoding_type: 1, encoded_timestamps: fromHex('789c4b0dfec80002a9c11f5380f804002aa90628') },
        realInflate,
      ),
      ts,
    );
    throws(() => decodeTimestamps({ encoding_type: 0, encoded_timestamps: fromHex('00000001') }), DecodeError, 'bad_encoded_length');
  });
  it('encoded_query_flags: minimal bigsizes', () => {
    const tlv = encodeQueryFlags([1, 31, 0, 300]);
    equal(toHex(tlv.encoded_query_flags), '011f00fd012c');
    deepEqual(decodeQueryFlags(tlv), [1n, 31n, 0n, 300n]);
    throws(() => decodeQueryFlags({ encoding_type: 0, encoded_query_flags: fromHex('fd0001') }), DecodeError, 'bigsize_not_canonical');
  });
});

describe('BOLT 7 address descriptors', () => {
  const onion = '2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion';
  const addrs: NodeAddress[] = [
    { type: 'dns', address: 'node.example.com', port: 9735 },
    { type: 'ipv4', address: '203.0.113.7', port: 9735 },
    { type: 'torv3', address: onion, port: 9735 },
    { type: 'ipv6', address: '2001:db8::1', port: 9736 },
  ];
  it('encodes in ascending type order and parses back to listnodes shapes', () => {
    const b = encodeAddresses(addrs);
    equal(b[0], 1);
    equal(toHex(b.subarray(0, 7)), '01cb0071072607');
    equal(toHex(b.subarray(7, 26)), '02' + '20010db8000000000000000000000001' + '2608');
    const p = parseAddresses(b);
    deepEqual(p.addresses, [addrs[1], addrs[3], addrs[2], addrs[0]]);
    equal(p.ignored, 0);
    equal(p.unknownType, undefined);
    equal(p.multipleDns, false);
  });
  it('Tor v3: base32 of pubkey || checksum || version 3', () => {
    const b = encodeAddresses([{ type: 'torv3', address: onion, port: 443 }]);
    equal(b.length, 1 + 37);
    equal(b[35], 3); // the version byte ends the 35-byte onion address
    equal(parseAddresses(b).addresses[0]!.address, onion);
  });
  it('IPv6 prints as RFC 5952 text', () => {
    const v6 = (hex: string) => parseAddresses(fromHex('02' + hex + '260f')).addresses[0]!.address;
    equal(v6('20010db8000000000001000000000001'), '2001:db8::1:0:0:1');
    equal(v6('00000000000000000000000000000001'), '::1');
    equal(v6('20010db8000100010001000100010001'), '2001:db8:1:1:1:1:1:1');
    equal(v6('fe800000000000000000000000000000'), 'fe80::');
  });
  it('an unknown type stops parsing but keeps what came before', () => {
    const p = parseAddresses(fromHex('017f000001260f' + '09' + 'aabbcc' + '017f000002260f'));
    deepEqual(p.addresses, [{ type: 'ipv4', address: '127.0.0.1', port: 9743 }]);
    equal(p.unknownType, 9);
  });
  it('Tor v2 (type 3) and port 0 are skipped', () => {
    const p = parseAddresses(fromHex('0100000000' + '0000' + '03' + '00'.repeat(12) + '017f000001260f'));
    deepEqual(p.addresses, [{ type: 'ipv4', address: '127.0.0.1', port: 9743 }]);
    equal(p.ignored, 2);
  });
  it('a second DNS name is ignored and the announcement flagged not to forward', () => {
    const one = encodeAddresses([{ type: 'dns', address: 'a.example', port: 1 }]);
    const two = encodeAddresses([{ type: 'dns', address: 'b.example', port: 2 }]);
    const p = parseAddresses(concat(one, two));
    deepEqual(p.addresses, [{ type: 'dns', address: 'a.example', port: 1 }]);
    ok(p.multipleDns);
  });
  it('a known descriptor cut short is a DecodeError (BOLT 7: SHOULD send a warning)', () => {
    throws(() => parseAddresses(fromHex('017f0000')), DecodeError, 'bad_addresses');
    throws(() => parseAddresses(fromHex('0405aabb')), DecodeError, 'bad_addresses');
    throws(() => parseAddresses(fromHex('0503616263')), DecodeError, 'bad_addresses');
  });
  it('refuses to encode what an origin node must not announce', () => {
    throws(() => encodeAddresses([{ type: 'ipv4', address: '1.2.3.4', port: 0 }]), EncodeError, 'bad_address');
    throws(() => encodeAddresses([{ type: 'ipv4', address: '1.2.3.256', port: 1 }]), EncodeError, 'bad_address');
    throws(() => encodeAddresses([{ type: 'ipv6', address: '1::2::3', port: 1 }]), EncodeError, 'bad_address');
    throws(() => encodeAddresses([{ type: 'torv3', address: 'abc.onion', port: 1 }]), EncodeError, 'bad_address');
    const dns = { type: 'dns', address: 'x.example', port: 1 } as const;
    throws(() => encodeAddresses([dns, dns]), EncodeError, 'bad_address');
  });
});

describe('channel_update checksum (CRC32C)', () => {
  it('matches RFC 3720 B.4 and the usual check value', () => {
    equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
    equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  });
  it('covers everything but the signature and the timestamp', () => {
    const base = { secret: key(1), chainHash: REGTEST, short_channel_id: scid(103, 1, 0), timestamp: 1000, htlc_maximum_msat: 5000n };
    const a = signChannelUpdate(base);
    const b = signChannelUpdate({ ...base, timestamp: 2000 });
    const c = signChannelUpdate({ ...base, fee_base_msat: 1001 });
    equal(channelUpdateChecksum(a), channelUpdateChecksum(b));
    ok(channelUpdateChecksum(a) !== channelUpdateChecksum(c));
    equal(channelUpdateChecksum(a), crc32c(concat(a.subarray(66, 106), a.subarray(110))));
  });
});

describe('signed digests: double-SHA256 from the byte after the signatures', () => {
  const A = { nodeSecret: key(1), bitcoinSecret: key(3) };
  const B = { nodeSecret: key(2), bitcoinSecret: key(4) };
  it('channel_announcement: from offset 2+256; all four signatures verify', () => {
    const raw = signChannelAnnouncement({ chainHash: REGTEST, short_channel_id: scid(103, 1, 0), parties: [A, B] });
    const h = gossipDigest(raw);
    equal(toHex(h), toHex(sha256d(raw.subarray(258))));
    const m = decodeMessage(raw);
    ok(m.name === 'channel_announcement');
    ok(verifyDigest(m.node_signature_1, h, m.node_id_1) && verifyDigest(m.node_signature_2, h, m.node_id_2));
    ok(verifyDigest(m.bitcoin_signature_1, h, m.bitcoin_key_1) && verifyDigest(m.bitcoin_signature_2, h, m.bitcoin_key_2));
  });
  it('node_announcement and channel_update: from offset 2+64', () => {
    const na = signNodeAnnouncement({ secret: key(1), timestamp: 5, alias: 'alice' });
    equal(toHex(gossipDigest(na)), toHex(sha256d(na.subarray(66))));
    ok(verifyDigest(na.subarray(2, 66), gossipDigest(na), getPublicKey(key(1))));
    const cu = signChannelUpdate({ secret: key(2), chainHash: REGTEST, short_channel_id: 1n, timestamp: 5, htlc_maximum_msat: 1n });
    equal(toHex(gossipDigest(cu)), toHex(sha256d(cu.subarray(66))));
  });
  it('peekGossip reads ids and timestamps without a full decode', () => {
    const raw = signChannelAnnouncement({
      chainHash: REGTEST,
      short_channel_id: scid(103, 1, 0),
      parties: [A, B],
      features: fromHex('02'),
    });
    const p = peekGossip(raw);
    ok(p.type === 'channel_announcement' && p.short_channel_id === scid(103, 1, 0) && toHex(p.chain_hash) === toHex(REGTEST));
    const n = peekGossip(signNodeAnnouncement({ secret: key(2), timestamp: 77, features: fromHex('0102') }));
    ok(n.type === 'node_announcement' && n.timestamp === 77 && toHex(n.node_id) === toHex(getPublicKey(key(2))));
    throws(() => peekGossip(fromHex('0012')), DecodeError, 'not_gossip');
    throws(() => peekGossip(raw.subarray(0, 300)), DecodeError, 'short_read');
  });
});

describe('funding output (BOLT 3) for the chain check', () => {
  it('is a P2WSH of 2-of-2 with the keys sorted', () => {
    const k1 = getPublicKey(key(3));
    const k2 = getPublicKey(key(4));
    const s = fundingWitnessScript(k1, k2);
    equal(toHex(fundingWitnessScript(k2, k1)), toHex(s));
    equal(s.length, 71);
    equal(toHex(s.subarray(0, 2)) + toHex(s.subarray(69)), '522152ae');
    const spk = fundingScriptPubKey(k1, k2);
    equal(toHex(spk.subarray(0, 2)), '0020');
    equal(spk.length, 34);
  });
  it('matches BOLT 3 Appendix B funding output', () => {
    // BOLT 3 Appendix B: local_funding_pubkey / remote_funding_pubkey and the funding witness script.
    const local = fromHex('023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb');
    const remote = fromHex('030e9f7b623d2ccc7c9bd44d66d5ce21ce504c0acf6385a132cec6d3c39fa711c1');
    equal(
      toHex(fundingWitnessScript(local, remote)),
      '5221023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb21030e9f7b623d2ccc7c9bd44d66d5ce21ce504c0acf6385a132cec6d3c39fa711c152ae',
    );
  });
});
