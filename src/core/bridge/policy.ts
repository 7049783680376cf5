// What a WebSocket-to-TCP bridge may connect to, decided without any I/O, so that the Node bridge
// (src/transports/bridge-server.ts) and the edge Worker (src/edge/bridge-worker.ts) refuse exactly
// the same things. A bridge must never be an open proxy: targets come from the request path
// `/{host}:{port}` (or `/bridge/{host}:{port}`), only allowed ports are reachable, and special-use
// addresses (IANA's IPv4/IPv6 Special-Purpose Address Registries, RFC 6890) are refused. Two
// switches lift two classes, and nothing else: `allowLoopback` (127/8, ::1, `localhost`) and
// `allowPrivate` (RFC 1918, CGNAT 100.64/10, unique local fc00::/7). Link-local (169.254/16,
// fe80::/10) and cloud metadata addresses and names stay refused whatever is set. A DNS name is
// checked here for its syntax and for special-use names; the Node bridge then resolves it and
// checks every address it got (checkResolvedAddresses) before connecting to that checked address,
// never to the name. Connection caps and their fair sharing: bridge-limits.ts.
import { BoltError } from '../base/errors.ts';
import { ipv4FromText, ipv6FromText } from '../net/ip.ts';

import { LimitRefusal } from './limits.ts';

export { BridgeActivity, ConnectionLimits, IdleWatch, LimitRefusal, clientKey, type Slot, type SlotHolder } from './limits.ts';

/** Why a bridge refused a request; `code` is stable, `message` is sent to the client. */
export class BridgeRefusal extends BoltError {}

/** A refusal (BridgeRefusal, or LimitRefusal from a cap) as is; anything else as `internal`. */
export function asRefusal(e: unknown): BoltError {
  if (e instanceof BridgeRefusal || e instanceof LimitRefusal) return e;
  return new BridgeRefusal('internal', e instanceof Error ? e.message : String(e));
}

export type BridgeHostKind = 'ipv4' | 'ipv6' | 'dns';

/** A parsed target: `host` is lowercase, an IPv6 literal without its brackets. */
export interface BridgeTarget {
  kind: BridgeHostKind;
  host: string;
  port: number;
}

export interface BridgePolicyOptions {
  /** Ports a client may reach (default: 9735, BOLT 1's default port, only). */
  allowedPorts?: readonly number[];
  /** Reach loopback targets: 127.0.0.0/8, ::1, `localhost` (tests, a node on the same host). */
  allowLoopback?: boolean;
  /** Reach private-range targets: RFC 1918, CGNAT 100.64.0.0/10, unique local fc00::/7. Never
   * link-local or cloud metadata, which no switch lifts. */
  allowPrivate?: boolean;
  /** When set, only these Origins (e.g. `https://app.example`) may open a bridge. */
  allowedOrigins?: readonly string[];
  /** Open (or opening) bridges per client address; IPv6 clients count per /64 (default 8). */
  maxPerClient?: number;
  /** Open (or opening) bridges in total (default 256). */
  maxTotal?: number;
  /** Close a bridge after this long without a byte either way (default 300 000 ms). */
  idleTimeoutMs?: number;
  /** The idle timeout while the bridge holds 3/4 of maxTotal or more (default 30 000 ms, and
   * never longer than idleTimeoutMs). See bridge-limits.ts for the sharing rule. */
  busyIdleTimeoutMs?: number;
}

export interface BridgePolicy {
  allowedPorts: ReadonlySet<number>;
  allowLoopback: boolean;
  allowPrivate: boolean;
  allowedOrigins: ReadonlySet<string> | undefined;
  maxPerClient: number;
  maxTotal: number;
  idleTimeoutMs: number;
  busyIdleTimeoutMs: number;
}

export const DEFAULT_BRIDGE_PORT = 9735;

/**
 * The WebSocket subprotocol a client offers to tell a bridge what it has received: with it, each
 * text frame from the client is the decimal count of bytes received so far, sent at least once
 * every 16 KiB received (a bridge's window is at least 64 KiB). The edge bridge needs it for
 * backpressure (workerd has no bufferedAmount); the Node bridge accepts it too (so one client
 * works with both) and only checks the counts, since it sees its own send buffer.
 */
export const BRIDGE_ACK_PROTOCOL = 'bridge-ack';

/** A bridge-ack client acknowledges at least every this many bytes received (the window is at least four times it). */
export const BRIDGE_ACK_EVERY = 16 * 1024;

/**
 * What a client offers when it dials a bridge. The first entry is what a generic WebSocket server
 * that echoes the first offered subprotocol picks (the `ws` package does by default): it must not
 * be `bridge-ack`, or such a bridge would forward our acknowledgements into the BOLT 8 stream.
 * Our bridges pick `bridge-ack` wherever it stands.
 */
export const BRIDGE_CLIENT_PROTOCOLS: readonly string[] = ['bolt8', BRIDGE_ACK_PROTOCOL];

/** Whether a client's Sec-WebSocket-Protocol list offers BRIDGE_ACK_PROTOCOL. */
export function offersAck(protocols: Iterable<string>): boolean {
  for (const p of protocols) if (p.trim() === BRIDGE_ACK_PROTOCOL) return true;
  return false;
}

/**
 * A `bridge-ack` text frame: the decimal count of bytes received so far, never less than the last
 * one (`acked`) nor more than the bridge sent (`sent`). Throws BridgeRefusal('bad_ack').
 */
export function parseAck(text: string, acked: number, sent: number): number {
  const n = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!(n >= acked && n <= sent)) throw new BridgeRefusal('bad_ack', `bad acknowledgement (${acked} to ${sent} expected)`);
  return n;
}

/** WebSocket close codes a bridge uses (RFC 6455 section 7.4, IANA registry; 4000+ is private use). */
export const BridgeClose = {
  /** The target closed the TCP connection, or the client closed. */
  normal: 1000,
  /** The bridge is shutting down. */
  goingAway: 1001,
  /** A text frame: the bridge carries bytes only. */
  unsupportedData: 1003,
  /** A refused target, path or port; too much data buffered. */
  policy: 1008,
  /** A frame larger than the bridge accepts. */
  tooBig: 1009,
  /** The bridge itself failed. */
  internal: 1011,
  /** The bridge was full and this bridge gave its slot to a client holding fewer (bridge-limits.ts). */
  tryAgainLater: 1013,
  /** DNS failure, connect failure or TCP error towards the target. */
  badGateway: 1014,
  /** No byte either way for idleTimeoutMs. */
  idle: 4000,
} as const;

/** HTTP status for a refusal answered before the WebSocket upgrade. */
export function refusalStatus(code: string): number {
  switch (code) {
    case 'origin_not_allowed':
    case 'port_not_allowed':
    case 'special_use_address':
    case 'special_use_name':
    case 'name_not_allowed':
      return 403;
    case 'per_client_limit':
      return 429;
    case 'total_limit':
      return 503;
    case 'not_websocket':
      return 426;
    case 'resolve_failed':
      return 502;
    default:
      return 400;
  }
}

/** WebSocket close code for a refusal answered after the upgrade. */
export function refusalCloseCode(code: string): number {
  return code === 'resolve_failed' ? BridgeClose.badGateway : BridgeClose.policy;
}

function positiveInt(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < 1) throw new BridgeRefusal('bad_config', `${name} must be a positive integer, got ${String(v)}`);
  return v;
}

export function resolveBridgePolicy(o: BridgePolicyOptions = {}): BridgePolicy {
  const ports = o.allowedPorts ?? [DEFAULT_BRIDGE_PORT];
  for (const p of ports) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new BridgeRefusal('bad_config', `allowed port out of range: ${String(p)}`);
  }
  let origins: Set<string> | undefined;
  if (o.allowedOrigins && o.allowedOrigins.length > 0) {
    origins = new Set(o.allowedOrigins.map(s => s.trim().toLowerCase().replace(/\/+$/, '')));
  }
  const idleTimeoutMs = positiveInt(o.idleTimeoutMs, 300_000, 'idleTimeoutMs');
  return {
    allowedPorts: new Set(ports),
    allowLoopback: o.allowLoopback === true,
    allowPrivate: o.allowPrivate === true,
    allowedOrigins: origins,
    maxPerClient: positiveInt(o.maxPerClient, 8, 'maxPerClient'),
    maxTotal: positiveInt(o.maxTotal, 256, 'maxTotal'),
    idleTimeoutMs,
    busyIdleTimeoutMs: Math.min(idleTimeoutMs, positiveInt(o.busyIdleTimeoutMs, 30_000, 'busyIdleTimeoutMs')),
  };
}

/**
 * Policy from string settings (a Worker's env vars, a CLI's flags): BRIDGE_ALLOW_LOOPBACK and
 * BRIDGE_ALLOW_PRIVATE ("1"/"true"), BRIDGE_ALLOWED_PORTS ("9735,9736"), BRIDGE_ALLOWED_ORIGINS
 * (comma-separated), BRIDGE_MAX_PER_CLIENT, BRIDGE_MAX_TOTAL, BRIDGE_IDLE_TIMEOUT_MS,
 * BRIDGE_BUSY_IDLE_TIMEOUT_MS. Bad values throw (bad_config).
 */
export function bridgePolicyFromEnv(env: Readonly<Record<string, unknown>>): BridgePolicy {
  const str = (k: string): string | undefined => {
    const v = env[k];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const int = (k: string): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new BridgeRefusal('bad_config', `${k} must be a number, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const list = (k: string): string[] | undefined =>
    str(k)
      ?.split(',')
      .map(s => s.trim())
      .filter(s => s !== '');
  const ports = list('BRIDGE_ALLOWED_PORTS')?.map(p => {
    if (!/^\d{1,5}$/.test(p)) throw new BridgeRefusal('bad_config', `BRIDGE_ALLOWED_PORTS: bad port ${JSON.stringify(p)}`);
    return Number(p);
  });
  const bool = (k: string): boolean => {
    const v = str(k)?.toLowerCase();
    if (v === undefined || v === '0' || v === 'false') return false;
    if (v === '1' || v === 'true') return true;
    throw new BridgeRefusal('bad_config', `${k} must be true or false, got ${JSON.stringify(v)}`);
  };
  return resolveBridgePolicy({
    allowedPorts: ports,
    allowLoopback: bool('BRIDGE_ALLOW_LOOPBACK'),
    allowPrivate: bool('BRIDGE_ALLOW_PRIVATE'),
    allowedOrigins: list('BRIDGE_ALLOWED_ORIGINS'),
    maxPerClient: int('BRIDGE_MAX_PER_CLIENT'),
    maxTotal: int('BRIDGE_MAX_TOTAL'),
    idleTimeoutMs: int('BRIDGE_IDLE_TIMEOUT_MS'),
    busyIdleTimeoutMs: int('BRIDGE_BUSY_IDLE_TIMEOUT_MS'),
  });
}

// ---- addresses ---------------------------------------------------------------------------------

/** Strict dotted-quad IPv4 (no octal, hex or shortened forms): ip.ts's reader. */
export const parseIPv4 = ipv4FromText;

/** RFC 4291 section 2.2 text forms, including `::` and a trailing dotted quad; no zone id (ip.ts). */
export const parseIPv6 = ipv6FromText;

function inPrefix(addr: Uint8Array, prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i < bits; i += 8) {
    const n = Math.min(8, bits - i);
    const mask = (0xff << (8 - n)) & 0xff;
    if (((addr[i / 8] ?? 0) & mask) !== ((prefix[i / 8] ?? 0) & mask)) return false;
  }
  return true;
}

/** What a special-use target is, for the switches: `loopback` and `private` are lifted by
 * allowLoopback and allowPrivate; `never` by nothing. */
export type TargetClass = 'loopback' | 'private' | 'never';

/** Why a target is special-use, and its class. */
export interface SpecialUse {
  class: TargetClass;
  why: string;
}

type Range = readonly [prefix: readonly number[], bits: number, cls: TargetClass, name: string];

// Cloud instance metadata services, refused whatever is set (most sit in link-local 169.254/16,
// which is refused anyway; these are listed first so that the reason names them, and because some
// sit inside ranges a switch lifts: Alibaba's in CGNAT, AWS's IPv6 one in unique local fc00::/7).
const METADATA: readonly Range[] = [
  [[169, 254, 169, 254], 32, 'never', 'cloud metadata 169.254.169.254'],
  [[100, 100, 100, 200], 32, 'never', 'cloud metadata 100.100.100.200 (Alibaba)'],
  [[168, 63, 129, 16], 32, 'never', 'cloud platform 168.63.129.16 (Azure)'],
  [[0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54], 128, 'never', 'cloud metadata fd00:ec2::254 (AWS)'],
];

// IANA IPv4 Special-Purpose Address Registry (RFC 6890 and successors), plus multicast and the
// reserved 240/4. Anything listed is refused, including the few entries IANA marks globally
// reachable: a Lightning node has no business there.
const V4_SPECIAL: readonly Range[] = [
  [[0], 8, 'never', 'this network 0.0.0.0/8 (includes unspecified)'],
  [[10], 8, 'private', 'private 10.0.0.0/8 (RFC 1918)'],
  [[100, 64], 10, 'private', 'shared address space 100.64.0.0/10 (RFC 6598, CGNAT)'],
  [[127], 8, 'loopback', 'loopback 127.0.0.0/8'],
  [[169, 254], 16, 'never', 'link-local 169.254.0.0/16'],
  [[172, 16], 12, 'private', 'private 172.16.0.0/12 (RFC 1918)'],
  [[192, 0, 0], 24, 'never', 'IETF protocol assignments 192.0.0.0/24'],
  [[192, 0, 2], 24, 'never', 'documentation 192.0.2.0/24'],
  [[192, 31, 196], 24, 'never', 'AS112 192.31.196.0/24'],
  [[192, 52, 193], 24, 'never', 'AMT 192.52.193.0/24'],
  [[192, 88, 99], 24, 'never', '6to4 relay anycast 192.88.99.0/24'],
  [[192, 168], 16, 'private', 'private 192.168.0.0/16 (RFC 1918)'],
  [[192, 175, 48], 24, 'never', 'AS112 192.175.48.0/24'],
  [[198, 18], 15, 'never', 'benchmarking 198.18.0.0/15'],
  [[198, 51, 100], 24, 'never', 'documentation 198.51.100.0/24'],
  [[203, 0, 113], 24, 'never', 'documentation 203.0.113.0/24'],
  [[224], 4, 'never', 'multicast 224.0.0.0/4'],
  [[255, 255, 255, 255], 32, 'never', 'limited broadcast 255.255.255.255'],
  [[240], 4, 'never', 'reserved 240.0.0.0/4'],
];

// IANA IPv6 Special-Purpose Address Registry, and everything outside global unicast 2000::/3.
// Forms that embed or translate to an IPv4 address (mapped, NAT64, 6to4, Teredo) are refused
// outright: a client that means an IPv4 target can name it.
const V6_SPECIAL: readonly Range[] = [
  [[], 128, 'never', 'unspecified ::'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback', 'loopback ::1'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96, 'never', 'IPv4-mapped ::ffff:0:0/96'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0], 96, 'never', 'IPv4-translated ::ffff:0:0:0/96'],
  [[0, 0x64, 0xff, 0x9b, 0, 1], 48, 'never', 'local-use NAT64 64:ff9b:1::/48'],
  [[0, 0x64, 0xff, 0x9b], 96, 'never', 'NAT64 64:ff9b::/96'],
  [[1, 0], 64, 'never', 'discard-only 100::/64'],
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'never', 'documentation 2001:db8::/32'],
  [[0x20, 0x01], 23, 'never', 'IETF protocol assignments 2001::/23 (Teredo, ORCHID, benchmarking)'],
  [[0x20, 0x02], 16, 'never', '6to4 2002::/16'],
  [[0x3f, 0xff], 20, 'never', 'documentation 3fff::/20'],
  [[0xfc], 7, 'private', 'unique local fc00::/7'],
  [[0xfe, 0x80], 10, 'never', 'link-local fe80::/10'],
  [[0xfe, 0xc0], 10, 'never', 'site-local fec0::/10 (deprecated)'],
  [[0xff], 8, 'never', 'multicast ff00::/8'],
];

function firstRange(addr: Uint8Array, ranges: readonly Range[]): SpecialUse | undefined {
  for (const [p, bits, cls, name] of ranges) if (inPrefix(addr, p, bits)) return { class: cls, why: name };
  return undefined;
}

/**
 * What is special about an IP address (4 or 16 bytes), or undefined when it is an ordinary
 * globally reachable unicast address.
 */
export function classifyAddress(addr: Uint8Array): SpecialUse | undefined {
  if (addr.length === 4) return firstRange(addr, METADATA) ?? firstRange(addr, V4_SPECIAL);
  if (addr.length === 16) {
    const s = firstRange(addr, METADATA) ?? firstRange(addr, V6_SPECIAL);
    if (s) return s;
    if (!inPrefix(addr, [0x20], 3)) return { class: 'never', why: 'not global unicast (outside 2000::/3)' };
    return undefined;
  }
  return { class: 'never', why: 'not an IP address' };
}

/** Why an IP address is special-use (whatever its class), or undefined. */
export function specialUseRange(addr: Uint8Array): string | undefined {
  return classifyAddress(addr)?.why;
}

/** specialUseRange for a textual address (IPv4 dotted quad or IPv6, brackets allowed). */
export function specialUseAddress(text: string): string | undefined {
  const t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const b = parseIPv4(t) ?? parseIPv6(t);
  return b ? specialUseRange(b) : 'not an IP address';
}

/** Whether the policy's switches lift this class (`never` is lifted by nothing). */
export function classAllowed(c: TargetClass, policy: Pick<BridgePolicy, 'allowLoopback' | 'allowPrivate'>): boolean {
  return c === 'loopback' ? policy.allowLoopback : c === 'private' ? policy.allowPrivate : false;
}

// Names that never lead to a public Lightning node, or that commonly resolve to loopback or to
// the address written inside them. Checked before any DNS lookup (RFC 6761, RFC 6762, RFC 8375,
// RFC 9476, ICANN's `.internal`), so the Node bridge never sends them to a resolver and the edge
// Worker, which cannot resolve before connecting, refuses them. Cloud metadata names come first:
// no switch lifts them.
const METADATA_NAMES = ['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal'];
const NAME_SUFFIXES: ReadonlyArray<readonly [suffix: string, cls: TargetClass]> = [
  ['localhost', 'loopback'],
  ['localdomain', 'loopback'],
  ['localtest.me', 'loopback'],
  ['lvh.me', 'loopback'],
  ['local', 'private'],
  ['internal', 'private'],
  ['intranet', 'private'],
  ['private', 'private'],
  ['corp', 'private'],
  ['home', 'private'],
  ['lan', 'private'],
  ['test', 'private'],
  ['nip.io', 'private'],
  ['sslip.io', 'private'],
  ['xip.io', 'private'],
  ['arpa', 'never'],
  ['invalid', 'never'],
  ['example', 'never'],
  ['onion', 'never'],
  ['alt', 'never'],
];

/** What is special about a DNS name, or undefined. `name` must already be lowercase, no final dot. */
export function classifyName(name: string): SpecialUse | undefined {
  if (METADATA_NAMES.includes(name)) return { class: 'never', why: `cloud metadata name ${name}` };
  for (const [s, cls] of NAME_SUFFIXES) {
    if (name === s || name.endsWith('.' + s)) return { class: cls, why: `special-use name .${s}` };
  }
  if (!name.includes('.')) return { class: 'private', why: 'single-label name (resolved through search domains)' };
  return undefined;
}

/** Why a DNS name is special-use (whatever its class), or undefined. */
export function specialUseName(name: string): string | undefined {
  return classifyName(name)?.why;
}

/** A DNS host name (RFC 1123 section 2.1) whose last label starts with a letter, so that no
 * numeric or hex shorthand (`127.1`, `0x7f.1`, `2130706433`) can pass as a name. */
function isHostName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  for (const l of labels) {
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) return false;
  }
  return /^[a-z]/.test(labels[labels.length - 1]!);
}

// ---- paths and targets ---------------------------------------------------------------------------

function parsePort(s: string, allowZero: boolean): number | undefined {
  if (!/^\d{1,5}$/.test(s) || (s.length > 1 && s[0] === '0')) return undefined;
  const n = Number(s);
  if (n > 65535 || (n === 0 && !allowZero)) return undefined;
  return n;
}

/** `host:port`, `[ipv6]:port`; throws BridgeRefusal('bad_host' | 'bad_port'). */
export function parseHostPort(s: string, allowZeroPort = false): BridgeTarget {
  let host: string;
  let portText: string;
  let kind: BridgeHostKind;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0 || s[end + 1] !== ':') throw new BridgeRefusal('bad_host', 'expected [ipv6]:port');
    host = s.slice(1, end).toLowerCase();
    portText = s.slice(end + 2);
    if (!parseIPv6(host)) throw new BridgeRefusal('bad_host', `not an IPv6 address: ${host.slice(0, 60)}`);
    kind = 'ipv6';
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) throw new BridgeRefusal('bad_port', 'expected host:port');
    host = s.slice(0, colon).toLowerCase();
    portText = s.slice(colon + 1);
    if (host.endsWith('.')) host = host.slice(0, -1);
    if (parseIPv4(host)) kind = 'ipv4';
    else if (isHostName(host)) kind = 'dns';
    else throw new BridgeRefusal('bad_host', `not an IPv4 address or host name: ${host.slice(0, 60)}`);
  }
  const port = parsePort(portText, allowZeroPort);
  if (port === undefined) throw new BridgeRefusal('bad_port', `bad port: ${portText.slice(0, 10)}`);
  return { kind, host, port };
}

/**
 * The target named by a request path: `/{host}:{port}` or `/bridge/{host}:{port}` (a query
 * string is ignored; percent-escapes are decoded once). Throws BridgeRefusal('bad_path', ...).
 */
export function parseBridgePath(path: string): BridgeTarget {
  let p = path;
  const q = p.indexOf('?');
  if (q >= 0) p = p.slice(0, q);
  if (p.startsWith('/bridge/')) p = p.slice('/bridge/'.length);
  else if (p.startsWith('/')) p = p.slice(1);
  else throw new BridgeRefusal('bad_path', 'path must be /{host}:{port}');
  try {
    p = decodeURIComponent(p);
  } catch {
    throw new BridgeRefusal('bad_path', 'bad percent-encoding in path');
  }
  if (p === '' || p.includes('/')) throw new BridgeRefusal('bad_path', 'path must be /{host}:{port}');
  return parseHostPort(p);
}

/** The path a client asks a bridge for, e.g. `/[2001:db8::1]:9735`. */
export function formatBridgePath(host: string, port: number): string {
  return `/${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Everything about a target that can be checked before any I/O: the port, a special-use IP
 * literal, a special-use name. Throws BridgeRefusal; a DNS name that passes must still have each
 * of its resolved addresses checked (checkResolvedAddresses) before connecting. A bridge that
 * cannot resolve before connecting (`resolvesNames` false: the edge Worker) refuses every
 * special-use name whatever the switches, since it could not check where the name leads.
 */
export function checkTarget(t: BridgeTarget, policy: BridgePolicy, resolvesNames = true): void {
  if (!policy.allowedPorts.has(t.port)) {
    throw new BridgeRefusal('port_not_allowed', `port ${t.port} not allowed (allowed: ${[...policy.allowedPorts].join(',')})`);
  }
  if (t.kind === 'dns') {
    const s = classifyName(t.host);
    if (s && !(resolvesNames && classAllowed(s.class, policy))) throw new BridgeRefusal('special_use_name', `refused ${t.host}: ${s.why}`);
    return;
  }
  const s = classifyAddress((parseIPv4(t.host) ?? parseIPv6(t.host))!);
  if (s && !classAllowed(s.class, policy)) throw new BridgeRefusal('special_use_address', `refused ${t.host}: ${s.why}`);
}

/**
 * After resolving a DNS name: every address must pass (one bad address refuses the name, so a
 * resolver that mixes in a private address cannot steer us), and the caller connects to one of
 * the returned checked addresses, never to the name again (no second lookup to rebind).
 */
export function checkResolvedAddresses(name: string, addresses: readonly string[], policy: BridgePolicy): string[] {
  if (addresses.length === 0) throw new BridgeRefusal('resolve_failed', `${name} has no addresses`);
  const out: string[] = [];
  for (const a of addresses) {
    const bytes = parseIPv4(a) ?? parseIPv6(a);
    if (!bytes) throw new BridgeRefusal('resolve_failed', `${name} resolved to a non-address`);
    const s = classifyAddress(bytes);
    if (s && !classAllowed(s.class, policy)) throw new BridgeRefusal('special_use_address', `refused ${name}: resolves to ${a}, ${s.why}`);
    out.push(a);
  }
  return out;
}

/** Origin allow-list (exact serialized origins, case-insensitive). A missing Origin is refused
 * when a list is configured. */
export function checkOrigin(origin: string | null | undefined, policy: BridgePolicy): void {
  if (!policy.allowedOrigins) return;
  if (!origin || !policy.allowedOrigins.has(origin.trim().toLowerCase())) {
    throw new BridgeRefusal('origin_not_allowed', `origin ${origin ? JSON.stringify(origin.slice(0, 80)) : '(none)'} not allowed`);
  }
}

/** Who ended a bridge, for its log line. */
export type BridgeEnd = 'client' | 'target' | 'bridge' | 'evicted';

/** The fields of a bridge's `bridge closed` log line, the same from both bridges. */
export function closedLogFields(
  client: string,
  target: string,
  by: BridgeEnd,
  code: number,
  reason: string,
  bytesToTarget: number,
  bytesToClient: number,
): Record<string, unknown> {
  return { client, target, decision: by === 'evicted' ? 'evicted' : 'closed', by, code, reason, bytesToTarget, bytesToClient };
}

/** A WebSocket close reason is at most 123 bytes of UTF-8 (RFC 6455 section 5.5). */
export function closeReason(s: string): string {
  const enc = new TextEncoder();
  if (enc.encode(s).length <= 123) return s;
  let t = s.slice(0, 120);
  while (enc.encode(t + '...').length > 123) t = t.slice(0, -1);
  return t + '...';
}
