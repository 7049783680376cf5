import {
  NETWORK_PORTS,
  defaultPort,
  parseNodeId,
  parseHost,
  parseHostPort,
  parseListenHostPort,
  parseEndpoint,
  parsePeerAddress,
  parseWebSocketUrl,
  parseBridge,
  bridgeUrl,
  planDial,
  endpointsFromAnnouncement,
  formatHostPort,
  type Endpoint,
  type Bridge,
} from '../../../src/core/net/address.ts';
import { toHex } from '../../../src/core/base/bytes.ts';
import { DecodeError } from '../../../src/core/base/errors.ts';
import type { NetAddress } from '../../../src/core/net/transport.ts';
import { deepEqual, equal, ok, throws } from '../../support/assert.ts';

// BOLT 8 appendix: the responder's static public key rs.pub.
const ID = '028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7';
const ONION = 'vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion';

describe('address: networks and node ids', () => {
  it("default ports are Core Lightning's", () => {
    deepEqual({ ...NETWORK_PORTS }, { bitcoin: 9735, testnet: 19735, testnet4: 49735, signet: 39735, regtest: 19846 });
    equal(defaultPort('regtest'), 19846);
    throws(() => defaultPort('mainnet'), DecodeError, 'unknown_network');
    throws(() => defaultPort('toString'), DecodeError, 'unknown_network');
  });
  it('accepts a compressed public key in either case', () => {
    equal(toHex(parseNodeId(ID)), ID);
    equal(toHex(parseNodeId(ID.toUpperCase())), ID);
  });
  it('rejects node ids that are not valid compressed keys', () => {
    for (const bad of [
      '',
      ID.slice(0, 64),
      `${ID}00`,
      `x${ID.slice(1)}`,
      `04${ID.slice(2)}`,
      `05${ID.slice(2)}`,
      `02${'ff'.repeat(32)}`, // x >= p: not on the curve
      `0x${ID.slice(2)}`,
      ` ${ID}`,
    ]) {
      throws(() => parseNodeId(bad), DecodeError, 'bad_node_id');
    }
  });
});

describe('address: hosts and ports', () => {
  const good: [string, string, string][] = [
    ['127.0.0.1', 'ipv4', '127.0.0.1'],
    ['0.0.0.0', 'ipv4', '0.0.0.0'],
    ['255.255.255.255', 'ipv4', '255.255.255.255'],
    ['::1', 'ipv6', '::1'],
    ['[::1]', 'ipv6', '::1'],
    ['::', 'ipv6', '::'],
    ['2001:DB8:0:0:0:0:0:1', 'ipv6', '2001:db8::1'],
    ['2001:0db8:0000:0001:0000:0000:0000:0001', 'ipv6', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', 'ipv6', '2001:db8::1:0:0:1'], // the first of two equal runs (RFC 5952 4.2.3)
    ['1:2:3:4:5:6:7:8', 'ipv6', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', 'ipv6', '1:0:3:4:5:6:7:8'], // a single zero group is not "::"
    ['::ffff:192.0.2.1', 'ipv6', '::ffff:c000:201'],
    ['fe80::', 'ipv6', 'fe80::'],
    ['localhost', 'dns', 'localhost'],
    ['Node.Example.COM.', 'dns', 'node.example.com'],
    ['xn--bcher-kva.example', 'dns', 'xn--bcher-kva.example'],
    ['a-b.c0', 'dns', 'a-b.c0'],
    [ONION.toUpperCase(), 'torv3', ONION],
  ];
  for (const [text, type, host] of good) {
    it(`parses ${text}`, () => deepEqual(parseHost(text), { type, host }));
  }
  const bad: [string, string][] = [
    ['', 'bad_host'],
    ['1.2.3', 'bad_ipv4'],
    ['1.2.3.4.5', 'bad_ipv4'],
    ['256.1.1.1', 'bad_ipv4'],
    ['01.2.3.4', 'bad_ipv4'],
    ['1..2.3', 'bad_ipv4'],
    ['[1.2.3.4]', 'bad_ipv6'],
    ['1:2:3:4:5:6:7', 'bad_ipv6'],
    ['1:2:3:4:5:6:7:8:9', 'bad_ipv6'],
    ['1::2::3', 'bad_ipv6'],
    ['12345::', 'bad_ipv6'],
    ['g::1', 'bad_ipv6'],
    [':::', 'bad_ipv6'],
    [':1:2:3:4:5:6:7', 'bad_ipv6'],
    ['1:2:3:4:5:6:7::8', 'bad_ipv6'],
    ['fe80::1%eth0', 'bad_ipv6'],
    ['1.2.3.4::', 'bad_ipv6'],
    ['::1.2.3', 'bad_ipv4'],
    ['-a.example', 'bad_dns_name'],
    ['a-.example', 'bad_dns_name'],
    ['a..example', 'bad_dns_name'],
    ['under_score.example', 'bad_dns_name'],
    ['bücher.example', 'bad_dns_name'],
    ['a b', 'bad_dns_name'],
    [`${'a'.repeat(64)}.example`, 'bad_dns_name'],
    [`${'abcdefghi.'.repeat(26)}com`, 'bad_dns_name'], // 263 characters
    ['host.123', 'bad_dns_name'],
    ['expyuzz4wqqyqhjn.onion', 'bad_onion'], // Tor v2, removed from BOLT 7
    ['[::1', 'bad_ipv6'],
  ];
  for (const [text, code] of bad) {
    it(`rejects host ${JSON.stringify(text)} (${code})`, () => void throws(() => parseHost(text), DecodeError, code));
  }
  it('splits host and port as Core Lightning does', () => {
    deepEqual(parseHostPort('1.2.3.4:9735'), { type: 'ipv4', host: '1.2.3.4', port: 9735 });
    deepEqual(parseHostPort('[::1]:19846'), { type: 'ipv6', host: '::1', port: 19846 });
    deepEqual(parseHostPort('[::1]', 39735), { type: 'ipv6', host: '::1', port: 39735 });
    deepEqual(parseHostPort('::1', 9735), { type: 'ipv6', host: '::1', port: 9735 }); // bare IPv6: no port
    deepEqual(parseHostPort('example.com', 1), { type: 'dns', host: 'example.com', port: 1 });
    deepEqual(parseHostPort('example.com:65535'), { type: 'dns', host: 'example.com', port: 65535 });
  });
  it('rejects bad ports and misplaced brackets', () => {
    for (const p of ['0', '65536', '-1', '+1', '1e3', '', ' 1', '0x10', '123456']) {
      throws(() => parseHostPort(`1.2.3.4:${p}`), DecodeError, 'bad_port');
    }
    throws(() => parseHostPort('1.2.3.4'), DecodeError, 'missing_port');
    throws(() => parseHostPort('[::1]x'), DecodeError, 'bad_host');
    throws(() => parseHostPort('[::1'), DecodeError, 'bad_host');
    throws(() => parseHostPort('[::1]:'), DecodeError, 'bad_port');
  });
  it('takes port 0 (any free port) only where we listen, with the same forms and limits', () => {
    deepEqual(parseListenHostPort('127.0.0.1:0'), { type: 'ipv4', host: '127.0.0.1', port: 0 });
    deepEqual(parseListenHostPort('[::1]:0'), { type: 'ipv6', host: '::1', port: 0 });
    deepEqual(parseListenHostPort('localhost:9835'), { type: 'dns', host: 'localhost', port: 9835 });
    deepEqual(parseListenHostPort('::', 19846), { type: 'ipv6', host: '::', port: 19846 });
    for (const p of ['65536', '-1', '', '0x10']) throws(() => parseListenHostPort(`1.2.3.4:${p}`), DecodeError, 'bad_port');
    throws(() => parseListenHostPort('1.2.3.4'), DecodeError, 'missing_port');
    throws(() => parseListenHostPort('1.2.3:0'), DecodeError, 'bad_ipv4');
  });
  it('formats IPv6 with brackets', () => {
    equal(formatHostPort({ type: 'ipv6', host: '::1', port: 9735 }), '[::1]:9735');
    equal(formatHostPort({ type: 'dns', host: 'a.example', port: 1 }), 'a.example:1');
  });
});

describe('address: endpoints and peer addresses', () => {
  it('parses every form connect takes', () => {
    const p = parsePeerAddress(ID);
    equal(p.id, ID);
    equal(toHex(p.nodeId), ID);
    equal(p.endpoint, undefined);
    deepEqual(parsePeerAddress(`${ID}@1.2.3.4`).endpoint, { kind: 'tcp', type: 'ipv4', host: '1.2.3.4', port: 9735 });
    deepEqual(parsePeerAddress(`${ID}@1.2.3.4`, { network: 'testnet' }).endpoint?.port, 19735);
    deepEqual(parsePeerAddress(`${ID}@node.example`, { network: 'signet' }).endpoint?.port, 39735);
    deepEqual(parsePeerAddress(`${ID}@[2001:db8::1]`, { network: 'regtest' }).endpoint, {
      kind: 'tcp',
      type: 'ipv6',
      host: '2001:db8::1',
      port: 19846,
    });
    deepEqual(parsePeerAddress(`${ID}@1.2.3.4:1234`, { network: 'regtest' }).endpoint?.port, 1234);
    deepEqual(parsePeerAddress(`${ID}@h.example`, { port: 7 }).endpoint?.port, 7);
    deepEqual(parsePeerAddress(`  ${ID.toUpperCase()}@${ONION}:9735 `).endpoint, { kind: 'tcp', type: 'torv3', host: ONION, port: 9735 });
    equal(parsePeerAddress(ID.toUpperCase()).id, ID);
  });
  it("parses Core Lightning's ws: spelling and ws:// / wss:// URLs", () => {
    deepEqual(parseEndpoint('ws:127.0.0.1:5019'), {
      kind: 'websocket',
      url: 'ws://127.0.0.1:5019/',
      type: 'ipv4',
      host: '127.0.0.1',
      port: 5019,
    });
    deepEqual(parseEndpoint('ws:[::1]', 19846), { kind: 'websocket', url: 'ws://[::1]:19846/', type: 'ipv6', host: '::1', port: 19846 });
    deepEqual(parsePeerAddress(`${ID}@ws:Node.Example:80`).endpoint, {
      kind: 'websocket',
      url: 'ws://node.example:80/',
      type: 'dns',
      host: 'node.example',
      port: 80,
    });
    deepEqual(parseEndpoint('ws://1.2.3.4'), { kind: 'websocket', url: 'ws://1.2.3.4:80/', type: 'ipv4', host: '1.2.3.4', port: 80 });
    deepEqual(parseEndpoint('WSS://Node.Example/ln?x=1'), {
      kind: 'websocket',
      url: 'wss://node.example:443/ln?x=1',
      type: 'dns',
      host: 'node.example',
      port: 443,
    });
    deepEqual(parseEndpoint('wss://[::1]:8443/a/b'), {
      kind: 'websocket',
      url: 'wss://[::1]:8443/a/b',
      type: 'ipv6',
      host: '::1',
      port: 8443,
    });
    deepEqual(parseEndpoint('wss://h.example?q'), {
      kind: 'websocket',
      url: 'wss://h.example:443/?q',
      type: 'dns',
      host: 'h.example',
      port: 443,
    });
    deepEqual(parsePeerAddress(`${ID}@wss://h.example:9999/ws`).endpoint?.kind, 'websocket');
  });
  it('rejects bad peer addresses with typed errors', () => {
    const cases: [string, string][] = [
      ['', 'empty'],
      ['   ', 'empty'],
      ['@1.2.3.4', 'bad_node_id'],
      [`${ID.slice(2)}@1.2.3.4`, 'bad_node_id'],
      [`${ID}@`, 'bad_host'],
      [`${ID}@1.2.3.4:0`, 'bad_port'],
      [`${ID}@1.2.3.4:99999`, 'bad_port'],
      [`${ID}@1.2.3.4:`, 'bad_port'],
      [`${ID}@1.2.3.4:9735:1`, 'bad_ipv6'],
      [`${ID}@host name`, 'bad_dns_name'],
      [`${ID}@http://h.example`, 'bad_port'],
      [`${ID}@ws://user@h.example`, 'bad_url'],
      [`${ID}@ws://h.example/#x`, 'bad_url'],
      [`${ID}@ws://h.example/a b`, 'bad_url'],
      [`${ID}@ws://`, 'bad_host'],
      [`${ID}@ws://${ONION}`, 'bad_url'],
      [`${ID}@ws:${ONION}`, 'bad_url'],
      [`${ID}@ws:1.2.3.4:0`, 'bad_port'],
      [`${ID}@a@b`, 'bad_dns_name'],
    ];
    for (const [text, code] of cases) throws(() => parsePeerAddress(text), DecodeError, code);
    throws(() => parsePeerAddress(`${ID}@1.2.3.4`, { network: 'liquid' }), DecodeError, 'unknown_network');
    throws(() => parsePeerAddress(ID, { port: 0 }), DecodeError, 'bad_port');
    throws(() => parseWebSocketUrl('http://h.example/'), DecodeError, 'bad_url');
  });
  it('turns BOLT 7 websocket descriptors into ws:// endpoints on the other addresses', () => {
    const eps = endpointsFromAnnouncement([
      { type: 'ipv4', address: '1.2.3.4', port: 9735 },
      { type: 'websocket', address: '', port: 5019 },
      { type: 'ipv6', address: '2001:db8::1', port: 9735 },
      { type: 'torv3', address: ONION, port: 9735 },
    ]);
    deepEqual(
      eps.map(e => (e.kind === 'tcp' ? `tcp ${formatHostPort(e)}` : e.url)),
      ['tcp 1.2.3.4:9735', 'tcp [2001:db8::1]:9735', `tcp ${ONION}:9735`, 'ws://1.2.3.4:5019/', 'ws://[2001:db8::1]:5019/'],
    );
  });
  it('skips an announced address it cannot dial and keeps the others (issue 9 finding 10)', () => {
    // BOLT 7 asks only for ASCII in a `hostname`: `ln_node.example.com` is a valid descriptor, but
    // not an RFC 1123 name. It used to throw, and `connect` then dropped every address of the node.
    const skipped: { address: NetAddress; reason: string }[] = [];
    const eps = endpointsFromAnnouncement(
      [
        { type: 'ipv4', address: '1.2.3.4', port: 9735 },
        { type: 'ipv6', address: '2001:db8::1', port: 0 },
        { type: 'dns', address: 'ln_node.example.com', port: 9735 },
        { type: 'dns', address: '5.6.7.8', port: 1 },
        { type: 'websocket', address: '', port: 70000 },
        { type: 'websocket', address: '', port: 5019 },
      ],
      skipped,
    );
    deepEqual(
      eps.map(e => (e.kind === 'tcp' ? `tcp ${formatHostPort(e)}` : e.url)),
      ['tcp 1.2.3.4:9735', 'ws://1.2.3.4:5019/'],
    );
    deepEqual(
      skipped.map(s => s.address.address || String(s.address.port)),
      ['2001:db8::1', 'ln_node.example.com', '5.6.7.8', '70000'],
    );
    ok(/bad host name: "ln_node\.example\.com"/.test(skipped[1]!.reason), skipped[1]!.reason);
    deepEqual(endpointsFromAnnouncement([{ type: 'dns', address: 'ln_node.example.com', port: 9735 }]), []);
  });
});

describe('address: bridges', () => {
  it('fills in {host} and {port}, bracketing IPv6', () => {
    const b = parseBridge('wss://bridge.example/{host}:{port}');
    equal(bridgeUrl(b, { type: 'ipv4', host: '1.2.3.4', port: 9735 }), 'wss://bridge.example/1.2.3.4:9735');
    equal(bridgeUrl(b, { type: 'ipv6', host: '2001:db8::1', port: 9735 }), 'wss://bridge.example/[2001:db8::1]:9735');
    const q = parseBridge('ws://127.0.0.1:8080/connect?host={host}&port={port}');
    equal(bridgeUrl(q, { type: 'dns', host: 'n.example', port: 1 }), 'ws://127.0.0.1:8080/connect?host=n.example&port=1');
  });
  it("treats a URL without placeholders as lnmessage's wsProxy base", () => {
    const b = parseBridge('wss://proxy.example/');
    deepEqual(b, { kind: 'template', template: 'wss://proxy.example/{host}:{port}' });
    equal(bridgeUrl(b, { type: 'ipv4', host: '1.2.3.4', port: 9735 }), 'wss://proxy.example/1.2.3.4:9735');
  });
  it('a websockify bridge reaches only its one target', () => {
    const b = parseBridge('ws://127.0.0.1:6080', '[::1]:9735');
    deepEqual(b, { kind: 'websockify', url: 'ws://127.0.0.1:6080/', target: { type: 'ipv6', host: '::1', port: 9735 } });
    equal(bridgeUrl(b, { type: 'ipv6', host: '::1', port: 9735 }), 'ws://127.0.0.1:6080/');
    equal(bridgeUrl(b, { type: 'ipv6', host: '::1', port: 9736 }), undefined);
    equal(bridgeUrl(b, { type: 'ipv4', host: '127.0.0.1', port: 9735 }), undefined);
  });
  it('rejects bad bridges', () => {
    throws(() => parseBridge('https://bridge.example/{host}:{port}'), DecodeError, 'bad_bridge');
    throws(() => parseBridge('wss://bridge.example/{host}'), DecodeError, 'bad_bridge');
    throws(() => parseBridge('wss://{host}.example/{port}'), DecodeError, 'bad_bridge');
    throws(() => parseBridge('wss://b.example/{host}:{port}/{id}'), DecodeError, 'bad_bridge');
    throws(() => parseBridge('wss://b.example/{host}:{port}#x'), DecodeError, 'bad_url');
    throws(() => parseBridge('ws://127.0.0.1:6080/{host}', '1.2.3.4:1'), DecodeError, 'bad_bridge');
    throws(() => parseBridge('ws://127.0.0.1:6080', '1.2.3.4'), DecodeError, 'missing_port');
  });
});

describe('address: dial plan', () => {
  const tcp = parseEndpoint('1.2.3.4:9735');
  const v6 = parseEndpoint('[2001:db8::1]:9735');
  const ws = parseEndpoint('ws:1.2.3.4:5019');
  const wss = parseEndpoint('wss://node.example/ln');
  const onion = parseEndpoint(`${ONION}:9735`);
  const tpl = parseBridge('wss://bridge.example/{host}:{port}');
  const plain = parseBridge('ws://bridge.example/{host}:{port}');
  const local = parseBridge('ws://127.0.0.1:8080/{host}:{port}');
  const wsfy: Bridge = parseBridge('wss://wsfy.example', '1.2.3.4:9735');
  const show = (eps: Endpoint | Endpoint[], caps: Parameters<typeof planDial>[1]): string[] =>
    planDial(eps, caps).map(t => (t.kind === 'tcp' ? `tcp ${t.host}:${t.port}` : `ws ${t.url} -> ${t.host}:${t.port}`));

  it('Node: TCP and direct WebSocket in the order given, then bridges', () => {
    deepEqual(show([ws, tcp, onion], { tcp: true, websocket: true, bridges: [tpl] }), [
      'ws ws://1.2.3.4:5019/ -> 1.2.3.4:5019',
      'tcp 1.2.3.4:9735',
      'ws wss://bridge.example/1.2.3.4:9735 -> 1.2.3.4:9735',
      `ws wss://bridge.example/${ONION}:9735 -> ${ONION}:9735`,
    ]);
  });
  it('a browser: no TCP; direct listeners first, then each bridge that reaches the host', () => {
    deepEqual(show([tcp, v6, wss], { tcp: false, websocket: true, bridges: [wsfy, tpl] }), [
      'ws wss://node.example:443/ln -> node.example:443',
      'ws wss://wsfy.example:443/ -> 1.2.3.4:9735',
      'ws wss://bridge.example/1.2.3.4:9735 -> 1.2.3.4:9735',
      'ws wss://bridge.example/[2001:db8::1]:9735 -> 2001:db8::1:9735',
    ]);
  });
  it('a secure page drops ws:// except to loopback', () => {
    deepEqual(
      show([tcp, ws, parseEndpoint('ws:127.0.0.1:5019'), parseEndpoint('ws:localhost:1')], {
        tcp: false,
        websocket: true,
        secureContext: true,
        bridges: [plain, local, tpl],
      }),
      [
        'ws ws://127.0.0.1:5019/ -> 127.0.0.1:5019',
        'ws ws://localhost:1/ -> localhost:1',
        'ws ws://127.0.0.1:8080/1.2.3.4:9735 -> 1.2.3.4:9735',
        'ws wss://bridge.example/1.2.3.4:9735 -> 1.2.3.4:9735',
      ],
    );
  });
  it('raw TCP only (an edge runtime without WebSocket) and nothing at all', () => {
    deepEqual(show([tcp, ws, onion], { tcp: true, websocket: false, bridges: [tpl] }), ['tcp 1.2.3.4:9735']);
    deepEqual(show(onion, { tcp: true, websocket: true }), []);
    deepEqual(show(tcp, { tcp: false, websocket: true }), []);
    deepEqual(show(v6, { tcp: false, websocket: true, bridges: [wsfy] }), []);
  });
  it('drops duplicates', () => {
    deepEqual(show([tcp, tcp, parseEndpoint('1.2.3.4', 9735)], { tcp: true, websocket: true, bridges: [tpl, tpl] }), [
      'tcp 1.2.3.4:9735',
      'ws wss://bridge.example/1.2.3.4:9735 -> 1.2.3.4:9735',
    ]);
  });
});
