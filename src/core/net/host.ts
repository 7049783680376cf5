// Hosts and ports as people and Core Lightning write them: IPv4, IPv6 (bracketed or not), DNS names,
// Tor v3 onions, `host:port`. Pure and small (no crypto): the command line (src/node/cli.ts, bundled
// on its own) and the runtimes' listen options parse with it; address.ts re-exports it.
import { DecodeError } from '../base/errors.ts';
import { ipv4FromText, ipv4Text, ipv6Text, readIpv6 } from './ip.ts';

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

/** Throws the DecodeError every address parser throws (`code` stable, `message` for people). */
export const fail = (code: string, message: string): never => {
  throw new DecodeError(code, message);
};

/** `s` quoted for an error message, cut at 80 characters. */
export const show = (s: string): string => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

/** A port to reach (1-65535); with `anyPort`, also 0, where we listen: any free port. */
export function parsePort(text: string, anyPort = false): number {
  if (!/^[0-9]{1,5}$/.test(text)) fail('bad_port', `port must be a decimal number: ${show(text)}`);
  const port = Number(text);
  const min = anyPort ? 0 : 1;
  if (port < min || port > 65535) fail('bad_port', `port out of range ${min}-65535: ${show(text)}`);
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
  return hostPort(text, defaultPort, false);
}

/**
 * Where we listen (`--bind-addr`, `--rpc-addr`, `--listen`): parseHostPort's forms, where port 0
 * asks for any free port.
 */
export function parseListenHostPort(text: string, defaultPort?: number): HostPort {
  return hostPort(text, defaultPort, true);
}

function hostPort(text: string, defaultPort: number | undefined, anyPort: boolean): HostPort {
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
  if (portText !== undefined) port = parsePort(portText, anyPort);
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
