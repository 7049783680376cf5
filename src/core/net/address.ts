// Peer addresses as people and Core Lightning write them (`id@host:port`, `id@[v6]:port`, `id`,
// `ws:host:port`, `ws://host:port/path`), bridge URL conventions, and the dial plan: which concrete
// `DialTarget`s (src/core/net/transport.ts) to try, in order, for a peer given what the runtime can open.
// Pure: strings in, plain objects out, every bad input a DecodeError with a stable code.
import { DecodeError } from '../base/errors.ts';
import { fromHex, toHex } from '../base/bytes.ts';
import { isValidPublicKey } from '../crypto/primitives.ts';
import { ipv4FromText, ipv4Text, ipv6Text, readIpv6 } from './ip.ts';
import type { DialTarget, NetAddress } from './transport.ts';

/**
 * Default Lightning ports per network, as Core Lightning's `chainparams.c` (`ln_port`). BOLT 1: "The
 * default TCP port is 9735" (0x2607, the LIGHTNING code point); the test networks use their own.
 */
export const NETWORK_PORTS = Object.freeze({
  bitcoin: 9735,
  testnet: 19735,
  testnet4: 49735,
  signet: 39735,
  regtest: 19846,
} as const);
export type NetworkName = keyof typeof NETWORK_PORTS;

export function defaultPort(network: string): number {
  if (!Object.prototype.hasOwnProperty.call(NETWORK_PORTS, network)) {
    throw new DecodeError('unknown_network', `unknown network '${network}' (known: ${Object.keys(NETWORK_PORTS).join(', ')})`);
  }
  return NETWORK_PORTS[network as NetworkName];
}

/** BOLT 7 address descriptor kinds a host can be (Tor v2 was removed from the spec). */
export type HostType = 'ipv4' | 'ipv6' | 'dns' | 'torv3';

/** A validated host in canonical form: IPv6 without brackets (RFC 5952), DNS lowercase. */
export interface Host {
  type: HostType;
  host: string;
}
export interface HostPort extends Host {
  port: number;
}

/** Where a peer listens: raw TCP (BOLT 8 over TCP) or its own WebSocket listener. */
export type Endpoint = ({ kind: 'tcp' } & HostPort) | ({ kind: 'websocket'; url: string } & HostPort);

export interface PeerAddress {
  /** The node id as lowercase hex (66 chars), the key peers go by. */
  id: string;
  /** The same 33-byte compressed public key. */
  nodeId: Uint8Array;
  endpoint?: Endpoint;
}

/** A WebSocket-to-TCP bridge. */
export type Bridge =
  /** Reaches any host:port: `{host}` and `{port}` in the URL are filled in (lnmessage's `wsProxy/host:port`). */
  | { kind: 'template'; template: string }
  /** A websockify endpoint: forwards to one fixed host:port only. */
  | { kind: 'websockify'; url: string; target: HostPort };

/** What the runtime can open. */
export interface DialCapabilities {
  /** Raw TCP (Node's net, `cloudflare:sockets`). */
  tcp: boolean;
  /** WebSocket client connections (browser, Worker, `ws`). */
  websocket: boolean;
  /** Bridges to try, in this order, after every direct way. */
  bridges?: readonly Bridge[];
  /** A secure context (an https page) may open `wss://` only, and `ws://` to loopback. */
  secureContext?: boolean;
}

const fail = (code: string, message: string): never => {
  throw new DecodeError(code, message);
};

const show = (s: string): string => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

/** A node id: 33-byte compressed secp256k1 public key in hex (BOLT 8 `rs`, BOLT 7 `node_id`). */
export function parseNodeId(text: string): Uint8Array {
  if (!/^[0-9a-fA-F]{66}$/.test(text)) fail('bad_node_id', `node id must be 66 hex characters: ${show(text)}`);
  const id = fromHex(text);
  if (!isValidPublicKey(id)) fail('bad_node_id', `node id is not a valid compressed public key: ${show(text)}`);
  return id;
}

export function parsePort(text: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) fail('bad_port', `port must be a decimal number: ${show(text)}`);
  const port = Number(text);
  if (port < 1 || port > 65535) fail('bad_port', `port out of range 1-65535: ${show(text)}`);
  return port;
}

/** Four bytes of a dotted-quad IPv4 address (strict: no leading zeros; ip.ts). */
export function parseIpv4(text: string): Uint8Array {
  if (text.split('.').length !== 4) fail('bad_ipv4', `IPv4 address needs 4 parts: ${show(text)}`);
  return ipv4FromText(text) ?? fail('bad_ipv4', `bad IPv4 address: ${show(text)}`);
}

/** Sixteen bytes of an IPv6 address (RFC 4291 2.2 text forms, no zone id; ip.ts). */
export function parseIpv6(text: string): Uint8Array {
  if (text.includes('%')) fail('bad_ipv6', `IPv6 zone ids are not supported: ${show(text)}`);
  const r = readIpv6(text);
  // The dotted quad ending the text is at fault: it throws its own error (bad_ipv4).
  if (r === 'ipv4') return parseIpv4(text.slice(text.lastIndexOf(':') + 1));
  return r === 'ipv6' ? fail('bad_ipv6', `bad IPv6 address: ${show(text)}`) : r;
}

/**
 * A DNS name we will dial: labels as RFC 1123 (letters, digits, hyphens; non-ASCII names in Punycode,
 * as BOLT 7 asks of a `hostname`). BOLT 7 itself only requires `hostname` bytes to be ASCII, so an
 * announced name may fail here: endpointsFromAnnouncement then skips that one address.
 */
function parseDnsName(text: string): string {
  const name = (text.endsWith('.') ? text.slice(0, -1) : text).toLowerCase();
  if (name.length === 0 || name.length > 253) fail('bad_dns_name', `bad host name length: ${show(text)}`);
  const labels = name.split('.');
  for (const l of labels) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) fail('bad_dns_name', `bad host name: ${show(text)}`);
  }
  // An all-numeric last label is a mistyped IPv4 address, never a top-level domain.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) fail('bad_dns_name', `bad host name: ${show(text)}`);
  return name;
}

/** A host: IPv4, IPv6 (with or without brackets), a Tor v3 `.onion` name, or a DNS name. */
export function parseHost(text: string): Host {
  if (text === '') fail('bad_host', 'empty host');
  if (text.startsWith('[') && text.endsWith(']')) {
    // Brackets are for IPv6 only (RFC 3986 IP-literal).
    const inner = text.slice(1, -1);
    if (!inner.includes(':')) fail('bad_ipv6', `only IPv6 addresses go in brackets: ${show(text)}`);
    return { type: 'ipv6', host: ipv6Text(parseIpv6(inner)) };
  }
  if (text.includes(':')) return { type: 'ipv6', host: ipv6Text(parseIpv6(text)) };
  if (/^[0-9.]+$/.test(text)) return { type: 'ipv4', host: ipv4Text(parseIpv4(text)) };
  const name = parseDnsName(text);
  if (name.endsWith('.onion')) {
    // BOLT 7 type 4: Tor v3 onion services (56 base32 characters); v2 onions were removed.
    if (!/^[a-z2-7]{56}\.onion$/.test(name)) fail('bad_onion', `not a Tor v3 onion address: ${show(text)}`);
    return { type: 'torv3', host: name };
  }
  return { type: 'dns', host: name };
}

/**
 * `host`, `host:port`, `[ipv6]`, `[ipv6]:port`, or a bare IPv6 address (more than one colon, no
 * port), as Core Lightning's `separate_address_and_port`. Without `defaultPort` a port is required.
 */
export function parseHostPort(text: string, defaultPort?: number): HostPort {
  let hostText = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) fail('bad_host', `unclosed '[' in ${show(text)}`);
    hostText = text.slice(0, close + 1);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) fail('bad_host', `unexpected text after ']' in ${show(text)}`);
      portText = rest.slice(1);
    }
  } else {
    const colons = text.split(':').length - 1;
    if (colons === 1) [hostText, portText] = text.split(':') as [string, string];
  }
  const host = parseHost(hostText);
  let port: number;
  if (portText !== undefined) port = parsePort(portText);
  else if (defaultPort !== undefined) port = defaultPort;
  else return fail('missing_port', `no port in ${show(text)}`);
  return { ...host, port };
}

/** `host:port` with IPv6 in brackets, as it goes in a URL authority. */
export function formatHostPort(h: HostPort): string {
  return `${formatHost(h)}:${h.port}`;
}

export function formatHost(h: Host): string {
  return h.type === 'ipv6' ? `[${h.host}]` : h.host;
}

/** `ws://` or `wss://` URL with a host, optional port (80 / 443 by default) and path; no user info, no fragment. */
export function parseWebSocketUrl(text: string): Extract<Endpoint, { kind: 'websocket' }> {
  const m = /^(wss?):\/\/([^/?#]*)(.*)$/i.exec(text);
  if (!m) return fail('bad_url', `not a ws:// or wss:// URL: ${show(text)}`);
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  const rest = m[3]!;
  if (authority.includes('@')) fail('bad_url', `user info is not allowed in ${show(text)}`);
  // WebSocket URLs must not have a fragment (WHATWG WebSocket constructor).
  if (rest.includes('#')) fail('bad_url', `a WebSocket URL cannot have a fragment: ${show(text)}`);
  if (!/^[\x21-\x7e]*$/.test(rest)) fail('bad_url', `bad characters in the path of ${show(text)}`);
  const hp = parseHostPort(authority, scheme === 'wss' ? 443 : 80);
  if (hp.type === 'torv3') fail('bad_url', `onion hosts cannot be reached by WebSocket: ${show(text)}`);
  const path = rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`;
  return { kind: 'websocket', url: `${scheme}://${formatHostPort(hp)}${path}`, ...hp };
}

/**
 * Where a peer listens: `host[:port]` (TCP), a `ws://` / `wss://` URL, or Core Lightning's
 * `ws:host[:port]` spelling of a WebSocket listener (`bind-addr=ws:...`; the port defaults as TCP's).
 */
export function parseEndpoint(text: string, defaultPortNumber: number = NETWORK_PORTS.bitcoin): Endpoint {
  if (text === '') fail('bad_host', 'empty address');
  if (/^wss?:\/\//i.test(text)) return parseWebSocketUrl(text);
  if (/^ws:/i.test(text)) {
    const hp = parseHostPort(text.slice(3), defaultPortNumber);
    if (hp.type === 'torv3') fail('bad_url', `onion hosts cannot be reached by WebSocket: ${show(text)}`);
    return { kind: 'websocket', url: `ws://${formatHostPort(hp)}/`, ...hp };
  }
  return { kind: 'tcp', ...parseHostPort(text, defaultPortNumber) };
}

export interface PeerAddressOptions {
  /** Picks the default port (NETWORK_PORTS); 'bitcoin' when absent. */
  network?: string;
  /** Overrides the network's default port. */
  port?: number;
}

/** `id`, `id@host`, `id@host:port`, `id@[v6]:port`, `id@ws:host:port`, `id@wss://host/path` (`connect`'s forms). */
export function parsePeerAddress(text: string, opts: PeerAddressOptions = {}): PeerAddress {
  const port = opts.port !== undefined ? parsePort(String(opts.port)) : defaultPort(opts.network ?? 'bitcoin');
  const s = text.trim();
  if (s === '') fail('empty', 'empty peer address');
  const at = s.indexOf('@');
  const idText = at < 0 ? s : s.slice(0, at);
  const nodeId = parseNodeId(idText);
  const id = toHex(nodeId);
  if (at < 0) return { id, nodeId };
  return { id, nodeId, endpoint: parseEndpoint(s.slice(at + 1), port) };
}

/**
 * Endpoints from a `node_announcement`'s addresses. BOLT 7 type 6 (websocket) carries only a port:
 * a WebSocket listener on the same host as the node's other addresses (Core Lightning announces it
 * that way), so it becomes `ws://host:port/` for each IPv4, IPv6 and DNS address.
 *
 * Each address stands alone: one we cannot dial (a hostname that is ASCII, as BOLT 7 asks of
 * `hostname`, but not an RFC 1123 name, like `ln_node.example.com`; port 0, which BOLT 7 says to
 * ignore; a type that does not match its text) is skipped and listed in `skipped`, and the others
 * are kept, as BOLT 7 has receivers ignore a bad descriptor (port 0, Tor v2, a second DNS name)
 * without dropping the rest.
 */
export function endpointsFromAnnouncement(
  addresses: readonly NetAddress[],
  skipped: { address: NetAddress; reason: string }[] = [],
): Endpoint[] {
  const tcp: Endpoint[] = [];
  const wsPorts: number[] = [];
  for (const a of addresses) {
    try {
      if (a.type === 'websocket') {
        wsPorts.push(parsePort(String(a.port)));
        continue;
      }
      const h = parseHost(a.address);
      if (h.type !== a.type) fail('bad_host', `address ${show(a.address)} is not of type ${a.type}`);
      tcp.push({ kind: 'tcp', ...h, port: parsePort(String(a.port)) });
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      skipped.push({ address: a, reason: e.message });
    }
  }
  const ws: Endpoint[] = [];
  for (const port of wsPorts) {
    for (const t of tcp) {
      if (t.type === 'torv3') continue;
      ws.push({ kind: 'websocket', url: `ws://${formatHostPort({ ...t, port })}/`, type: t.type, host: t.host, port });
    }
  }
  return [...tcp, ...ws];
}

/**
 * A bridge from a URL. With `{host}` and `{port}` in it, a template (`wss://b.example/{host}:{port}`,
 * IPv6 hosts filled in with brackets); without them, a base URL to which `/{host}:{port}` is appended
 * (lnmessage's `wsProxy` convention). With `target`, a websockify endpoint that reaches only that host:port.
 */
export function parseBridge(url: string, target?: string): Bridge {
  if (target !== undefined) {
    if (url.includes('{')) fail('bad_bridge', `a websockify URL has no placeholders: ${show(url)}`);
    const ep = parseWebSocketUrl(url);
    return { kind: 'websockify', url: ep.url, target: parseHostPort(target) };
  }
  let template = url;
  if (!url.includes('{host}') && !url.includes('{port}')) template = `${url.replace(/\/+$/, '')}/{host}:{port}`;
  if (!template.includes('{host}') || !template.includes('{port}')) {
    fail('bad_bridge', `a bridge template needs both {host} and {port}: ${show(url)}`);
  }
  const m = /^wss?:\/\/([^/?#]*)/i.exec(template);
  if (!m) return fail('bad_bridge', `a bridge must be a ws:// or wss:// URL: ${show(url)}`);
  if (m[1]!.includes('{')) fail('bad_bridge', `placeholders may not be in the bridge's host: ${show(url)}`);
  if (/\{(?!host\}|port\})/.test(template)) fail('bad_bridge', `unknown placeholder in ${show(url)}`);
  // What the template makes must itself be a valid WebSocket URL.
  parseWebSocketUrl(expandTemplate(template, { type: 'ipv6', host: '::1', port: 9735 }));
  return { kind: 'template', template };
}

function expandTemplate(template: string, hp: HostPort): string {
  return template.replaceAll('{host}', formatHost(hp)).replaceAll('{port}', String(hp.port));
}

/** The URL that reaches `hp` through `bridge`, or undefined if that bridge cannot reach it. */
export function bridgeUrl(bridge: Bridge, hp: HostPort): string | undefined {
  if (bridge.kind === 'template') return expandTemplate(bridge.template, hp);
  const t = bridge.target;
  return t.type === hp.type && t.host === hp.host && t.port === hp.port ? bridge.url : undefined;
}

function isLoopback(h: Host): boolean {
  if (h.type === 'ipv4') return h.host.startsWith('127.');
  if (h.type === 'ipv6') return h.host === '::1';
  return h.type === 'dns' && (h.host === 'localhost' || h.host.endsWith('.localhost'));
}

function allowedUrl(url: string, caps: DialCapabilities): boolean {
  if (!caps.secureContext || /^wss:/i.test(url)) return true;
  // Mixed content: a secure page may still open ws:// to a potentially trustworthy (loopback) host.
  return isLoopback(parseWebSocketUrl(url));
}

/**
 * The targets to try for a peer, in order: each endpoint's direct way first, in the order given (raw
 * TCP where the runtime has it; the peer's own WebSocket listener), then every bridge in order for
 * each TCP endpoint. Duplicates are dropped. Empty when nothing the runtime can open reaches the peer.
 */
export function planDial(endpoints: Endpoint | readonly Endpoint[], caps: DialCapabilities): DialTarget[] {
  const list: readonly Endpoint[] = Array.isArray(endpoints) ? endpoints : [endpoints as Endpoint];
  const out: DialTarget[] = [];
  const seen = new Set<string>();
  const add = (t: DialTarget): void => {
    const key = t.kind === 'tcp' ? `tcp ${t.host} ${t.port}` : `ws ${t.url}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(t);
    }
  };
  for (const e of list) {
    if (e.kind === 'tcp') {
      // No Tor proxy here: onion services are reached only through a bridge that has one.
      if (caps.tcp && e.type !== 'torv3') add({ kind: 'tcp', host: e.host, port: e.port });
    } else if (caps.websocket && allowedUrl(e.url, caps)) {
      add({ kind: 'websocket', url: e.url, host: e.host, port: e.port });
    }
  }
  if (caps.websocket) {
    for (const e of list) {
      if (e.kind !== 'tcp') continue;
      for (const b of caps.bridges ?? []) {
        const url = bridgeUrl(b, e);
        if (url !== undefined && allowedUrl(url, caps)) add({ kind: 'websocket', url, host: e.host, port: e.port, bridge: true });
      }
    }
  }
  return out;
}
