// IPv4 and IPv6 text to bytes and back (src/core/net/ip.ts), the one parser behind address.ts,
// bridge-policy.ts and the BOLT 7 address descriptors.
import { fromHex, toHex } from '../../../src/core/base/bytes.ts';
import { ipv4FromText, ipv4Text, ipv6FromText, ipv6Text, readIpv6 } from '../../../src/core/net/ip.ts';
import { deepEqual, equal } from '../../support/assert.ts';

describe('ip: IPv4 text', () => {
  it('reads dotted quads', () => {
    deepEqual(ipv4FromText('0.0.0.0'), new Uint8Array(4));
    deepEqual(ipv4FromText('255.255.255.255'), new Uint8Array([255, 255, 255, 255]));
    deepEqual(ipv4FromText('203.0.113.9'), new Uint8Array([203, 0, 113, 9]));
    deepEqual(ipv4FromText('10.100.0.1'), new Uint8Array([10, 100, 0, 1]));
  });

  it('refuses leading zeros, shortened, hex and out-of-range forms', () => {
    const bad = [
      '01.2.3.4',
      '1.02.3.4',
      '1.2.3.00',
      '00.0.0.0',
      '1.2.3.010', // leading zeros: octal to some parsers
      '127.1',
      '1.2.3',
      '1.2.3.4.5',
      '2130706433', // shortened or a single number
      '0x7f.0.0.1',
      '1.2.3.0x4',
      '256.1.1.1',
      '1.2.3.1000',
      '1.2.3.-4',
      '+1.2.3.4',
      '1..2.3',
      '.1.2.3',
      '1.2.3.',
      '',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '1.2.3.4\n',
      '١.2.3.4',
      '1.2.3.4/32',
    ];
    for (const s of bad) equal(ipv4FromText(s), undefined, JSON.stringify(s));
  });

  it('writes four bytes as a dotted quad', () => {
    equal(ipv4Text(new Uint8Array([192, 0, 2, 1])), '192.0.2.1');
    equal(ipv4Text(new Uint8Array(4)), '0.0.0.0');
  });
});

describe('ip: IPv6 text', () => {
  const v6 = (s: string): string | undefined => {
    const b = ipv6FromText(s);
    return b && toHex(b);
  };

  const cases = (table: readonly (readonly [string, string])[]): void => {
    for (const [text, hex] of table) equal(v6(text), hex, text);
  };

  it('reads the RFC 4291 section 2.2 forms', () => {
    cases([
      ['2001:DB8:0:0:8:800:200C:417A', '20010db80000000000080800200c417a'],
      ['2001:db8::8:800:200c:417a', '20010db80000000000080800200c417a'],
      ['ff01::101', 'ff010000000000000000000000000101'],
      ['::1', '00000000000000000000000000000001'],
      ['::', '00000000000000000000000000000000'],
      ['0000:0000:0000:0000:0000:0000:0000:0000', '00000000000000000000000000000000'],
      ['1::', '00010000000000000000000000000000'],
      // `::` may stand for a single zero group.
      ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
      ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
      ['1:2:3::5:6:7:8', '00010002000300000005000600070008'],
    ]);
  });

  it('reads an embedded IPv4 address as the last two groups', () => {
    cases([
      ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
      ['::FFFF:129.144.52.38', '00000000000000000000ffff81903426'],
      ['0:0:0:0:0:0:13.1.68.3', '0000000000000000000000000d014403'],
      ['::13.1.68.3', '0000000000000000000000000d014403'],
      ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
      ['1:2:3:4:5::1.2.3.4', '00010002000300040005000001020304'],
    ]);
  });

  it('refuses too many or too few groups, empty groups and stray colons', () => {
    const bad = [
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '1::2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8::',
      '::1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:1.2.3.4:5',
      '1:2:3:4:5:6:7:1.2.3.4',
      '1:2:3:4:5:6::1.2.3.4',
      '::1:2:3:4:5:6:1.2.3.4',
      '',
      ':',
      ':::',
      '1:::2',
      '1::2::3',
      '::1::',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:',
      '1:2::3:',
      ':1::2',
      '1:2:3:4::5:6:7:',
      '1:2:3:4:5:6:7:8:',
    ];
    for (const s of bad) equal(v6(s), undefined, s);
  });

  it('refuses long, non-hex, bracketed and zoned groups', () => {
    for (const s of ['12345::', '00000::1', 'g::1', '::fffg', '0x1::', '[::1]', 'fe80::1%eth0', ' ::1', '::1 ', '::+1', '::-1']) {
      equal(v6(s), undefined, s);
    }
  });

  it('allows a dotted quad only at the very end, and strictly', () => {
    for (const s of ['1.2.3.4::', '1.2.3.4::1', '::1.2.3.4:1', '::ffff:1.2.3', '::ffff:01.2.3.4', '::ffff:1.2.3.256', '::ffff:1.2.3.4.5']) {
      equal(v6(s), undefined, s);
    }
  });

  it('names the first fault: the dotted quad ending the text, or the IPv6 shape', () => {
    equal(readIpv6('::ffff:1.2.3'), 'ipv4');
    equal(readIpv6('::1.2.3.999'), 'ipv4');
    equal(readIpv6('1:2:3:4:5:6:7:8:01.2.3.4'), 'ipv4'); // the quad is read before the groups are counted
    equal(readIpv6('g::1.2.3'), 'ipv6'); // a bad group before it comes first
    equal(readIpv6('1::2::1.2.3'), 'ipv6');
    equal(readIpv6('1.2.3.4::'), 'ipv6'); // not at the end: just a bad group
    equal(readIpv6('1:2:3:4:5:6:7:1.2.3.4'), 'ipv6');
  });

  it('writes RFC 5952 text', () => {
    const t = (hex: string): string => ipv6Text(fromHex(hex));
    equal(t('20010db8000000000000000000000001'), '2001:db8::1'); // 4.2.1 shortest, 4.3 lowercase
    equal(t('20010db8000000000001000000000001'), '2001:db8::1:0:0:1'); // 4.2.3: the first of equal runs
    equal(t('20010db8000000010000000000000001'), '2001:db8:0:1::1'); // 4.2.3: the longest run
    equal(t('20010db8000000010001000100010001'), '2001:db8:0:1:1:1:1:1'); // 4.2.2: never one group
    equal(t('00000000000000000000000000000000'), '::');
    equal(t('00000000000000000000000000000001'), '::1');
    equal(t('00010000000000000000000000000000'), '1::');
    equal(t('00000000000000000000ffff01020304'), '::ffff:102:304'); // no dotted quad
    equal(t('fe800000000000000000000000000000'), 'fe80::');
    equal(t('ABCD00EF000000000000000000001234'.toLowerCase()), 'abcd:ef::1234');
  });

  it('reads back every text it writes', () => {
    // Bytes with many zero groups, in every arrangement of zero and non-zero groups.
    for (let mask = 0; mask < 256; mask++) {
      const b = new Uint8Array(16);
      for (let g = 0; g < 8; g++) {
        if (mask & (1 << g)) {
          b[2 * g] = (g * 37) & 0xff;
          b[2 * g + 1] = (mask + g) & 0xff || 1;
        }
      }
      const text = ipv6Text(b);
      deepEqual(ipv6FromText(text), b, text);
      deepEqual(ipv6FromText(text.toUpperCase()), b, text);
    }
  });
});
