// BOLT 7 node_announcement `address descriptor`s to and from Core Lightning's listnodes shape
// `{type: 'ipv4'|'ipv6'|'torv3'|'dns', address, port}`.
import { DecodeError, EncodeError } from '../errors.ts';

export type AddressType = 'ipv4' | 'ipv6' | 'torv3' | 'dns';

export interface NodeAddress {
  type: AddressType;
  /** Dotted IPv4, RFC 5952 IPv6 (no brackets), `<56 base32 chars>.onion`, or an ASCII hostname. */
  address: string;
  port: number;
}

export interface ParsedAddresses {
  addresses: NodeAddress[];
  /** The first descriptor type we don't know: BOLT 7 has us stop there (its length is unknown). */
  unknownType?: number;
  /** Descriptors dropped by BOLT 7's rules: Tor v2, port 0, a second DNS name, a non-ASCII name. */
  ignored: number;
  /** More than one `type 5`: "SHOULD ignore the additional data. MUST not forward". */
  multipleDns: boolean;
}

// BOLT 7 address descriptor types and their data lengths (port included).
const IPV4 = 1;
const IPV6 = 2;
const TORV2 = 3; // Deprecated (length 12): skipped.
const TORV3 = 4;
const DNS = 5;
const TYPE_CODE: Record<AddressType, number> = { ipv4: IPV4, ipv6: IPV6, torv3: TORV3, dns: DNS };

/**
 * Parses `addresses`. A known descriptor cut short is a DecodeError('bad_addresses'): BOLT 7 "if
 * `addrlen` is insufficient to hold the address descriptors of the known types: SHOULD send a
 * `warning`". An unknown type ends parsing and keeps what came before: "SHOULD ignore the first
 * `address descriptor` that does NOT match the types defined above" (and, being ordered, the rest).
 */
export function parseAddresses(bytes: Uint8Array): ParsedAddresses {
  const out: ParsedAddresses = { addresses: [], ignored: 0, multipleDns: false };
  let dnsSeen = false;
  let i = 0;
  const need = (n: number, what: string) => {
    if (i + n > bytes.length) throw new DecodeError('bad_addresses', `${what} address descriptor truncated`);
  };
  const port = (at: number) => (bytes[at]! << 8) | bytes[at + 1]!;
  while (i < bytes.length) {
    const type = bytes[i++]!;
    switch (type) {
      case 0: // Padding (an old use of type 0): "SHOULD NOT place any zero-typed address descriptors".
        break;
      case IPV4: {
        need(6, 'ipv4');
        const p = port(i + 4);
        // "if `port` is equal to 0: SHOULD ignore `ipv6_addr` OR `ipv4_addr` OR `hostname`."
        if (p === 0) out.ignored++;
        else out.addresses.push({ type: 'ipv4', address: formatIpv4(bytes.subarray(i, i + 4)), port: p });
        i += 6;
        break;
      }
      case IPV6: {
        need(18, 'ipv6');
        const p = port(i + 16);
        if (p === 0) out.ignored++;
        else out.addresses.push({ type: 'ipv6', address: formatIpv6(bytes.subarray(i, i + 16)), port: p });
        i += 18;
        break;
      }
      case TORV2: // "SHOULD ignore Tor v2 onion services."
        need(12, 'torv2');
        out.ignored++;
        i += 12;
        break;
      case TORV3:
        need(37, 'torv3');
        out.addresses.push({ type: 'torv3', address: `${base32(bytes.subarray(i, i + 35))}.onion`, port: port(i + 35) });
        i += 37;
        break;
      case DNS: {
        need(1, 'dns');
        const len = bytes[i]!;
        need(1 + len + 2, 'dns');
        const name = bytes.subarray(i + 1, i + 1 + len);
        const p = port(i + 1 + len);
        i += 1 + len + 2;
        if (dnsSeen) {
          // "if more than one `type 5` address is announced: SHOULD ignore the additional data."
          out.multipleDns = true;
          out.ignored++;
        } else if (p === 0 || len === 0 || !name.every((c) => c >= 0x21 && c < 0x7f)) {
          // "`hostname` bytes MUST be ASCII characters": anything else is not a name we can dial.
          dnsSeen = true;
          out.ignored++;
        } else {
          dnsSeen = true;
          out.addresses.push({ type: 'dns', address: String.fromCharCode(...name), port: p });
        }
        break;
      }
      default:
        out.unknownType = type;
        return out;
    }
  }
  return out;
}

/**
 * Encodes descriptors as an origin node must: "MUST place address descriptors in ascending order",
 * "MUST NOT create a type 1, type 2 or type 5 address descriptor with port equal to 0", "MUST NOT
 * announce more than one type 5 DNS hostname".
 */
export function encodeAddresses(addrs: readonly NodeAddress[]): Uint8Array {
  const sorted = [...addrs].sort((a, b) => (TYPE_CODE[a.type] ?? 0) - (TYPE_CODE[b.type] ?? 0));
  const parts: number[] = [];
  let dns = 0;
  for (const a of sorted) {
    if (!Number.isInteger(a.port) || a.port < 0 || a.port > 0xffff) throw new EncodeError('bad_address', `bad port ${a.port}`);
    if (a.port === 0 && a.type !== 'torv3') throw new EncodeError('bad_address', `${a.type} address with port 0`);
    switch (a.type) {
      case 'ipv4':
        parts.push(IPV4, ...parseIpv4(a.address));
        break;
      case 'ipv6':
        parts.push(IPV6, ...parseIpv6(a.address));
        break;
      case 'torv3': {
        const m = /^([a-z2-7]{56})\.onion$/i.exec(a.address);
        if (!m) throw new EncodeError('bad_address', `not a Tor v3 onion address: ${a.address.slice(0, 80)}`);
        parts.push(TORV3, ...unbase32(m[1]!.toLowerCase()));
        break;
      }
      case 'dns': {
        if (++dns > 1) throw new EncodeError('bad_address', 'more than one DNS hostname');
        const name = a.address;
        if (name.length === 0 || name.length > 255 || !/^[\x21-\x7e]+$/.test(name)) {
          throw new EncodeError('bad_address', `hostname must be 1 to 255 ASCII characters: ${name.slice(0, 80)}`);
        }
        parts.push(DNS, name.length);
        for (let k = 0; k < name.length; k++) parts.push(name.charCodeAt(k));
        break;
      }
      default:
        throw new EncodeError('bad_address', `unknown address type ${String((a as { type: unknown }).type)}`);
    }
    parts.push(a.port >> 8, a.port & 0xff);
  }
  return new Uint8Array(parts);
}

function formatIpv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

function parseIpv4(s: string): number[] {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  const v = m ? m.slice(1).map(Number) : [];
  if (v.length !== 4 || v.some((x) => x > 255)) throw new EncodeError('bad_address', `not an IPv4 address: ${s.slice(0, 80)}`);
  return v;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (2+) of zero groups as `::`. */
export function formatIpv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let k = 0; k < 16; k += 2) g.push((b[k]! << 8) | b[k + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) {
      bestAt = k;
      bestLen = e - k;
    }
    k = e;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

function parseIpv6(s: string): number[] {
  const bad = () => new EncodeError('bad_address', `not an IPv6 address: ${s.slice(0, 80)}`);
  const text = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    items.forEach((item, idx) => {
      if (idx === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        throw bad();
      }
    });
    return out;
  };
  let g: number[];
  try {
    const head = groups(halves[0]!);
    if (halves.length === 2) {
      const tail = groups(halves[1]!);
      if (head.length + tail.length > 7) throw bad();
      g = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
    } else {
      g = head;
    }
  } catch {
    throw bad();
  }
  if (g.length !== 8) throw bad();
  return g.flatMap((x) => [x >> 8, x & 0xff]);
}

// RFC 4648 base32, lowercase, no padding: how Tor writes v3 onion addresses (35 bytes → 56 chars).
const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(b: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const x of b) {
    acc = (acc << 8) | x;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

function unbase32(s: string): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const c of s) {
    const v = B32.indexOf(c);
    if (v < 0) throw new EncodeError('bad_address', `not base32: ${s.slice(0, 80)}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}
