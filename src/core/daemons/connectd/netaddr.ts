// Addresses as connectd reports and sends them: a dial target as a NetAddress, `host:port` text
// (Core Lightning's `netaddr`), and BOLT 7 address descriptors for the `remote_addr` init TLV.
import { parseHost } from '../../net/address.ts';
import { readAddressDescriptor, writeAddressDescriptor, type NodeAddress, type ReadDescriptor } from '../../net/address-descriptor.ts';
import { Writer } from '../../base/bytes.ts';
import { DecodeError } from '../../base/errors.ts';
import { ipv4FromText, ipv6FromText } from '../../net/ip.ts';
import type { DialTarget, NetAddress } from '../../net/transport.ts';

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

/** The bytes of an IP address in the text parseHost writes (hex groups only for IPv6); else undefined. */
function ipBytes(a: NetAddress): Uint8Array | undefined {
  if (a.type === 'ipv4') return ipv4FromText(a.address);
  return a.type === 'ipv6' && /^[0-9a-f:]+$/i.test(a.address) ? ipv6FromText(a.address) : undefined;
}

/** The descriptor of an IPv4 or IPv6 address (the only kinds `remote_addr` carries); else undefined. */
export function encodeAddressDescriptor(a: NetAddress): Uint8Array | undefined {
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 0xffff || !ipBytes(a)) return undefined;
  const w = new Writer();
  writeAddressDescriptor(w, a as NodeAddress); // Cannot throw: the port and the address are good.
  return w.finish();
}

/**
 * One address descriptor filling `data` exactly: BOLT 7 types 1 (IPv4), 2 (IPv6), 4 (Tor v3) and
 * 5 (DNS hostname). Undefined for anything else or anything malformed: `remote_addr` is advice
 * ("MAY use the remote_addr"), never a reason to drop a peer.
 */
export function decodeAddressDescriptor(data: Uint8Array): NetAddress | undefined {
  if (data.length === 0) return undefined;
  let d: ReadDescriptor | undefined;
  try {
    d = readAddressDescriptor(data, 0);
  } catch (e) {
    if (e instanceof DecodeError) return undefined; // cut short
    throw e;
  }
  if (!d?.address || d.end !== data.length) return undefined;
  // BOLT 7 asks only that `hostname` bytes be ASCII; a name we could not dial (letters, digits,
  // hyphen and dot, as RFC 1123) tells us nothing useful.
  if (d.address.type === 'dns' && !/^[A-Za-z0-9.-]+$/.test(d.address.address)) return undefined;
  return d.address;
}

/**
 * Whether an address is a public IP. BOLT 1 `remote_addr`: "SHOULD NOT set private addresses", so
 * loopback, RFC 1918, CGNAT, link-local, unique-local, multicast and unspecified are not sent.
 */
export function isPublicIp(a: NetAddress): boolean {
  if (a.type === 'ipv4') {
    const b = ipBytes(a);
    return b !== undefined && isPublicV4(b);
  }
  if (a.type === 'ipv6') {
    const b = ipBytes(a);
    if (!b) return false;
    // ::ffff:a.b.c.d (IPv4-mapped) is as public as its IPv4 address.
    if (b.subarray(0, 10).every(x => x === 0) && b[10] === 0xff && b[11] === 0xff) return isPublicV4(b.subarray(12));
    if (b.subarray(0, 15).every(x => x === 0)) return false; // :: and ::1
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
