// The bridge policy's pure parts: address parsing and classification (IANA special-purpose
// registries), paths, names, caps, configuration.
import {
  BridgeRefusal,
  ConnectionLimits,
  IdleWatch,
  LimitRefusal,
  bridgePolicyFromEnv,
  checkOrigin,
  checkResolvedAddresses,
  checkTarget,
  classifyAddress,
  classifyName,
  clientKey,
  closeReason,
  formatBridgePath,
  parseBridgePath,
  parseHostPort,
  parseIPv4,
  parseIPv6,
  resolveBridgePolicy,
  specialUseAddress,
  specialUseName,
} from '../../../src/core/bridge/policy.ts';
import type { SlotHolder } from '../../../src/core/bridge/policy.ts';
import { fromHex } from '../../../src/core/base/bytes.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { deepEqual, equal, ok, throws } from '../../support/assert.ts';

describe('bridge-policy: IP parsing', () => {
  it('parses IPv4 dotted quads strictly', () => {
    deepEqual(parseIPv4('203.0.113.9'), new Uint8Array([203, 0, 113, 9]));
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', '0x7f.0.0.1', '1.2.3.4 ', '']) {
      equal(parseIPv4(bad), undefined, bad);
    }
  });

  it('parses the RFC 4291 section 2.2 IPv6 text forms', () => {
    deepEqual(parseIPv6('::'), new Uint8Array(16));
    deepEqual(parseIPv6('::1'), fromHex('00000000000000000000000000000001'));
    deepEqual(parseIPv6('2001:DB8:0:0:8:800:200C:417A'), fromHex('20010db80000000000080800200c417a'));
    deepEqual(parseIPv6('2001:db8::8:800:200c:417a'), fromHex('20010db80000000000080800200c417a'));
    deepEqual(parseIPv6('ff01::101'), fromHex('ff010000000000000000000000000101'));
    deepEqual(parseIPv6('::ffff:129.144.52.38'), fromHex('00000000000000000000ffff81903426'));
    deepEqual(parseIPv6('0:0:0:0:0:0:13.1.68.3'), fromHex('0000000000000000000000000d014403'));
    deepEqual(parseIPv6('1:2:3:4:5:6:7::'), fromHex('00010002000300040005000600070000'));
    for (const bad of [
      ':',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      '12345::',
      'g::1',
      '::1.2.3',
      '1.2.3.4::',
      'fe80::1%eth0',
      ':1',
      '1:',
    ]) {
      equal(parseIPv6(bad), undefined, bad);
    }
  });
});

describe('bridge-policy: special-use addresses', () => {
  it('refuses every special-purpose IPv4 range', () => {
    const special = [
      '0.0.0.0',
      '0.1.2.3',
      '10.255.255.255',
      '100.64.0.0',
      '100.127.255.255',
      '127.0.0.1',
      '127.255.0.9',
      '169.254.169.254',
      '172.16.0.1',
      '172.31.255.255',
      '192.0.0.8',
      '192.0.2.1',
      '192.88.99.1',
      '192.168.1.1',
      '198.18.0.1',
      '198.19.255.255',
      '198.51.100.1',
      '203.0.113.255',
      '224.0.0.1',
      '239.255.255.250',
      '240.0.0.1',
      '255.255.255.255',
    ];
    for (const a of special) ok(specialUseAddress(a), `${a} must be special-use`);
  });

  it('accepts ordinary public IPv4, including the neighbours of special ranges', () => {
    for (const a of [
      '1.1.1.1',
      '8.8.8.8',
      '9.255.255.255',
      '11.0.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '192.167.255.255',
      '192.169.0.0',
      '198.17.255.255',
      '198.20.0.0',
      '223.255.255.255',
    ]) {
      equal(specialUseAddress(a), undefined, a);
    }
  });

  it('refuses special-purpose IPv6 and anything outside 2000::/3', () => {
    const special = [
      '::',
      '::1',
      '::ffff:8.8.8.8',
      '::ffff:0:8.8.8.8',
      '64:ff9b::808:808',
      '64:ff9b:1::1',
      '100::1',
      '2001::1',
      '2001:db8::1',
      '2002:808:808::1',
      '3fff::1',
      'fc00::1',
      'fdff::1',
      'fe80::1',
      'febf::1',
      'fec0::1',
      'ff02::1',
      '::8.8.8.8',
      '4000::1',
      '1::',
    ];
    for (const a of special) ok(specialUseAddress(a), `${a} must be special-use`);
    equal(specialUseAddress('[::1]'), 'loopback ::1');
  });

  it('accepts global unicast IPv6', () => {
    for (const a of ['2606:4700:4700::1111', '2a01:4f8::1', '2001:200::1', '3ffe::1', '2c0f:fb50::1'])
      equal(specialUseAddress(a), undefined, a);
  });
});

describe('bridge-policy: names and paths', () => {
  it('parses /{host}:{port} and /bridge/{host}:{port}', () => {
    deepEqual(parseBridgePath('/203.0.113.5:9735'), { kind: 'ipv4', host: '203.0.113.5', port: 9735 });
    deepEqual(parseBridgePath('/bridge/[2001:DB8::1]:9735?x=1'), { kind: 'ipv6', host: '2001:db8::1', port: 9735 });
    deepEqual(parseBridgePath('/Node.Example.COM.:9735'), { kind: 'dns', host: 'node.example.com', port: 9735 });
    deepEqual(parseBridgePath('/%5B2606:4700::1111%5D:9735'), { kind: 'ipv6', host: '2606:4700::1111', port: 9735 });
  });

  it('refuses malformed paths, hosts and ports with typed errors', () => {
    throws(() => parseBridgePath('203.0.113.5:9735'), BridgeRefusal, 'bad_path');
    throws(() => parseBridgePath('/'), BridgeRefusal, 'bad_path');
    throws(() => parseBridgePath('/a/b:1'), BridgeRefusal, 'bad_path');
    throws(() => parseBridgePath('/%E0%A4%A:1'), BridgeRefusal, 'bad_path');
    throws(() => parseBridgePath('/host'), BridgeRefusal, 'bad_port');
    throws(() => parseBridgePath('/host.example:65536'), BridgeRefusal, 'bad_port');
    throws(() => parseBridgePath('/host.example:0'), BridgeRefusal, 'bad_port');
    throws(() => parseBridgePath('/host.example:+1'), BridgeRefusal, 'bad_port');
    throws(() => parseBridgePath('/::1:9735'), BridgeRefusal, 'bad_host');
    throws(() => parseBridgePath('/[::1]9735'), BridgeRefusal, 'bad_host');
    throws(() => parseBridgePath('/[zz::1]:9735'), BridgeRefusal, 'bad_host');
    for (const h of [
      '127.1',
      '2130706433',
      '0x7f.1',
      '-a.example',
      'a-.example',
      'a..example',
      'under_score.example',
      'a.123',
      `${'a'.repeat(64)}.example`,
    ]) {
      throws(() => parseBridgePath(`/${h}:9735`), BridgeRefusal, 'bad_host');
    }
    deepEqual(parseHostPort('127.0.0.1:0', true), { kind: 'ipv4', host: '127.0.0.1', port: 0 });
    equal(formatBridgePath('2001:db8::1', 9735), '/[2001:db8::1]:9735');
    equal(formatBridgePath('node.example.com', 9735), '/node.example.com:9735');
  });

  it('knows special-use names', () => {
    for (const n of [
      'localhost',
      'a.localhost',
      'x.local',
      'metadata.google.internal',
      'router',
      'x.home.arpa',
      '1.0.0.127.in-addr.arpa',
      'abc.onion',
      'a.test',
      '10.0.0.1.nip.io',
    ])
      ok(specialUseName(n), n);
    for (const n of ['node.example.com', 'lnd.bitcoin.org', 'localhosts.com', 'mylocal.com']) equal(specialUseName(n), undefined, n);
  });
});

describe('bridge-policy: checks', () => {
  const policy = resolveBridgePolicy();
  const open = resolveBridgePolicy({ allowLoopback: true, allowPrivate: true, allowedPorts: [9735, 19735] });
  const loopbackOnly = resolveBridgePolicy({ allowLoopback: true });
  const privateOnly = resolveBridgePolicy({ allowPrivate: true });

  it('allows only port 9735 by default', () => {
    checkTarget(parseBridgePath('/1.1.1.1:9735'), policy);
    throws(() => checkTarget(parseBridgePath('/1.1.1.1:9736'), policy), BridgeRefusal, 'port_not_allowed');
    throws(() => checkTarget(parseBridgePath('/127.0.0.1:22'), open), BridgeRefusal, 'port_not_allowed');
  });

  it('refuses special-use literals and names unless their switch is set', () => {
    throws(() => checkTarget(parseBridgePath('/10.0.0.1:9735'), policy), BridgeRefusal, 'special_use_address');
    throws(() => checkTarget(parseBridgePath('/[fe80::1]:9735'), policy), BridgeRefusal, 'special_use_address');
    throws(() => checkTarget(parseBridgePath('/localhost:9735'), policy), BridgeRefusal, 'special_use_name');
    checkTarget(parseBridgePath('/10.0.0.1:9735'), open);
    checkTarget(parseBridgePath('/localhost:19735'), open);
  });

  const refusalOf = (t: string): string => (/^[[\d]/.test(t) ? 'special_use_address' : 'special_use_name');

  it('allowLoopback and allowPrivate each lift their own class only (finding 14)', () => {
    for (const t of ['127.0.0.1', '127.9.9.9', '[::1]', 'localhost', 'a.localhost']) {
      checkTarget(parseBridgePath(`/${t}:9735`), loopbackOnly);
      throws(() => checkTarget(parseBridgePath(`/${t}:9735`), privateOnly), BridgeRefusal, refusalOf(t));
    }
    for (const t of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '[fd12:3456::1]', 'router.lan', 'nas.local']) {
      checkTarget(parseBridgePath(`/${t}:9735`), privateOnly);
      throws(() => checkTarget(parseBridgePath(`/${t}:9735`), loopbackOnly), BridgeRefusal, refusalOf(t));
    }
    deepEqual(classifyAddress(parseIPv4('127.0.0.1')!)?.class, 'loopback');
    deepEqual(classifyName('localhost')?.class, 'loopback');
    deepEqual(classifyName('x.internal')?.class, 'private');
  });

  it('never lifts link-local, cloud metadata or other special-use ranges, whatever is set', () => {
    const everything = resolveBridgePolicy({ allowLoopback: true, allowPrivate: true });
    const never = [
      '169.254.169.254',
      '169.254.0.1',
      '[fe80::1]',
      '[fd00:ec2::254]',
      '100.100.100.200',
      '168.63.129.16',
      '0.0.0.0',
      '224.0.0.1',
      '[::ffff:127.0.0.1]',
      '[::]',
      'metadata.google.internal',
      'metadata',
      'abc.onion',
      'x.invalid',
    ];
    for (const t of never) {
      throws(() => checkTarget(parseBridgePath(`/${t}:9735`), everything), BridgeRefusal, refusalOf(t));
      const bytes = parseIPv4(t) ?? parseIPv6(t.replace(/^\[|\]$/g, ''));
      equal((bytes ? classifyAddress(bytes) : classifyName(t))?.class, 'never', t);
    }
    throws(() => checkResolvedAddresses('n.example', ['169.254.169.254'], everything), BridgeRefusal, 'special_use_address');
    throws(() => checkResolvedAddresses('n.example', ['fd00:ec2::254'], everything), BridgeRefusal, 'special_use_address');
    deepEqual(checkResolvedAddresses('n.example', ['fd00:ec2::253', '10.0.0.1'], everything), ['fd00:ec2::253', '10.0.0.1']);
  });

  it('a bridge that cannot resolve refuses every special-use name, whatever is set', () => {
    const everything = resolveBridgePolicy({ allowLoopback: true, allowPrivate: true });
    checkTarget(parseBridgePath('/localhost:9735'), everything);
    throws(() => checkTarget(parseBridgePath('/localhost:9735'), everything, false), BridgeRefusal, 'special_use_name');
    throws(() => checkTarget(parseBridgePath('/127.0.0.1.nip.io:9735'), everything, false), BridgeRefusal, 'special_use_name');
    checkTarget(parseBridgePath('/127.0.0.1:9735'), everything, false);
  });

  it('checks every resolved address', () => {
    deepEqual(checkResolvedAddresses('n.example', ['1.1.1.1', '2606:4700::1111'], policy), ['1.1.1.1', '2606:4700::1111']);
    throws(() => checkResolvedAddresses('n.example', ['1.1.1.1', '127.0.0.1'], policy), BridgeRefusal, 'special_use_address');
    throws(() => checkResolvedAddresses('n.example', ['::ffff:10.0.0.1'], policy), BridgeRefusal, 'special_use_address');
    throws(() => checkResolvedAddresses('n.example', [], policy), BridgeRefusal, 'resolve_failed');
    throws(() => checkResolvedAddresses('n.example', ['not-an-ip'], policy), BridgeRefusal, 'resolve_failed');
    deepEqual(checkResolvedAddresses('localhost', ['127.0.0.1'], open), ['127.0.0.1']);
    throws(() => checkResolvedAddresses('n.example', ['127.0.0.1'], privateOnly), BridgeRefusal, 'special_use_address');
    throws(() => checkResolvedAddresses('n.example', ['10.0.0.1'], loopbackOnly), BridgeRefusal, 'special_use_address');
  });

  it('checks Origins only when a list is configured', () => {
    checkOrigin(undefined, policy);
    checkOrigin('https://anything.example', policy);
    const p = resolveBridgePolicy({ allowedOrigins: ['https://App.Example/'] });
    checkOrigin('https://app.example', p);
    throws(() => checkOrigin('https://app.example:8443', p), BridgeRefusal, 'origin_not_allowed');
    throws(() => checkOrigin(null, p), BridgeRefusal, 'origin_not_allowed');
  });

  it('counts per client (IPv6 per /64) and in total', () => {
    const l = new ConnectionLimits(2, 10);
    const a1 = l.acquire(clientKey('203.0.113.1'));
    l.acquire(clientKey('::ffff:203.0.113.1'));
    throws(() => l.acquire(clientKey('203.0.113.1')), LimitRefusal, 'per_client_limit');
    l.acquire(clientKey('2001:db8:1:2::5'));
    l.acquire(clientKey('2001:db8:1:2:ffff::1'));
    throws(() => l.acquire(clientKey('2001:db8:1:2::9')), LimitRefusal, 'per_client_limit');
    l.acquire(clientKey('2001:db8:1:3::5'));
    equal(clientKey('2001:db8:1:2:ffff::1'), '2001:db8:1:2::/64');
    equal(l.total, 5);
    a1.release();
    a1.release();
    equal(l.total, 4);
    equal(l.count('203.0.113.1'), 1);
    l.acquire(clientKey('203.0.113.1'));
    const t = new ConnectionLimits(8, 2);
    t.acquire('a');
    t.acquire('b');
    throws(() => t.acquire('c'), LimitRefusal, 'total_limit');
  });

  /** Slots of `key`, each held by a holder that records its eviction. */
  function hold(l: ConnectionLimits, key: string, n: number, evicted: string[], clock = { t: 0 }): void {
    for (let i = 0; i < n; i++) {
      const s = l.acquire(key);
      const at = clock.t++;
      const h: SlotHolder = { lastActive: () => at, evict: () => evicted.push(`${key}#${i}`), review: () => {} };
      l.hold(s, h);
    }
  }

  it('shares a full total fairly: 33 addresses holding 8 each cannot keep a newcomer out (finding 14)', () => {
    const l = new ConnectionLimits(8, 256);
    const evicted: string[] = [];
    const clock = { t: 0 };
    for (let a = 0; a < 32; a++) hold(l, `10.0.0.${a}`, 8, evicted, clock);
    equal(l.total, 256);
    evicted.length = 0;
    // A newcomer holding 0 takes the least recently active bridge of a largest holder (8 >= 0 + 2).
    const s = l.acquire('203.0.113.7');
    equal(l.total, 256);
    deepEqual(evicted, ['10.0.0.0#0']);
    equal(l.count('10.0.0.0'), 7);
    equal(l.count('203.0.113.7'), 1);
    s.release();
    // Everyone within one of everyone else: no one takes from a holder of 8 while holding 7.
    const full = new ConnectionLimits(2, 4);
    const ev2: string[] = [];
    hold(full, 'a', 2, ev2);
    hold(full, 'b', 1, ev2);
    hold(full, 'c', 1, ev2);
    throws(() => full.acquire('b'), LimitRefusal, 'total_limit');
    deepEqual(ev2, []);
    full.acquire('d');
    deepEqual(ev2, ['a#0']);
  });

  it('is busy from 3/4 of its total, and an idle watch then closes after the shorter timeout', async () => {
    const l = new ConnectionLimits(8, 8);
    for (let i = 0; i < 5; i++) l.acquire(`k${i}`);
    ok(!l.busy);
    l.acquire('k5');
    ok(l.busy);
    const clock = new FakeClock();
    let limit = 300_000;
    let idled = 0;
    const w = new IdleWatch(
      clock,
      () => limit,
      () => idled++,
    );
    await clock.tick(20_000);
    w.touch();
    await clock.tick(40_000);
    equal(idled, 0);
    limit = 30_000; // the bridge became busy: 40 s idle is now over the limit
    w.review();
    await clock.tick(0);
    equal(idled, 1);
    const w2 = new IdleWatch(
      clock,
      () => 1000,
      () => idled++,
    );
    await clock.tick(999);
    w2.touch();
    await clock.tick(999);
    equal(idled, 1, 'a touched watch waits a full timeout again');
    await clock.tick(1);
    equal(idled, 2);
  });

  it('reads its configuration from env-style strings', () => {
    const p = bridgePolicyFromEnv({
      BRIDGE_ALLOWED_PORTS: '9735, 19735',
      BRIDGE_ALLOW_PRIVATE: 'true',
      BRIDGE_MAX_PER_CLIENT: '2',
      BRIDGE_ALLOWED_ORIGINS: 'https://a.example,https://b.example',
      BRIDGE_IDLE_TIMEOUT_MS: '1000',
    });
    deepEqual([...p.allowedPorts], [9735, 19735]);
    equal(p.allowPrivate, true);
    equal(p.allowLoopback, false);
    equal(p.busyIdleTimeoutMs, 1000, 'never longer than the idle timeout');
    equal(bridgePolicyFromEnv({ BRIDGE_ALLOW_LOOPBACK: '1' }).allowLoopback, true);
    throws(() => bridgePolicyFromEnv({ BRIDGE_ALLOW_LOOPBACK: 'yes' }), BridgeRefusal, 'bad_config');
    equal(p.maxPerClient, 2);
    equal(p.maxTotal, 256);
    equal(p.idleTimeoutMs, 1000);
    deepEqual([...(p.allowedOrigins ?? [])], ['https://a.example', 'https://b.example']);
    const d = bridgePolicyFromEnv({});
    equal(d.allowPrivate, false);
    deepEqual([...d.allowedPorts], [9735]);
    equal(d.allowedOrigins, undefined);
    throws(() => bridgePolicyFromEnv({ BRIDGE_ALLOWED_PORTS: '70000' }), BridgeRefusal, 'bad_config');
    throws(() => bridgePolicyFromEnv({ BRIDGE_MAX_TOTAL: 'lots' }), BridgeRefusal, 'bad_config');
    throws(() => resolveBridgePolicy({ maxPerClient: 0 }), BridgeRefusal, 'bad_config');
  });

  it('keeps close reasons within 123 bytes', () => {
    equal(closeReason('short'), 'short');
    const r = closeReason('é'.repeat(200));
    ok(new TextEncoder().encode(r).length <= 123 && r.endsWith('...'));
  });
});
