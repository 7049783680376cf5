// connectd driven in-process: Connectd instances (with hsmd links for ECDH) joined by in-memory byte
// streams, a fake clock for every timer, and a "raw" peer that speaks BOLT 8 by hand to send what a
// well-behaved node never would. Covers the handshake and init both ways, feature and network
// refusals, ping/pong (BOLT 1), timeouts, replacement, routing, bad bytes in every act and after,
// and that one bad peer costs nobody else anything.
import { concat, equal as bytesEqual, fromHex, toHex } from '../../src/core/base/bytes.ts';
import { chainHash, networkOfChainHash, NETWORKS } from '../../src/core/chain/chains.ts';
import { sha256d } from '../../src/core/crypto/primitives.ts';
import { Connectd, HELD_MESSAGES } from '../../src/core/daemons/connectd/connectd.ts';
import { daemon as connectdDaemon } from '../../src/core/daemons/connectd/host.ts';
import { ConnectError } from '../../src/core/daemons/connectd/errors.ts';
import { unpackGossipBatch } from '../../src/core/daemons/connectd/batch.ts';
import { decodeAddressDescriptor, encodeAddressDescriptor, isPublicIp } from '../../src/core/daemons/connectd/netaddr.ts';
import { UNKNOWN_REPLY_BURST, UNKNOWN_REPLY_REFILL_MS } from '../../src/core/daemons/connectd/unknown-channel.ts';
import {
  DEFAULT_CONFIG,
  type ChannelOwner,
  type ChannelPeerSend,
  type ConnectdConfig,
  type PeerConnectedEvent,
  type PeerDisconnectedEvent,
} from '../../src/core/daemons/connectd/types.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { FeatureVector, ourFeatures } from '../../src/core/features/index.ts';
import { NoiseInitiator, NoiseResponder, NoiseTransport } from '../../src/core/noise/index.ts';
import type { AbortSignalLike, DialTarget, NetAddress } from '../../src/core/net/transport.ts';
import { decodeMessage, encodeMessage, type Message, type UnknownMessage } from '../../src/core/wire/messages.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { Rng } from '../support/fuzz.ts';
import { type MemoryStream, memoryStreamPair, settle } from '../support/memory-stream.ts';

// ---------------------------------------------------------------------------------------------
// Harness

function secretOf(n: number): Uint8Array {
  const s = new Uint8Array(32);
  s[0] = 0x42;
  s[31] = n;
  return s;
}

const TEST_CONFIG: Partial<ConnectdConfig> = {
  handshakeTimeoutMs: 30_000,
  dialTimeoutMs: 10_000,
  pingIntervalMs: 60_000,
  pongTimeoutMs: 30_000,
};

class Net {
  readonly clock = new FakeClock();
  readonly listeners = new Map<string, Node>();
  /** Raw listeners: the test plays the peer by hand. */
  readonly raw = new Map<string, (s: MemoryStream) => void>();
  readonly dials: { from: string; to: string; at: number }[] = [];
  /** Addresses whose dial never completes, and the dials that were aborted. */
  readonly hang = new Set<string>();
  readonly aborted: string[] = [];
  constructor(readonly rng?: Rng) {}
}

interface NodeOptions {
  chain?: string;
  features?: FeatureVector;
  config?: Partial<ConnectdConfig>;
  secret?: Uint8Array;
  /** The address listeners see this node's connections come from. */
  addr?: NetAddress;
  gossipThrows?: boolean;
  /** gossipBatch's answer: a promise says gossipd is behind. */
  gossipBehind?: (id: string) => Promise<void> | undefined;
}

class Node {
  readonly hsmd: Hsmd;
  readonly id: string;
  readonly connectd: Connectd;
  readonly addr: NetAddress;
  readonly connected: PeerConnectedEvent[] = [];
  readonly disconnected: PeerDisconnectedEvent[] = [];
  readonly spoke: { id: string; msg: Uint8Array }[] = [];
  readonly gossip: { id: string; msg: Uint8Array }[] = [];
  /** Each batch gossipd got, by size. */
  readonly batches: number[] = [];
  readonly newPeers: { id: string; features: string }[] = [];
  readonly gone: string[] = [];
  readonly logs: string[] = [];

  constructor(
    private readonly net: Net,
    readonly name: string,
    n: number,
    opts: NodeOptions = {},
  ) {
    this.hsmd = new Hsmd(opts.secret ?? secretOf(n));
    this.id = toHex(this.hsmd.nodeId());
    this.addr = opts.addr ?? { type: 'ipv4', address: `203.0.113.${n}`, port: 40000 + n };
    const rng = new Rng(`${name}-${n}`);
    this.connectd = new Connectd({
      chainHash: chainHash(opts.chain ?? 'bitcoin'),
      ourFeatures: opts.features ?? ourFeatures('I'),
      nodeId: this.hsmd.nodeId(),
      ecdhLink: this.hsmd.linkFor(['ecdh']),
      dialer: { dial: (t, signal) => this.dial(t, signal) },
      randomBytes: k => rng.bytes(k),
      clock: net.clock,
      log: {
        debug: m => this.logs.push(`debug: ${m}`),
        info: m => this.logs.push(`info: ${m}`),
        warn: m => this.logs.push(`warn: ${m}`),
      },
      events: {
        peerConnected: e => void this.connected.push(e),
        peerDisconnected: e => void this.disconnected.push(e),
        peerSpoke: (id, msg) => void this.spoke.push({ id, msg }),
      },
      gossipLink: {
        newPeer: (id, features) => void this.newPeers.push({ id, features }),
        gossipBatch: (id, batch) => {
          unpackGossipBatch(batch, msg => void this.gossip.push({ id, msg }));
          this.batches.push(batch.length);
          if (opts.gossipThrows) throw new Error('gossipd fell over');
          return opts.gossipBehind?.(id);
        },
        peerGone: id => void this.gone.push(id),
      },
      config: { ...TEST_CONFIG, ...opts.config },
    });
  }

  listen(host: string, port: number): DialTarget {
    this.net.listeners.set(`${host}:${port}`, this);
    return { kind: 'tcp', host, port };
  }

  private async dial(t: DialTarget, signal?: AbortSignalLike): Promise<MemoryStream> {
    const key = `${t.host}:${t.port}`;
    this.net.dials.push({ from: this.name, to: key, at: this.net.clock.now() });
    if (this.net.hang.has(key)) {
      signal?.addEventListener('abort', () => void this.net.aborted.push(key));
      return new Promise<never>(() => {});
    }
    const node = this.net.listeners.get(key);
    const raw = this.net.raw.get(key);
    if (!node && !raw) throw new Error('connection refused');
    const [mine, theirs] = memoryStreamPair({
      remoteOfA: { type: 'ipv4', address: t.host, port: t.port },
      remoteOfB: this.addr,
      ...(this.net.rng ? { rng: this.net.rng } : {}),
    });
    if (node) node.connectd.acceptStream(theirs);
    else raw!(theirs);
    return mine;
  }

  hasLog(re: RegExp): boolean {
    return this.logs.some(l => re.test(l));
  }
}

/** A peer played by hand over one end of a memory stream: raw bytes, then BOLT 8 frames. */
class RawPeer {
  readonly hsmd: Hsmd;
  readonly id: string;
  raw: Uint8Array = new Uint8Array(0);
  transport: NoiseTransport | undefined;
  readonly msgs: Uint8Array[] = [];
  closed: string | undefined;
  transportError: unknown;
  private readonly rng: Rng;

  constructor(
    n: number,
    readonly stream: MemoryStream,
  ) {
    this.hsmd = new Hsmd(secretOf(n));
    this.id = toHex(this.hsmd.nodeId());
    this.rng = new Rng(`raw-${n}`);
    stream.start({ data: c => this.onData(c), close: r => (this.closed = r) });
  }

  /** A raw peer that dials into `node` (the node is the BOLT 8 responder). */
  static into(node: Node, n: number, from: NetAddress = { type: 'ipv4', address: `198.51.100.${n}`, port: 50000 + n }, rng?: Rng): RawPeer {
    const [mine, theirs] = memoryStreamPair({ remoteOfB: from, ...(rng ? { rng } : {}) });
    node.connectd.acceptStream(theirs);
    return new RawPeer(n, mine);
  }

  private onData(c: Uint8Array): void {
    if (!this.transport) {
      this.raw = concat(this.raw, c);
      return;
    }
    try {
      this.msgs.push(...this.transport.push(c));
    } catch (e) {
      this.transportError = e;
    }
  }

  take(n: number): Uint8Array {
    ok(this.raw.length >= n, `expected ${n} raw bytes, have ${this.raw.length}`);
    const out = this.raw.slice(0, n);
    this.raw = this.raw.slice(n);
    return out;
  }

  ephemeral(): Uint8Array {
    const e = this.rng.bytes(32);
    e[0] = 0x11;
    return e;
  }

  initiator(remote: string): NoiseInitiator {
    return new NoiseInitiator({
      localStatic: this.hsmd.nodeId(),
      ecdh: p => this.hsmd.ecdh(p),
      ephemeralSecret: this.ephemeral(),
      remoteStatic: fromHex(remote),
    });
  }

  responder(): NoiseResponder {
    return new NoiseResponder({ localStatic: this.hsmd.nodeId(), ecdh: p => this.hsmd.ecdh(p), ephemeralSecret: this.ephemeral() });
  }

  useTransport(t: NoiseTransport): void {
    this.transport = t;
    const rest = this.raw;
    this.raw = new Uint8Array(0);
    if (rest.length) this.msgs.push(...t.push(rest));
  }

  /** Runs the handshake as initiator against `remote`'s node id. */
  async handshake(remote: string): Promise<void> {
    const i = this.initiator(remote);
    await this.stream.write(i.act1());
    await settle();
    const { act3, transport } = await i.act2(this.take(50));
    await this.stream.write(act3);
    this.useTransport(transport);
    await settle();
  }

  async send(msg: Uint8Array): Promise<void> {
    await this.stream.write(this.transport!.encrypt(msg));
    await settle();
  }

  async sendInit(opts: { features?: Uint8Array; chains?: Uint8Array[] } = {}): Promise<void> {
    await this.send(
      encodeMessage({
        name: 'init',
        globalfeatures: new Uint8Array(0),
        features: opts.features ?? ourFeatures('I').toBytes(),
        tlvs: { networks: { chains: opts.chains ?? [chainHash('bitcoin')] } },
      }),
    );
  }

  /** Handshake + init into `node`. */
  async connect(node: Node): Promise<void> {
    await this.handshake(node.id);
    await this.sendInit();
  }

  decoded(): (Message | UnknownMessage)[] {
    return this.msgs.map(m => decodeMessage(m));
  }

  named<N extends Message['name']>(name: N): Extract<Message, { name: N }>[] {
    return this.decoded().filter(m => m.name === name) as Extract<Message, { name: N }>[];
  }
}

const ascii = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => String.fromCharCode(...b);

function rawMessage(type: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(new Uint8Array([type >> 8, type & 0xff]), body);
}

function connectedIds(n: Node): string[] {
  return n.connectd
    .listPeers()
    .filter(p => p.connected)
    .map(p => p.id);
}

// ---------------------------------------------------------------------------------------------

describe('chains (BOLT 0 chain_hash)', () => {
  // The genesis block headers: version, prev, merkle root, time, bits, nonce (all little-endian).
  const MAINNET_MERKLE = '3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a';
  const TESTNET4_MERKLE = '4e7b2b9128fe0291db0693af2ae418b767e657cd407e80cb1434221eaea7a07a';
  const le32 = (n: number) => new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
  const header = (merkle: string, time: number, bits: number, nonce: number) =>
    concat(le32(1), new Uint8Array(32), fromHex(merkle), le32(time), le32(bits), le32(nonce));
  const GENESIS: Record<string, Uint8Array> = {
    bitcoin: header(MAINNET_MERKLE, 1231006505, 0x1d00ffff, 2083236893),
    testnet: header(MAINNET_MERKLE, 1296688602, 0x1d00ffff, 414098458),
    testnet4: header(TESTNET4_MERKLE, 1714777860, 0x1d00ffff, 393743547),
    signet: header(MAINNET_MERKLE, 1598918400, 0x1e0377ae, 52613770),
    regtest: header(MAINNET_MERKLE, 1296688602, 0x207fffff, 2),
  };

  it('is the value BOLT 0 gives for bitcoin', () => {
    equal(toHex(chainHash('bitcoin')), '6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000');
  });
  for (const n of ['bitcoin', 'testnet', 'testnet4', 'signet', 'regtest']) {
    it(`${n}: the double SHA-256 of its genesis header, in internal byte order`, () => {
      equal(toHex(chainHash(n)), toHex(sha256d(GENESIS[n]!)));
      equal(networkOfChainHash(chainHash(n)), n);
    });
  }
  it('lists every network once, refuses unknown ones, and hands out copies', () => {
    deepEqual([...NETWORKS], ['bitcoin', 'testnet', 'testnet4', 'signet', 'regtest']);
    let threw = false;
    try {
      chainHash('litecoin');
    } catch (e) {
      threw = (e as { code?: string }).code === 'unknown_network';
    }
    ok(threw);
    const h = chainHash('bitcoin');
    h[0] = 0;
    equal(chainHash('bitcoin')[0], 0x6f);
    equal(networkOfChainHash(new Uint8Array(32)), undefined);
  });
});

describe('connectd: address descriptors for remote_addr', () => {
  it('round-trips IPv4 and IPv6 and reads Tor v3 and DNS descriptors', () => {
    const v4: NetAddress = { type: 'ipv4', address: '203.0.113.9', port: 9735 };
    equal(toHex(encodeAddressDescriptor(v4)!), '01cb0071092607');
    deepEqual(decodeAddressDescriptor(encodeAddressDescriptor(v4)!), v4);
    const v6: NetAddress = { type: 'ipv6', address: '2001:db8::1', port: 9735 };
    equal(toHex(encodeAddressDescriptor(v6)!), '0220010db80000000000000000000000012607');
    deepEqual(decodeAddressDescriptor(encodeAddressDescriptor(v6)!), v6);
    const dns = concat(new Uint8Array([5, 11]), ascii('example.com'), new Uint8Array([0x26, 0x07]));
    deepEqual(decodeAddressDescriptor(dns), { type: 'dns', address: 'example.com', port: 9735 });
    const tor = decodeAddressDescriptor(concat(new Uint8Array([4]), new Uint8Array(35), new Uint8Array([0, 80])));
    deepEqual(tor, { type: 'torv3', address: `${'a'.repeat(56)}.onion`, port: 80 });
  });
  it('returns undefined for unknown, short or overlong descriptors (remote_addr is only advice)', () => {
    equal(decodeAddressDescriptor(fromHex('03')), undefined);
    equal(decodeAddressDescriptor(fromHex('01cb00710926')), undefined);
    equal(decodeAddressDescriptor(fromHex('01cb007109260700')), undefined);
    equal(decodeAddressDescriptor(fromHex('0503ab')), undefined);
    equal(decodeAddressDescriptor(new Uint8Array(0)), undefined);
  });
  it('treats loopback, private, CGNAT, link-local and unique-local addresses as not public', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '169.254.1.1', '0.0.0.0', '224.0.0.1']) {
      equal(isPublicIp({ type: 'ipv4', address: a, port: 1 }), false, a);
    }
    for (const a of ['::1', '::', 'fd00::1', 'fe80::1', 'ff02::1', '::ffff:c0a8:101'])
      equal(isPublicIp({ type: 'ipv6', address: a, port: 1 }), false, a);
    ok(isPublicIp({ type: 'ipv4', address: '203.0.113.9', port: 1 }));
    ok(isPublicIp({ type: 'ipv6', address: '2001:db8::1', port: 1 }));
    equal(isPublicIp({ type: 'dns', address: 'example.com', port: 1 }), false);
  });
});

describe('connectd: handshake and init', () => {
  it('connects both ways: BOLT 8 handshake, init with our features, events to lightningd and gossipd', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    const target = b.listen('198.51.100.2', 9735);
    const r = await a.connectd.connectToPeer(b.id, [target]);
    await settle();
    const features = ourFeatures('I').toHex();
    deepEqual(r, { id: b.id, features, direction: 'out', address: { type: 'ipv4', address: '198.51.100.2', port: 9735 } });
    equal(a.connected.length, 1);
    // B answered the incoming connection with remote_addr: how B sees A (BOLT 1).
    deepEqual(a.connected[0], { id: b.id, counter: 1, features, direction: 'out', address: r.address, remote_addr: a.addr });
    deepEqual(b.connected, [{ id: a.id, counter: 1, features, direction: 'in', address: a.addr }]);
    deepEqual(a.newPeers, [{ id: b.id, features }]);
    deepEqual(b.newPeers, [{ id: a.id, features }]);
    deepEqual(a.connectd.listPeers(), [
      { id: b.id, connected: true, netaddr: ['198.51.100.2:9735'], features, direction: 'out', counter: 1, remote_addr: a.addr },
    ]);
    deepEqual(b.connectd.listPeers(), [
      { id: a.id, connected: true, netaddr: ['203.0.113.1:40001'], features, direction: 'in', counter: 1 },
    ]);
    // connect to a connected peer answers at once, without dialing.
    const dials = net.dials.length;
    deepEqual(await a.connectd.connectToPeer(b.id, [target]), r);
    equal(net.dials.length, dials);
  });

  it('works when every write arrives split into random chunks', async () => {
    const net = new Net(new Rng('split'));
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    await a.connectd.connectToPeer(b.id, [b.listen('198.51.100.2', 9735)]);
    await settle();
    equal(b.connected.length, 1);
    for (const [len, pong] of [
      [0, 0],
      [1, 1],
      [1000, 5],
      [3, 65531],
      [65529, 0],
    ] as const) {
      deepEqual(await a.connectd.ping(b.id, len, pong), { totlen: pong + 4 });
      deepEqual(await b.connectd.ping(a.id, len, pong), { totlen: pong + 4 });
    }
  });

  it('does not send remote_addr for a private address, and sends ours first without waiting', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1, { addr: { type: 'ipv4', address: '192.168.1.7', port: 5000 } });
    const b = new Node(net, 'b', 2);
    await a.connectd.connectToPeer(b.id, [b.listen('198.51.100.2', 9735)]);
    equal(a.connected[0]!.remote_addr, undefined);
  });

  it("as responder, sends init right after Act Three and waits for the peer's before anything else", async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.handshake(b.id);
    const first = r.decoded();
    equal(first.length, 1);
    const init = first[0] as Extract<Message, { name: 'init' }>;
    equal(init.name, 'init');
    equal(toHex(init.features), ourFeatures('I').toHex());
    // globalfeatures: only bits up to 13 (BOLT 1: "SHOULD NOT set features greater than 13").
    ok(
      FeatureVector.fromBytes(init.globalfeatures)
        .bits()
        .every(x => x <= 13),
    );
    deepEqual(init.tlvs?.networks?.chains, [chainHash('bitcoin')]);
    deepEqual(decodeAddressDescriptor(init.tlvs!.remote_addr!.data), { type: 'ipv4', address: '198.51.100.9', port: 50009 });
    equal(b.connected.length, 0);
    // Nothing but init until theirs arrives, even a ping request.
    await rejects(b.connectd.ping(r.id, 1, 1), ConnectError, 'not_connected');
    await r.sendInit();
    equal(b.connected.length, 1);
    equal(b.connected[0]!.id, r.id);
  });

  it('refuses a peer that requires a feature we do not know (BOLT 1, FeatureError) — as initiator', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2, { features: ourFeatures('I').withBit(100) });
    const e = await rejects<ConnectError>(a.connectd.connectToPeer(b.id, [b.listen('198.51.100.2', 9735)]), ConnectError, 'all_failed');
    equal(e.attempts.length, 1);
    equal(e.attempts[0]!.code, 'unknown_required_feature');
    ok(/unknown feature bits 100/.test(e.attempts[0]!.reason), e.attempts[0]!.reason);
    await settle();
    deepEqual(connectedIds(a), []);
    deepEqual(connectedIds(b), []);
    // We told the peer why (a warning) before closing.
    ok(b.hasLog(/peer sent warning: "peer requires unknown feature bits 100/), b.logs.join('\n'));
  });

  it('refuses a peer that requires a feature we do not know — as responder', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.handshake(b.id);
    await r.sendInit({ features: ourFeatures('I').withBit(100).toBytes() });
    equal(b.connected.length, 0);
    const w = r.named('warning');
    equal(w.length, 1);
    ok(/unknown feature bits 100/.test(text(w[0]!.data)));
    ok(r.closed !== undefined && /unknown feature bits 100/.test(r.closed), r.closed);
  });

  it('refuses a peer that requires a feature we know but do not offer', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.handshake(b.id);
    await r.sendInit({ features: ourFeatures('I').withFeature('option_dual_fund', 'required').toBytes() });
    equal(b.connected.length, 0);
    ok(r.closed !== undefined && /option_dual_fund/.test(r.closed), r.closed);
  });

  it('refuses a peer whose networks do not include our chain; accepts one that omits networks', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2, { chain: 'regtest' });
    const e = await rejects<ConnectError>(a.connectd.connectToPeer(b.id, [b.listen('198.51.100.2', 9735)]), ConnectError, 'all_failed');
    equal(e.attempts[0]!.code, 'no_common_chain');
    ok(/we serve bitcoin, peer offers regtest/.test(e.attempts[0]!.reason), e.attempts[0]!.reason);

    const r = RawPeer.into(b, 9);
    await r.handshake(b.id);
    await r.send(encodeMessage({ name: 'init', globalfeatures: new Uint8Array(0), features: ourFeatures('I').toBytes() }));
    equal(b.connected.length, 1);
  });

  it('closes a connection whose first message is not init', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.handshake(b.id);
    await r.send(encodeMessage({ name: 'ping', num_pong_bytes: 1, ignored: new Uint8Array(0) }));
    equal(b.connected.length, 0);
    ok(r.closed !== undefined && /first message must be init/.test(r.closed), r.closed);
    equal(r.named('pong').length, 0);
  });

  it('refuses connecting to ourselves and to a bad node id', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    await rejects(a.connectd.connectToPeer(a.id, [{ kind: 'tcp', host: '203.0.113.1', port: 9735 }]), ConnectError, 'bad_request');
    await rejects(
      a.connectd.connectToPeer('02' + '00'.repeat(32), [{ kind: 'tcp', host: '203.0.113.1', port: 9735 }]),
      ConnectError,
      'bad_request',
    );
    await rejects(a.connectd.connectToPeer('zz', []), ConnectError, 'bad_request');
  });
});

describe('connectd: trying addresses', () => {
  it("fails with no_address without targets, and all_failed with every address's reason", async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    await rejects(a.connectd.connectToPeer(b.id, []), ConnectError, 'no_address');
    const e = await rejects<ConnectError>(
      a.connectd.connectToPeer(b.id, [
        { kind: 'tcp', host: '198.51.100.2', port: 9735 },
        { kind: 'websocket', url: 'wss://bridge.example/198.51.100.2:9735', host: '198.51.100.2', port: 9735 },
      ]),
      ConnectError,
      'all_failed',
    );
    deepEqual(
      e.attempts.map(x => [x.address, x.reason]),
      [
        ['198.51.100.2:9735', 'connection refused'],
        ['wss://bridge.example/198.51.100.2:9735', 'connection refused'],
      ],
    );
    deepEqual(JSON.parse(JSON.stringify(e)).code, 'all_failed');
  });

  it('tries the next address after one that fails, and after one that stalls mid-handshake', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    // 198.51.100.50 accepts the stream and never answers Act One.
    net.raw.set('198.51.100.50:9735', () => {});
    const good = b.listen('198.51.100.2', 9735);
    const p = a.connectd.connectToPeer(b.id, [
      { kind: 'tcp', host: '198.51.100.1', port: 9735 },
      { kind: 'tcp', host: '198.51.100.50', port: 9735 },
      good,
    ]);
    await settle();
    equal(a.connected.length, 0);
    await net.clock.tick(30_000);
    const r = await p;
    equal(r.address!.address, '198.51.100.2');
    deepEqual(
      net.dials.map(d => [d.to, d.at]),
      [
        ['198.51.100.1:9735', 0],
        ['198.51.100.50:9735', 0],
        ['198.51.100.2:9735', 30_000],
      ],
    );
  });

  it('times out a dial that never completes', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    net.hang.add('198.51.100.2:9735');
    const p = a.connectd.connectToPeer(b.id, [{ kind: 'tcp', host: '198.51.100.2', port: 9735 }]);
    p.catch(() => {});
    await net.clock.tick(9_999);
    equal(net.aborted.length, 0);
    await net.clock.tick(1);
    const e = await rejects<ConnectError>(p, ConnectError, 'all_failed');
    ok(/dial timed out after 10000 ms/.test(e.attempts[0]!.reason));
    deepEqual(net.aborted, ['198.51.100.2:9735'], 'the dial was aborted');
  });

  it('shares one attempt between concurrent connects, and an incoming connection answers a pending connect', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    net.raw.set('198.51.100.50:9735', () => {}); // a stalling address for a's attempt
    const t = { kind: 'tcp', host: '198.51.100.50', port: 9735 } as const;
    const p1 = a.connectd.connectToPeer(b.id, [t]);
    const p2 = a.connectd.connectToPeer(b.id, [t]);
    await settle();
    equal(net.dials.length, 1);
    // b connects to a meanwhile: a's pending connect resolves with b's connection.
    await b.connectd.connectToPeer(a.id, [a.listen('203.0.113.1', 9735)]);
    await settle();
    const [r1, r2] = await Promise.all([p1, p2]);
    deepEqual(r1, r2);
    equal(r1.direction, 'in');
    equal(a.connected.length, 1);
  });

  it('disconnect() during a connect rejects it with disconnected (402)', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    net.raw.set('198.51.100.50:9735', () => {});
    const p = a.connectd.connectToPeer(b.id, [{ kind: 'tcp', host: '198.51.100.50', port: 9735 }]);
    await settle();
    a.connectd.disconnect(b.id);
    await rejects(p, ConnectError, 'disconnected');
  });
});

describe('connectd: ping and pong (BOLT 1)', () => {
  it('answers pings with num_pong_bytes zeros, ignores those asking 65532 or more', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    await r.send(encodeMessage({ name: 'ping', num_pong_bytes: 65532, ignored: new Uint8Array(0) }));
    await r.send(encodeMessage({ name: 'ping', num_pong_bytes: 65535, ignored: new Uint8Array(10) }));
    await r.send(encodeMessage({ name: 'ping', num_pong_bytes: 3, ignored: new Uint8Array(100) }));
    await r.send(encodeMessage({ name: 'ping', num_pong_bytes: 65531, ignored: new Uint8Array(0) }));
    const pongs = r.named('pong');
    deepEqual(
      pongs.map(p => p.ignored.length),
      [3, 65531],
    );
    ok(
      pongs.every(p => p.ignored.every(x => x === 0)),
      'pong bytes are zeros',
    );
    equal(r.closed, undefined);
  });

  it("the ping RPC resolves with the pong's total length, or 0 when no pong is due", async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    await a.connectd.connectToPeer(b.id, [b.listen('198.51.100.2', 9735)]);
    deepEqual(await a.connectd.ping(b.id), { totlen: 132 });
    deepEqual(await a.connectd.ping(b.id, 10, 20), { totlen: 24 });
    deepEqual(await a.connectd.ping(b.id, 10, 65532), { totlen: 0 });
    await rejects(a.connectd.ping(b.id, 65530, 1), ConnectError, 'bad_request');
    await rejects(a.connectd.ping(b.id, 1, 65536), ConnectError, 'bad_request');
    await rejects(a.connectd.ping(a.id, 1, 1), ConnectError, 'not_connected');
  });

  it('keepalive pings flow every interval and answered ones keep the connection', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    await a.connectd.connectToPeer(b.id, [b.listen('198.51.100.2', 9735)]);
    await net.clock.tick(10 * 60_000);
    deepEqual(connectedIds(a), [b.id]);
    deepEqual(connectedIds(b), [a.id]);
    equal(a.disconnected.length + b.disconnected.length, 0);
  });

  it('drops a peer whose pong does not come in time, and fails a pending ping RPC', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    const rpc = b.connectd.ping(r.id, 4, 4);
    rpc.catch(() => {});
    await net.clock.tick(29_999);
    deepEqual(connectedIds(b), [r.id]);
    await net.clock.tick(1);
    await rejects(rpc, ConnectError, 'no_pong');
    deepEqual(connectedIds(b), []);
    equal(b.disconnected.length, 1);
    ok(/no pong within 30000 ms/.test(b.disconnected[0]!.reason));

    // A keepalive ping unanswered costs the next connection likewise.
    const r2 = RawPeer.into(b, 10);
    await r2.connect(b);
    await net.clock.tick(60_000);
    equal(r2.named('ping').length, 1);
    equal(r2.named('ping')[0]!.ignored.length, 0);
    await net.clock.tick(30_000);
    deepEqual(connectedIds(b), []);
  });

  it('logs and ignores a pong that answers no ping', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    await r.send(encodeMessage({ name: 'pong', ignored: new Uint8Array(7) }));
    ok(b.hasLog(/pong with 7 bytes matches no ping/));
    deepEqual(connectedIds(b), [r.id]);
  });
});

describe('connectd: one connection per node id', () => {
  it('a new connection from the same id replaces the old one, with a new counter', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const a2 = new Node(net, 'a2', 1, { addr: { type: 'ipv4', address: '203.0.113.77', port: 4777 } }); // same secret
    const b = new Node(net, 'b', 2);
    const t = b.listen('198.51.100.2', 9735);
    await a.connectd.connectToPeer(b.id, [t]);
    await settle();
    await a2.connectd.connectToPeer(b.id, [t]);
    await settle();
    deepEqual(
      b.connected.map(e => [e.id, e.counter, e.address!.address]),
      [
        [a.id, 1, '203.0.113.1'],
        [a.id, 2, '203.0.113.77'],
      ],
    );
    equal(b.disconnected.length, 1);
    equal(b.disconnected[0]!.counter, 1);
    ok(/replaced by a new incoming connection/.test(b.disconnected[0]!.reason));
    deepEqual(
      b.newPeers.map(x => x.id),
      [a.id, a.id],
    );
    deepEqual(b.gone, [a.id]);
    deepEqual(
      b.connectd.listPeers().map(p => [p.id, p.counter, p.netaddr]),
      [[a.id, 2, ['203.0.113.77:4777']]],
    );
    // The old side saw its connection end; the new one works.
    equal(a.disconnected.length, 1);
    deepEqual(await a2.connectd.ping(b.id, 1, 1), { totlen: 5 });
  });
});

describe('connectd: gossip to gossipd in batches, with backpressure', () => {
  it('one batch per read while gossipd keeps up, gathered while it has not answered; stops reading the peer while it is behind; nothing is dropped or reordered', async () => {
    const net = new Net();
    // gossipd behind: every batch's promise waits until the test lets it go.
    const waiting: (() => void)[] = [];
    const b = new Node(net, 'b', 2, { gossipBehind: () => new Promise<void>(r => waiting.push(r)) });
    const [mine, theirs] = memoryStreamPair({ remoteOfB: { type: 'ipv4', address: '198.51.100.9', port: 50009 } });
    b.connectd.acceptStream(theirs);
    const r = new RawPeer(9, mine);
    await r.connect(b);
    const sent: Uint8Array[] = [];
    // Ten messages in one write: one read, one batch.
    const first = Array.from({ length: 10 }, (_, i) => rawMessage(258, new Uint8Array(100).fill(i)));
    sent.push(...first);
    await r.stream.write(concat(...first.map(m => r.transport!.encrypt(m))));
    await settle();
    deepEqual(b.batches.length, 1);
    equal(b.gossip.length, 10);
    equal(theirs.paused, false);
    // Each message in a write of its own (one read each), remembered in `sent`.
    const sendEach = async (n: number, type: number, size: number, fill: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const m = rawMessage(type, new Uint8Array(size).fill(fill + i));
        sent.push(m);
        await r.send(m);
      }
    };
    // While gossipd has not answered, what arrives gathers into one batch...
    await sendEach(3, 256, 300, 10);
    equal(b.batches.length, 1);
    equal(theirs.paused, false);
    // ...until GOSSIP_BATCH_BYTES: a second batch goes, two are unanswered, connectd stops reading.
    await sendEach(5, 256, 60_000, 13);
    equal(b.batches.length, 2);
    equal(theirs.paused, true);
    const readBeforePause = b.gossip.length;
    // What the peer sends now waits in the transport.
    await sendEach(20, 257, 150, 20);
    equal(b.gossip.length, readBeforePause);
    ok(theirs.waiting > 0);
    // A ping's pong cannot be read now: its timeout starts again rather than closing the connection.
    const pinged = b.connectd.ping(r.id, 1, 1);
    await net.clock.tick(TEST_CONFIG.pongTimeoutMs! + 1);
    equal(b.disconnected.length, 0);
    // gossipd catches up: reading resumes, and everything arrives in order.
    while (waiting.length) {
      waiting.shift()!();
      await settle();
    }
    deepEqual(
      b.gossip.map(g => toHex(g.msg)),
      sent.map(toHex),
    );
    ok(theirs.pauses >= 1);
    ok(b.batches.length < sent.length, `${b.batches.length} batches for ${sent.length} messages`);
    void pinged.catch(() => {});
  });
});

describe('connectd: routing after init', () => {
  it('gossip to gossipd, channel messages to their owner or lightningd, unknown odd ignored', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    const cu = rawMessage(258, new Uint8Array(128).fill(7));
    const qcr = rawMessage(263, new Uint8Array(32 + 8));
    await r.send(cu);
    await r.send(qcr);
    deepEqual(
      b.gossip.map(g => [g.id, toHex(g.msg)]),
      [
        [r.id, toHex(cu)],
        [r.id, toHex(qcr)],
      ],
    );
    // open_channel (32): chain_hash then temporary_channel_id; nobody owns it: lightningd decides.
    const temp = new Uint8Array(32).fill(0xab);
    const open = rawMessage(32, concat(chainHash('bitcoin'), temp, new Uint8Array(200)));
    await r.send(open);
    deepEqual(
      b.spoke.map(s => [s.id, toHex(s.msg)]),
      [[r.id, toHex(open)]],
    );
    // Once an owner is attached for the channel, its messages go there.
    const owned: Uint8Array[] = [];
    const gone: string[] = [];
    const owner: ChannelOwner = { deliver: m => void owned.push(m), peerGone: why => void gone.push(why) };
    b.connectd.setOwner(r.id, temp, owner);
    const accept = rawMessage(33, concat(temp, new Uint8Array(100)));
    const other = rawMessage(33, concat(new Uint8Array(32).fill(1), new Uint8Array(100)));
    await r.send(accept);
    await r.send(other);
    deepEqual(owned.map(toHex), [toHex(accept)]);
    equal(b.spoke.length, 2);
    // An error about that channel goes to its owner; one about an unknown channel is ignored.
    const chanErr = encodeMessage({ name: 'error', channel_id: temp, data: ascii('bad funding') });
    await r.send(chanErr);
    await r.send(encodeMessage({ name: 'error', channel_id: new Uint8Array(32).fill(9), data: ascii('who?') }));
    deepEqual(owned.map(toHex), [toHex(accept), toHex(chanErr)]);
    ok(b.hasLog(/error for unknown channel 0909.*\(ignored\): "who\?"/));
    // Unknown odd types are ignored (BOLT 1) and the connection carries on.
    await r.send(rawMessage(32769, new Uint8Array(5)));
    await r.send(rawMessage(101, new Uint8Array(0)));
    equal(b.spoke.length, 2);
    equal(b.gossip.length, 2);
    await r.send(encodeMessage({ name: 'ping', num_pong_bytes: 2, ignored: new Uint8Array(0) }));
    equal(r.named('pong').length, 1);
    // disconnect without force refuses while a channel daemon owns a channel.
    let refused = false;
    try {
      b.connectd.disconnect(r.id);
    } catch (e) {
      refused = e instanceof ConnectError && e.code === 'has_channels';
    }
    ok(refused);
    b.connectd.disconnect(r.id, true);
    await settle();
    deepEqual(gone, ['disconnect requested']);
    ok(r.closed !== undefined);
  });

  it('closes the connection on an unknown even type (BOLT 1), telling the peer why', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    await r.send(rawMessage(32768, new Uint8Array(5)));
    deepEqual(connectedIds(b), []);
    ok(/unknown even message type 32768/.test(b.disconnected[0]!.reason));
    const w = r.named('warning');
    equal(w.length, 1);
    equal(text(w[0]!.data), 'unknown even message type 32768');
    deepEqual(w[0]!.channel_id, new Uint8Array(32));
    ok(r.closed !== undefined);
  });

  it('closes on a message that fails to decode, with a warning', async () => {
    for (const bad of [rawMessage(18, fromHex('0001')), rawMessage(259, new Uint8Array(10)), new Uint8Array([0x01])]) {
      const net = new Net();
      const b = new Node(net, 'b', 2);
      const r = RawPeer.into(b, 9);
      await r.connect(b);
      await r.send(bad);
      deepEqual(connectedIds(b), [], toHex(bad));
      // The peer is told the decoder's reason, the same one lightningd hears.
      const w = r.named('warning');
      equal(w.length, 1);
      equal(text(w[0]!.data), b.disconnected[0]!.reason);
      ok(/need|too short|no type/.test(b.disconnected[0]!.reason), b.disconnected[0]!.reason);
    }
  });

  it('logs warnings; an error with an all-zero channel_id disconnects; data not printable is shown in hex', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    await r.send(encodeMessage({ name: 'warning', channel_id: new Uint8Array(32), data: ascii('fee too low') }));
    ok(b.hasLog(/warn: .*peer sent warning: "fee too low"/));
    deepEqual(connectedIds(b), [r.id]);
    await r.send(encodeMessage({ name: 'error', channel_id: new Uint8Array(32), data: new Uint8Array([0x41, 0x07, 0xff]) }));
    deepEqual(connectedIds(b), []);
    equal(b.disconnected[0]!.reason, 'peer sent error: hex:4107ff');
    // We don't answer an error with anything.
    equal(r.named('warning').length, 0);
  });

  it('sends warnings and errors on request; an all-zero error disconnects', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    await b.connectd.sendWarning(r.id, 'slow down');
    await settle();
    equal(text(r.named('warning')[0]!.data), 'slow down');
    deepEqual(connectedIds(b), [r.id]);
    await b.connectd.sendToPeer(r.id, rawMessage(263, new Uint8Array(40)));
    await settle();
    equal(r.decoded().at(-1)!.name, 'query_channel_range');
    await b.connectd.sendError(r.id, 'goodbye');
    await settle();
    equal(text(r.named('error')[0]!.data), 'goodbye');
    deepEqual(connectedIds(b), []);
    ok(r.closed !== undefined);
    await rejects(b.connectd.sendToPeer(r.id, rawMessage(263)), ConnectError, 'not_connected');
  });

  it("resolves sendToPeer only once the transport has taken the message (what paces gossipd's answers)", async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const [mine, theirs] = memoryStreamPair({ remoteOfB: { type: 'ipv4', address: '198.51.100.9', port: 50009 } });
    // b's end of the connection: once `held`, a write waits until the test lets the buffer drain.
    let held = false;
    const drains: (() => void)[] = [];
    const write = theirs.write.bind(theirs);
    theirs.write = data => write(data).then(() => (held ? new Promise<void>(r => drains.push(r)) : undefined));
    b.connectd.acceptStream(theirs);
    const r = new RawPeer(9, mine);
    await r.connect(b);
    held = true;
    let done = false;
    const sent = b.connectd.sendToPeer(r.id, rawMessage(263, new Uint8Array(40))).then(() => void (done = true));
    await settle();
    equal(r.decoded().at(-1)!.name, 'query_channel_range', 'written at once');
    ok(!done, 'not resolved while the transport holds it');
    drains.shift()!();
    await sent;
    ok(done);
  });

  it('a gossipd that throws costs the peer nothing', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2, { gossipThrows: true });
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    await r.send(rawMessage(256, new Uint8Array(430)));
    await r.send(rawMessage(257, new Uint8Array(140)));
    equal(b.gossip.length, 2);
    deepEqual(connectedIds(b), [r.id]);
    ok(b.hasLog(/gossipd gossip failed: gossipd fell over/));
  });
});

describe('connectd: bad handshakes', () => {
  async function inbound(act: (r: RawPeer, b: Node) => Promise<void>): Promise<{ b: Node; r: RawPeer }> {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await act(r, b);
    await settle();
    return { b, r };
  }

  it('garbage in Act One closes without a word', async () => {
    const { b, r } = await inbound(async r => {
      const g = new Rng('garbage1').bytes(50);
      g[0] = 0;
      await r.stream.write(g);
    });
    ok(r.closed !== undefined && /handshake failed \(act one\)/.test(r.closed), r.closed);
    equal(r.raw.length, 0);
    equal(b.connected.length, 0);
  });

  it('a wrong version byte in Act One closes (bad_version)', async () => {
    const { r, b } = await inbound(async (r, b) => {
      const act1 = r.initiator(b.id).act1();
      act1[0] = 1;
      await r.stream.write(act1);
    });
    ok(r.closed !== undefined && /unknown handshake version 1/.test(r.closed), r.closed);
    equal(r.raw.length, 0);
    ok(b.hasLog(/ended before init: handshake failed \(act one\)/));
  });

  it('a bad MAC in Act One closes', async () => {
    const { r } = await inbound(async (r, b) => {
      const act1 = r.initiator(b.id).act1();
      act1[49]! ^= 1;
      await r.stream.write(act1);
    });
    ok(r.closed !== undefined && /act one.*MAC/.test(r.closed), r.closed);
  });

  it('an Act One for another node id fails (the MAC does not check)', async () => {
    const { r } = await inbound(async r => {
      const other = toHex(new Hsmd(secretOf(77)).nodeId());
      await r.stream.write(r.initiator(other).act1());
    });
    ok(r.closed !== undefined && /act one/.test(r.closed), r.closed);
  });

  it('garbage in Act Three closes', async () => {
    const { r, b } = await inbound(async (r, b) => {
      const i = r.initiator(b.id);
      await r.stream.write(i.act1());
      await settle();
      equal(r.raw.length, 50);
      const g = new Rng('garbage3').bytes(66);
      g[0] = 0;
      await r.stream.write(g);
    });
    ok(r.closed !== undefined && /handshake failed \(act three\)/.test(r.closed), r.closed);
    equal(b.connected.length, 0);
  });

  it('a wrong version byte in Act Three closes', async () => {
    const { r } = await inbound(async (r, b) => {
      const i = r.initiator(b.id);
      await r.stream.write(i.act1());
      await settle();
      const { act3 } = await i.act2(r.take(50));
      act3[0] = 2;
      await r.stream.write(act3);
    });
    ok(r.closed !== undefined && /act three.*unknown handshake version 2/.test(r.closed), r.closed);
  });

  async function outbound(reply: (r: RawPeer) => Promise<void>): Promise<ConnectError> {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    let r!: RawPeer;
    net.raw.set('198.51.100.9:9735', s => (r = new RawPeer(9, s)));
    const p = a.connectd.connectToPeer(toHex(new Hsmd(secretOf(9)).nodeId()), [{ kind: 'tcp', host: '198.51.100.9', port: 9735 }]);
    p.catch(() => {});
    await settle();
    equal(r.raw.length, 50, 'Act One arrived');
    await reply(r);
    await settle();
    const e = await rejects<ConnectError>(p, ConnectError, 'all_failed');
    equal(a.connected.length, 0);
    ok(r.closed !== undefined, 'the connection was closed');
    return e;
  }

  it('garbage in Act Two fails the connect, with the reason', async () => {
    const e = await outbound(async r => {
      const g = new Rng('garbage2').bytes(50);
      g[0] = 0;
      await r.stream.write(g);
    });
    ok(/handshake failed \(act two\)/.test(e.attempts[0]!.reason), e.attempts[0]!.reason);
  });

  it('a wrong version byte in Act Two fails the connect (bad_version)', async () => {
    const e = await outbound(async r => {
      const act2 = await r.responder().act1(r.take(50));
      act2[0] = 1;
      await r.stream.write(act2);
    });
    equal(e.attempts[0]!.code, 'bad_version');
  });

  it('a peer closing mid-handshake fails the connect', async () => {
    const e = await outbound(async r => {
      r.stream.close('go away');
    });
    ok(/peer closed the connection during the handshake \(act two\)/.test(e.attempts[0]!.reason), e.attempts[0]!.reason);
  });

  it('a stall mid-handshake times out with a clear reason', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.stream.write(r.initiator(b.id).act1());
    await settle();
    equal(r.raw.length, 50);
    await net.clock.tick(29_999);
    equal(r.closed, undefined);
    await net.clock.tick(1);
    equal(r.closed, 'peer closed: timeout: handshake stalled waiting for act three after 30000 ms');
  });

  it('a stall after the handshake, before init, times out', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.handshake(b.id);
    await net.clock.tick(30_000);
    equal(r.closed, 'peer closed: timeout: no init from the peer after 30000 ms');
    equal(b.connected.length, 0);
  });

  it('a connection from our own node id is refused', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const [mine, theirs] = memoryStreamPair();
    b.connectd.acceptStream(theirs);
    const r = new RawPeer(2, mine);
    await r.handshake(b.id);
    ok(r.closed !== undefined && /our own node id/.test(r.closed), r.closed);
  });
});

describe('connectd: a bad peer disturbs nobody else', () => {
  it('a MAC failure mid-stream closes that peer only', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    await a.connectd.connectToPeer(b.id, [b.listen('198.51.100.2', 9735)]);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    deepEqual(connectedIds(b).sort(), [a.id, r.id].sort());
    const frame = r.transport!.encrypt(encodeMessage({ name: 'ping', num_pong_bytes: 1, ignored: new Uint8Array(4) }));
    frame[frame.length - 3]! ^= 0x10;
    await r.stream.write(frame);
    await settle();
    deepEqual(connectedIds(b), [a.id]);
    ok(/transport failed: .*MAC/.test(b.disconnected[0]!.reason), b.disconnected[0]!.reason);
    equal(r.named('warning').length, 0, 'nothing is sent on a broken stream');
    deepEqual(await a.connectd.ping(b.id, 1, 2), { totlen: 6 });
  });

  it("garbage from one peer during another's handshake, all at once, with split writes", async () => {
    const rng = new Rng('mixed');
    const net = new Net(rng);
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    const t = b.listen('198.51.100.2', 9735);
    const bad = RawPeer.into(b, 9, undefined, rng);
    const junk = new Rng('junk').bytes(5000);
    junk[0] = 0;
    const [res] = await Promise.all([a.connectd.connectToPeer(b.id, [t]), bad.stream.write(junk)]);
    await settle();
    equal(res.id, b.id);
    deepEqual(connectedIds(b), [a.id]);
    ok(bad.closed !== undefined);
    deepEqual(await a.connectd.ping(b.id, 100, 100), { totlen: 104 });
  });
});

describe('connectd: important peers', () => {
  it('reconnects with backoff from 1 s doubling to 300 s, and resets after a stable connection', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    const t: DialTarget = { kind: 'tcp', host: '198.51.100.2', port: 9735 };
    a.connectd.addImportantPeer(b.id, [t]);
    await settle();
    deepEqual(a.connectd.listPeers(), [{ id: b.id, connected: false, netaddr: [] }]);
    // Nobody listens: attempts at 0, then after 1, 2, 4, ... 256, 300, 300 seconds.
    await net.clock.tick(1_000 * (1 + 2 + 4 + 8 + 16 + 32 + 64 + 128 + 256 + 300 + 300));
    const gaps = net.dials.slice(1).map((d, i) => (d.at - net.dials[i]!.at) / 1000);
    deepEqual(gaps, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    // b comes up: the next attempt (300 s later) connects.
    b.listen('198.51.100.2', 9735);
    await net.clock.tick(300_000);
    deepEqual(connectedIds(a), [b.id]);
    // Stable for a minute, then dropped: back to 1 s.
    await net.clock.tick(60_000);
    const before = net.dials.length;
    b.connectd.disconnect(a.id);
    await settle();
    deepEqual(connectedIds(a), []);
    await net.clock.tick(999);
    equal(net.dials.length, before);
    await net.clock.tick(1);
    equal(net.dials.length, before + 1);
    deepEqual(connectedIds(a), [b.id]);
    // Dropped again at once: the delay doubles (2 s).
    b.connectd.disconnect(a.id);
    await settle();
    await net.clock.tick(1_999);
    deepEqual(connectedIds(a), []);
    await net.clock.tick(1);
    deepEqual(connectedIds(a), [b.id]);
    // Not important any more: no reconnect.
    a.connectd.removeImportantPeer(b.id);
    b.connectd.disconnect(a.id);
    await net.clock.tick(600_000);
    deepEqual(connectedIds(a), []);
  });

  it('a warning that disconnects with redialAfterMs (gossipd: a bad peer) holds the redial off that long', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    b.listen('198.51.100.2', 9735);
    a.connectd.addImportantPeer(b.id, [{ kind: 'tcp', host: '198.51.100.2', port: 9735 }]);
    await settle();
    deepEqual(connectedIds(a), [b.id]);
    const before = net.dials.length;
    await a.connectd.sendWarning(b.id, 'gossipd: bad_signature: most of your recent gossip was invalid', {
      disconnect: true,
      redialAfterMs: 600_000,
    });
    await settle();
    deepEqual(connectedIds(a), []);
    // The backoff alone would have dialled after 1 s.
    await net.clock.tick(599_000);
    equal(net.dials.length, before);
    await net.clock.tick(1_000);
    equal(net.dials.length, before + 1);
    deepEqual(connectedIds(a), [b.id]);
  });

  it('stop() closes everything and cancels every timer', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const b = new Node(net, 'b', 2);
    await a.connectd.connectToPeer(b.id, [b.listen('198.51.100.2', 9735)]);
    a.connectd.addImportantPeer(toHex(new Hsmd(secretOf(5)).nodeId()), [{ kind: 'tcp', host: '198.51.100.5', port: 1 }]);
    await settle();
    a.connectd.stop();
    await settle();
    deepEqual(connectedIds(a), []);
    deepEqual(connectedIds(b), []);
    b.connectd.stop();
    equal(net.clock.pending, 0);
    await rejects(a.connectd.connectToPeer(b.id, [{ kind: 'tcp', host: '198.51.100.2', port: 9735 }]), ConnectError, 'disconnected');
  });
});

describe('connectd: the node secret stays in hsmd', () => {
  it('connectd works through a link that can only do ECDH', async () => {
    const net = new Net();
    const a = new Node(net, 'a', 1);
    const link = a.hsmd.linkFor(['ecdh']);
    deepEqual(Object.keys(link), []);
    equal((link as unknown as Record<string, unknown>).signMessage, undefined);
    ok(!bytesEqual(link.ecdh(new Hsmd(secretOf(3)).nodeId()), new Uint8Array(32)));
  });
});

describe('connectd: ping floods (BOLT 1 "limited precautions")', () => {
  const FLOOD: Partial<ConnectdConfig> = { pingBurst: 5, pingRefillMs: 10_000 };
  const ping = (n = 0) => encodeMessage({ name: 'ping', num_pong_bytes: n, ignored: new Uint8Array(0) });
  const warnings = (r: RawPeer) => r.named('warning').map(w => text(w.data));

  it('answers a burst of pings, then warns and disconnects on one more; another peer carries on', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2, { config: FLOOD });
    const calm = RawPeer.into(b, 8);
    await calm.connect(b);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    for (let i = 0; i < 5; i++) await r.send(ping(1));
    equal(r.named('pong').length, 5);
    equal(r.closed, undefined);
    await r.send(ping(1));
    equal(r.named('pong').length, 5, 'the ping over the allowance is not answered');
    deepEqual(warnings(r), ['too many pings']);
    ok(r.closed !== undefined, 'closed');
    equal(b.disconnected.length, 1);
    equal(b.disconnected[0]!.id, r.id);
    equal(b.disconnected[0]!.reason, 'too many pings');
    deepEqual(connectedIds(b), [calm.id]);
    await calm.send(ping(2));
    equal(calm.named('pong').length, 1);
  });

  it('earns one ping back every pingRefillMs, up to the burst', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2, { config: { ...FLOOD, pingIntervalMs: 0 } });
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    for (let i = 0; i < 5; i++) await r.send(ping());
    await net.clock.tick(10_000);
    await r.send(ping());
    equal(r.closed, undefined);
    // A long quiet spell refills the bucket to the burst, not beyond.
    await net.clock.tick(10 * 60_000);
    for (let i = 0; i < 5; i++) await r.send(ping());
    equal(r.closed, undefined);
    await r.send(ping());
    ok(r.closed !== undefined);
    equal(r.named('pong').length, 11);
  });

  it("earns one ping per 16 other messages: LDK's ping after every 32 messages never trips it", async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2, { config: FLOOD });
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    // 100 rounds of 32 messages (gossip, delivered to gossipd) and a ping, with no time passing.
    for (let round = 0; round < 100; round++) {
      const frames: Uint8Array[] = [];
      for (let i = 0; i < 32; i++) frames.push(r.transport!.encrypt(rawMessage(0x0102)));
      frames.push(r.transport!.encrypt(ping()));
      await r.stream.write(concat(...frames));
      await settle();
    }
    equal(r.closed, undefined);
    equal(r.named('pong').length, 100);
    // Pings alone still run out.
    for (let i = 0; i < 5; i++) await r.send(ping());
    ok(r.closed !== undefined);
  });

  it('earns nothing for messages it drops or ignores, and charges a large pong as more than one ping', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2, { config: FLOOD });
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    // Unknown odd types and onion_message (not offered) cost a peer nothing to send: they buy no pongs.
    for (let round = 0; round < 10 && r.closed === undefined; round++) {
      const frames: Uint8Array[] = [];
      for (let i = 0; i < 32; i++) frames.push(r.transport!.encrypt(i % 2 ? rawMessage(0x8001) : rawMessage(513, new Uint8Array(0))));
      frames.push(r.transport!.encrypt(ping()));
      await r.stream.write(concat(...frames));
      await settle();
    }
    ok(r.closed !== undefined, 'the pings ran out');
    // A ping costs one more per 4096 pong bytes asked for: with 5 in the bucket (FLOOD), a
    // 12,000-byte pong (3) is answered once, not twice; a 65,531-byte one (16) never.
    const r2 = RawPeer.into(b, 10);
    await r2.connect(b);
    await r2.send(ping(12_000));
    await settle();
    equal(r2.named('pong').length, 1);
    await r2.send(ping(12_000));
    await settle();
    equal(r2.named('pong').length, 1);
    ok(r2.closed !== undefined);
    const r3 = RawPeer.into(b, 11);
    await r3.connect(b);
    await r3.send(ping(65_531));
    await settle();
    equal(r3.named('pong').length, 0);
    ok(r3.closed !== undefined);
  });

  it("with the default allowance, a ping every 10 s (LDK's timer tick) for an hour is fine", async () => {
    const net = new Net();
    const defaults = { pingBurst: DEFAULT_CONFIG.pingBurst, pingRefillMs: DEFAULT_CONFIG.pingRefillMs, pingIntervalMs: 0 };
    const b = new Node(net, 'b', 2, { config: defaults });
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    for (let i = 0; i < 360; i++) {
      await r.send(ping());
      await net.clock.tick(10_000);
    }
    equal(r.named('pong').length, 360);
    equal(b.disconnected.filter(d => /too many/.test(d.reason)).length, 0);
  });

  it('pongs that answer no ping are forgiven within the allowance, then end the connection', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2, { config: FLOOD });
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    for (let i = 0; i < 5; i++) await r.send(encodeMessage({ name: 'pong', ignored: new Uint8Array(i) }));
    equal(r.closed, undefined);
    await r.send(encodeMessage({ name: 'pong', ignored: new Uint8Array(9) }));
    deepEqual(warnings(r), ['too many pongs that answer no ping']);
    ok(r.closed !== undefined);
  });

  it('pongs that answer our pings cost nothing', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2, { config: FLOOD });
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    for (let i = 0; i < 20; i++) {
      const rpc = b.connectd.ping(r.id, 0, 3);
      await settle();
      await r.send(encodeMessage({ name: 'pong', ignored: new Uint8Array(3) }));
      deepEqual(await rpc, { totlen: 7 });
    }
    equal(r.closed, undefined);
  });
});

describe('connectd: connections before init are bounded', () => {
  it('refuses incoming connections over maxPendingInbound at once; dials and live peers are not affected', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2, { config: { maxPendingInbound: 3 } });
    const c = new Node(net, 'c', 3);
    const live = RawPeer.into(b, 8);
    await live.connect(b);
    const stalled = [RawPeer.into(b, 10), RawPeer.into(b, 11), RawPeer.into(b, 12)];
    const extra = RawPeer.into(b, 13);
    await settle();
    ok(
      extra.closed !== undefined && /refused 198\.51\.100\.13:50013: 3 incoming connections are still before init/.test(extra.closed),
      extra.closed,
    );
    ok(stalled.every(s => s.closed === undefined));
    ok(b.hasLog(/^warn: refused 198\.51\.100\.13/));
    // A second refusal in the same run is only a debug line.
    const extra2 = RawPeer.into(b, 14);
    await settle();
    ok(extra2.closed !== undefined);
    ok(b.hasLog(/^debug: refused 198\.51\.100\.14/));
    // Our own dial still goes through, and the live peer still talks.
    await b.connectd.connectToPeer(c.id, [c.listen('198.51.100.3', 9735)]);
    deepEqual(connectedIds(b).sort(), [live.id, c.id].sort());
    await live.send(encodeMessage({ name: 'ping', num_pong_bytes: 1, ignored: new Uint8Array(0) }));
    equal(live.named('pong').length, 1);
    // Once one of the stalled ones finishes, there is room again.
    await stalled[0]!.connect(b);
    const next = RawPeer.into(b, 15);
    await next.connect(b);
    equal(next.closed, undefined);
    ok(connectedIds(b).includes(next.id));
    ok(b.hasLog(/accepting incoming connections again \(2 refused\)/));
  });

  it('a pending connection that times out frees its place', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2, { config: { maxPendingInbound: 1 } });
    const stalled = RawPeer.into(b, 10);
    const refused = RawPeer.into(b, 11);
    await settle();
    ok(refused.closed !== undefined);
    await net.clock.tick(30_000);
    ok(stalled.closed !== undefined && /timeout/.test(stalled.closed));
    const next = RawPeer.into(b, 12);
    await next.connect(b);
    ok(connectedIds(b).includes(next.id));
  });

  it('the handshake and the wait for init have their own timeouts', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2, { config: { handshakeTimeoutMs: 10_000, initTimeoutMs: 5_000 } });
    const r = RawPeer.into(b, 9);
    const i = r.initiator(b.id);
    await r.stream.write(i.act1());
    await settle();
    await net.clock.tick(9_000);
    const { act3, transport } = await i.act2(r.take(50));
    await r.stream.write(act3);
    r.useTransport(transport);
    await settle();
    await net.clock.tick(4_999);
    equal(r.closed, undefined, 'the handshake deadline no longer applies once it is done');
    await net.clock.tick(1);
    equal(r.closed, 'peer closed: timeout: no init from the peer after 5000 ms');
    const s = RawPeer.into(b, 10);
    await s.stream.write(s.initiator(b.id).act1());
    await settle();
    await net.clock.tick(10_000);
    equal(s.closed, 'peer closed: timeout: handshake stalled waiting for act three after 10000 ms');
  });
});

describe('connectd: places before init are shared per address (issue 10 finding 12)', () => {
  const at = (address: string, port: number): NetAddress => ({ type: address.includes(':') ? 'ipv6' : 'ipv4', address, port });

  it('one address holding its places does not lock out another; the global cap still holds', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2, { config: { maxPendingInbound: 5, maxPendingInboundPerAddress: 2 } });
    const held = [RawPeer.into(b, 10, at('198.51.100.50', 1)), RawPeer.into(b, 11, at('198.51.100.50', 2))];
    const more = [3, 4, 5, 6].map((port, i) => RawPeer.into(b, 12 + i, at('198.51.100.50', port)));
    await settle();
    ok(held.every(h => h.closed === undefined));
    ok(
      more.every(m => m.closed !== undefined && /2 incoming connections from 198\.51\.100\.50 are still before init/.test(m.closed)),
      more[0]!.closed,
    );
    // Another address gets in, and all the way to init.
    const other = RawPeer.into(b, 20, at('198.51.100.51', 1));
    await other.connect(b);
    equal(other.closed, undefined);
    deepEqual(connectedIds(b), [other.id]);
    // One host's IPv6 addresses count by their /64; an IPv4-mapped address counts as its IPv4.
    const v6 = [
      RawPeer.into(b, 21, at('2001:db8:0:1::1', 1)),
      RawPeer.into(b, 22, at('2001:db8:0:1::2', 1)),
      RawPeer.into(b, 23, at('2001:db8:0:1:ffff::3', 1)),
    ];
    const mapped = RawPeer.into(b, 24, at('::ffff:198.51.100.50', 7));
    await settle();
    deepEqual(
      v6.map(p => p.closed !== undefined),
      [false, false, true],
    );
    ok(mapped.closed !== undefined && /from 198\.51\.100\.50/.test(mapped.closed), mapped.closed);
    // 4 places are taken (2 + 2): the global cap of 5 leaves one, then refuses whoever comes.
    const fifth = RawPeer.into(b, 25, at('203.0.113.9', 1));
    const sixth = RawPeer.into(b, 26, at('203.0.113.10', 1));
    await settle();
    equal(fifth.closed, undefined);
    ok(sixth.closed !== undefined && /5 incoming connections are still before init/.test(sixth.closed), sixth.closed);
    // Once one of the address's connections finishes init, the address has a place again.
    await held[0]!.connect(b);
    const again = RawPeer.into(b, 27, at('198.51.100.50', 8));
    await settle();
    equal(again.closed, undefined);
  });

  it('an incoming connection that sends no Act One is closed after actOneTimeoutMs, freeing its place', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2, { config: { maxPendingInboundPerAddress: 1, actOneTimeoutMs: 2_000, handshakeTimeoutMs: 30_000 } });
    const silent = RawPeer.into(b, 10, at('198.51.100.50', 1));
    const refused = RawPeer.into(b, 11, at('198.51.100.50', 2));
    await settle();
    ok(refused.closed !== undefined);
    await net.clock.tick(1_999);
    equal(silent.closed, undefined);
    await net.clock.tick(1);
    equal(silent.closed, 'peer closed: timeout: handshake stalled waiting for act one after 2000 ms');
    // Act One in time: the rest of the handshake has the rest of handshakeTimeoutMs.
    const slow = RawPeer.into(b, 12, at('198.51.100.50', 3));
    await net.clock.tick(1_500);
    await slow.stream.write(slow.initiator(b.id).act1());
    await settle();
    await net.clock.tick(28_499);
    equal(slow.closed, undefined);
    await net.clock.tick(1);
    equal(slow.closed, 'peer closed: timeout: handshake stalled waiting for act three after 30000 ms');
    // By default Act One has 5 s.
    equal(DEFAULT_CONFIG.actOneTimeoutMs, 5_000);
    const c = new Node(net, 'c', 3);
    const quiet = RawPeer.into(c, 13);
    await net.clock.tick(5_000);
    equal(quiet.closed, 'peer closed: timeout: handshake stalled waiting for act one after 5000 ms');
  });
});

describe('connectd: messages for features we do not offer, and peer storage', () => {
  it('drops onion_message quietly: not gossip, not lightningd, not "unknown"', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    const before = b.logs.length;
    await r.send(encodeMessage({ name: 'onion_message', path_key: fromHex(r.id), onion_message_packet: new Uint8Array(1366) }));
    // Even ones we could not decode: connectd never reads them.
    await r.send(rawMessage(513, new Uint8Array(3)));
    equal(b.gossip.length, 0);
    equal(b.spoke.length, 0);
    deepEqual(b.logs.slice(before), []);
    deepEqual(r.named('warning'), []);
    // The connection carries on.
    await r.send(encodeMessage({ name: 'ping', num_pong_bytes: 2, ignored: new Uint8Array(0) }));
    equal(r.named('pong').length, 1);
    deepEqual(connectedIds(b), [r.id]);
  });

  it('hands peer_storage and peer_storage_retrieval to lightningd as sent (we offer option_provide_storage)', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    const storage = encodeMessage({ name: 'peer_storage', blob: new Uint8Array(65531).fill(7) });
    const retrieval = encodeMessage({ name: 'peer_storage_retrieval', blob: ascii('stale backup') });
    await r.send(storage);
    await r.send(retrieval);
    await settle();
    deepEqual(
      b.spoke.map(s => [s.id, toHex(s.msg)]),
      [
        [r.id, toHex(storage)],
        [r.id, toHex(retrieval)],
      ],
    );
    equal(b.gossip.length, 0);
    deepEqual(r.named('warning'), []);
    deepEqual(connectedIds(b), [r.id]);
  });
});

describe('connectd: messages about channels we do not have (issue 9 finding 9)', () => {
  const temp = new Uint8Array(32).fill(0xab);
  const cid = new Uint8Array(32).fill(0xcd);
  const openChannel = rawMessage(32, concat(chainHash('bitcoin'), temp, new Uint8Array(200)));
  // channel_reestablish: channel_id, next_commitment_number, next_revocation_number,
  // your_last_per_commitment_secret, my_current_per_commitment_point (BOLT 2).
  const reestablish = rawMessage(136, concat(cid, new Uint8Array(8 + 8 + 32), new Uint8Array(33).fill(2)));

  it('leaves open_channel to lightningd (which starts openingd or answers it), and keeps the connection', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    await r.send(openChannel);
    // connectd does not answer it: lightningd decides (issue 13, "open_channel goes up to lightningd").
    deepEqual(r.named('error'), []);
    deepEqual(
      b.spoke.map(s => toHex(s.msg)),
      [toHex(openChannel)],
    );
    deepEqual(connectedIds(b), [r.id]);
    equal(r.closed, undefined);
  });

  it('never answers messages for a channel lightningd holds as unknown, though no daemon owns it now', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    b.connectd.holdChannel(r.id, cid, true);
    await r.send(reestablish);
    deepEqual(r.named('error'), [], 'no error: the peer would drop its commitment to the chain');
    equal(b.spoke.length, 1, 'lightningd hears of it');
    b.connectd.holdChannel(r.id, cid, false);
    await r.send(reestablish);
    equal(r.named('error').length, 1, 'once forgotten, the channel is unknown again');
  });

  it("keeps a held channel's messages, in order and bounded, for the daemon that attaches for it on that connection", async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    b.connectd.holdChannel(r.id, cid, true);
    // The peer's channel_reestablish arrives before lightningd's channeld is attached (it starts on peer_connected).
    const add = rawMessage(128, concat(cid, new Uint8Array(1400)));
    await r.send(reestablish);
    await r.send(add);
    const owned: Uint8Array[] = [];
    b.connectd.setOwner(r.id, cid, { deliver: m => void owned.push(m) });
    deepEqual(
      owned.map(m => toHex(m)),
      [toHex(reestablish), toHex(add)],
      'delivered first, in order',
    );
    await r.send(reestablish);
    equal(owned.length, 3, 'then as they come');
    b.connectd.setOwner(r.id, cid, null);
    // At most HELD_MESSAGES wait; more are dropped (the next reestablish recovers them), never an error.
    for (let i = 0; i < HELD_MESSAGES + 5; i++) await r.send(reestablish);
    const later: Uint8Array[] = [];
    b.connectd.setOwner(r.id, cid, { deliver: m => void later.push(m) });
    equal(later.length, HELD_MESSAGES);
    ok(b.hasLog(/has no daemon yet; message dropped/));
    deepEqual(r.named('error'), []);
  });

  it('answers channel_reestablish and other channel messages (types 32-255) with an error naming the channel', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    await r.send(reestablish);
    await r.send(rawMessage(128, concat(cid, new Uint8Array(1400)))); // update_add_htlc
    await r.send(rawMessage(64, concat(chainHash('bitcoin'), temp, new Uint8Array(200)))); // open_channel2
    deepEqual(
      r.named('error').map(e => [toHex(e.channel_id), text(e.data)]),
      [
        [toHex(cid), 'Unknown channel for reestablish'],
        [toHex(cid), 'Unknown channel (message type 128)'],
        [toHex(temp), 'This node does not accept channels'],
      ],
    );
    // BOLT 1 answers types 32-255 only: stfu (2) and announcement_signatures (259) get nothing.
    await r.send(rawMessage(2, concat(cid, new Uint8Array([1]))));
    await r.send(rawMessage(259, concat(cid, new Uint8Array(8 + 64 + 64))));
    equal(r.named('error').length, 3);
    // A channel a daemon owns is not unknown: its messages go to the owner, unanswered by connectd.
    const owned: Uint8Array[] = [];
    b.connectd.setOwner(r.id, cid, { deliver: m => void owned.push(m) });
    await r.send(reestablish);
    equal(owned.length, 1);
    equal(r.named('error').length, 3);
    deepEqual(connectedIds(b), [r.id]);
  });

  it('bounds the errors one peer can draw; another peer still gets its answer', async () => {
    const net = new Net();
    const b = new Node(net, 'b', 2);
    const r = RawPeer.into(b, 9);
    await r.connect(b);
    const s = RawPeer.into(b, 10);
    await s.connect(b);
    for (let i = 0; i < 50; i++) await r.send(reestablish);
    // The fake clock stands still: exactly the burst is answered.
    equal(r.named('error').length, UNKNOWN_REPLY_BURST);
    ok(b.hasLog(/no error sent for unknown channel cdcd.* \(too many\)/));
    // The allowance refills with time: one more per UNKNOWN_REPLY_REFILL_MS.
    await net.clock.tick(3 * UNKNOWN_REPLY_REFILL_MS);
    for (let i = 0; i < 10; i++) await r.send(reestablish);
    equal(r.named('error').length, UNKNOWN_REPLY_BURST + 3);
    await s.send(reestablish);
    equal(s.named('error').length, 1);
    deepEqual(connectedIds(b).sort(), [r.id, s.id].sort());
  });
});

describe("connectd: a channel daemon's link (lightningd attaches it to connectd's host)", () => {
  const temp = new Uint8Array(32).fill(0x11);
  const cid = new Uint8Array(32).fill(0x22);
  const channelReady = (id: Uint8Array) => rawMessage(36, concat(id, new Uint8Array(33).fill(2)));
  const acceptChannel = (id: Uint8Array) => rawMessage(33, concat(id, new Uint8Array(270)));

  /** connectd's host listening, and how to connect a raw peer (node secret 9) to it. */
  async function host() {
    const net = new Net();
    const hsmd = new Hsmd(secretOf(2));
    let accept: ((s: MemoryStream) => void) | undefined;
    const quiet = { debug() {}, info() {}, warn() {} };
    const started = await connectdDaemon.start(
      { network: 'bitcoin', nodeId: toHex(hsmd.nodeId()), features: ourFeatures('I').toHex(), config: TEST_CONFIG },
      {
        ecdh: hsmd.linkFor(['ecdh']),
        gossip: { newPeer() {}, gossipBatch() {}, peerGone() {} },
        events: { peerConnected() {}, peerDisconnected() {}, peerSpoke() {} },
      } as unknown as Parameters<typeof connectdDaemon.start>[1],
      {
        dialer: { dial: () => Promise.reject(new Error('no dialing here')) },
        listen: async (_k, _h, _p, a) => {
          accept = a as (s: MemoryStream) => void;
          return { port: 1, close() {} };
        },
        clock: net.clock,
        log: quiet,
        randomBytes: n => new Uint8Array(n).fill(3),
      },
    );
    await started.api.listen('tcp', '127.0.0.1', 1);
    const connect = async () => {
      const [mine, theirs] = memoryStreamPair({ remoteOfB: { type: 'ipv4', address: '198.51.100.9', port: 50009 } });
      accept!(theirs);
      const r = new RawPeer(9, mine);
      await r.handshake(toHex(hsmd.nodeId()));
      await r.sendInit();
      await settle();
      return r;
    };
    return { started, connect };
  }

  it("routes the channel's messages to its daemon by temporary then final id, sends for it to that peer, tells it when the peer leaves; detached, the channel is unknown again", async () => {
    const { started, connect } = await host();
    const r = await connect();

    const delivered: Uint8Array[] = [];
    const gone: string[] = [];
    const owner = { deliver: (m: Uint8Array) => void delivered.push(m), peerGone: (why: string) => void gone.push(why) };
    const link = (await started.attach!('channel', 'channel-1', { peerId: r.id, channelId: temp }, owner as never)) as ChannelPeerSend;
    await r.send(acceptChannel(temp));
    equal(delivered.length, 1, 'by its temporary_channel_id');
    await link.send(channelReady(cid));
    await settle();
    deepEqual(
      r.named('channel_ready').map(m => toHex(m.channel_id)),
      [toHex(cid)],
      'what the daemon sends reaches its peer',
    );
    await started.api.addChannelId('channel-1', cid);
    await r.send(channelReady(cid));
    equal(delivered.length, 2, 'and by its channel_id');
    deepEqual(r.named('error'), [], 'nothing answered as unknown');

    await started.detach!('channel-1');
    await r.send(channelReady(cid));
    equal(delivered.length, 2, 'detached: nothing more for it');
    equal(r.named('error').length, 1, 'its id is unknown again (lightningd did not hold it)');

    await started.attach!('channel', 'channel-2', { peerId: r.id, channelId: cid }, owner as never);
    r.stream.close('bye');
    await settle();
    equal(gone.length, 1, 'the daemon hears that its peer left');
    await started.stop();
  });

  // BOLT 2's channel_reestablish is per connection: a daemon lightningd started for a connection
  // that has ended must not speak, nor be heard, on the next one (which has a daemon of its own).
  it('is bound to one connection: refused once the peer is on another, and its sends never reach a later one', async () => {
    const { started, connect } = await host();
    const first = await connect();
    const delivered: string[] = [];
    const owner = (name: string) => ({ deliver: () => void delivered.push(name), peerGone: () => undefined });
    const args = { peerId: first.id, channelId: cid };
    const old = (await started.attach!('channel', 'channel-1', { ...args, counter: 1 }, owner('old') as never)) as ChannelPeerSend;
    // The peer comes back on connection 2: the first connection's daemon is done with it.
    const second = await connect();
    await rejects(old.send(channelReady(cid)), ConnectError, 'not_connected');
    await rejects(
      async () => started.attach!('channel', 'channel-2', { ...args, counter: 1 }, owner('late') as never),
      ConnectError,
      'not_connected',
    );
    // Its own daemon (counter 2, or none: the connection at attach) hears and speaks there.
    await started.detach!('channel-1');
    const now = (await started.attach!('channel', 'channel-1', args, owner('new') as never)) as ChannelPeerSend;
    await second.send(channelReady(cid));
    deepEqual(delivered, ['new']);
    await now.send(channelReady(cid));
    await settle();
    equal(second.named('channel_ready').length, 1);
    await started.stop();
  });
});
