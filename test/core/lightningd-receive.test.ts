// Receiving (htlcs-in.ts, receive.ts, invoice-wait-rpc.ts) with a fake channeld: each incoming
// HTLC's onion peeled with hsmd's ECDH and decided with BOLT 4's exact failure (read back from the
// error onion as the payer would), multi-part assembly and the 60 s mpp_timeout, keysend, the
// preimage never given before the invoice's paid state is durable (a storage whose save is held),
// and a restart deciding the undecided HTLCs again with the same result.
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { LightningdDb, MemoryLightningdStorage, type HtlcRecord } from '../../src/core/daemons/lightningd/db.ts';
import { RpcDispatcher, RpcError } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { createKeysendInvoice, registerInvoiceCommands, type InvoiceDeps } from '../../src/core/daemons/lightningd/invoice-rpc.ts';
import { registerInvoiceWaitCommands } from '../../src/core/daemons/lightningd/invoice-wait-rpc.ts';
import { IncomingHtlcs, type ChanneldHtlcs } from '../../src/core/daemons/lightningd/htlcs-in.ts';
import { FinalReceiver } from '../../src/core/daemons/lightningd/receive.ts';
import type { HtlcChange } from '../../src/core/daemons/channeld/interface.ts';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { createOnion, decodeErrorPacket, encodeHopPayload, type HopPayload } from '../../src/core/onion/index.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { settle } from '../support/memory-stream.ts';
import { channelRecord } from './channel-record-fixture.ts';

const SEED = new Uint8Array(32).fill(7);
const T0 = 1_800_000_000;
const HEIGHT = 500;
const quiet = { debug() {}, info() {}, warn() {} };

/** A storage whose saves can be held: proves what waits for durability. */
class HeldStorage extends MemoryLightningdStorage {
  hold = false;
  /** Saves fail (the disk is gone). */
  broken = false;
  private held: (() => void)[] = [];
  override write(puts: [string, string][], deletes: string[]): Promise<void> {
    if (this.broken) return Promise.reject(new Error('disk gone'));
    if (!this.hold) return super.write(puts, deletes);
    return new Promise(r => this.held.push(() => void super.write(puts, deletes).then(r)));
  }
  get pending() {
    return this.held.length;
  }
  release() {
    this.hold = false;
    for (const f of this.held.splice(0)) f();
  }
}

type Call =
  | { kind: 'fulfill'; id: bigint; preimage: string }
  | { kind: 'fail'; id: bigint; reason: Uint8Array }
  | { kind: 'malformed'; id: bigint; sha: string; code: number };

async function setup(storage = new HeldStorage(), clock = new FakeClock()) {
  const hsmd = new Hsmd(SEED);
  const db = new LightningdDb(storage);
  await db.load();
  const rpc = new RpcDispatcher();
  const now = { t: T0 };
  let counter = 0;
  const invoices: InvoiceDeps = {
    db,
    network: 'regtest',
    signInvoice: (hrp, data) => hsmd.signInvoice(hrp, data),
    randomBytes: n => sha256(new TextEncoder().encode(`r${++counter}-${Math.random()}`)).subarray(0, n),
    now: () => now.t,
  };
  registerInvoiceCommands(rpc, invoices);
  registerInvoiceWaitCommands(rpc, { db, now: () => now.t, clock });
  const calls: Call[] = [];
  let running = true;
  const channeld: ChanneldHtlcs = {
    fulfillHtlc: async (id, preimage) => void calls.push({ kind: 'fulfill', id, preimage: toHex(preimage) }),
    failHtlc: async (id, reason) => void calls.push({ kind: 'fail', id, reason }),
    failMalformedHtlc: async (id, sha, code) => void calls.push({ kind: 'malformed', id, sha: toHex(sha), code }),
  };
  const receiver = new FinalReceiver({
    db,
    blockheight: () => HEIGHT,
    now: () => now.t,
    clock,
    keysendInvoice: pre => createKeysendInvoice(invoices, pre, now.t * 1000),
    log: quiet,
  });
  /** Preimages handed towards onchaind (a channel on chain), with the invoice's durable status then. */
  const onchain: { dbid: string; preimage: string; durable: string | undefined }[] = [];
  const incoming = new IncomingHtlcs({
    channeld: () => (running ? channeld : undefined),
    ecdh: async pub => hsmd.ecdh(pub),
    receiver,
    onchain: async (dbid, preimage) => {
      const inv = Object.values(storage.state?.invoices ?? {}).find(i => i.payment_preimage === toHex(preimage));
      onchain.push({ dbid, preimage: toHex(preimage), durable: inv?.status });
    },
    log: quiet,
  });
  const channel = channelRecord('1', '02'.padEnd(66, '1'), { opener: 'remote', channel_id: '00'.repeat(32), htlcs: {} });
  let nextId = 0n;
  /** channeld reports an HTLC irrevocably committed (persisted): returns its id and the payer's shared secrets. */
  const arrive = (h: { amount: bigint; hash: Uint8Array; cltv?: number; onion: Uint8Array; dust?: boolean }) => {
    const id = nextId++;
    const rec: HtlcRecord = {
      direction: 'in',
      id: id.toString(),
      amount_msat: h.amount.toString(),
      payment_hash: toHex(h.hash),
      cltv_expiry: h.cltv ?? HEIGHT + 40,
      state: 'incoming',
      onion: toHex(h.onion),
      ...(h.dust ? { over_dust_exposure: true } : {}),
    };
    channel.htlcs = { ...channel.htlcs, [`in:${id}`]: rec };
    const change: HtlcChange = {
      kind: 'incoming',
      id,
      amountMsat: h.amount,
      paymentHash: h.hash,
      cltvExpiry: rec.cltv_expiry,
      onion: h.onion,
      ...(h.dust ? { overDustExposure: true } : {}),
    };
    incoming.persisted(channel, [change]);
    return id;
  };
  const resolved = (id: bigint) => {
    const { [`in:${id}`]: _gone, ...rest } = channel.htlcs!;
    channel.htlcs = rest;
    incoming.persisted(channel, [{ kind: 'resolved', id }]);
  };
  /** The failure's name the payer reads for HTLC `id`. */
  const failed = (id: bigint, secrets: Uint8Array[]) =>
    failureOf(
      calls.find(x => x.id === id),
      secrets,
    ).name;
  /** An invoice of `amount` msat: its payment_hash (bytes) and payment_secret. */
  const invoice = async (label: string, amount: number, extra: Record<string, unknown> = {}) => {
    const inv = (await rpc.call('invoice', { amount_msat: amount, label, description: 'd', ...extra })) as Made;
    return { hash: fromHex(inv.payment_hash), secret: inv.payment_secret, payment_hash: inv.payment_hash };
  };
  /** One part of `total` paying `amt` to the invoice of `hash`: its HTLC id and the payer's shared secrets. */
  const part = (hash: Uint8Array, secret: string, amt: bigint, total = amt) => {
    const o = onionTo(hsmd.nodeId(), hash, finalPayload(amt, secret, total));
    return { id: arrive({ amount: amt, hash, onion: o.onion }), secrets: o.secrets };
  };
  return {
    failed,
    invoice,
    part,
    hsmd,
    db,
    rpc,
    now,
    clock,
    calls,
    onchain,
    channel,
    arrive,
    resolved,
    receiver,
    incoming,
    storage,
    nodeId: hsmd.nodeId(),
    stop: () => (running = false),
    start: () => ((running = true), incoming.started(channel)),
  };
}

/** An onion to `nodeId` (and on to `next` when given: a forward), with its shared secrets. */
function onionTo(nodeId: Uint8Array, hash: Uint8Array, payload: HopPayload, next?: Uint8Array) {
  const hops = [{ pubkey: nodeId, payload: encodeHopPayload(payload) }];
  if (next)
    hops.push({
      pubkey: next,
      payload: encodeHopPayload({ amt_to_forward: { amt_to_forward: 1n }, outgoing_cltv_value: { outgoing_cltv_value: 1 } }),
    });
  const built = createOnion(sha256(new TextEncoder().encode(`session ${Math.random()}`)), hops, hash);
  return { onion: built.bytes, secrets: built.sharedSecrets };
}

const finalPayload = (amt: bigint, secret?: string, total?: bigint, cltv = HEIGHT + 40): HopPayload => ({
  amt_to_forward: { amt_to_forward: amt },
  outgoing_cltv_value: { outgoing_cltv_value: cltv },
  ...(secret ? { payment_data: { payment_secret: fromHex(secret), total_msat: total ?? amt } } : {}),
});

/** The failure the payer reads from what we failed with. */
function failureOf(call: Call | undefined, secrets: Uint8Array[]) {
  ok(call?.kind === 'fail', `failed with an error onion: ${JSON.stringify(call?.kind)}`);
  const d = decodeErrorPacket(secrets, call.reason);
  equal(d.hop, 0);
  return d.failure as Record<string, unknown> & { name: string };
}

type Setup = Awaited<ReturnType<typeof setup>>;

interface Made {
  payment_hash: string;
  payment_secret: string;
}

describe('lightningd: receiving payments', () => {
  it('one HTLC pays an invoice: paid (pay_index 1, amount, parts) durably, then fulfilled with its preimage', async () => {
    const s = await setup();
    const inv = (await s.rpc.call('invoice', { amount_msat: 50_000, label: 'a', description: 'd' })) as Made;
    const waiting = s.rpc.call('waitinvoice', { label: 'a' });
    const hash = fromHex(inv.payment_hash);
    const { onion } = onionTo(s.nodeId, hash, finalPayload(50_000n, inv.payment_secret));
    s.storage.hold = true;
    const id = s.arrive({ amount: 50_000n, hash, onion });
    await settle();
    // The paid state is being written: the preimage has not left.
    deepEqual(s.calls, []);
    ok(s.storage.pending > 0, 'a write of the paid state is in flight');
    equal(s.storage.state?.invoices?.a?.status, 'unpaid');
    s.storage.release();
    await settle();
    equal(s.storage.state?.invoices?.a?.status, 'paid', 'durable before the fulfill');
    const preimage = s.db.invoice('a')!.payment_preimage;
    deepEqual(s.calls, [{ kind: 'fulfill', id, preimage }]);
    equal(toHex(sha256(fromHex(preimage))), inv.payment_hash);
    const w = (await waiting) as Record<string, unknown>;
    equal(w.status, 'paid');
    equal(w.pay_index, 1);
    equal(w.amount_received_msat, 50_000n);
    equal(w.payment_preimage, preimage);
    equal(w.paid_at, T0);
    const listed = ((await s.rpc.call('listinvoices', { label: 'a' })) as { invoices: Record<string, unknown>[] }).invoices[0]!;
    equal(listed.pay_index, 1);
    equal(listed.payment_preimage, preimage);
    deepEqual(s.db.invoice('a')!.paid_htlcs, [{ channel: '1', id: id.toString(), amount_msat: '50000' }]);
  });

  it('the channel went on chain (no channeld): the preimage goes towards its onchaind, once the paid state is durable', async () => {
    const s = await setup();
    const inv = (await s.rpc.call('invoice', { amount_msat: 50_000, label: 'a', description: 'd' })) as Made;
    const hash = fromHex(inv.payment_hash);
    const { onion } = onionTo(s.nodeId, hash, finalPayload(50_000n, inv.payment_secret));
    s.stop();
    s.storage.hold = true;
    s.arrive({ amount: 50_000n, hash, onion });
    await settle();
    deepEqual(s.onchain, [], 'nothing before the paid state is durable');
    s.storage.release();
    await settle();
    deepEqual(s.onchain, [{ dbid: '1', preimage: s.db.invoice('a')!.payment_preimage, durable: 'paid' }]);
    deepEqual(s.calls, [], 'no channeld runs');
  });

  it('fails each bad HTLC with BOLT 4’s failure, read back by the payer', async () => {
    const s = await setup();
    const inv = (await s.rpc.call('invoice', { amount_msat: 50_000, label: 'a', description: 'd' })) as Made;
    const hash = fromHex(inv.payment_hash);
    const cases: {
      why: string;
      amount?: bigint;
      cltv?: number;
      payload: HopPayload;
      h?: Uint8Array;
      dust?: boolean;
      want: Record<string, unknown>;
    }[] = [
      {
        why: 'unknown payment_hash',
        payload: finalPayload(50_000n, inv.payment_secret),
        h: sha256(new Uint8Array([1])),
        want: { name: 'incorrect_or_unknown_payment_details', htlc_msat: 50_000n, height: HEIGHT },
      },
      {
        why: 'total below the invoice amount',
        amount: 40_000n,
        payload: finalPayload(40_000n, inv.payment_secret),
        want: { name: 'incorrect_or_unknown_payment_details', htlc_msat: 40_000n, height: HEIGHT },
      },
      {
        why: 'wrong payment_secret',
        payload: finalPayload(50_000n, '33'.repeat(32)),
        want: { name: 'incorrect_or_unknown_payment_details', htlc_msat: 50_000n, height: HEIGHT },
      },
      {
        why: 'no payment_secret',
        payload: finalPayload(50_000n),
        want: { name: 'incorrect_or_unknown_payment_details', htlc_msat: 50_000n, height: HEIGHT },
      },
      {
        why: 'HTLC below amt_to_forward',
        amount: 49_999n,
        payload: finalPayload(50_000n, inv.payment_secret),
        want: { name: 'final_incorrect_htlc_amount', incoming_htlc_amt: 49_999n },
      },
      {
        why: 'cltv_expiry below outgoing_cltv_value',
        cltv: HEIGHT + 30,
        payload: finalPayload(50_000n, inv.payment_secret, undefined, HEIGHT + 40),
        want: { name: 'final_incorrect_cltv_expiry', cltv_expiry: HEIGHT + 30 },
      },
      {
        why: 'cltv_expiry too soon (min_final 18)',
        cltv: HEIGHT + 10,
        payload: finalPayload(50_000n, inv.payment_secret, undefined, HEIGHT + 10),
        want: { name: 'incorrect_or_unknown_payment_details', htlc_msat: 50_000n, height: HEIGHT },
      },
      {
        why: 'over dust exposure',
        dust: true,
        payload: finalPayload(50_000n, inv.payment_secret),
        want: { name: 'temporary_node_failure' },
      },
      {
        why: 'payload without amt_to_forward',
        payload: { outgoing_cltv_value: { outgoing_cltv_value: HEIGHT + 40 } },
        want: { name: 'invalid_onion_payload', type: 2n, offset: 0 },
      },
    ];
    for (const c of cases) {
      const h = c.h ?? hash;
      const { onion, secrets } = onionTo(s.nodeId, h, c.payload);
      const id = s.arrive({
        amount: c.amount ?? 50_000n,
        hash: h,
        onion,
        ...(c.cltv ? { cltv: c.cltv } : {}),
        ...(c.dust ? { dust: true } : {}),
      });
      await settle();
      const call = s.calls.find(x => x.id === id);
      const { tlvs: _t, ...f } = failureOf(call, secrets);
      deepEqual(f, c.want, c.why);
    }
    equal(s.db.invoice('a')!.status, 'unpaid');
    equal(s.receiver.held, 0);
  });

  it('a payload for a next hop fails with unknown_next_peer (forwarding is not built)', async () => {
    const s = await setup();
    const hash = sha256(new Uint8Array([2]));
    const next = getPublicKey(new Uint8Array(32).fill(3));
    const { onion, secrets } = onionTo(s.nodeId, hash, { ...finalPayload(1000n), short_channel_id: { short_channel_id: 5n } }, next);
    const id = s.arrive({ amount: 1000n, hash, onion });
    await settle();
    equal(s.failed(id, secrets), 'unknown_next_peer');
  });

  it('an onion we cannot read fails malformed with BADONION codes and the onion’s SHA256', async () => {
    const s = await setup();
    const hash = sha256(new Uint8Array([4]));
    const { onion } = onionTo(s.nodeId, hash, finalPayload(1000n));
    const badHmac = onion.slice();
    badHmac[1365]! ^= 1;
    const badVersion = onion.slice();
    badVersion[0] = 1;
    const badKey = onion.slice();
    badKey.set(new Uint8Array(33).fill(5), 1);
    const want: [Uint8Array, number][] = [
      [badHmac, 0xc005],
      [badVersion, 0xc004],
      [badKey, 0xc006],
      // Another payment_hash: the HMAC covers it as associated data.
      [onion, 0xc005],
    ];
    for (const [o, code] of want) {
      const id = s.arrive({ amount: 1000n, hash: o === onion ? sha256(new Uint8Array([9])) : hash, onion: o });
      await settle();
      deepEqual(
        s.calls.find(x => x.id === id),
        { kind: 'malformed', id, sha: toHex(sha256(o)), code },
      );
    }
  });

  it('multi-part: parts are held until total_msat arrives, then all fulfilled; a paid invoice refuses a new part', async () => {
    const s = await setup();
    const { hash, secret } = await s.invoice('m', 90_000);
    const a = s.part(hash, secret, 30_000n, 90_000n);
    const b = s.part(hash, secret, 30_000n, 90_000n);
    await settle();
    deepEqual(s.calls, [], 'held: 60 000 of 90 000');
    equal(s.receiver.held, 2);
    await s.clock.tick(59_000);
    deepEqual(s.calls, []);
    const c = s.part(hash, secret, 30_000n, 90_000n);
    await settle();
    const preimage = s.db.invoice('m')!.payment_preimage;
    deepEqual(
      s.calls.map(x => x.kind === 'fulfill' && [x.id, x.preimage]),
      [a, b, c].map(p => [p.id, preimage]),
    );
    equal(s.db.invoice('m')!.amount_received_msat, '90000');
    equal(s.db.invoice('m')!.paid_htlcs!.length, 3);
    const late = s.part(hash, secret, 30_000n, 90_000n);
    await settle();
    equal(s.failed(late.id, late.secrets), 'incorrect_or_unknown_payment_details');
  });

  it('multi-part: a set that does not complete in 60 s fails every part with mpp_timeout; the invoice stays unpaid', async () => {
    const s = await setup();
    const { hash, secret } = await s.invoice('m', 90_000);
    const a = s.part(hash, secret, 30_000n, 90_000n);
    await settle();
    await s.clock.tick(30_000);
    const b = s.part(hash, secret, 30_000n, 90_000n);
    await settle();
    await s.clock.tick(29_999);
    deepEqual(s.calls, [], 'not yet: 60 s from the first part');
    await s.clock.tick(1);
    equal(s.failed(a.id, a.secrets), 'mpp_timeout');
    equal(s.failed(b.id, b.secrets), 'mpp_timeout');
    equal(s.db.invoice('m')!.status, 'unpaid');
    equal(s.receiver.held, 0);
    equal(s.clock.pending, 0, 'no timer left');
  });

  it('multi-part: a held set fails (mpp_timeout) once a block comes within 3 of a part’s expiry', async () => {
    const s = await setup();
    const { hash, secret } = await s.invoice('m', 90_000);
    const a = s.part(hash, secret, 30_000n, 90_000n); // cltv_expiry HEIGHT + 40
    await settle();
    s.receiver.blockConnected({ height: HEIGHT + 36 });
    await settle();
    deepEqual(s.calls, [], '4 blocks left');
    s.receiver.blockConnected({ height: HEIGHT + 37 });
    await settle();
    equal(s.failed(a.id, a.secrets), 'mpp_timeout');
    equal(s.receiver.held, 0);
    equal(s.clock.pending, 0, 'its timer went with it');
  });

  it('keysend: the payer’s preimage is taken, recorded as a paid keysend-… invoice, then the HTLC fulfilled', async () => {
    const s = await setup();
    const preimage = sha256(new TextEncoder().encode('keysend preimage'));
    const hash = sha256(preimage);
    const { onion } = onionTo(s.nodeId, hash, { ...finalPayload(7_000n), keysend_preimage: { payment_preimage: preimage } });
    const id = s.arrive({ amount: 7_000n, hash, onion });
    await settle();
    deepEqual(s.calls, [{ kind: 'fulfill', id, preimage: toHex(preimage) }]);
    const inv = s.db.invoiceByHash(toHex(hash))!;
    ok(inv.label.startsWith('keysend-'), inv.label);
    equal(inv.status, 'paid');
    equal(inv.amount_received_msat, '7000');
    equal(inv.description, 'keysend');
    // A keysend whose preimage does not hash to the HTLC's payment_hash is unknown.
    const other = sha256(new Uint8Array([8]));
    const bad = onionTo(s.nodeId, other, { ...finalPayload(7_000n), keysend_preimage: { payment_preimage: preimage } });
    const id2 = s.arrive({ amount: 7_000n, hash: other, onion: bad.onion });
    await settle();
    equal(s.failed(id2, bad.secrets), 'incorrect_or_unknown_payment_details');
  });

  it('after a restart, a paid invoice’s unresolved HTLC is fulfilled again and an undecided one is decided', async () => {
    const storage = new HeldStorage();
    const s = await setup(storage);
    const inv = (await s.rpc.call('invoice', { amount_msat: 50_000, label: 'a', description: 'd' })) as Made;
    const hash = fromHex(inv.payment_hash);
    s.stop(); // channeld is down when the payment completes: the fulfill cannot be handed over
    const id = s.arrive({ amount: 50_000n, hash, onion: onionTo(s.nodeId, hash, finalPayload(50_000n, inv.payment_secret)).onion });
    await settle();
    deepEqual(s.calls, []);
    equal(storage.state?.invoices?.a?.status, 'paid');
    const inv2 = (await s.rpc.call('invoice', { amount_msat: 20_000, label: 'b', description: 'd' })) as Made;
    const hash2 = fromHex(inv2.payment_hash);
    const undecidedOnion = onionTo(s.nodeId, hash2, finalPayload(20_000n, inv2.payment_secret)).onion;
    // An HTLC recorded incoming just before the crash, never decided.
    s.channel.htlcs = {
      ...s.channel.htlcs,
      'in:7': {
        direction: 'in',
        id: '7',
        amount_msat: '20000',
        payment_hash: inv2.payment_hash,
        cltv_expiry: HEIGHT + 40,
        state: 'incoming',
        onion: toHex(undecidedOnion),
      },
    };

    // A new lightningd over the same storage; the channel's channeld starts again.
    const t = await setup(storage);
    t.channel.htlcs = s.channel.htlcs;
    t.start();
    await settle();
    const pre = t.db.invoice('a')!.payment_preimage;
    deepEqual(
      t.calls.map(c => c.kind === 'fulfill' && [c.id, c.preimage]),
      [
        [id, pre],
        [7n, t.db.invoice('b')!.payment_preimage],
      ],
    );
    equal(t.db.invoice('a')!.pay_index, 1, 'paid once');
    equal(t.db.invoice('b')!.pay_index, 2);
    // channeld reconnects again before it reported them resolved: the same decisions, again.
    t.start();
    await settle();
    equal(t.calls.length, 4);
    deepEqual(t.calls.slice(2), t.calls.slice(0, 2));
    t.resolved(id);
    t.resolved(7n);
    t.start();
    await settle();
    equal(t.calls.length, 4, 'resolved: nothing more');
  });

  it('a paid state that cannot be written releases nothing and fails nothing; a restart decides from what is durable', async () => {
    const storage = new HeldStorage();
    const s = await setup(storage);
    const { hash, secret } = await s.invoice('a', 50_000);
    storage.broken = true;
    s.part(hash, secret, 50_000n);
    await settle();
    deepEqual(s.calls, []);
    equal(storage.state?.invoices?.a?.status, 'unpaid');
    storage.broken = false;
    const t = await setup(storage);
    t.channel.htlcs = s.channel.htlcs;
    t.start();
    await settle();
    deepEqual(
      t.calls.map(c => c.kind),
      ['fulfill'],
    );
    equal(storage.state?.invoices?.a?.status, 'paid');
  });

  for (const [how, end] of [
    ['deleted', (s: Setup) => s.rpc.call('delinvoice', { label: 'x', status: 'unpaid' })],
    ['expired', async (s: Setup) => void (s.now.t += 30)],
  ] as const) {
    it(`an invoice ${how} while a part is held: later parts fail at once, the held one at the MPP timeout; nothing paid`, async () => {
      const s = await setup();
      const { hash, secret } = await s.invoice('x', 60_000, { expiry: 30 });
      const a = s.part(hash, secret, 30_000n, 60_000n);
      await settle();
      await end(s);
      const b = s.part(hash, secret, 30_000n, 60_000n);
      await settle();
      equal(s.failed(b.id, b.secrets), 'incorrect_or_unknown_payment_details');
      equal(
        s.calls.find(x => x.id === a.id),
        undefined,
      );
      await s.clock.tick(60_000);
      equal(s.failed(a.id, a.secrets), 'mpp_timeout');
      equal(s.db.invoice('x')?.status ?? 'deleted', how === 'deleted' ? 'deleted' : 'unpaid');
    });
  }
});

describe('lightningd: waitinvoice, waitanyinvoice', () => {
  async function paid(s: Setup, label: string, amount: number) {
    const { hash, secret } = await s.invoice(label, amount);
    s.part(hash, secret, BigInt(amount));
    await settle();
  }

  it('waitanyinvoice answers the next paid after lastpay_index, in pay_index order; 904 on timeout', async () => {
    const s = await setup();
    await paid(s, 'one', 1000);
    equal(((await s.rpc.call('waitanyinvoice', {})) as { label: string }).label, 'one');
    const next = s.rpc.call('waitanyinvoice', { lastpay_index: 1 });
    let answered = false;
    void next.then(() => (answered = true));
    await settle();
    equal(answered, false);
    await paid(s, 'two', 2000);
    const r = (await next) as { label: string; pay_index: number };
    deepEqual([r.label, r.pay_index], ['two', 2]);
    const e = await rejects<RpcError>(s.rpc.call('waitanyinvoice', { lastpay_index: 2, timeout: 0 }), RpcError);
    equal(e.code, 904);
    const later = rejects<RpcError>(s.rpc.call('waitanyinvoice', { lastpay_index: 2, timeout: 10 }), RpcError);
    await s.clock.tick(10_000);
    equal((await later).code, 904);
  });

  it('waitinvoice: -1 for an unknown label and a deletion during the wait, 903 once expired (with the invoice)', async () => {
    const s = await setup();
    equal((await rejects<RpcError>(s.rpc.call('waitinvoice', { label: 'none' }), RpcError)).code, -1);
    await s.rpc.call('invoice', { amount_msat: 1000, label: 'del', description: 'd' });
    const deleted = rejects<RpcError>(s.rpc.call('waitinvoice', { label: 'del' }), RpcError);
    await s.rpc.call('delinvoice', { label: 'del', status: 'unpaid' });
    equal((await deleted).code, -1);
    await s.rpc.call('invoice', { amount_msat: 1000, label: 'exp', description: 'd', expiry: 60 });
    const expired = rejects<RpcError>(s.rpc.call('waitinvoice', { label: 'exp' }), RpcError);
    s.now.t += 60;
    await s.clock.tick(60_000);
    const e = await expired;
    equal(e.code, 903);
    equal((e.data as { status: string }).status, 'expired');
  });
});
