// One BOLT 7 address descriptor at a time (src/core/net/address-descriptor.ts): the reader and writer
// behind node_announcement `addresses` (gossip/address.ts) and init `remote_addr` (connectd).
import { readAddressDescriptor, writeAddressDescriptor, type NodeAddress } from '../../../src/core/net/address-descriptor.ts';
import { fromHex, toHex, Writer } from '../../../src/core/base/bytes.ts';
import { decodeAddressDescriptor } from '../../../src/core/daemons/connectd/netaddr.ts';
import { DecodeError, EncodeError } from '../../../src/core/base/errors.ts';
import { parseAddresses } from '../../../src/core/gossip/address.ts';
import { deepEqual, equal, throws } from '../../support/assert.ts';

const write = (a: NodeAddress): string => {
  const w = new Writer();
  writeAddressDescriptor(w, a);
  return toHex(w.finish());
};

// Tor v3: base32 of pubkey (32) || checksum (2) || version (1, = 3).
const ONION = '2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion';

describe('address descriptors: reading one', () => {
  it('reads each known type, its address and port, and where the next one starts', () => {
    const b = fromHex('ff' + '01cb007109260f' + 'aa');
    deepEqual(readAddressDescriptor(b, 1), { type: 1, end: 8, address: { type: 'ipv4', address: '203.0.113.9', port: 9743 } });
    deepEqual(readAddressDescriptor(fromHex('02' + '20010db8000000000000000000000001' + '2607'), 0), {
      type: 2,
      end: 19,
      address: { type: 'ipv6', address: '2001:db8::1', port: 9735 },
    });
    deepEqual(readAddressDescriptor(fromHex('05' + '0b' + toHex(new TextEncoder().encode('example.com')) + '0050'), 0), {
      type: 5,
      end: 15,
      address: { type: 'dns', address: 'example.com', port: 80 },
    });
    const tor = readAddressDescriptor(fromHex('04' + '00'.repeat(34) + '03' + '01bb'), 0);
    deepEqual(tor, { type: 4, end: 38, address: { type: 'torv3', address: `${'a'.repeat(55)}d.onion`, port: 443 } });
  });

  it("keeps port 0 and any hostname bytes: what to drop is the caller's rule", () => {
    deepEqual(readAddressDescriptor(fromHex('017f0000010000'), 0)?.address, { type: 'ipv4', address: '127.0.0.1', port: 0 });
    deepEqual(readAddressDescriptor(fromHex('0502c3a90001'), 0)?.address, { type: 'dns', address: '\u00c3\u00a9', port: 1 });
    deepEqual(readAddressDescriptor(fromHex('05000001'), 0), { type: 5, end: 4, address: { type: 'dns', address: '', port: 1 } });
  });

  it('skips type 0 (one byte) and Tor v2 (12 bytes) without an address', () => {
    deepEqual(readAddressDescriptor(fromHex('00017f000001260f'), 0), { type: 0, end: 1 });
    deepEqual(readAddressDescriptor(fromHex('03' + '00'.repeat(12)), 0), { type: 3, end: 13 });
  });

  it('returns undefined for an unknown type (its length is unknown too)', () => {
    equal(readAddressDescriptor(fromHex('06260f'), 0), undefined); // websocket: BOLT 7 type 6, not read here
    equal(readAddressDescriptor(fromHex('ff'), 0), undefined);
  });

  it('throws DecodeError(bad_addresses) for a known type cut short', () => {
    for (const hex of [
      '017f0000',
      '017f00000126',
      '02' + '00'.repeat(17),
      '03' + '00'.repeat(11),
      '04' + '00'.repeat(36),
      '05',
      '050361626300',
      '050a61',
    ]) {
      throws(() => readAddressDescriptor(fromHex(hex), 0), DecodeError, 'bad_addresses');
    }
  });
});

describe('address descriptors: writing one', () => {
  it('writes each type as BOLT 7 lays it out', () => {
    equal(write({ type: 'ipv4', address: '203.0.113.9', port: 9735 }), '01cb0071092607');
    equal(write({ type: 'ipv6', address: '2001:db8::1', port: 9735 }), '0220010db80000000000000000000000012607');
    equal(write({ type: 'ipv6', address: '[::ffff:1.2.3.4]', port: 1 }), '0200000000000000000000ffff010203040001');
    equal(write({ type: 'dns', address: 'a.example', port: 0 }), '0509612e6578616d706c650000');
    const tor = write({ type: 'torv3', address: ONION.toUpperCase().replace('.ONION', '.onion'), port: 9735 });
    equal(tor.length, 2 * 38);
    equal(tor.slice(70, 72), '03'); // the version byte ends the 35-byte onion address
  });

  it('reads back what it writes', () => {
    const all: NodeAddress[] = [
      { type: 'ipv4', address: '0.0.0.0', port: 65535 },
      { type: 'ipv6', address: '::', port: 1 },
      { type: 'ipv6', address: 'fe80::1:2', port: 2 },
      { type: 'torv3', address: ONION, port: 0 },
      { type: 'dns', address: 'x'.repeat(255), port: 3 },
    ];
    for (const a of all) {
      const b = fromHex(write(a));
      deepEqual(readAddressDescriptor(b, 0), { type: b[0], end: b.length, address: a });
    }
  });

  it('throws EncodeError(bad_address) for a bad port or an address not of its type', () => {
    const bad: NodeAddress[] = [
      { type: 'ipv4', address: '1.2.3.4', port: 65536 },
      { type: 'ipv4', address: '1.2.3.4', port: -1 },
      { type: 'ipv4', address: '1.2.3.4', port: 1.5 },
      { type: 'ipv4', address: '01.2.3.4', port: 1 },
      { type: 'ipv4', address: '::1', port: 1 },
      { type: 'ipv6', address: '1.2.3.4', port: 1 },
      { type: 'ipv6', address: '1.2.3.4::', port: 1 },
      { type: 'torv3', address: 'abc.onion', port: 1 },
      { type: 'torv3', address: `${'1'.repeat(56)}.onion`, port: 1 },
      { type: 'dns', address: '', port: 1 },
      { type: 'dns', address: 'x'.repeat(256), port: 1 },
      { type: 'dns', address: 'caf\u00e9.example', port: 1 },
      { type: 'dns', address: 'a b', port: 1 },
      { type: 'websocket', address: '', port: 1 } as unknown as NodeAddress,
    ];
    for (const a of bad) throws(() => write(a), EncodeError, 'bad_address');
  });
});

describe('address descriptors: one reader for gossip and remote_addr', () => {
  it('gives node_announcement addresses and remote_addr the same address for the same bytes', () => {
    for (const hex of [
      '01cb0071092607',
      '0220010db80000000000000000000000012607',
      '0509612e6578616d706c652607',
      '04' + '00'.repeat(34) + '03' + '2607',
    ]) {
      const b = fromHex(hex);
      deepEqual(parseAddresses(b).addresses, [decodeAddressDescriptor(b)], hex);
    }
  });
});
