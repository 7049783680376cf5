// lightningd pays (pay-control.ts, pay-rpc.ts) over a fake ChannelControl whose channels persist
// as ChannelControl does (staging, one write of the channel with the HTLC changes, persisted): the
// part is durable before addHtlc, the preimage is in the same write as the `fulfilled` change, a
// failure's error onion is decoded and the payment retried on another route, a part in flight at a
// restart is resolved from its channel, and a hash paid once is never paid again.
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { buildInvoiceFields } from '../../src/core/bolt11/build.ts';
import { decodeInvoice, invoiceToSign, signedInvoice } from '../../src/core/bolt11/invoice.ts';
import { FeatureVector } from '../../src/core/features/index.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import type { HtlcChange, OfferHtlc } from '../../src/core/daemons/channeld/interface.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { applyHtlcChanges } from '../../src/core/daemons/lightningd/channel-htlcs.ts';
import type { HtlcListener } from '../../src/core/daemons/lightningd/channels.ts';
import { LightningdDb, MemoryLightningdStorage, type ChannelRecord, type LightningdState } from '../../src/core/daemons/lightningd/db.ts';
import { registerInvoiceCommands } from '../../src/core/daemons/lightningd/invoice-rpc.ts';
import { RpcDispatcher, RpcError } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { PayControl, type PayChannels } from '../../src/core/daemons/lightningd/pay-control.ts';
import { registerPayCommands } from '../../src/core/daemons/lightningd/pay-rpc.ts';
import type { SendpayRecord } from '../../src/core/daemons/lightningd/pay-store.ts';
import type { ListChannelsEntry } from '../../src/core/gossip/list.ts';
import { gossipRpc, type GossipRpcMethod } from '../../src/core/daemons/gossipd/rpc.ts';
import { candidateRoutes } from '../../src/core/daemons/gossipd/routes.ts';
import type { GossipdDaemonApi, RoutesQuery } from '../../src/core/daemons/gossipd/interface.ts';
import { paymentGraph } from '../../src/core/daemons/lightningd/pay-graph.ts';
import { createErrorPacket, obfuscateError } from '../../src/core/onion/error-onion.ts';
import { encodeFailure } from '../../src/core/onion/failures.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { channelRecord } from './channel-record-fixture.ts';

const T0 = 1_800_000_000;
const HEIGHT = 500;
const key = (s: string) => sha256(new TextEncoder().encode(s));
const US = toHex(getPublicKey(key('us')));
const M = toHex(getPublicKey(key('m')));
const M2 = toHex(getPublicKey(key('m2')));
const payee = new Hsmd(new Uint8Array(32).fill(7));
const D = toHex(payee.nodeId());

/** Every write of the database, as it was written. */
class RecordingStorage extends MemoryLightningdStorage {
  states: LightningdState[] = [];
  override async write(puts: [string, string][], deletes: string[]) {
    await super.write(puts, deletes);
    this.states.push(JSON.parse(JSON.stringify(this.state)) as LightningdState);
  }
}

/** ChannelControl's part: channeld instances that add and settle HTLCs, persisting as ChannelControl.persist does. */
class FakeChannels implements PayChannels {
  readonly listeners = new Set<HtlcListener>();
  readonly calls: { dbid: string; h: OfferHtlc; durable: LightningdState | undefined }[] = [];
  readonly running = new Set<string>();
  private ids = 0n;
  /** HTLCs added and committed (addHtlc answered). */
  committed = 0;
  /** What addHtlc does: offer and commit (default), or refuse at once with this error. */
  refuse?: (dbid: string) => Error | undefined;

  constructor(
    private readonly db: LightningdDb,
    private readonly storage: RecordingStorage,
  ) {
    // BOLT 2: a channel never reuses an HTLC id; channeld after a restart goes on from the last.
    for (const p of parts(db)) if (p.htlc_id !== undefined && BigInt(p.htlc_id) >= this.ids) this.ids = BigInt(p.htlc_id) + 1n;
  }

  onHtlcs(l: HtlcListener) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  channeldOf(dbid: string) {
    if (!this.running.has(dbid)) return undefined;
    return { api: { addHtlc: (h: OfferHtlc) => this.add(dbid, h) }, guard: <R>(p: Promise<R>) => p };
  }

  private async add(dbid: string, h: OfferHtlc): Promise<{ id: bigint }> {
    this.calls.push({ dbid, h, durable: this.storage.state && (JSON.parse(JSON.stringify(this.storage.state)) as LightningdState) });
    const refusal = this.refuse?.(dbid);
    if (refusal) throw refusal;
    const id = this.ids++;
    await this.persist(dbid, [{ kind: 'offered', id, amountMsat: h.amountMsat, paymentHash: h.paymentHash, cltvExpiry: h.cltvExpiry }]);
    await this.persist(dbid, [{ kind: 'committed', id }]);
    this.committed++;
    return { id };
  }

  async persist(dbid: string, changes: HtlcChange[]): Promise<void> {
    const c = this.db.channels().find(x => x.dbid === dbid)!;
    for (const l of this.listeners) l.staging?.(c, changes);
    const next = { ...c, htlcs: applyHtlcChanges(c.htlcs, changes) };
    await this.db.saveChannel(next);
    for (const l of this.listeners) l.persisted?.(next, changes);
  }

  start(dbid: string): void {
    this.running.add(dbid);
    const c = this.db.channels().find(x => x.dbid === dbid)!;
    for (const l of this.listeners) l.started?.(c);
  }
}

const channel = (dbid: string, peer: string, scid: string) => channelRecord(dbid, peer, { channel: '', short_channel_id: scid });

/** A gossip row for `source` → `destination`. */
function row(scid: string, source: string, destination: string, fee: number): ListChannelsEntry {
  return {
    source,
    destination,
    short_channel_id: scid,
    direction: source < destination ? 0 : 1,
    public: true,
    amount_msat: 1e9,
    message_flags: 1,
    channel_flags: source < destination ? 0 : 1,
    active: true,
    last_update: T0,
    base_fee_millisatoshi: fee,
    fee_per_millionth: 0,
    delay: 6,
    htlc_minimum_msat: 0,
    htlc_maximum_msat: 1e9,
    features: '',
  };
}

/**
 * gossipd's side of lightningd's link, over a graph of `rows` (the network as gossip tells it; our
 * private channels are not in it): gossipd's own route answer (routes.ts) and RPC, each call recorded.
 */
function fakeGossipd(rows: ListChannelsEntry[]) {
  const graph = paymentGraph(US, rows, []);
  const asked: RoutesQuery[] = [];
  const rpcCalls: string[] = [];
  const api: Pick<GossipdDaemonApi, 'rpc' | 'routes' | 'nodeAddresses'> = {
    nodeAddresses: () => [],
    async rpc(method: GossipRpcMethod, params: Record<string, unknown>) {
      rpcCalls.push(method);
      return gossipRpc(graph, US, method, params);
    },
    routes(q) {
      asked.push({ ...q, exclude: [...q.exclude] });
      return candidateRoutes(graph, q);
    },
  };
  return { api, asked, rpcCalls };
}

async function setup(
  o: {
    storage?: RecordingStorage;
    channels?: ChannelRecord[];
    rows?: ListChannelsEntry[];
    gossipd?: ReturnType<typeof fakeGossipd>;
    spendable?: bigint;
    /** Each channel's spendable, asked at each look (instead of `spendable`). */
    spendableOf?: (c: ChannelRecord) => bigint;
    nowMs?: () => number;
    clock?: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(t: unknown): void };
    /** Channels whose channeld is not running yet at the start. */
    stopped?: string[];
  } = {},
) {
  const storage = o.storage ?? new RecordingStorage();
  const db = new LightningdDb(storage);
  await db.load();
  for (const c of o.channels ?? []) await db.saveChannel(c);
  const fake = new FakeChannels(db, storage);
  for (const c of db.channels()) if (!o.stopped?.includes(c.dbid)) fake.running.add(c.dbid);
  let n = 0;
  const control = new PayControl({
    nodeId: US,
    network: 'regtest',
    db,
    channels: fake,
    ...(o.gossipd || o.rows ? { gossipd: (o.gossipd ?? fakeGossipd(o.rows!)).api } : {}),
    blockheight: () => HEIGHT,
    randomBytes: k => sha256(new TextEncoder().encode(`random ${++n}`)).subarray(0, k),
    nowMs: o.nowMs ?? (() => T0 * 1000),
    ...(o.clock ? { clock: o.clock } : {}),
    spendable: c => o.spendableOf?.(c) ?? o.spendable ?? 500_000_000n,
    log: { debug() {}, info() {}, warn() {} },
  });
  await control.load();
  const rpc = new RpcDispatcher();
  registerPayCommands(rpc, { pay: control, network: 'regtest', randomBytes: k => new Uint8Array(k).fill(++n), now: () => T0 });
  return { storage, db, fake, control, rpc };
}

/** An invoice of D's for `amount_msat` (signed by D's hsmd), and its preimage. */
async function invoiceOfD(amount_msat: number, preimage = '42'.repeat(32)) {
  const rpc = new RpcDispatcher();
  registerInvoiceCommands(rpc, {
    db: new LightningdDb(new MemoryLightningdStorage()),
    network: 'regtest',
    signInvoice: (hrp, data) => payee.signInvoice(hrp, data),
    randomBytes: k => new Uint8Array(k).fill(3),
    now: () => T0,
  });
  const r = (await rpc.call('invoice', { amount_msat, label: 'x', description: 'd', preimage })) as { bolt11: string };
  return { bolt11: r.bolt11, preimage: fromHex(preimage), hash: toHex(sha256(fromHex(preimage))) };
}

/** An invoice of D that does not offer basic_mpp (as some wallets make): one part only. */
async function singlePartInvoiceOfD(amountMsat: bigint) {
  const preimage = new Uint8Array(32).fill(0x43);
  const fields = buildInvoiceFields({
    paymentHash: sha256(preimage),
    paymentSecret: new Uint8Array(32).fill(3),
    description: 'd',
    minFinalCltvExpiry: 18,
    features: FeatureVector.fromFeatures({ var_onion_optin: 'required', payment_secret: 'required' }),
  });
  const { hrp, data } = invoiceToSign({ currency: 'bcrt', amountMsat, timestamp: T0, fields });
  return signedInvoice(hrp, data, payee.signInvoice(hrp, data));
}

/** Lets the payment run until `cond` (bounded: it must get there by itself). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100_000 && !cond(); i++) await Promise.resolve();
  ok(cond(), what);
}

const parts = (db: LightningdDb) => Object.values(db.table<SendpayRecord>('sendpays')).sort((a, b) => a.created_index - b.created_index);

async function rpcCode(p: Promise<unknown>, code: number): Promise<RpcError> {
  const e = await rejects<RpcError>(p, RpcError);
  equal(e.code, code, e.message);
  return e;
}

describe('lightningd: xpay over the channels', () => {
  it('records the part durably before addHtlc, and writes the preimage in the same write as the fulfilled HTLC', async () => {
    const { storage, db, fake, rpc } = await setup({ channels: [channel('1', D, '100x1x0')] });
    const inv = await invoiceOfD(50_000);
    const paying = rpc.call('xpay', { invstring: inv.bolt11 });
    await until(() => fake.committed === 1, 'the part offered');
    const call = fake.calls[0]!;
    equal(call.h.amountMsat, 50_000n);
    equal(toHex(call.h.paymentHash), inv.hash);
    // Durable before addHtlc: the write before the call holds the part, pending, with its secrets.
    const before = Object.values(call.durable?.tables?.sendpays ?? {}) as SendpayRecord[];
    equal(before.length, 1);
    equal(before[0]!.status, 'pending');
    equal(before[0]!.shared_secrets.length, 1);
    equal(before[0]!.htlc_id, undefined);

    const writes = storage.states.length;
    await fake.persist('1', [{ kind: 'fulfilled', id: BigInt(parts(db)[0]!.htlc_id!), preimage: inv.preimage }]);
    // The write that removed the HTLC from the channel also completed the part and the payment.
    const w = storage.states[writes]!;
    deepEqual(w.channels!['1']!.htlcs, {});
    const part = Object.values(w.tables!.sendpays!)[0] as SendpayRecord;
    equal(part.status, 'complete');
    equal(part.payment_preimage, toHex(inv.preimage));
    equal((Object.values(w.tables!.payments!)[0] as { status: string }).status, 'complete');

    const r = (await paying) as Record<string, unknown>;
    deepEqual(r, {
      payment_preimage: toHex(inv.preimage),
      failed_parts: 0,
      successful_parts: 1,
      amount_msat: 50_000n,
      amount_sent_msat: 50_000n,
    });
    const pays = (await rpc.call('listpays', {})) as { pays: Record<string, unknown>[] };
    equal(pays.pays.length, 1);
    equal(pays.pays[0]!.status, 'complete');
    equal(pays.pays[0]!.preimage, toHex(inv.preimage));
    equal(pays.pays[0]!.bolt11, inv.bolt11);
    const sp = (await rpc.call('listsendpays', { payment_hash: inv.hash })) as { payments: Record<string, unknown>[] };
    equal(sp.payments.length, 1);
    equal(sp.payments[0]!.status, 'complete');
    equal(sp.payments[0]!.destination, D);
  });

  it('decodes a failure from the route, avoids that channel and pays along another route', async () => {
    const { db, fake, rpc } = await setup({
      channels: [channel('1', M, '100x1x0'), channel('2', M2, '100x2x0')],
      rows: [row('200x1x0', M, D, 10), row('200x1x0', D, M, 10), row('200x2x0', M2, D, 500), row('200x2x0', D, M2, 500)],
    });
    const inv = await invoiceOfD(50_000);
    const paying = rpc.call('xpay', { invstring: inv.bolt11 });
    await until(() => fake.committed === 1, 'the first part offered');
    const first = parts(db)[0]!;
    equal(first.route.map(h => h.id).join(','), `${M},${D}`, 'the cheaper route first');
    equal(first.amount_sent_msat, '50010');
    // M cannot reach the next channel: unknown_next_peer, in an error onion only our shared secret with M opens.
    const reason = createErrorPacket(fromHex(first.shared_secrets[0]!), encodeFailure({ name: 'unknown_next_peer' }));
    await fake.persist('1', [{ kind: 'failed', id: BigInt(first.htlc_id!), reason }]);
    await until(() => fake.committed === 2, 'a second part offered');
    const second = parts(db)[1]!;
    equal(second.route.map(h => h.id).join(','), `${M2},${D}`);
    equal(parts(db)[0]!.status, 'failed');
    equal(parts(db)[0]!.failure, `unknown_next_peer from ${M}`);
    await fake.persist('2', [{ kind: 'fulfilled', id: BigInt(second.htlc_id!), preimage: inv.preimage }]);
    const r = (await paying) as Record<string, unknown>;
    equal(r.payment_preimage, toHex(inv.preimage));
    equal(r.failed_parts, 1);
    equal(r.successful_parts, 1);
    equal(r.amount_sent_msat, 50_500n);
    const sp = (await rpc.call('listsendpays', {})) as { payments: Record<string, unknown>[] };
    deepEqual(
      sp.payments.map(p => [p.partid, p.status, typeof p.erroronion]),
      [
        [1, 'failed', 'string'],
        [2, 'complete', 'undefined'],
      ],
    );
  });

  it("answers the destination's refusal with 203 and its decoded BOLT 4 reason; listpays shows it failed", async () => {
    const { db, fake, rpc } = await setup({ channels: [channel('1', D, '100x1x0')] });
    const inv = await invoiceOfD(50_000);
    const paying = rpc.call('xpay', { invstring: inv.bolt11 });
    await until(() => fake.committed === 1, 'the part offered');
    const p = parts(db)[0]!;
    const reason = createErrorPacket(
      fromHex(p.shared_secrets[0]!),
      encodeFailure({ name: 'incorrect_or_unknown_payment_details', htlc_msat: 50_000n, height: HEIGHT }),
    );
    await fake.persist('1', [{ kind: 'failed', id: BigInt(p.htlc_id!), reason }]);
    const e = await rpcCode(paying, 203);
    ok(e.message.includes(`incorrect_or_unknown_payment_details (0x400f) from ${D}`), e.message);
    const pays = (await rpc.call('listpays', {})) as { pays: Record<string, unknown>[] };
    equal(pays.pays[0]!.status, 'failed');
    equal(pays.pays[0]!.erroronion, toHex(reason));
    equal(fake.calls.length, 1, 'the destination said no: nothing retried');
  });

  it('retries on another channel when channeld refuses the add at once (a BOLT 2 limit)', async () => {
    const { db, fake, rpc } = await setup({ channels: [channel('1', D, '100x1x0'), channel('2', D, '100x2x0')] });
    fake.refuse = dbid =>
      dbid === fake.calls[0]?.dbid && fake.calls.length === 1
        ? Object.assign(new Error('cannot afford'), { code: 'cannot_afford' })
        : undefined;
    const inv = await invoiceOfD(50_000);
    const paying = rpc.call('xpay', { invstring: inv.bolt11 });
    await until(() => fake.committed === 1, 'the second part offered');
    equal(parts(db)[0]!.status, 'failed');
    equal(parts(db)[0]!.failure, 'cannot afford');
    ok(fake.calls[1]!.dbid !== fake.calls[0]!.dbid, 'the other channel');
    await fake.persist(fake.calls[1]!.dbid, [{ kind: 'fulfilled', id: BigInt(parts(db)[1]!.htlc_id!), preimage: inv.preimage }]);
    equal(((await paying) as Record<string, unknown>).failed_parts, 1);
  });

  it('fails a part whose channeld ended before recording its add once the next channeld runs, and sends the amount again', async () => {
    const { db, fake, rpc } = await setup({ channels: [channel('1', D, '100x1x0')] });
    fake.refuse = () => {
      if (fake.calls.length !== 1) return undefined;
      fake.running.delete('1');
      return Object.assign(new Error('channeld ended'), { code: 'disconnected' });
    };
    const inv = await invoiceOfD(50_000);
    const paying = rpc.call('xpay', { invstring: inv.bolt11 });
    await until(() => fake.calls.length === 1, 'the add asked');
    for (let i = 0; i < 1000; i++) await Promise.resolve();
    equal(parts(db)[0]!.status, 'pending', 'whether it was recorded is the channel’s to say');
    fake.start('1');
    await until(() => fake.committed === 1, 'the amount offered again on the new channeld');
    equal(parts(db)[0]!.status, 'failed');
    equal(parts(db)[1]!.amount_msat, '50000', 'nothing learnt about the channel: the whole amount again');
    await fake.persist('1', [{ kind: 'fulfilled', id: BigInt(parts(db)[1]!.htlc_id!), preimage: inv.preimage }]);
    equal(((await paying) as Record<string, unknown>).payment_preimage, toHex(inv.preimage));
  });

  it('a hash paid or being paid, as Core Lightning: xpay refuses (219, 200), pay answers the first result or waits for it; never paid twice', async () => {
    const { db, fake, rpc } = await setup({ channels: [channel('1', D, '100x1x0')] });
    const inv = await invoiceOfD(50_000);
    const paying = rpc.call('xpay', { invstring: inv.bolt11 });
    await until(() => fake.committed === 1, 'the part offered');
    await rpcCode(rpc.call('xpay', { invstring: inv.bolt11 }), 200);
    // pay waits for the attempt in flight (Core Lightning's pay plugin), and answers its result.
    const waiting = rpc.call('pay', { bolt11: inv.bolt11 }) as Promise<Record<string, unknown>>;
    await fake.persist('1', [{ kind: 'fulfilled', id: BigInt(parts(db)[0]!.htlc_id!), preimage: inv.preimage }]);
    const first = (await paying) as Record<string, unknown>;
    const waited = await waiting;
    deepEqual([waited.payment_preimage, waited.status, waited.parts], [first.payment_preimage, 'complete', 1]);
    const e = await rpcCode(rpc.call('xpay', { invstring: inv.bolt11 }), 219);
    equal(e.message, 'Already paid this invoice successfully');
    const again = (await rpc.call('pay', { bolt11: inv.bolt11 })) as Record<string, unknown>;
    equal(again.payment_preimage, toHex(inv.preimage));
    equal(again.status, 'complete');
    equal(again.payment_hash, inv.hash);
    equal(fake.calls.length, 1, 'one HTLC ever offered');
  });
});

describe('lightningd: payments across a restart', () => {
  it('resolves a part in flight from its channel after a restart, and never sends it again', async () => {
    const storage = new RecordingStorage();
    const a = await setup({ storage, channels: [channel('1', D, '100x1x0')] });
    const inv = await invoiceOfD(50_000);
    void a.rpc.call('xpay', { invstring: inv.bolt11 }).catch(() => undefined);
    await until(() => a.fake.committed === 1, 'the part offered');
    const id = BigInt(parts(a.db)[0]!.htlc_id!);
    a.control.stop();

    // The node comes back: the database as it was written, the HTLC in the channel's state.
    const b = await setup({ storage });
    equal(parts(b.db)[0]!.status, 'pending');
    const pays = (await b.rpc.call('listpays', {})) as { pays: Record<string, unknown>[] };
    equal(pays.pays[0]!.status, 'pending');
    await rpcCode(b.rpc.call('xpay', { invstring: inv.bolt11 }), 200);
    // The new channeld learns the peer's fulfill.
    b.fake.start('1');
    await b.fake.persist('1', [{ kind: 'fulfilled', id, preimage: inv.preimage }]);
    const after = (await b.rpc.call('listpays', {})) as { pays: Record<string, unknown>[] };
    equal(after.pays[0]!.status, 'complete');
    equal(after.pays[0]!.preimage, toHex(inv.preimage));
    await rpcCode(b.rpc.call('xpay', { invstring: inv.bolt11 }), 219);
    const r = (await b.rpc.call('pay', { bolt11: inv.bolt11 })) as Record<string, unknown>;
    equal(r.payment_preimage, toHex(inv.preimage));
    equal(b.fake.calls.length, 0, 'nothing offered again');
  });

  it('fails a part recorded but never offered before the stop; the resumed payment sends its amount again, in the same attempt', async () => {
    const storage = new RecordingStorage();
    // Channel 2 (to M, whom no route leads from to D) runs at once after the restart; channel 1 later.
    const a = await setup({ storage, channels: [channel('1', D, '100x1x0'), channel('2', M, '100x2x0')] });
    // channeld ends before it records the add (the node stops): addHtlc never answers.
    const hang = new Promise<never>(() => undefined);
    a.fake.channeldOf = () => ({ api: { addHtlc: () => hang }, guard: <R>(p: Promise<R>) => p });
    const inv = await invoiceOfD(50_000);
    void a.rpc.call('xpay', { invstring: inv.bolt11 }).catch(() => undefined);
    await until(() => parts(a.db).length === 1 && storage.state?.tables?.sendpays !== undefined, 'the part recorded');
    a.control.stop();

    // Back before channel 1 runs: the part failed (never sent), the payment pending (no route yet), waiting for it.
    const b = await setup({ storage, stopped: ['1'] });
    equal(parts(b.db)[0]!.status, 'failed');
    for (let i = 0; i < 1000; i++) await Promise.resolve();
    const pays = (await b.rpc.call('listpays', {})) as { pays: Record<string, unknown>[] };
    equal(pays.pays[0]!.status, 'pending', 'resumed: it waits for its channel rather than failing for want of a route');
    equal(b.fake.calls.length, 0);
    const waiting = b.rpc.call('pay', { bolt11: inv.bolt11 }) as Promise<Record<string, unknown>>;
    b.fake.start('1');
    await until(() => b.fake.committed === 1, 'the amount offered again');
    const second = parts(b.db)[1]!;
    deepEqual([second.groupid, second.partid, second.amount_msat], [1, 2, '50000']);
    await b.fake.persist('1', [{ kind: 'fulfilled', id: BigInt(second.htlc_id!), preimage: inv.preimage }]);
    equal((await waiting).payment_preimage, toHex(inv.preimage));
    const after = (await b.rpc.call('listpays', {})) as { pays: Record<string, unknown>[] };
    deepEqual(
      after.pays.map(p => [p.status, p.preimage, p.amount_sent_msat]),
      [['complete', toHex(inv.preimage), 50_000n]],
    );
  });

  it('a part in flight at the restart that fails is acted on and routed again while retry_for lasts; after it, the payment fails (210)', async () => {
    const rows = [row('200x1x0', M, D, 10), row('200x1x0', D, M, 10), row('200x2x0', M2, D, 500), row('200x2x0', D, M2, 500)];
    for (const late of [false, true]) {
      const storage = new RecordingStorage();
      const chans = [channel('1', M, '100x1x0'), channel('2', M2, '100x2x0')];
      const a = await setup({ storage, channels: chans, rows });
      const inv = await invoiceOfD(50_000);
      void a.rpc.call('xpay', { invstring: inv.bolt11, retry_for: 30 }).catch(() => undefined);
      await until(() => a.fake.committed === 1, 'the first part offered');
      a.control.stop();

      let now = T0 * 1000 + (late ? 31_000 : 5_000);
      const b = await setup({ storage, rows, nowMs: () => now });
      const first = parts(b.db)[0]!;
      equal(first.route[0]!.id, M, 'the cheaper route first');
      // M cannot reach the next channel: the error onion comes back on the new channeld.
      const reason = createErrorPacket(fromHex(first.shared_secrets[0]!), encodeFailure({ name: 'unknown_next_peer' }));
      await b.fake.persist('1', [{ kind: 'failed', id: BigInt(first.htlc_id!), reason }]);
      if (!late) {
        await until(() => b.fake.committed === 1, 'routed again after the restart');
        const second = parts(b.db)[1]!;
        equal(second.route.map(h => h.id).join(','), `${M2},${D}`, "M's failure acted on: the other route");
        equal(parts(b.db)[0]!.failure, `unknown_next_peer from ${M}`);
        now += 1000;
        await b.fake.persist('2', [{ kind: 'fulfilled', id: BigInt(second.htlc_id!), preimage: inv.preimage }]);
        await until(() => b.db.record<{ status: string }>('payments', `${inv.hash}:1`)?.status === 'complete', 'complete');
      } else {
        await until(() => b.db.record<{ status: string }>('payments', `${inv.hash}:1`)?.status === 'failed', 'failed');
        equal(b.fake.calls.length, 0, 'retry_for passed: nothing sent again');
        const p = b.db.record<{ error: { code: number; message: string } }>('payments', `${inv.hash}:1`)!;
        equal(p.error.code, 210, p.error.message);
      }
    }
  });

  it('our HTLC claimed on chain with the preimage completes the part; one that timed out on chain fails it and the amount goes again', async () => {
    const { db, fake, rpc, storage } = await setup({ channels: [channel('1', D, '100x1x0'), channel('2', D, '100x2x0')] });
    const inv = await invoiceOfD(50_000);
    const paying = rpc.call('xpay', { invstring: inv.bolt11 });
    await until(() => fake.committed === 1, 'the part offered');
    const first = parts(db)[0]!;
    // Its channel goes on chain (channeld ends), and the HTLC times out there.
    fake.running.delete(first.channel);
    const tell = (preimage?: Uint8Array, htlc?: { id?: bigint; cltvExpiry: number }) => {
      for (const l of fake.listeners) l.onchain?.(first.channel, inv.hash, preimage, htlc);
    };
    tell(undefined, { cltvExpiry: first.cltv_expiry + 1 });
    for (let i = 0; i < 1000; i++) await Promise.resolve();
    equal(parts(db)[0]!.status, 'pending', 'another HTLC of the hash (another expiry) timed out: not this part');
    tell(undefined, { cltvExpiry: first.cltv_expiry, id: BigInt(first.htlc_id!) });
    await until(() => fake.committed === 2, 'the amount sent again, on the other channel');
    equal(parts(db)[0]!.status, 'failed');
    const second = parts(db)[1]!;
    ok(second.channel !== first.channel, 'not over the channel on chain');
    // That one's channel goes on chain too, and the peer claims it with the preimage.
    fake.running.delete(second.channel);
    const writes = storage.states.length;
    for (const l of fake.listeners) l.onchain?.(second.channel, inv.hash, inv.preimage);
    // Staged at once: the next write (onchain-control's, taking the HTLC off the channel) carries it.
    await db.saveChannel(db.channels().find(c => c.dbid === second.channel)!);
    const w = storage.states[writes]!;
    equal((w.tables!.sendpays![`${inv.hash}:1:2`] as SendpayRecord).status, 'complete');
    const r = (await paying) as Record<string, unknown>;
    deepEqual([r.payment_preimage, r.successful_parts, r.failed_parts], [toHex(inv.preimage), 1, 1]);
    const pays = (await rpc.call('listpays', {})) as { pays: Record<string, unknown>[] };
    deepEqual([pays.pays[0]!.status, pays.pays[0]!.preimage], ['complete', toHex(inv.preimage)]);
  });

  it('a keysend in flight at the restart is resumed with its preimage, and retried with it', async () => {
    const storage = new RecordingStorage();
    const a = await setup({ storage, channels: [channel('1', D, '100x1x0')] });
    void a.rpc.call('keysend', { destination: D, amount_msat: 1234 }).catch(() => undefined);
    await until(() => a.fake.committed === 1, 'the part offered');
    const firstOnion = a.fake.calls[0]!.h.onion;
    a.control.stop();
    const b = await setup({ storage });
    const p = parts(b.db)[0]!;
    // D answers mpp_timeout (its only destination failure that is not final): the keysend goes again, same preimage.
    const reason = createErrorPacket(fromHex(p.shared_secrets[0]!), encodeFailure({ name: 'mpp_timeout' }));
    await b.fake.persist('1', [{ kind: 'failed', id: BigInt(p.htlc_id!), reason }]);
    await until(() => b.fake.committed === 1, 'sent again');
    equal(toHex(b.fake.calls[0]!.h.paymentHash), p.payment_hash);
    ok(toHex(b.fake.calls[0]!.h.onion) !== toHex(firstOnion), 'a new onion');
    const pre = new Uint8Array(32).fill(1); // the rpc's first random bytes, as in the keysend test
    equal(toHex(sha256(pre)), p.payment_hash);
    await b.fake.persist('1', [{ kind: 'fulfilled', id: BigInt(parts(b.db)[1]!.htlc_id!), preimage: pre }]);
    await until(() => b.db.record<{ status: string }>('payments', `${p.payment_hash}:1`)?.status === 'complete', 'complete');
  });
});

describe('lightningd: keysend and the pay commands’ parameters', () => {
  it('keysend sends our preimage in the final payload and answers pay’s fields', async () => {
    const { db, fake, rpc } = await setup({ channels: [channel('1', D, '100x1x0')] });
    const paying = rpc.call('keysend', { destination: D, amount_msat: 1234, extratlvs: { '133773310': 'cafe' } });
    await until(() => fake.committed === 1, 'the part offered');
    equal(fake.calls[0]!.h.cltvExpiry, HEIGHT + 22 + 1);
    const pre = new Uint8Array(32).fill(1); // the rpc's first random bytes
    equal(toHex(fake.calls[0]!.h.paymentHash), toHex(sha256(pre)), 'the hash of the preimage we chose');
    await fake.persist('1', [{ kind: 'fulfilled', id: 0n, preimage: pre }]);
    const r = (await paying) as Record<string, unknown>;
    equal(r.status, 'complete');
    equal(r.destination, D);
    equal(r.payment_preimage, toHex(pre));
    equal(r.amount_msat, 1234n);
  });

  it('checks the invoice: network, amount, expiry', async () => {
    const { rpc } = await setup({ channels: [channel('1', D, '100x1x0')] });
    const inv = await invoiceOfD(50_000);
    await rpcCode(rpc.call('xpay', { invstring: inv.bolt11, amount_msat: 10 }), -32602);
    await rpcCode(rpc.call('xpay', { invstring: 'lnbc1nope' }), -32602);
    const expired = new RpcDispatcher();
    const { control } = await setup();
    registerPayCommands(expired, {
      pay: control,
      network: 'regtest',
      randomBytes: k => new Uint8Array(k),
      now: () => T0 + 7 * 24 * 3600 + 1,
    });
    await rpcCode(expired.call('xpay', { invstring: inv.bolt11 }), 207);
    equal(decodeInvoice(inv.bolt11).amountMsat, 50_000n);
  });

  it('splits only when the invoice offers basic_mpp; a keysend is one part', async () => {
    const { db, fake, rpc } = await setup({ channels: [channel('1', D, '100x1x0'), channel('2', D, '100x2x0')], spendable: 30_000n });
    // Neither channel carries 50,000 alone, and this invoice does not offer basic_mpp.
    const single = await singlePartInvoiceOfD(50_000n);
    for (const [method, params] of [
      ['xpay', { invstring: single }],
      ['keysend', { destination: D, amount_msat: 50_000 }],
    ] as const) {
      let answer: unknown;
      const call = rpc.call(method, params).then(
        () => (answer = 'paid'),
        (e: RpcError) => (answer = e.code),
      );
      await until(() => answer !== undefined || fake.calls.length > 0, `${method} answered or split`);
      equal(fake.calls.length, 0, `${method}: no part offered`);
      await call;
      equal(answer, 205);
    }
    equal(parts(db).length, 0);
  });

  it('answers 205 when no route reaches the destination', async () => {
    const { rpc } = await setup({ channels: [channel('1', M, '100x1x0')] });
    const inv = await invoiceOfD(50_000);
    await rpcCode(rpc.call('xpay', { invstring: inv.bolt11 }), 205);
  });
});

describe('lightningd: paying while an incoming payment settles', () => {
  /** The peer's HTLC of `amountMsat`, committed: ours once our fulfill's removal is committed in both commitments. */
  const incoming = (id: bigint, amountMsat: bigint): HtlcChange => ({
    kind: 'incoming',
    id,
    amountMsat,
    paymentHash: new Uint8Array(32).fill(9),
    cltvExpiry: HEIGHT + 40,
    onion: new Uint8Array(1366),
  });
  /** Lets everything queued run (the payment steps, and waits or ends). */
  const settle = async () => {
    for (let i = 0; i < 100_000; i++) await Promise.resolve();
  };

  it('waits for an incoming HTLC being settled (spendable 0 until then) and pays once its settlement lands', async () => {
    let balance = 0n;
    const { db, fake, rpc } = await setup({ channels: [channel('1', D, '100x1x0')], spendableOf: () => balance });
    await fake.persist('1', [incoming(0n, 80_000n)]);
    const inv = await invoiceOfD(50_000);
    let ended: unknown;
    const paying = rpc.call('xpay', { invstring: inv.bolt11 });
    paying.then(
      () => (ended = 'paid'),
      e => (ended = e),
    );
    await settle();
    equal(ended, undefined, 'no 205 while the incoming HTLC settles');
    equal(fake.calls.length, 0);
    // The fulfill's removal committed in both commitments: the amount is ours.
    balance = 80_000n;
    await fake.persist('1', [{ kind: 'resolved', id: 0n }]);
    await until(() => fake.committed === 1, 'the part offered once the settlement landed');
    equal(fake.calls[0]!.h.amountMsat, 50_000n);
    await fake.persist('1', [{ kind: 'fulfilled', id: BigInt(parts(db)[0]!.htlc_id!), preimage: inv.preimage }]);
    const r = (await paying) as Record<string, unknown>;
    equal(r.payment_preimage, toHex(inv.preimage));
  });

  it('ends at retry_for (210, as when retries run out) when the incoming HTLC never settles: no event wakes it, the deadline does', async () => {
    let now = T0 * 1000;
    const timers: { at: number; fn: () => void }[] = [];
    const clock = {
      setTimeout: (fn: () => void, ms: number) => timers.push({ at: now + ms, fn }),
      clearTimeout: () => undefined,
    };
    const { fake, rpc } = await setup({ channels: [channel('1', D, '100x1x0')], spendable: 0n, nowMs: () => now, clock });
    await fake.persist('1', [incoming(0n, 80_000n)]);
    let ended: unknown;
    const paying = rpc.call('xpay', { invstring: (await invoiceOfD(50_000)).bolt11, retry_for: 30 });
    paying.then(
      () => (ended = 'paid'),
      e => (ended = e),
    );
    await settle();
    equal(ended, undefined, 'waiting while the HTLC settles');
    // Only the clock moves: the timer at the deadline wakes the payment, which ends.
    const t = timers.at(-1)!;
    ok(t.at >= T0 * 1000 + 30_000, `woken at the deadline, not before (${t.at - T0 * 1000} ms)`);
    now = t.at;
    t.fn();
    await rpcCode(paying, 210);
    equal(fake.calls.length, 0);
  });

  it('still answers 205 at once when nothing settling could give what is missing', async () => {
    // Nothing in flight on the channel.
    const a = await setup({ channels: [channel('1', D, '100x1x0')], spendable: 0n });
    await rpcCode(a.rpc.call('xpay', { invstring: (await invoiceOfD(50_000)).bolt11 }), 205);
    // An incoming HTLC too small to make up the amount.
    const b = await setup({ channels: [channel('1', D, '100x1x0')], spendable: 0n });
    await b.fake.persist('1', [incoming(0n, 10_000n)]);
    await rpcCode(b.rpc.call('xpay', { invstring: (await invoiceOfD(50_000)).bolt11 }), 205);
    // Only an HTLC of ours in flight: its end adds nothing we can count on.
    const c = await setup({ channels: [channel('1', D, '100x1x0')], spendable: 0n });
    await c.fake.persist('1', [
      { kind: 'offered', id: 0n, amountMsat: 80_000n, paymentHash: new Uint8Array(32).fill(8), cltvExpiry: HEIGHT + 40 },
    ]);
    await rpcCode(c.rpc.call('xpay', { invstring: (await invoiceOfD(50_000)).bolt11 }), 205);
    equal(a.fake.calls.length + b.fake.calls.length + c.fake.calls.length, 0);
  });
});

describe('lightningd: routes from gossipd (no copy of the graph)', () => {
  const X = (i: number) => toHex(getPublicKey(key(`x${i}`)));
  /** Both directions of a channel. */
  const both = (scid: string, a: string, b: string, fee: number) => [row(scid, a, b, fee), row(scid, b, a, fee)];

  it("pays across our private channel on gossipd's route, and never asks gossipd for listchannels", async () => {
    // Our channel to M is private (not in gossip): gossipd routes from M, the payment starts on our channel.
    const gossipd = fakeGossipd([...both('200x1x0', M, X(1), 10), ...both('200x2x0', X(1), D, 20)]);
    const { db, fake, rpc } = await setup({ channels: [channel('1', M, '100x1x0')], gossipd });
    const inv = await invoiceOfD(50_000);
    const paying = rpc.call('xpay', { invstring: inv.bolt11 });
    await until(() => fake.committed === 1, 'the part offered');
    const p = parts(db)[0]!;
    equal(p.route.map(h => h.channel).join(','), '100x1x0,200x1x0,200x2x0');
    equal(p.amount_sent_msat, '50030', "X1's and M's fees");
    await fake.persist('1', [{ kind: 'fulfilled', id: BigInt(p.htlc_id!), preimage: inv.preimage }]);
    equal(((await paying) as Record<string, unknown>).payment_preimage, toHex(inv.preimage));
    equal(gossipd.asked.length, 1, 'asked once: nothing failed');
    deepEqual(gossipd.asked[0]!.local, [{ short_channel_id: '100x1x0', peer: M }]);
    deepEqual(gossipd.rpcCalls, [], 'no listchannels (no RPC at all) to pay');
  });

  it("pays across an invoice's route hint to a payee gossip does not know, the hint's entry reached through gossipd", async () => {
    // D has no public channel; its invoice says: reach H, then H's private channel 300x1x0 to D.
    const H = X(9);
    const gossipd = fakeGossipd([...both('200x1x0', M, H, 10)]);
    const { db, fake, control } = await setup({ channels: [channel('1', M, '100x1x0')], gossipd });
    const preimage = new Uint8Array(32).fill(0x44);
    const hint = [
      {
        pubkey: fromHex(H),
        shortChannelId: (300n << 40n) | (1n << 16n),
        feeBaseMsat: 100,
        feeProportionalMillionths: 0,
        cltvExpiryDelta: 40,
      },
    ];
    const paying = control.pay({
      req: {
        destination: D,
        payment_hash: sha256(preimage),
        amount_msat: 50_000n,
        final_cltv: 18,
        payment_secret: new Uint8Array(32).fill(3),
      },
      hints: [hint],
    });
    await until(() => fake.committed === 1, 'the part offered');
    const p = parts(db)[0]!;
    equal(p.route.map(h => `${h.channel}:${h.id}`).join(','), `100x1x0:${M},200x1x0:${H},300x1x0:${D}`);
    equal(p.amount_sent_msat, '50110', "H's hint fee (100) and M's (10)");
    equal(p.route[1]!.delay, 18 + 1 + 40, "H's delta from the hint");
    ok(gossipd.asked[0]!.to.includes(H), "the hint's entry asked for");
    await fake.persist('1', [{ kind: 'fulfilled', id: BigInt(p.htlc_id!), preimage }]);
    equal((await paying).preimage, toHex(preimage));
  });

  it('asks gossipd again after each failure with what it learnt, and takes the route only that answer holds', async () => {
    // Four ways from M to D, dearer one after another; gossipd proposes three at a time.
    const rows = [1, 2, 3, 4].flatMap(i => [...both(`200x${i}x0`, M, X(i), i), ...both(`201x${i}x0`, X(i), D, 0)]);
    const gossipd = fakeGossipd(rows);
    const { db, fake, rpc } = await setup({ channels: [channel('1', M, '100x1x0')], gossipd });
    const inv = await invoiceOfD(50_000);
    const paying = rpc.call('xpay', { invstring: inv.bolt11 });
    ok(gossipd.asked.length <= 1);
    for (let i = 1; i <= 3; i++) {
      await until(() => fake.committed === i, `part ${i} offered`);
      const p = parts(db)[i - 1]!;
      equal(p.route[1]!.id, X(i), `part ${i} goes through X${i}`);
      // Xi cannot reach D (the channel after it is excluded); M wraps Xi's error on its way back.
      const fromX = createErrorPacket(fromHex(p.shared_secrets[1]!), encodeFailure({ name: 'unknown_next_peer' }));
      const reason = obfuscateError(fromHex(p.shared_secrets[0]!), fromX);
      await fake.persist('1', [{ kind: 'failed', id: BigInt(p.htlc_id!), reason }]);
    }
    await until(() => fake.committed === 4, 'the fourth part offered');
    const last = parts(db)[3]!;
    equal(last.route[1]!.id, X(4));
    // Each failure asked again, with every exclusion learnt so far.
    equal(gossipd.asked.length, 4);
    for (let i = 1; i <= 3; i++)
      for (let j = 1; j <= i; j++)
        ok(
          gossipd.asked[i]!.exclude.some(e => e.startsWith(`201x${j}x0/`)),
          `ask ${i} excludes 201x${j}x0`,
        );
    await fake.persist('1', [{ kind: 'fulfilled', id: BigInt(last.htlc_id!), preimage: inv.preimage }]);
    equal(((await paying) as Record<string, unknown>).failed_parts, 3);
  });
});
