// The page's Pay, Receive and Payments panels:
// - Pay: a bolt11 pasted, or one asked of the demo's nodes B or C (the demo server's /demo/invoice:
//   scripts/demo-payments.ts), shown with `decode` and paid with `xpay`.
// - Receive: `invoice`, "have B pay this" (the demo server's /demo/pay: B's xpay, of the tab's
//   invoices only), shown paid when `waitanyinvoice` answers with it.
// - Payments: sent (`listpays`) and received (`listinvoices`, paid), each with its route drawn on
//   the map. listpays does not carry routes (nor does Core Lightning's): a sent payment's route is
//   rebuilt as xpay found it, from our channels, the invoice's route hints (our private channels'
//   only way in) and `getroute` over the gossip; a received one shows its last hop (the peer of the
//   channel it came in on, the only hop a payee knows).
import type { Channels } from './channels.ts';
import { $, cell, demoApi, failure, messageOf, msat, sat, type LightningUi } from './ui.ts';

interface Pay {
  payment_hash: string;
  status: string;
  destination?: string;
  bolt11?: string;
  created_at: number;
  amount_msat?: number | bigint;
  amount_sent_msat?: number | bigint;
}
interface Invoice {
  label: string;
  status: string;
  bolt11: string;
  payment_hash: string;
  pay_index?: number;
  paid_at?: number;
  created_index?: number;
  amount_msat?: number | bigint;
  amount_received_msat?: number | bigint;
}
interface Decoded {
  payee: string;
  amount_msat?: number | bigint;
  description?: string;
  routes?: { pubkey: string; short_channel_id: string }[][];
}
export function showPayments(ui: LightningUi, ch: Channels): void {
  const { node } = ui;
  const me = node.id;
  const nameOf = ch.nameOf;

  // ---- pay ----
  const bolt11In = $<HTMLTextAreaElement>('pay-bolt11');
  const decodedText = $('pay-decoded');
  const payResult = $('pay-result');
  async function showDecoded(): Promise<void> {
    const s = bolt11In.value.trim();
    if (!s) return void (decodedText.textContent = '');
    try {
      const d = (await node.call('decode', { string: s })) as Decoded;
      const hints = (d.routes ?? []).map(r => r.map(h => nameOf(h.pubkey)).join(' → ')).join('; ');
      decodedText.textContent = `${d.amount_msat === undefined ? 'any amount' : `${sat(msat(d.amount_msat))} sat`} to ${nameOf(d.payee)}: "${d.description ?? ''}"${hints ? `; route hints through ${hints}` : ''}`;
    } catch (e) {
      decodedText.textContent = `not an invoice: ${messageOf(e)}`;
    }
  }
  bolt11In.addEventListener('input', () => void showDecoded());
  for (const b of document.querySelectorAll<HTMLButtonElement>('#pay-get button[data-node]')) {
    b.addEventListener('click', () => {
      void (async () => {
        try {
          const amount_msat = Number($<HTMLInputElement>('pay-amount').value) * 1000;
          const inv = await demoApi<{ bolt11: string }>('invoice', { node: b.dataset.node, amount_msat });
          bolt11In.value = inv.bolt11;
          payResult.textContent = '';
          payResult.dataset.status = '';
          await showDecoded();
        } catch (e) {
          decodedText.textContent = `no invoice: ${failure(e)}`;
        }
      })();
    });
  }
  $('pay-form').addEventListener('submit', ev => {
    ev.preventDefault();
    void (async () => {
      const button = $<HTMLButtonElement>('pay-button');
      button.disabled = true;
      payResult.dataset.status = 'paying';
      payResult.textContent = 'xpay…';
      try {
        const invstring = bolt11In.value.trim();
        const r = (await node.call('xpay', { invstring, retry_for: 30 })) as {
          payment_preimage: string;
          amount_msat: number | bigint;
          amount_sent_msat: number | bigint;
          failed_parts: number;
          successful_parts: number;
        };
        const fee = msat(r.amount_sent_msat) - msat(r.amount_msat);
        payResult.dataset.status = 'paid';
        payResult.dataset.feeMsat = String(fee);
        payResult.textContent = `paid ${sat(msat(r.amount_msat))} sat (+${fee} msat in fees) in ${r.successful_parts} part(s), ${r.failed_parts} failed attempt(s); preimage ${r.payment_preimage}`;
        const pays = await refreshPayments();
        const hash = ((await node.call('decode', { string: invstring })) as { payment_hash: string }).payment_hash;
        const p = pays.find(x => x.hash === hash);
        if (p) show(p);
      } catch (e) {
        payResult.dataset.status = 'failed';
        payResult.textContent = `not paid: ${failure(e)}`;
      } finally {
        button.disabled = false;
        void ch.refresh();
      }
    })();
  });

  // ---- receive ----
  const recvOut = $<HTMLTextAreaElement>('recv-bolt11');
  const recvStatus = $('recv-status');
  const bPays = $<HTMLButtonElement>('recv-b-pays');
  let waitingLabel: string | undefined;
  $('recv-form').addEventListener('submit', ev => {
    ev.preventDefault();
    void (async () => {
      try {
        const amount_msat = Number($<HTMLInputElement>('recv-amount').value) * 1000;
        const label = `demo-${Date.now()}`;
        const inv = (await node.call('invoice', {
          amount_msat,
          label,
          description: $<HTMLInputElement>('recv-desc').value || 'demo',
        })) as { bolt11: string };
        recvOut.value = inv.bolt11;
        waitingLabel = label;
        recvStatus.dataset.status = 'unpaid';
        recvStatus.textContent = `invoice ${label} for ${sat(amount_msat)} sat: waiting for a payment (waitanyinvoice)…`;
        bPays.disabled = false;
      } catch (e) {
        recvStatus.textContent = `invoice failed: ${failure(e)}`;
      }
    })();
  });
  bPays.addEventListener('click', () => {
    void (async () => {
      bPays.disabled = true;
      try {
        await demoApi('pay', { bolt11: recvOut.value.trim() });
      } catch (e) {
        recvStatus.textContent = `B did not pay: ${failure(e)}`;
        bPays.disabled = false;
      }
    })();
  });
  /** waitanyinvoice, one paid invoice after another, for as long as the node runs. */
  async function watchInvoices(): Promise<void> {
    const all = ((await node.call('listinvoices', {})) as { invoices: Invoice[] }).invoices;
    let last = Math.max(0, ...all.map(i => i.pay_index ?? 0));
    for (;;) {
      let inv: Invoice;
      try {
        inv = (await node.call('waitanyinvoice', { lastpay_index: last })) as Invoice;
      } catch {
        return; // the node stopped
      }
      last = inv.pay_index ?? last + 1;
      if (inv.label === waitingLabel) {
        recvStatus.dataset.status = 'paid';
        recvStatus.textContent = `paid: ${sat(msat(inv.amount_received_msat))} sat received on invoice ${inv.label}`;
      }
      const pays = await refreshPayments();
      const p = pays.find(x => x.hash === inv.payment_hash && x.direction === 'received');
      if (p) show(p);
      void ch.refresh();
    }
  }

  // ---- payments, sent and received, with their routes ----
  interface Shown {
    direction: 'sent' | 'received';
    hash: string;
    status: string;
    amountMsat: number;
    feeMsat: number;
    at: number;
    route: string[];
  }
  const routes = new Map<string, string[]>();
  /** A sent payment's route as xpay found it: our channel to the payee, or to a route hint's entry, or getroute over the gossip. */
  async function sentRoute(p: Pay): Promise<string[]> {
    const dest = p.destination;
    if (!dest) return [me];
    const peers = new Set(ch.list().map(c => c.peer_id));
    if (peers.has(dest)) return [me, dest];
    if (p.bolt11) {
      const d = (await node.call('decode', { string: p.bolt11 })) as Decoded;
      const hint = (d.routes ?? []).find(r => peers.has(r[0]?.pubkey ?? ''));
      if (hint) return [me, ...hint.map(h => h.pubkey), dest];
    }
    try {
      const r = (await node.call('getroute', { id: dest, amount_msat: msat(p.amount_msat) || 1, riskfactor: 10 })) as {
        route: { id: string }[];
      };
      return [me, ...r.route.map(h => h.id)];
    } catch {
      return [me, dest];
    }
  }
  /** A received payment's last hop: the route hint's entry (the peer of our channel), then us. */
  async function receivedRoute(i: Invoice): Promise<string[]> {
    const d = (await node.call('decode', { string: i.bolt11 })) as Decoded;
    const from = d.routes?.[0]?.[0]?.pubkey ?? ch.list()[0]?.peer_id;
    return from ? [from, me] : [me];
  }
  async function refreshPayments(): Promise<Shown[]> {
    const [pays, invoices] = await Promise.all([
      node.call('listpays', {}) as Promise<{ pays: Pay[] }>,
      node.call('listinvoices', {}) as Promise<{ invoices: Invoice[] }>,
    ]);
    const list: Shown[] = [];
    for (const p of pays.pays) {
      const key = `sent:${p.payment_hash}:${p.created_at}`;
      if (!routes.has(key)) routes.set(key, await sentRoute(p));
      const amount = msat(p.amount_msat);
      list.push({
        direction: 'sent',
        hash: p.payment_hash,
        status: p.status,
        amountMsat: amount,
        feeMsat: p.status === 'complete' ? msat(p.amount_sent_msat) - amount : 0,
        at: p.created_at,
        route: routes.get(key)!,
      });
    }
    for (const i of invoices.invoices.filter(x => x.status === 'paid')) {
      const key = `received:${i.payment_hash}`;
      if (!routes.has(key)) routes.set(key, await receivedRoute(i));
      list.push({
        direction: 'received',
        hash: i.payment_hash,
        status: i.status,
        amountMsat: msat(i.amount_received_msat),
        feeMsat: 0,
        at: i.paid_at ?? 0,
        route: routes.get(key)!,
      });
    }
    list.sort((x, y) => y.at - x.at);
    $('pays-table')
      .querySelector('tbody')!
      .replaceChildren(
        ...list.map(p => {
          const tr = document.createElement('tr');
          tr.dataset.direction = p.direction;
          tr.dataset.status = p.status;
          tr.dataset.hash = p.hash;
          tr.dataset.amountMsat = String(p.amountMsat);
          tr.dataset.route = p.route.join(',');
          cell(tr, p.direction);
          cell(tr, p.status);
          cell(tr, sat(p.amountMsat));
          cell(tr, String(p.feeMsat));
          const path = `${p.direction === 'received' && p.route.length > 1 ? '… → ' : ''}${p.route.map(nameOf).join(' → ')}`;
          cell(tr, path, `${path}\n${p.route.join('\n')}`);
          cell(tr, new Date(p.at * 1000).toLocaleTimeString());
          tr.addEventListener('click', () => show(p));
          return tr;
        }),
      );
    $('pays-text').textContent = list.length ? `${list.length} payment(s); click one to draw its route on the map.` : 'No payments yet.';
    return list;
  }
  function show(p: Shown): void {
    ui.showRoute(p.route);
    $('pays-route').textContent = `on the map: ${p.direction} ${sat(p.amountMsat)} sat, ${p.route.map(nameOf).join(' → ')}`;
  }

  void refreshPayments().catch(() => undefined);
  void watchInvoices();
}
