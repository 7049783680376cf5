// BOLT 7 `address descriptor`s, one at a time, for both places that carry them: a
// node_announcement's `addresses` (gossip/address.ts applies the list's rules) and BOLT 1 init's
// `remote_addr` (daemons/connectd/netaddr.ts).
import { DecodeError, EncodeError } from '../base/errors.ts';
import { ipv4FromText, ipv4Text, ipv6FromText, ipv6Text } from './ip.ts';
import type { Writer } from '../base/bytes.ts';

export type AddressType = 'ipv4' | 'ipv6' | 'torv3' | 'dns';

/** Core Lightning's listnodes shape. */
export interface NodeAddress {
  type: AddressType;
  /** Dotted IPv4, RFC 5952 IPv6 (no brackets), `<56 base32 chars>.onion`, or an ASCII hostname. */
  address: string;
  port: number;
}

// BOLT 7 address descriptor types; data lengths (port included) are in readAddressDescriptor.
export const DESCRIPTOR_TYPE = { ipv4: 1, ipv6: 2, torv2: 3, torv3: 4, dns: 5 } as const;

export interface ReadDescriptor {
  /** The descriptor's type byte. */
  type: number;
  /** Where the next descriptor starts. */
  end: number;
  /**
   * The address of a type 1, 2, 4 or 5 descriptor, as it is (port 0 and any hostname bytes
   * included: what to drop is the caller's rule). Absent for type 0 (one byte) and Tor v2.
   */
  address?: NodeAddress;
}

/**
 * The descriptor at `at`, or undefined when its type is unknown (so is its length: BOLT 7 "SHOULD
 * ignore the first `address descriptor` that does NOT match the types defined above"). A known type
 * cut short is a DecodeError('bad_addresses'): "if `addrlen` is insufficient to hold the address
 * descriptors of the known types: SHOULD send a `warning`".
 */
export function readAddressDescriptor(bytes: Uint8Array, at: number): ReadDescriptor | undefined {
  const type = bytes[at]!;
  let i = at + 1;
  const need = (n: number, what: string): void => {
    if (i + n > bytes.length) throw new DecodeError('bad_addresses', `${what} address descriptor truncated`);
  };
  const port = (k: number): number => (bytes[k]! << 8) | bytes[k + 1]!;
  switch (type) {
    case 0: // Padding (an old use of type 0): "SHOULD NOT place any zero-typed address descriptors".
      return { type, end: i };
    case DESCRIPTOR_TYPE.ipv4:
      need(6, 'ipv4');
      return { type, end: i + 6, address: { type: 'ipv4', address: ipv4Text(bytes.subarray(i, i + 4)), port: port(i + 4) } };
    case DESCRIPTOR_TYPE.ipv6:
      need(18, 'ipv6');
      return { type, end: i + 18, address: { type: 'ipv6', address: ipv6Text(bytes.subarray(i, i + 16)), port: port(i + 16) } };
    case DESCRIPTOR_TYPE.torv2: // Deprecated, 10 bytes and a port: "SHOULD ignore Tor v2 onion services."
      need(12, 'torv2');
      return { type, end: i + 12 };
    case DESCRIPTOR_TYPE.torv3: // 35 bytes (pubkey, checksum, version) and a port.
      need(37, 'torv3');
      return { type, end: i + 37, address: { type: 'torv3', address: `${base32(bytes.subarray(i, i + 35))}.onion`, port: port(i + 35) } };
    case DESCRIPTOR_TYPE.dns: {
      need(1, 'dns');
      const len = bytes[i]!;
      need(1 + len + 2, 'dns');
      const name = String.fromCharCode(...bytes.subarray(i + 1, i + 1 + len));
      return { type, end: i + 1 + len + 2, address: { type: 'dns', address: name, port: port(i + 1 + len) } };
    }
    default:
      return undefined;
  }
}

/**
 * Appends the descriptor of `a`. Throws EncodeError('bad_address') for a port outside 0-65535 or an
 * address that is not of its type (IPv6 may be in brackets); the rules of a whole list (order, port
 * 0, one DNS name) are encodeAddresses' (gossip/address.ts).
 */
export function writeAddressDescriptor(w: Writer, a: NodeAddress): void {
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 0xffff) throw new EncodeError('bad_address', `bad port ${a.port}`);
  switch (a.type) {
    case 'ipv4': {
      const b = ipv4FromText(a.address);
      if (!b) throw new EncodeError('bad_address', `not an IPv4 address: ${a.address.slice(0, 80)}`);
      w.u8(DESCRIPTOR_TYPE.ipv4).bytes(b);
      break;
    }
    case 'ipv6': {
      const s = a.address;
      const b = ipv6FromText(s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s);
      if (!b) throw new EncodeError('bad_address', `not an IPv6 address: ${s.slice(0, 80)}`);
      w.u8(DESCRIPTOR_TYPE.ipv6).bytes(b);
      break;
    }
    case 'torv3': {
      const m = /^([a-z2-7]{56})\.onion$/i.exec(a.address);
      if (!m) throw new EncodeError('bad_address', `not a Tor v3 onion address: ${a.address.slice(0, 80)}`);
      w.u8(DESCRIPTOR_TYPE.torv3).bytes(unbase32(m[1]!.toLowerCase()));
      break;
    }
    case 'dns': {
      const name = a.address;
      // BOLT 7: "`hostname` bytes MUST be ASCII characters", at most 255 of them (a u8 length).
      if (name.length === 0 || name.length > 255 || !/^[\x21-\x7e]+$/.test(name)) {
        throw new EncodeError('bad_address', `hostname must be 1 to 255 ASCII characters: ${name.slice(0, 80)}`);
      }
      w.u8(DESCRIPTOR_TYPE.dns).u8(name.length);
      for (let k = 0; k < name.length; k++) w.u8(name.charCodeAt(k));
      break;
    }
    default:
      throw new EncodeError('bad_address', `unknown address type ${String((a as { type: unknown }).type)}`);
  }
  w.u16(a.port);
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

function unbase32(s: string): Uint8Array {
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
  return new Uint8Array(out);
}
