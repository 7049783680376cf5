// Forwarding (forward.ts, forward-store.ts, forward-rpc.ts) with fake channelds: an incoming HTLC
// whose onion names a next hop is checked against our policy (the exact BOLT 4 failure, read by
// the payer from the error onion, with our signed channel_update), recorded before the outgoing
// add, and resolved upstream from what the outgoing channel did: the preimage in the outgoing
// channel's own write, an error onion the payer decodes to the downstream's failure and position,
// a malformed HTLC turned into an error onion, and a restart carrying on a forward in flight.
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { LightningdDb, MemoryLightningdStorage, type ChannelRecord, type HtlcRecord } from '../../src/core/daemons/lightningd/db.ts';
import { FeatureVector } from '../../src/core/features/index.ts';
import { RpcDispatcher } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { IncomingHtlcs, type ChanneldHtlcs } from '../../src/core/daemons/lightningd/htlcs-in.ts';
import { FinalReceiver } from '../../src/core/daemons/lightningd/receive.ts';
import { failWith, withAttribution } from '../../src/core/daemons/lightningd/htlc-resolution.ts';
import { Forwarder, type ForwardChannels } from '../../src/core/daemons/lightningd/forward.ts';
import { registerForwardCommands } from '../../src/core/daemons/lightningd/forward-rpc.ts';
import type { HtlcListener } from '../../src/core/daemons/lightningd/channels.ts';
import type { HtlcChange, OfferHtlc } from '../../src/core/daemons/channeld/interface.ts';
import { ChannelError } from '../../src/core/channel/errors.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { getPublicKey, sha256, sha256d, verifyDigest } from '../../src/core/crypto/primitives.ts';
import { blindedFee, blindedRelay, buildPartOnion, receivePath, type PricedHop } from '../../src/core/pay/index.ts';
import {
  blindedNodeSecret,
  checkAttribution,
  checkFailureAttribution,
  createErrorPacket,
  createOnion,
  failureCode,
  unblindHop,
  decodeErrorPacket,
  decodeHopPayload,
  encodeFailure,
  encodeHopPayload,
  peelOnion,
} from '../../src/core/onion/index.ts';
import { decodeMessage } from '../../src/core/wire/messages.ts';
import { parseScid } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { settle } from '../support/memory-stream.ts';
import { channelRecord } from './channel-record-fixture.ts';

const HEIGHT = 500;
const T0_MS = 1_800_000_000_000;
const quiet = { debug() {}, info() {}, warn() {} };
const IN_SCID = '100x1x0';
const OUT_SCID = '200x1x0';
const C_SECRET = new Uint8Array(32).fill(9);
const C_ID = getPublicKey(C_SECRET);

const channel = (dbid: string, peer: string, scid: string) =>
  channelRecord(dbid, peer, { opener: 'remote', short_channel_id: scid, htlcs: {} });

type Upstream =
  | { kind: 'fulfill'; id: bigint; preimage: string }
  | { kind: 'fail'; id: bigint; reason: Uint8Array }
  | { kind: 'malformed'; id: bigint; code?: number };

/** Node B between A (channel 1) and C (channel 2), its database on `storage`. */
async function node(storage = new MemoryLightningdStorage(), outExtra: Partial<ChannelRecord> = {}) {
  const hsmd = new Hsmd(new Uint8Array(32).fill(7));
  const db = new LightningdDb(storage);
  await db.load();
  const inCh = db.channels().find(c => c.dbid === '1') ?? channel('1', '02'.padEnd(66, 'a'), IN_SCID);
  const outCh = db.channels().find(c => c.dbid === '2') ?? { ...channel('2', toHex(C_ID), OUT_SCID), ...outExtra };
  if (db.channels().length === 0) {
    await db.saveChannel(inCh);
    await db.saveChannel(outCh);
  }
  const listeners = new Set<HtlcListener>();
  const adds: OfferHtlc[] = [];
  const upstream: Upstream[] = [];
  const addBehaviour: { next?: (h: OfferHtlc) => Promise<{ id: bigint }> } = {};
  let outRunning = true;
  let inRunning = true;
  /** Preimages handed towards the incoming channel's onchaind, and whether the forward held it durably then. */
  const onchain: { dbid: string; preimage: string; durable: boolean }[] = [];
  const durable = (preimage: Uint8Array) =>
    [...storage.records.entries()].some(([k, v]) => k.includes('forwards') && v.includes(toHex(preimage)));
  /** Whether the forward's preimage was durable at each fulfil upstream. */
  const fulfilDurable: boolean[] = [];
  /** The attribution_data handed upstream with each fulfil or failure, by incoming HTLC id; IncomingHtlcs' clock. */
  const attributions = new Map<bigint, Uint8Array>();
  const clock = { ms: T0_MS };
  const channels: ForwardChannels = {
    onHtlcs: l => (listeners.add(l), () => listeners.delete(l)),
    channeldOf: dbid =>
      dbid === '2' && outRunning
        ? {
            api: {
              addHtlc: h => {
                adds.push(h);
                return addBehaviour.next ? addBehaviour.next(h) : new Promise(() => undefined);
              },
            },
            guard: p => p,
          }
        : undefined,
  };
  const forwarder = new Forwarder({
    db,
    channels,
    nodeId: toHex(hsmd.nodeId()),
    network: 'regtest',
    blockheight: () => HEIGHT,
    nowMs: () => T0_MS,
    spendable: () => 500_000_000n,
    signChannelUpdate: msg => hsmd.signChannelUpdate(msg),
    log: quiet,
  });
  const upstreamChanneld: ChanneldHtlcs = {
    fulfillHtlc: async (id, preimage, attribution) => {
      if (attribution) attributions.set(id, attribution);
      fulfilDurable.push(durable(preimage));
      upstream.push({ kind: 'fulfill', id, preimage: toHex(preimage) });
    },
    failHtlc: async (id, reason, attribution) => {
      if (attribution) attributions.set(id, attribution);
      upstream.push({ kind: 'fail', id, reason });
    },
    failMalformedHtlc: async (id, _sha, code) => void upstream.push({ kind: 'malformed', id, code }),
  };
  const receiver = new FinalReceiver({
    db,
    blockheight: () => HEIGHT,
    now: () => T0_MS / 1000,
    clock: new FakeClock(),
    keysendInvoice: () => Promise.reject(new Error('no keysend here')),
    log: quiet,
  });
  const incoming = new IncomingHtlcs({
    channeld: dbid => (dbid === '1' && inRunning ? upstreamChanneld : undefined),
    ecdh: async pub => hsmd.ecdh(pub),
    receiver,
    forwarder,
    onchain: async (dbid, preimage) => void onchain.push({ dbid, preimage: toHex(preimage), durable: durable(preimage) }),
    nowMs: () => clock.ms,
    log: quiet,
  });
  listeners.add(incoming);
  const rpc = new RpcDispatcher();
  registerForwardCommands(rpc, { db, channels: () => db.channels() });
  const stored = (dbid: string) => db.channels().find(c => c.dbid === dbid)!;

  /** A pays C through B: B's payload forwards `out` msat to expire at `outCltv`. */
  const arrive = (o: { id: bigint; inAmt: bigint; inCltv: number; out: bigint; outCltv: number; scid?: string; hash: Uint8Array }) => {
    const hops = [
      {
        pubkey: hsmd.nodeId(),
        payload: encodeHopPayload({
          amt_to_forward: { amt_to_forward: o.out },
          outgoing_cltv_value: { outgoing_cltv_value: o.outCltv },
          short_channel_id: { short_channel_id: parseScid(o.scid ?? OUT_SCID) },
        }),
      },
      {
        pubkey: C_ID,
        payload: encodeHopPayload({ amt_to_forward: { amt_to_forward: o.out }, outgoing_cltv_value: { outgoing_cltv_value: o.outCltv } }),
      },
    ];
    const built = createOnion(sha256(new TextEncoder().encode(`s${o.id}`)), hops, o.hash);
    arriveOnion({ ...o, onion: built.bytes });
    return built.sharedSecrets;
  };
  /** An HTLC from A with this onion (and route blinding's `path_key`), committed: channel 1's write, then its listeners. */
  const arriveOnion = (o: { id: bigint; inAmt: bigint; inCltv: number; hash: Uint8Array; onion: Uint8Array; pathKey?: Uint8Array }) => {
    const rec: HtlcRecord = {
      direction: 'in',
      id: o.id.toString(),
      amount_msat: o.inAmt.toString(),
      payment_hash: toHex(o.hash),
      cltv_expiry: o.inCltv,
      state: 'incoming',
      onion: toHex(o.onion),
      ...(o.pathKey ? { path_key: toHex(o.pathKey) } : {}),
    };
    const c = { ...stored('1') };
    c.htlcs = { ...c.htlcs, [`in:${o.id}`]: rec };
    void db.saveChannel(c);
    for (const l of listeners)
      l.persisted?.(c, [
        {
          kind: 'incoming',
          id: o.id,
          amountMsat: o.inAmt,
          paymentHash: o.hash,
          cltvExpiry: o.inCltv,
          onion: o.onion,
          ...(o.pathKey ? { pathKey: o.pathKey } : {}),
        },
      ]);
  };
  /** The outgoing channel's write: listeners stage into it, one write, then `persisted`. */
  const outPersist = async (changes: HtlcChange[], htlcs?: (h: Record<string, HtlcRecord>) => Record<string, HtlcRecord>) => {
    const c = stored('2');
    for (const l of listeners) l.staging?.(c, changes);
    const before = storage.writes.length;
    await db.saveChannel({ ...c, htlcs: htlcs ? htlcs(c.htlcs ?? {}) : c.htlcs });
    const write = storage.writes.slice(before);
    for (const l of listeners) l.persisted?.(stored('2'), changes);
    return write;
  };
  return {
    hsmd,
    db,
    rpc,
    adds,
    upstream,
    attributions,
    clock,
    addBehaviour,
    forwarder,
    incoming,
    storage,
    arrive,
    arriveOnion,
    outPersist,
    stored,
    onchain,
    fulfilDurable,
    stopIn: () => (inRunning = false),
    stopOut: () => (outRunning = false),
    startOut: () => {
      outRunning = true;
      for (const l of listeners) l.started?.(stored('2'));
    },
    startIn: () => {
      for (const l of listeners) l.started?.(stored('1'));
    },
  };
}

const HASH_PRE = new Uint8Array(32).fill(42);
const HASH = sha256(HASH_PRE);

/** The failure the payer reads from upstream's fail of `id`: the failing hop's index and the failure. */
/** B with two forwards of 100,000 msat offered to C (outgoing HTLC ids 0 and 1); the payer's secrets of each. */
async function twoForwardsOffered() {
  const n = await node();
  const out = 100_000n;
  const s0 = n.arrive({ id: 0n, inAmt: out + fee(out), inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: HASH });
  await until(() => n.adds.length === 1);
  const s1 = n.arrive({ id: 1n, inAmt: out + fee(out), inCltv: HEIGHT + 101, out, outCltv: HEIGHT + 61, hash: HASH });
  await until(() => n.adds.length === 2);
  await n.outPersist([
    { kind: 'offered', id: 0n, amountMsat: out, paymentHash: HASH, cltvExpiry: HEIGHT + 60 },
    { kind: 'offered', id: 1n, amountMsat: out, paymentHash: HASH, cltvExpiry: HEIGHT + 61 },
  ]);
  return { n, out, s0, s1 };
}

function payerReads(up: Upstream[], id: bigint, secrets: Uint8Array[]) {
  const f = up.find(u => u.id === id);
  ok(f?.kind === 'fail', `failed upstream with an error onion: ${JSON.stringify(f?.kind)}`);
  const d = decodeErrorPacket(secrets, f.reason);
  return { hop: d.hop, failure: d.failure as Record<string, unknown> & { name: string } };
}

/** A channel_update attached to a failure: ours for OUT_SCID, signed by our node key. */
function checkUpdate(bytes: unknown, nodeId: Uint8Array, fee: number) {
  ok(bytes instanceof Uint8Array && bytes.length > 0, 'a channel_update attached');
  const u = decodeMessage(bytes) as unknown as Record<string, unknown> & { signature: Uint8Array };
  equal(u.name, 'channel_update');
  equal(u.short_channel_id, parseScid(OUT_SCID));
  equal(u.fee_base_msat, fee);
  equal(u.cltv_expiry_delta, 34);
  ok(verifyDigest(u.signature, sha256d(bytes.subarray(2 + 64)), nodeId), 'signed by our node key');
}

/** Lets the node's promises run until `cond` holds (a bounded number of turns, no clock). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await settle();
  }
  ok(cond(), 'the node got there');
}

const fee = (amt: bigint) => 1000n + (amt * 10n) / 1_000_000n;

/** A restart on `storage`: incoming HTLC 0 is fulfilled upstream again from its forward's record. */
async function fulfilledAgain(storage: MemoryLightningdStorage): Promise<void> {
  const n = await node(storage);
  n.startIn();
  await until(() => n.upstream.length === 2);
  deepEqual(
    n.upstream.find(u => u.id === 0n),
    { kind: 'fulfill', id: 0n, preimage: toHex(HASH_PRE) },
  );
}

/** B with incoming HTLC 5 forwarded as outgoing HTLC 3 of 100,000 msat, offered to C. */
async function offeredDownstream() {
  const n = await node();
  const out = 100_000n;
  n.arrive({ id: 5n, inAmt: out + fee(out), inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: HASH });
  await until(() => n.adds.length === 1);
  await n.outPersist([{ kind: 'offered', id: 3n, amountMsat: out, paymentHash: HASH, cltvExpiry: HEIGHT + 60 }]);
  return n;
}

describe('lightningd forwards HTLCs (Core Lightning peer_htlcs.c forward_htlc)', () => {
  it('fails a fee below our policy with fee_insufficient and our signed channel_update, recorded local_failed', async () => {
    const n = await node();
    const out = 100_000n;
    const secrets = n.arrive({ id: 0n, inAmt: out + fee(out) - 1n, inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: HASH });
    await until(() => n.upstream.length > 0);
    const r = payerReads(n.upstream, 0n, secrets);
    equal(r.hop, 0);
    equal(r.failure.name, 'fee_insufficient');
    equal(r.failure.htlc_msat, out + fee(out) - 1n);
    checkUpdate(r.failure.channel_update, n.hsmd.nodeId(), 1000);
    equal(n.adds.length, 0);
    const l = (await n.rpc.call('listforwards', {})) as { forwards: Record<string, unknown>[] };
    equal(l.forwards.length, 1);
    equal(l.forwards[0]!.status, 'local_failed');
    equal(l.forwards[0]!.failcode, 0x100c);
    equal(l.forwards[0]!.failreason, 'WIRE_FEE_INSUFFICIENT');
    equal(l.forwards[0]!.in_channel, IN_SCID);
    equal(l.forwards[0]!.out_channel, OUT_SCID);
  });

  it('fails a cltv delta below 34 with incorrect_cltv_expiry, an unknown channel with unknown_next_peer', async () => {
    const n = await node();
    const out = 100_000n;
    const s1 = n.arrive({ id: 0n, inAmt: out + fee(out), inCltv: HEIGHT + 93, out, outCltv: HEIGHT + 60, hash: HASH });
    const s2 = n.arrive({ id: 1n, inAmt: out + fee(out), inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, scid: '300x1x0', hash: HASH });
    await until(() => n.upstream.length === 2);
    const r1 = payerReads(n.upstream, 0n, s1);
    equal(r1.failure.name, 'incorrect_cltv_expiry');
    equal(r1.failure.cltv_expiry, HEIGHT + 93);
    checkUpdate(r1.failure.channel_update, n.hsmd.nodeId(), 1000);
    equal(payerReads(n.upstream, 1n, s2).failure.name, 'unknown_next_peer');
    equal(n.adds.length, 0);
  });

  it('setchannel raises our fee: the same forward now fails fee_insufficient with the new update', async () => {
    const n = await node();
    const r = (await n.rpc.call('setchannel', { id: OUT_SCID, feebase: 5000 })) as { channels: Record<string, unknown>[] };
    equal(r.channels[0]!.fee_base_msat, 5000);
    const out = 100_000n;
    const s = n.arrive({ id: 0n, inAmt: out + fee(out), inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: HASH });
    await until(() => n.upstream.length > 0);
    const f = payerReads(n.upstream, 0n, s).failure;
    equal(f.name, 'fee_insufficient');
    checkUpdate(f.channel_update, n.hsmd.nodeId(), 5000);
  });

  it('maps channeld refusing the add (a BOLT 2 limit) to temporary_channel_failure', async () => {
    const n = await node();
    n.addBehaviour.next = () => Promise.reject(new ChannelError('cannot_afford', 'we cannot afford it'));
    const out = 100_000n;
    const s = n.arrive({ id: 0n, inAmt: out + fee(out), inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: HASH });
    await until(() => n.upstream.length > 0);
    const f = payerReads(n.upstream, 0n, s).failure;
    equal(f.name, 'temporary_channel_failure');
    checkUpdate(f.channel_update, n.hsmd.nodeId(), 1000);
    equal(n.adds.length, 1);
    const l = (await n.rpc.call('listforwards', { status: 'local_failed' })) as { forwards: Record<string, unknown>[] };
    equal(l.forwards[0]!.failreason, 'WIRE_TEMPORARY_CHANNEL_FAILURE');
  });

  it('forwards: recorded before the add; the preimage staged in the outgoing write; then fulfilled upstream', async () => {
    const n = await node();
    let recordedFirst = false;
    n.addBehaviour.next = async () => {
      recordedFirst = [...n.storage.records.values()].some(v => v.includes('"status":"offered"') && v.includes(toHex(HASH)));
      return new Promise(() => undefined);
    };
    const out = 100_000n;
    n.arrive({ id: 5n, inAmt: out + fee(out) + 7n, inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: HASH });
    await until(() => n.adds.length > 0);
    ok(recordedFirst, 'the forward record was durable before addHtlc');
    const add = n.adds[0]!;
    equal(add.amountMsat, out);
    equal(add.cltvExpiry, HEIGHT + 60);
    // C reads the onion B passes on: its final payload.
    const peeled = peelOnion(C_SECRET, add.onion, HASH);
    equal(peeled.next, undefined);
    equal(decodeHopPayload(peeled.payload).amt_to_forward?.amt_to_forward, out);
    await n.outPersist([{ kind: 'offered', id: 3n, amountMsat: out, paymentHash: HASH, cltvExpiry: HEIGHT + 60 }], h => ({
      ...h,
      'out:3': {
        direction: 'out',
        id: '3',
        amount_msat: out.toString(),
        payment_hash: toHex(HASH),
        cltv_expiry: HEIGHT + 60,
        state: 'offered',
      },
    }));
    equal(n.upstream.length, 0);
    const write = await n.outPersist([{ kind: 'fulfilled', id: 3n, preimage: HASH_PRE }], h => ({}));
    equal(write.length, 1, 'one write');
    ok(
      write[0]!.puts.some(k => k.includes('forwards')),
      'the forward is in the outgoing channel write',
    );
    const stored = [...n.storage.records.entries()].find(([k]) => k.includes('forwards'))![1];
    ok(stored.includes(toHex(HASH_PRE)), 'the preimage is durable');
    await until(() => n.upstream.length > 0);
    deepEqual(n.upstream[0], { kind: 'fulfill', id: 5n, preimage: toHex(HASH_PRE) });
    const l = (await n.rpc.call('listforwards', { status: 'settled' })) as { forwards: Record<string, unknown>[] };
    equal(l.forwards.length, 1);
    equal(l.forwards[0]!.fee_msat, Number(fee(out) + 7n));
    equal(l.forwards[0]!.out_htlc_id, 3);
    equal(l.forwards[0]!.in_htlc_id, 5);
    equal(l.forwards[0]!.out_msat, Number(out));
  });

  it('downstream failure: the payer decodes the downstream failure at its position; malformed becomes an error onion', async () => {
    const { n, out, s0, s1 } = await twoForwardsOffered();
    // C fails the first with its own error onion; the second comes back malformed.
    const cSecret = peelOnion(C_SECRET, n.adds[0]!.onion, HASH).sharedSecret;
    const reason = createErrorPacket(
      cSecret,
      encodeFailure({ name: 'incorrect_or_unknown_payment_details', htlc_msat: out, height: HEIGHT }),
    );
    const sha = new Uint8Array(32).fill(3);
    await n.outPersist([
      { kind: 'failed', id: 0n, reason },
      { kind: 'failed', id: 1n, sha256OfOnion: sha, failureCode: 0xc005 },
    ]);
    await until(() => n.upstream.length === 2);
    const r0 = payerReads(n.upstream, 0n, s0);
    equal(r0.hop, 1);
    equal(r0.failure.name, 'incorrect_or_unknown_payment_details');
    const r1 = payerReads(n.upstream, 1n, s1);
    equal(r1.hop, 0);
    equal(r1.failure.name, 'invalid_onion_hmac');
    deepEqual(r1.failure.sha256_of_onion, sha);
    const l = (await n.rpc.call('listforwards', { status: 'failed' })) as { forwards: unknown[] };
    equal(l.forwards.length, 2);
  });

  it('attribution data (BOLT 4): B adds its layer over C’s with the time it held each HTLC, on a failure and a fulfil; its own failure starts one', async () => {
    const { n, out, s0, s1 } = await twoForwardsOffered();
    n.clock.ms += 2_599;
    // C (the erring node, then the final node) starts the data with its own hold time.
    const c0 = peelOnion(C_SECRET, n.adds[0]!.onion, HASH).sharedSecret;
    const c1 = peelOnion(C_SECRET, n.adds[1]!.onion, HASH).sharedSecret;
    const failed = withAttribution(failWith(c0, { name: 'incorrect_or_unknown_payment_details', htlc_msat: out, height: HEIGHT }), {
      sharedSecret: c0,
      heldMs: 300,
    });
    const paid = withAttribution({ kind: 'fulfill', preimage: HASH_PRE }, { sharedSecret: c1, heldMs: 100 });
    ok(failed.kind === 'fail' && failed.attribution && paid.kind === 'fulfill' && paid.attribution);
    await n.outPersist([
      { kind: 'failed', id: 0n, reason: failed.reason, attribution: failed.attribution },
      { kind: 'fulfilled', id: 1n, preimage: HASH_PRE, attribution: paid.attribution },
    ]);
    await until(() => n.upstream.length === 2);
    const f = n.upstream.find(u => u.id === 0n);
    ok(f?.kind === 'fail');
    deepEqual(checkFailureAttribution(s0, f.reason, n.attributions.get(0n)!), { holdTimes: [25, 3] });
    deepEqual(checkAttribution(s1, [], n.attributions.get(1n)!), { holdTimes: [25, 1] });
    // B's own failure (fee_insufficient at once): B is the erring node, holding it 0 ms.
    const s2 = n.arrive({ id: 2n, inAmt: out + fee(out) - 1n, inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: HASH });
    await until(() => n.upstream.length === 3);
    const f2 = n.upstream.find(u => u.id === 2n);
    ok(f2?.kind === 'fail');
    equal(payerReads(n.upstream, 2n, s2).failure.name, 'fee_insufficient');
    deepEqual(checkFailureAttribution(s2.slice(0, 1), f2.reason, n.attributions.get(2n)!), { holdTimes: [0] });
  });

  it('restart mid-forward: an offered forward is fulfilled upstream once the outgoing channel settles it', async () => {
    const storage = new MemoryLightningdStorage();
    const a = await node(storage);
    const out = 100_000n;
    a.arrive({ id: 0n, inAmt: out + fee(out), inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: HASH });
    // A second forward whose add channeld never recorded (its instance ended first).
    const s1 = a.arrive({ id: 1n, inAmt: out + fee(out), inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 61, hash: HASH });
    await until(() => a.adds.length === 2);
    await a.outPersist([{ kind: 'offered', id: 0n, amountMsat: out, paymentHash: HASH, cltvExpiry: HEIGHT + 60 }], h => ({
      ...h,
      'out:0': {
        direction: 'out',
        id: '0',
        amount_msat: out.toString(),
        payment_hash: toHex(HASH),
        cltv_expiry: HEIGHT + 60,
        state: 'committed',
      },
    }));
    equal(a.upstream.length, 0);
    // B restarts: the incoming HTLCs are decided again, the outgoing channeld starts.
    const b = await node(storage);
    b.startIn();
    b.startOut();
    await until(() => b.upstream.length === 1);
    const r1 = payerReads(b.upstream, 1n, s1);
    equal(r1.failure.name, 'temporary_channel_failure');
    equal(b.adds.length, 0, 'nothing sent again');
    await b.outPersist([{ kind: 'fulfilled', id: 0n, preimage: HASH_PRE }], () => ({}));
    await until(() => b.upstream.length === 2);
    deepEqual(
      b.upstream.find(u => u.id === 0n),
      { kind: 'fulfill', id: 0n, preimage: toHex(HASH_PRE) },
    );
    // And again after another restart, until the upstream reports it resolved.
    await fulfilledAgain(storage);
  });

  it('an outgoing HTLC resolved on chain: the preimage claims upstream, a timeout fails it', async () => {
    const n = await node();
    const out = 100_000n;
    n.arrive({ id: 0n, inAmt: out + fee(out), inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: HASH });
    await until(() => n.adds.length === 1);
    const other = sha256(new Uint8Array(32).fill(1));
    const s1 = n.arrive({ id: 1n, inAmt: out + fee(out), inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: other });
    await until(() => n.adds.length === 2);
    await n.forwarder.resolvedOnChain('2', toHex(HASH), HASH_PRE);
    await n.forwarder.resolvedOnChain('2', toHex(other));
    await until(() => n.upstream.length === 2);
    deepEqual(
      n.upstream.find(u => u.id === 0n),
      { kind: 'fulfill', id: 0n, preimage: toHex(HASH_PRE) },
    );
    deepEqual(n.fulfilDurable, [true], 'the preimage from the chain was durable before the fulfil went upstream');
    equal(payerReads(n.upstream, 1n, s1).failure.name, 'permanent_channel_failure');
    // A restart before the upstream reported it resolved: fulfilled again from the record.
    await fulfilledAgain(n.storage);
  });

  it('the incoming channel went on chain: the preimage learnt downstream goes to its onchaind once durable (BOLT 5)', async () => {
    const n = await offeredDownstream();
    // A force-closes: the incoming channel's channeld ends; then C fulfils downstream.
    n.stopIn();
    await n.outPersist([{ kind: 'fulfilled', id: 3n, preimage: HASH_PRE }]);
    await until(() => n.onchain.length > 0);
    deepEqual(n.onchain, [{ dbid: '1', preimage: toHex(HASH_PRE), durable: true }]);
    equal(n.upstream.length, 0, 'no channeld to fulfil off chain');
  });

  it('both channels on chain: the preimage C revealed on chain goes to the incoming channel’s onchaind', async () => {
    const n = await offeredDownstream();
    n.stopIn();
    await n.forwarder.resolvedOnChain('2', toHex(HASH), HASH_PRE);
    await until(() => n.onchain.length > 0);
    deepEqual(n.onchain, [{ dbid: '1', preimage: toHex(HASH_PRE), durable: true }]);
  });
});

describe('lightningd relays blinded HTLCs (BOLT 4 "Route Blinding")', () => {
  const Z_SECRET = new Uint8Array(32).fill(5);
  const relay = { cltv_expiry_delta: 34, fee_proportional_millionths: 10, fee_base_msat: 1000 };
  const out = 100_000n;

  /** C's path Z → B → C (B relays on OUT_SCID); A's onion for it, peeled by Z: what reaches B, with Z's next path_key. */
  async function blindedAtB(n: Awaited<ReturnType<typeof node>>, bRelay = relay) {
    const made = receivePath({
      sessionKey: new Uint8Array(32).fill(3),
      relays: [
        { nodeId: getPublicKey(Z_SECRET), short_channel_id: parseScid(IN_SCID), relay, htlc_minimum_msat: 0n },
        { nodeId: n.hsmd.nodeId(), short_channel_id: parseScid(OUT_SCID), relay: bRelay, htlc_minimum_msat: 0n },
      ],
      ourNodeId: C_ID,
      path_id: new Uint8Array(32).fill(1),
      max_cltv_expiry: HEIGHT + 500,
      min_final_cltv_expiry_delta: 18,
      htlc_maximum_msat: 10_000_000n,
    });
    const sent = out + blindedFee(made.payinfo, out);
    const route: PricedHop[] = [
      { id: toHex(getPublicKey(Z_SECRET)), channel: '150x1x0', direction: 0, amount_msat: sent, delay: made.payinfo.cltv_expiry_delta + 1 },
    ];
    const part = buildPartOnion(
      route,
      HEIGHT,
      { blinded: { path: made.path, amount_msat: out, total_msat: out } },
      HASH,
      new Uint8Array(32).fill(4),
    );
    const atZ = peelOnion(Z_SECRET, part.onion, HASH);
    const pz = decodeHopPayload(atZ.payload);
    const uz = unblindHop(Z_SECRET, pz.current_path_key!.path_key, pz.encrypted_recipient_data!.encrypted_recipient_data);
    const fz = blindedRelay(uz.decoded, { amount_msat: part.amount_msat, cltv_expiry: part.cltv_expiry });
    return { onion: atZ.nextBytes!, pathKey: uz.nextPathKey, inAmt: fz.amt_to_forward, inCltv: fz.outgoing_cltv_value };
  }

  it('inside the path: peels with its blinded key, forwards by payment_relay with the next path_key', async () => {
    const n = await node();
    const at = await blindedAtB(n);
    n.arriveOnion({ id: 0n, hash: HASH, ...at });
    await until(() => n.adds.length === 1);
    const add = n.adds[0]!;
    equal(
      add.amountMsat,
      blindedRelay({ payment_relay: relay, short_channel_id: { short_channel_id: 1n } }, { amount_msat: at.inAmt, cltv_expiry: at.inCltv })
        .amt_to_forward,
    );
    ok(add.amountMsat >= out && at.inAmt - add.amountMsat >= fee(add.amountMsat) - 1n, 'B keeps its fee');
    equal(add.cltvExpiry, at.inCltv - relay.cltv_expiry_delta);
    ok(add.pathKey, 'the outgoing update_add_htlc carries path_key');
    // the path_key B sends on is the one C's onion layer needs: C peels it with its blinded key
    const atC = peelOnion(blindedNodeSecret(C_SECRET, add.pathKey), add.onion, HASH);
    ok(!atC.next, 'C is final');
    equal(decodeHopPayload(atC.payload).amt_to_forward!.amt_to_forward, out);
  });

  it('inside the path: a relay under our fee fails update_fail_malformed_htlc invalid_onion_blinding, recorded local_failed', async () => {
    const n = await node();
    const at = await blindedAtB(n, { ...relay, fee_base_msat: 999 });
    n.arriveOnion({ id: 1n, hash: HASH, ...at });
    await until(() => n.upstream.length > 0);
    deepEqual(n.upstream[0], { kind: 'malformed', id: 1n, code: failureCode('invalid_onion_blinding') });
    equal(n.adds.length, 0);
    const f = (await n.rpc.call('listforwards', {})) as { forwards: { status: string; failreason: string }[] };
    deepEqual(
      f.forwards.map(x => [x.status, x.failreason]),
      [['local_failed', 'WIRE_FEE_INSUFFICIENT']],
    );
  });

  it('inside the path: the downstream failure goes back malformed, its reason dropped', async () => {
    const n = await node();
    const at = await blindedAtB(n);
    n.arriveOnion({ id: 2n, hash: HASH, ...at });
    await until(() => n.adds.length === 1);
    const add = n.adds[0]!;
    await n.outPersist([{ kind: 'offered', id: 7n, amountMsat: add.amountMsat, paymentHash: HASH, cltvExpiry: add.cltvExpiry }]);
    await n.outPersist([{ kind: 'failed', id: 7n, sha256OfOnion: new Uint8Array(32), failureCode: failureCode('invalid_onion_blinding') }]);
    await until(() => n.upstream.length > 0);
    deepEqual(n.upstream[0], { kind: 'malformed', id: 2n, code: failureCode('invalid_onion_blinding') });
  });

  it('a path_key that does not peel the onion fails malformed invalid_onion_blinding', async () => {
    const n = await node();
    const at = await blindedAtB(n);
    n.arriveOnion({ id: 3n, hash: HASH, ...at, pathKey: getPublicKey(new Uint8Array(32).fill(8)) });
    await until(() => n.upstream.length > 0);
    deepEqual(n.upstream[0], { kind: 'malformed', id: 3n, code: failureCode('invalid_onion_blinding') });
  });
});

describe('lightningd forwards by our channel alias (BOLT 2 channel_ready `alias`)', () => {
  const ALIAS = '13000000x7x3';
  const out = 100_000n;

  it('an onion naming our alias is forwarded on that channel; a failure’s channel_update names the alias', async () => {
    const n = await node(undefined, { alias: { local: ALIAS, remote: '12600000x1x1' } });
    n.arrive({ id: 0n, inAmt: out + fee(out), inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: HASH, scid: ALIAS });
    await until(() => n.adds.length === 1);
    equal(n.adds[0]!.amountMsat, out);
    const f = (await n.rpc.call('listforwards', {})) as { forwards: { out_channel: string }[] };
    equal(f.forwards[0]!.out_channel, OUT_SCID, 'listforwards names the real short_channel_id');
    const secrets = n.arrive({
      id: 1n,
      inAmt: out + fee(out) - 1n,
      inCltv: HEIGHT + 100,
      out,
      outCltv: HEIGHT + 60,
      hash: HASH,
      scid: ALIAS,
    });
    await until(() => n.upstream.length > 0);
    const r = payerReads(n.upstream, 1n, secrets);
    equal(r.failure.name, 'fee_insufficient');
    const u = decodeMessage(r.failure.channel_update as Uint8Array) as unknown as { short_channel_id: bigint };
    equal(u.short_channel_id, parseScid(ALIAS));
  });

  it('a channel of type option_scid_alias refuses its real short_channel_id (unknown_next_peer), takes its alias', async () => {
    const n = await node(undefined, { alias: { local: ALIAS }, channel_type: FeatureVector.fromBits([12, 46]).toHex() });
    const secrets = n.arrive({ id: 0n, inAmt: out + fee(out), inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: HASH });
    await until(() => n.upstream.length > 0);
    deepEqual(payerReads(n.upstream, 0n, secrets), { hop: 0, failure: { name: 'unknown_next_peer' } });
    equal(n.adds.length, 0);
    n.arrive({ id: 1n, inAmt: out + fee(out), inCltv: HEIGHT + 100, out, outCltv: HEIGHT + 60, hash: HASH, scid: ALIAS });
    await until(() => n.adds.length === 1);
  });
});
