// Payments between the tab's node (daemons in Workers, IndexedDB) and a Node node, on `boltworker
// regtest` through the bridge: the tab opens a channel with a push, pays the Node node's invoice,
// is paid on an invoice of its own (a route hint for its private channel), pays and is paid again
// through its WebLN provider (src/web/webln.ts), and after a reload (a new startNode on the same
// data name) still lists every payment and invoice.
import { enableWebLN, startNode, webln, WebLNError, type WebNode } from '../../src/web/index.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import { ask, fundTab } from './tab-regtest.ts';

type PeerChannel = {
  channel_id: string;
  state: string;
  status: string[];
  to_us_msat: number;
  htlcs: unknown[];
  short_channel_id?: string;
  alias?: { local?: string; remote?: string };
};
type Invoice = { label: string; status: string; payment_preimage?: string; payment_hash: string; amount_received_msat?: number };

/** The Node node's RPC (the test plugin's allowlist of payment methods). */
const peerCall = <T>(method: string, params: unknown) =>
  ask<T>(`/__lightning/chain-node/rpc?method=${method}&params=${encodeURIComponent(JSON.stringify(params))}`);
const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), x => x.toString(16).padStart(2, '0')).join('');
const hashOf = async (preimage: string) =>
  hex(await crypto.subtle.digest('SHA-256', new Uint8Array(preimage.match(/../g)!.map(h => parseInt(h, 16)))));
async function rejection(p: Promise<unknown>): Promise<WebLNError> {
  try {
    await p;
  } catch (e) {
    return e as WebLNError;
  }
  throw new Error('expected a rejection');
}

const FUNDING_SAT = 300_000;
const PUSH_MSAT = 50_000_000;

describe('browser: the tab pays a Node node and is paid by it, on boltworker regtest', () => {
  it('xpay both ways, WebLN both ways, and every payment still listed after a reload', async () => {
    const { url } = await ask<{ url: string }>('/__regtest');
    const peer = await ask<{ id: string; host: string; port: number; bridge: string }>(
      `/__lightning/chain-node?esplora=${encodeURIComponent(url)}`,
    );
    const dataName = `pay-${Math.random().toString(36).slice(2)}`;
    const options = { network: 'regtest', dataName, esplora: url, bridge: peer.bridge, verifyWorkers: 1 };
    let n: WebNode = await startNode(options);
    try {
      await fundTab(n);
      await n.call('connect', { id: `${peer.id}@${peer.host}:${peer.port}` });
      const r = (await n.call('fundchannel', {
        id: peer.id,
        amount: FUNDING_SAT,
        push_msat: PUSH_MSAT,
        feerate: '1000perkw',
        announce: false,
      })) as {
        channel_id: string;
        mindepth: number;
      };
      await ask(`/__regtest/mine?blocks=${r.mindepth}`);
      const mine = () => n.call('listpeerchannels', {}) as Promise<{ channels: PeerChannel[] }>;
      const settledTab = () =>
        fundsWhen(
          mine,
          l => l.channels[0]?.htlcs.length === 0 && /^CHANNELD_NORMAL:channeld normal/.test(l.channels[0]?.status[0] ?? ''),
          'the tab: channeld normal, no HTLC',
        );
      await settledTab();
      await fundsWhen(
        () => ask<{ channels: PeerChannel[] }>('/__lightning/chain-node/channels'),
        l => l.channels.some(c => c.channel_id === r.channel_id && /^CHANNELD_NORMAL:channeld normal/.test(c.status[0] ?? '')),
        'the Node node: channeld normal',
      );
      const balance = async () => Number((await mine()).channels[0]!.to_us_msat);
      let expected = FUNDING_SAT * 1000 - PUSH_MSAT;

      // The tab pays the Node node's invoice.
      const theirs = await peerCall<{ bolt11: string; payment_hash: string }>('invoice', {
        amount_msat: 4_000_000,
        label: `tab-${dataName}`,
        description: 'from the tab',
      });
      const paid = (await n.call('xpay', { invstring: theirs.bolt11 })) as { payment_preimage: string; amount_sent_msat: number };
      equal(await hashOf(paid.payment_preimage), theirs.payment_hash);
      equal(Number(paid.amount_sent_msat), 4_000_000, 'one hop: no fee');
      const w = await peerCall<Invoice>('waitinvoice', { label: `tab-${dataName}` });
      deepEqual([w.status, w.payment_preimage], ['paid', paid.payment_preimage]);
      expected -= 4_000_000;
      await settledTab();
      equal(await balance(), expected);

      // The Node node pays the tab's invoice: the tab's private channel is in its route hint, named by
      // the alias the Node node sent in channel_ready (as Core Lightning hints a private channel).
      const inv = (await n.call('invoice', { amount_msat: 2_500_000, label: 'from-node', description: 'to the tab' })) as {
        bolt11: string;
        payment_hash: string;
      };
      const decoded = (await n.call('decode', { string: inv.bolt11 })) as { routes?: { pubkey: string; short_channel_id: string }[][] };
      const scid = (await mine()).channels[0]!.alias?.remote;
      ok(scid, 'the Node node sent the tab an alias');
      ok(
        decoded.routes?.some(route => route[0]?.pubkey === peer.id && route[0]?.short_channel_id === scid),
        `a route hint through the private channel ${scid}: ${JSON.stringify(decoded.routes)}`,
      );
      const back = await peerCall<{ payment_preimage: string }>('xpay', { invstring: inv.bolt11 });
      const got = (await n.call('waitinvoice', { label: 'from-node' })) as Invoice;
      deepEqual([got.status, got.payment_preimage, Number(got.amount_received_msat)], ['paid', back.payment_preimage, 2_500_000]);
      expected += 2_500_000;
      await settledTab();
      equal(await balance(), expected);

      // WebLN: nothing before enable; then sendPayment and makeInvoice paid both ways.
      // retry_for 10: the payment too large for the channel is given up on soon.
      const provider = webln(n, { retryFor: 10 });
      equal((await rejection(provider.sendPayment(theirs.bolt11))).name, 'RejectionError', 'not enabled');
      equal((globalThis as { webln?: unknown }).webln, undefined, 'nothing on window unless the page asks');
      await provider.enable();
      const info = await provider.getInfo();
      equal(info.node.pubkey, n.id);
      const wInv = await peerCall<{ bolt11: string; payment_hash: string }>('invoice', {
        amount_msat: 1_000_000,
        label: `webln-${dataName}`,
        description: 'webln',
      });
      const sent = await provider.sendPayment(wInv.bolt11);
      equal(sent.paymentHash, wInv.payment_hash);
      equal(await hashOf(sent.preimage), wInv.payment_hash);
      equal((await peerCall<Invoice>('waitinvoice', { label: `webln-${dataName}` })).payment_preimage, sent.preimage);
      expected -= 1_000_000;
      const made = await provider.makeInvoice({ amount: 1500, defaultMemo: 'webln receive' });
      const mDec = (await n.call('decode', { string: made.paymentRequest })) as { amount_msat: number; description: string };
      deepEqual([Number(mDec.amount_msat), mDec.description], [1_500_000, 'webln receive']);
      const mPaid = await peerCall<{ payment_preimage: string }>('xpay', { invstring: made.paymentRequest });
      const mInv = (await n.call('listinvoices', { payment_hash: made.paymentHash })) as { invoices: Invoice[] };
      deepEqual([mInv.invoices[0]?.status, mInv.invoices[0]?.payment_preimage], ['paid', mPaid.payment_preimage]);
      expected += 1_500_000;
      const ks = await provider.keysend({ destination: peer.id, amount: 700, customRecords: { '696969': 'hello' } });
      equal(await hashOf(ks.preimage), ks.paymentHash);
      expected -= 700_000;
      equal((await rejection(provider.makeInvoice({ amount: 10, minimumAmount: 100 }))).name, 'InvalidDataError');
      const tooMuch = await peerCall<{ bolt11: string }>('invoice', {
        amount_msat: FUNDING_SAT * 1000,
        label: `big-${dataName}`,
        description: 'too much',
      });
      const routing = await rejection(provider.sendPayment(tooMuch.bolt11));
      equal(routing.name, 'RoutingError', routing.message);
      const signed = await provider.signMessage('boltworker');
      equal(signed.message, 'boltworker');
      deepEqual(await provider.verifyMessage(signed.signature, 'boltworker'), { valid: true, pubkey: n.id });
      equal((await provider.verifyMessage(signed.signature, 'something else')).valid, false);
      equal(
        (await peerCall<{ verified: boolean }>('checkmessage', { message: 'boltworker', zbase: signed.signature, pubkey: n.id })).verified,
        true,
      );
      await settledTab();
      equal(await balance(), expected, 'the balance moved by exactly what was paid');

      // The page's opt-in to WebLN's global: window.webln and a webln:ready event.
      let announced = 0;
      addEventListener('webln:ready', () => announced++, { once: true });
      const injected = enableWebLN(n);
      equal((globalThis as { webln?: unknown }).webln, injected);
      equal(announced, 1);
      delete (globalThis as { webln?: unknown }).webln;

      const pays = async () =>
        ((await n.call('listpays', {})) as { pays: { payment_hash: string; status: string; preimage?: string }[] }).pays;
      const invoices = async () => ((await n.call('listinvoices', {})) as { invoices: Invoice[] }).invoices;
      const summary = async () => ({
        pays: (await pays())
          .filter(p => p.status === 'complete')
          .map(p => p.preimage)
          .sort(),
        invoices: (await invoices())
          .filter(i => i.status === 'paid')
          .map(i => i.payment_preimage)
          .sort(),
      });
      const before = await summary();
      deepEqual(before.pays, [paid.payment_preimage, sent.preimage, ks.preimage].sort());
      deepEqual(before.invoices, [back.payment_preimage, mPaid.payment_preimage].sort());
      await n.stop();

      n = await startNode(options);
      deepEqual(await summary(), before, 'the same payments and invoices after the reload');
    } finally {
      await n.stop();
    }
  });
});
