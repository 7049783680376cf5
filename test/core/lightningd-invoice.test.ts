// invoice / listinvoices / delinvoice as Core Lightning answers them: an invoice hsmd signed that
// decodes to what was asked (payee our node id), Core Lightning's 900/901/905/906/-32602, statuses
// by the clock, records that survive a reload of lightningd's database; hsmd's signInvoice signs
// BOLT 11 hrp+data only.
import { Hsmd, HsmError } from '../../src/core/daemons/hsmd/hsmd.ts';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { RpcDispatcher, RpcError } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { registerInvoiceCommands } from '../../src/core/daemons/lightningd/invoice-rpc.ts';
import { decodeInvoice } from '../../src/core/bolt11/invoice.ts';
import { signingHash } from '../../src/core/bolt11/signature.ts';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { sha256, verifyDigest } from '../../src/core/crypto/primitives.ts';
import { deepEqual, equal, ok, rejects, throws } from '../support/assert.ts';

const SEED = new Uint8Array(32).fill(9);
const T0 = 1_800_000_000;

interface Made {
  payment_hash: string;
  expires_at: number;
  bolt11: string;
  payment_secret: string;
  created_index: number;
}

function setup(storage = new MemoryLightningdStorage(), network = 'regtest') {
  const hsmd = new Hsmd(SEED);
  const db = new LightningdDb(storage);
  const rpc = new RpcDispatcher();
  const clock = { now: T0 };
  let counter = 0;
  registerInvoiceCommands(rpc, {
    db,
    network,
    // Across an await, as over hsmd's port: concurrent calls interleave here.
    signInvoice: async (hrp, data) => {
      await Promise.resolve();
      return hsmd.signInvoice(hrp, data);
    },
    randomBytes: n => new Uint8Array(n).fill(++counter),
    now: () => clock.now,
  });
  return { hsmd, db, rpc, clock, storage };
}

async function code(p: Promise<unknown>, c: number, message?: string): Promise<RpcError> {
  const e = await rejects<RpcError>(p, RpcError);
  equal(e.code, c, e.message);
  if (message !== undefined) equal(e.message, message);
  return e;
}

describe('lightningd: invoice', () => {
  it('makes an invoice hsmd signed that decodes to what was asked', async () => {
    const { rpc, hsmd } = setup();
    const preimage = '11'.repeat(32);
    const r = (await rpc.call('invoice', {
      amount_msat: 123_456,
      label: 'a',
      description: 'coffee',
      preimage,
      cltv: 40,
      expiry: 600,
    })) as Made;
    equal(r.payment_hash, toHex(sha256(fromHex(preimage))));
    equal(r.expires_at, T0 + 600);
    equal(r.created_index, 1);
    const inv = decodeInvoice(r.bolt11);
    ok(r.bolt11.startsWith('lnbcrt'));
    equal(toHex(inv.payee), toHex(hsmd.nodeId()), 'signed with our node key');
    equal(inv.amountMsat, 123_456n);
    equal(inv.description, 'coffee');
    equal(toHex(inv.paymentHash), r.payment_hash);
    equal(toHex(inv.paymentSecret), r.payment_secret);
    equal(inv.timestamp, T0);
    equal(inv.expiry, 600);
    equal(inv.minFinalCltvExpiry, 40);
    ok(inv.features!.requires('var_onion_optin') && inv.features!.requires('payment_secret'));
    equal(inv.routes.length, 0, 'no route hints yet');
  });

  it('"any" amount, the defaults (a week, cltv 18), random preimage and secret, deschashonly', async () => {
    const { rpc } = setup(new MemoryLightningdStorage(), 'bitcoin');
    const r = (await rpc.call('invoice', ['any', 7, 'x'])) as Made;
    const inv = decodeInvoice(r.bolt11);
    ok(r.bolt11.startsWith('lnbc1'));
    equal(inv.amountMsat, undefined);
    equal(r.expires_at, T0 + 604800);
    equal(inv.expiry, 604800);
    equal(inv.minFinalCltvExpiry, 18);
    const long = 'd'.repeat(1000);
    await code(rpc.call('invoice', ['any', 'long', long]), -32602, 'Description greater than 639 bytes invalid (description length 1000)');
    const h = (await rpc.call('invoice', { amount_msat: '5000msat', label: 'long', description: long, deschashonly: true })) as Made;
    const hinv = decodeInvoice(h.bolt11, { description: long });
    equal(hinv.description, undefined);
    equal(toHex(hinv.descriptionHash!), toHex(sha256(new TextEncoder().encode(long))));
    equal(hinv.amountMsat, 5000n);
    ok(r.payment_hash !== h.payment_hash && r.payment_secret !== h.payment_secret);
  });

  it('refuses a duplicate label (900), a used preimage (901, checked first) and bad params (-32602)', async () => {
    const { rpc } = setup();
    const preimage = '22'.repeat(32);
    await rpc.call('invoice', { amount_msat: 1000, label: 'dup', description: 'd', preimage });
    await code(rpc.call('invoice', { amount_msat: 1000, label: 'dup', description: 'd' }), 900, "Duplicate label 'dup'");
    await code(rpc.call('invoice', { amount_msat: 1000, label: 'dup', description: 'd', preimage }), 901, 'preimage already used');
    await code(rpc.call('invoice', { amount_msat: 1000, label: 'other', description: 'd', preimage }), 901);
    for (const bad of [
      { amount_msat: 0, label: 'b', description: 'd' },
      { amount_msat: 'lots', label: 'b', description: 'd' },
      { amount_msat: -5, label: 'b', description: 'd' },
      { amount_msat: 1000, description: 'd' },
      { amount_msat: 1000, label: 'b', description: 42 },
      { amount_msat: 1000, label: 'b', description: 'd', preimage: 'abcd' },
      { amount_msat: 1000, label: 'b', description: 'd', expiry: -1 },
      { amount_msat: 1000, label: 'b', description: 'd', cltv: 'soon' },
      { amount_msat: 1000, label: 'b', description: 'd', fallbacks: ['bcrt1q'] },
    ])
      await code(rpc.call('invoice', bad), -32602);
  });

  it('two concurrent invoices with one label: one is made, the other is 900', async () => {
    const { rpc, db } = setup();
    const results = await Promise.allSettled([
      rpc.call('invoice', { amount_msat: 1, label: 'race', description: 'a' }),
      rpc.call('invoice', { amount_msat: 2, label: 'race', description: 'b' }),
    ]);
    equal(results.filter(r => r.status === 'fulfilled').length, 1);
    const failed = results.find(r => r.status === 'rejected') as PromiseRejectedResult;
    equal((failed.reason as RpcError).code, 900);
    equal(db.invoices().length, 1);
  });
});

describe('lightningd: listinvoices / delinvoice', () => {
  it("lists with Core Lightning's fields and filters; unpaid turns expired by the clock", async () => {
    const { rpc, clock } = setup();
    const a = (await rpc.call('invoice', { amount_msat: 1000, label: 'a', description: 'first', expiry: 100 })) as Made;
    const b = (await rpc.call('invoice', { amount_msat: 'any', label: 'b', description: 'second' })) as Made;
    const all = (await rpc.call('listinvoices', {})) as { invoices: Record<string, unknown>[] };
    deepEqual(all.invoices[0], {
      label: 'a',
      bolt11: a.bolt11,
      payment_hash: a.payment_hash,
      status: 'unpaid',
      description: 'first',
      expires_at: T0 + 100,
      amount_msat: 1000n,
      created_index: 1,
    });
    equal(all.invoices[1]!.amount_msat, undefined);
    equal(all.invoices.length, 2);
    const one = async (params: object) =>
      ((await rpc.call('listinvoices', params)) as { invoices: { label: string }[] }).invoices.map(i => i.label);
    deepEqual(await one({ label: 'b' }), ['b']);
    deepEqual(await one({ payment_hash: a.payment_hash }), ['a']);
    deepEqual(await one({ invstring: b.bolt11 }), ['b']);
    deepEqual(await one({ label: 'none' }), []);
    deepEqual(await one({ offer_id: '00'.repeat(32) }), []);
    await code(rpc.call('listinvoices', { label: 'a', payment_hash: a.payment_hash }), -32602);
    await code(rpc.call('listinvoices', { invstring: 'lnbcrt1nope' }), -32602);
    clock.now = T0 + 100;
    const later = (await rpc.call('listinvoices', {})) as { invoices: { status: string }[] };
    deepEqual(
      later.invoices.map(i => i.status),
      ['expired', 'unpaid'],
    );
  });

  it('delinvoice: 905 unknown, 906 with the statuses, deleted for good, created_index not reused', async () => {
    const { rpc, clock } = setup();
    await rpc.call('invoice', { amount_msat: 1000, label: 'a', description: 'd', expiry: 10 });
    await code(rpc.call('delinvoice', { label: 'nope', status: 'unpaid' }), 905, 'Unknown invoice');
    const e = await code(rpc.call('delinvoice', { label: 'a', status: 'paid' }), 906, 'Invoice status is unpaid not paid');
    deepEqual(e.data, { current_status: 'unpaid', expected_status: 'paid' });
    clock.now = T0 + 10;
    await code(rpc.call('delinvoice', ['a', 'unpaid']), 906, 'Invoice status is expired not unpaid');
    const gone = (await rpc.call('delinvoice', ['a', 'expired'])) as { label: string; status: string };
    equal(gone.label, 'a');
    equal(gone.status, 'expired');
    deepEqual(await rpc.call('listinvoices', {}), { invoices: [] });
    const again = (await rpc.call('invoice', { amount_msat: 1000, label: 'a', description: 'd' })) as Made;
    equal(again.created_index, 2);
  });

  it('invoices survive a reload of lightningd’s database', async () => {
    const storage = new MemoryLightningdStorage();
    const first = setup(storage);
    const made = (await first.rpc.call('invoice', { amount_msat: 1000, label: 'kept', description: 'd' })) as Made;
    const second = setup(storage);
    await second.db.load();
    const list = (await second.rpc.call('listinvoices', {})) as { invoices: { bolt11: string }[] };
    deepEqual(
      list.invoices.map(i => i.bolt11),
      [made.bolt11],
    );
    // (The second setup's random bytes start over: its first preimage is the stored one's.)
    await code(second.rpc.call('invoice', { amount_msat: 1000, label: 'other', description: 'd' }), 901);
    await code(second.rpc.call('invoice', { amount_msat: 1000, label: 'kept', description: 'd', preimage: '33'.repeat(32) }), 900);
    const next = (await second.rpc.call('invoice', { amount_msat: 1, label: 'next', description: 'd', preimage: '44'.repeat(32) })) as Made;
    equal(next.created_index, 2);
  });
});

describe('hsmd: signInvoice', () => {
  const hsmd = new Hsmd(SEED);
  const words = (n: number, v = 0) => new Array<number>(n).fill(v);
  // timestamp, then a `p` field (type 1, 52 words).
  const valid = [...words(7), 1, 1, 20, ...words(52, 3)];

  it('signs a BOLT 11 hrp and data part, over SHA-256 of them, with the node key', () => {
    const sig = hsmd.signInvoice('lnbcrt10n', valid);
    equal(sig.length, 65);
    ok(verifyDigest(sig.subarray(0, 64), signingHash('lnbcrt10n', valid), hsmd.nodeId()));
  });

  it('refuses what is not an invoice: no digest of the caller’s choosing gets signed', () => {
    for (const [hrp, data] of [
      ['bc', valid], // not an invoice's hrp
      ['lnxx', valid],
      ['lnbcrt', words(7)], // no payment_hash
      ['lnbcrt', [...valid, 1, 1, 20, ...words(52)]], // two
      ['lnbcrt', [...valid, 13, 0, 9]], // a field running past the end
      ['lnbcrt', [...valid.slice(0, -1), 32]], // a word over 5 bits
      ['lnbcrt', words(5)],
      ['lnbcrt', 'abc'],
      [42, valid],
    ] as [string, number[]][])
      throws(() => hsmd.signInvoice(hrp, data), HsmError, 'bad_request');
  });
});
