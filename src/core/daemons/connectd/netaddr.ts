// Addresses as connectd reports and sends them: a dial target as a NetAddress, `host:port` text
// (Core Lightning's `netaddr`), and BOLT 7 address descriptors for the `remote_addr` init TLV.
import { parseHost } from '../../address.ts';
import { Reader, Writer } from '../../bytes.ts';
import type { DialTarget, NetAddress } from '../../transport.ts';

/** Where a dial target leads: the peer's host and port (through a bridge, still the peer's). */
export function targetAddress(t: DialTarget): NetAddress {
  let type: NetAddress['type'] = 'dns';
  let address = t.host;
  try {
    const h = parseHost(t.host);
    type = h.type;
    address = h.host;
  } catch {
    // An unparseable host still dials through a bridge by name; report it as a name.
  }
  return { type, address, port: t.port };
}

/** A dial target for people: the URL for WebSocket targets, else `host:port`. */
export function describeTarget(t: DialTarget): string {
  return t.kind === 'websocket' ? t.url : formatNetAddress(targetAddress(t));
}

/** `host:port`, IPv6 in brackets: the shape of Core Lightning's `netaddr` entries. */
export function formatNetAddress(a: NetAddress): string {
  return a.type === 'ipv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

// ---- BOLT 7 address descriptors (node_announcement `addresses`; BOLT 1 `remote_addr`) ----

const IPV4 = 1;
const IPV6 = 2;
const TORV3 = 4;
const DNS = 5;

function ipv4Bytes(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(parts[i]);
    if (!/^[0-9]{1,3}$/.test(parts[i]!) || n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** The 16 bytes of an IPv6 address in the canonical text `parseHost` produces (hex groups, one `::`). */
function ipv6Bytes(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const zeros = 8 - head.length - tail.length;
  if (halves.length === 2 ? zeros < 1 : zeros !== 0) return undefined;
  const all = [...head, ...new Array<string>(zeros).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-f]{1,4}$/i.test(all[i]!)) return undefined;
    const g = parseInt(all[i]!, 16);
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  }
  return out;
}

/** The descriptor of an IPv4 or IPv6 address (the only kinds `remote_addr` carries); else undefined. */
export function encodeAddressDescriptor(a: NetAddress): Uint8Array | undefined {
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 0xffff) return undefined;
  const ip = a.type === 'ipv4' ? ipv4Bytes(a.address) : a.type === 'ipv6' ? ipv6Bytes(a.address) : undefined;
  if (!ip) return undefined;
  return new Writer().u8(a.type === 'ipv4' ? IPV4 : IPV6).bytes(ip).u16(a.port).finish();
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(b: Uint8Array): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const x of b) {
    acc = (acc << 8) | x;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * One address descriptor filling `data` exactly: BOLT 7 types 1 (IPv4), 2 (IPv6), 4 (Tor v3) and
 * 5 (DNS hostname). Undefined for anything else or anything malformed: `remote_addr` is advice
 * ("MAY use the remote_addr"), never a reason to drop a peer.
 */
export function decodeAddressDescriptor(data: Uint8Array): NetAddress | undefined {
  try {
    const r = new Reader(data);
    const type = r.u8();
    let out: NetAddress;
    if (type === IPV4) {
      out = { type: 'ipv4', address: Array.from(r.bytes(4)).join('.'), port: 0 };
    } else if (type === IPV6) {
      const b = r.bytes(16);
      const groups = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
      out = { type: 'ipv6', address: parseHost(groups.join(':')).host, port: 0 };
    } else if (type === TORV3) {
      out = { type: 'torv3', address: `${base32(r.bytes(35))}.onion`, port: 0 };
    } else if (type === DNS) {
      const name = r.bytes(r.u8());
      // BOLT 7: hostnames "MUST only contain ASCII alphanumeric characters", hyphen and dot.
      if (name.length === 0 || !name.every((c) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x2e)) {
        return undefined;
      }
      out = { type: 'dns', address: String.fromCharCode(...name), port: 0 };
    } else {
      return undefined;
    }
    out.port = r.u16();
    return r.remaining === 0 ? out : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether an address is a public IP. BOLT 1 `remote_addr`: "SHOULD NOT set private addresses", so
 * loopback, RFC 1918, CGNAT, link-local, unique-local, multicast and unspecified are not sent.
 */
export function isPublicIp(a: NetAddress): boolean {
  if (a.type === 'ipv4') {
    const b = ipv4Bytes(a.address);
    return b !== undefined && isPublicV4(b);
  }
  if (a.type === 'ipv6') {
    const b = ipv6Bytes(a.address);
    if (!b) return false;
    // ::ffff:a.b.c.d (IPv4-mapped) is as public as its IPv4 address.
    if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return isPublicV4(b.subarray(12));
    if (b.subarray(0, 15).every((x) => x === 0)) return false; // :: and ::1
    if ((b[0]! & 0xfe) === 0xfc) return false; // fc00::/7 unique local
    if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return false; // fe80::/10 link local
    if (b[0] === 0xff) return false; // multicast
    return true;
  }
  return false;
}

function isPublicV4(b: Uint8Array): boolean {
  const [x, y] = [b[0]!, b[1]!];
  if (x === 0 || x === 10 || x === 127) return false;
  if (x === 100 && (y & 0xc0) === 64) return false; // 100.64/10
  if (x === 169 && y === 254) return false;
  if (x === 172 && (y & 0xf0) === 16) return false;
  if (x === 192 && y === 168) return false;
  return x < 224; // multicast and reserved
}
