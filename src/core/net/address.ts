// Peer addresses as people and Core Lightning write them (`id@host:port`, `id@[v6]:port`, `id`,
// `ws:host:port`, `ws://host:port/path`), bridge URL conventions, and the dial plan: which concrete
// `DialTarget`s (src/core/net/transport.ts) to try, in order, for a peer given what the runtime can open.
// Pure: strings in, plain objects out, every bad input a DecodeError with a stable code.
import { DecodeError } from '../base/errors.ts';
import { fromHex, toHex } from '../base/bytes.ts';
import { isValidPublicKey } from '../crypto/primitives.ts';
import { fail, formatHost, formatHostPort, parseHost, parseHostPort, parsePort, show, type Host, type HostPort } from './host.ts';
import type { DialTarget, NetAddress } from './transport.ts';

// Hosts and ports (host.ts) are part of this module's vocabulary: one import for callers.
export {
  formatHost,
  formatHostPort,
  parseHost,
  parseHostPort,
  parseIpv4,
  parseIpv6,
  parseListenHostPort,
  parsePort,
  type Host,
  type HostPort,
  type HostType,
} from './host.ts';

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

/** A node id: 33-byte compressed secp256k1 public key in hex (BOLT 8 `rs`, BOLT 7 `node_id`). */
export function parseNodeId(text: string): Uint8Array {
  if (!/^[0-9a-fA-F]{66}$/.test(text)) fail('bad_node_id', `node id must be 66 hex characters: ${show(text)}`);
  const id = fromHex(text);
  if (!isValidPublicKey(id)) fail('bad_node_id', `node id is not a valid compressed public key: ${show(text)}`);
  return id;
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
