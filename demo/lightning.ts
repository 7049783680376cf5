// The page's Lightning panels, over the tab's own node (Core Lightning's RPC through node.call):
// - Channels: `fundchannel` to the peer (node B), then the chain mines minimum_depth blocks on the
//   page's request (as "get test coins" does: /chain/regtest/mine through the page's origin), so the
//   channel reaches CHANNELD_NORMAL; `listpeerchannels` with state and balances; `close` (and a block).
// - Pay: a bolt11 pasted, or one asked of the demo's nodes B or C (the demo server's /demo/invoice:
//   scripts/demo-payments.ts), shown with `decode` and paid with `xpay`.
// - Receive: `invoice`, "have B pay this" (the demo server's /demo/pay: B's xpay, of the tab's
//   invoices only), shown paid when `waitanyinvoice` answers with it.
// - Payments: sent (`listpays`) and received (`listinvoices`, paid), each with its route drawn on
//   the map. listpays does not carry routes (nor does Core Lightning's): a sent payment's route is
//   rebuilt as xpay found it, from our channels, the invoice's route hints (our private channels'
//   only way in) and `getroute` over the gossip; a received one shows its last hop (the peer of the
//   channel it came in on, the only hop a payee knows).
import type { WebNode } from '../src/web/index.ts';
import { control } from './wallet.ts';
import { OWN_COLOR, type MapEdge, type MapNode } from './graph.ts';

interface PeerChannel {
  peer_id: string;
  peer_connected: boolean;
  state: string;
  channel_id: string;
  short_channel_id?: string;
  to_us_msat: number | bigint;
  total_msat: number | bigint;
  spendable_msat: number | bigint;
  receivable_msat: number | bigint;
  status?: string[];
}
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
interface DemoNetwork {
  a: { id: string; alias: string };
  b: { id: string; alias: string };
  c: { id: string; alias: string };
  channels: { peer_id: string; short_channel_id?: string; state: string }[];
}
interface RpcFailure {
  code?: unknown;
  message?: string;
}

export interface LightningUi {
  node: WebNode;
  /** The peer the page connects to (node B). */
  peerId: string | undefined;
  /** A node's name: the gossip's alias, ours, or a cut id. */
  aliasOf(id: string): string;
  /** Our nodes and channels for the map (not in the gossip: private channels). */
  setOwn(nodes: MapNode[], edges: MapEdge[]): void;
  /** Draws a route (node ids, first to last) on the map. */
  showRoute(ids: string[]): void;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const msat = (v: unknown) => Number(v ?? 0);
const sat = (m: number) => Math.floor(m / 1000).toLocaleString('en-US');
const messageOf = (e: unknown) => (e as RpcFailure)?.message ?? String(e);
const failure = (e: unknown) => {
  const code = (e as RpcFailure)?.code;
  return `${typeof code === 'number' || typeof code === 'string' ? `error ${code}: ` : ''}${messageOf(e)}`;
};
const NORMAL = /^CHANNELD_NORMAL:channeld normal/;
/** While a channel is pending, the page looks this often. */
const POLL_MS = 500;

/** The demo server's endpoints (scripts/demo-payments.ts), on the page's origin. */
async function demoApi<T>(path: string, body?: unknown): Promise<T> {
  const r = await fetch(new URL(`demo/${path}`, location.href), {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await r.text();
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`/demo/${path}: HTTP ${r.status}`);
  }
  if (!r.ok) throw Object.assign(new Error((v as RpcFailure).message ?? `HTTP ${r.status}`), { code: (v as RpcFailure).code ?? r.status });
  return v as T;
}

function cell(tr: HTMLTableRowElement, text: string, title = text): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  td.title = title;
  tr.append(td);
  return td;
}

export function showLightning(ui: LightningUi): void {
  const { node } = ui;
  const me = node.id;
  let network: DemoNetwork | undefined;
  let channels: PeerChannel[] = [];

  // ---- our part of the map: the tab, its peers, and the demo's own nodes and channels ----
  const names = new Map<string, string>([[me, 'this tab']]);
  const nameOf = (id: string) => names.get(id) ?? ui.aliasOf(id);
  function drawOwn(): void {
    const edges: MapEdge[] = channels.filter(c => !/CLOSED|ONCHAIN/.test(c.state)).map(c => ({ a: me, b: c.peer_id }));
    if (network)
      for (const c of network.channels)
        if (c.peer_id !== me && !/CLOSED|ONCHAIN/.test(c.state)) edges.push({ a: network.b.id, b: c.peer_id });
    const ids = new Set([me, ...(ui.peerId ? [ui.peerId] : []), ...edges.flatMap(e => [e.a, e.b])]);
    if (network) for (const n of [network.b, network.c]) ids.add(n.id);
    ui.setOwn(
      [...ids].map(id => ({ id, alias: nameOf(id), color: OWN_COLOR.slice(1), own: true })),
      edges,
    );
  }
  async function loadNetwork(): Promise<void> {
    try {
      network = await demoApi<DemoNetwork>('network');
      names.set(network.a.id, `${network.a.alias} (A)`);
      names.set(network.b.id, `${network.b.alias} (B)`);
      names.set(network.c.id, `${network.c.alias} (C)`);
      $('pay-get').hidden = false;
      $<HTMLButtonElement>('recv-b-pays').hidden = false;
    } catch {
      network = undefined; // served without the demo network: no invoices to ask for, no B to pay us
    }
    drawOwn();
  }

  // ---- channels ----
  const chanText = $('chan-text');
  let shownChannels = '';
  async function refreshChannels(): Promise<PeerChannel[]> {
    channels = ((await node.call('listpeerchannels', {})) as { channels: PeerChannel[] }).channels;
    const body = $('chan-table').querySelector('tbody')!;
    body.replaceChildren(
      ...channels.map(c => {
        const tr = document.createElement('tr');
        tr.dataset.state = c.state;
        tr.dataset.channelId = c.channel_id;
        tr.dataset.toUsMsat = String(msat(c.to_us_msat));
        cell(tr, c.short_channel_id ?? `${c.channel_id.slice(0, 10)}…`, c.channel_id);
        cell(tr, nameOf(c.peer_id), c.peer_id);
        cell(tr, c.state, (c.status ?? []).join('\n') || c.state);
        cell(tr, sat(msat(c.to_us_msat)));
        cell(tr, sat(msat(c.spendable_msat)));
        cell(tr, sat(msat(c.receivable_msat)));
        cell(tr, sat(msat(c.total_msat)));
        const td = document.createElement('td');
        if (/^(CHANNELD_NORMAL|CHANNELD_AWAITING_LOCKIN)$/.test(c.state)) {
          const b = document.createElement('button');
          b.type = 'button';
          b.textContent = 'close';
          b.className = 'chan-close';
          b.addEventListener('click', () => void closeChannel(c, b));
          td.append(b);
        }
        tr.append(td);
        return tr;
      }),
    );
    const shape = channels.map(c => `${c.channel_id}:${c.state}`).join(',');
    if (shape !== shownChannels) {
      shownChannels = shape;
      void loadNetwork();
    }
    return channels;
  }
  const waitChannel = async (channelId: string, done: (c: PeerChannel) => boolean, what: string) => {
    for (let i = 0; i < 240; i++) {
      const c = (await refreshChannels()).find(x => x.channel_id === channelId);
      if (c && done(c)) return c;
      await new Promise(r => setTimeout(r, POLL_MS));
    }
    throw new Error(`the channel did not reach ${what} in ${(240 * POLL_MS) / 1000} s`);
  };

  $('chan-form').addEventListener('submit', ev => {
    ev.preventDefault();
    void (async () => {
      const button = $<HTMLButtonElement>('chan-open');
      button.disabled = true;
      try {
        if (!ui.peerId) throw new Error('no peer to open a channel to (open the page with ?peer=)');
        const amount = Number($<HTMLInputElement>('chan-amount').value);
        const push = Number($<HTMLInputElement>('chan-push').value || 0);
        chanText.textContent = `fundchannel: ${sat(amount * 1000)} sat to ${nameOf(ui.peerId)}…`;
        const r = (await node.call('fundchannel', {
          id: ui.peerId,
          amount,
          feerate: '1000perkw',
          announce: false,
          ...(push > 0 ? { push_msat: push * 1000 } : {}),
        })) as { txid: string; channel_id: string; mindepth?: number };
        const depth = r.mindepth ?? 3;
        chanText.textContent = `funding tx ${r.txid.slice(0, 16)}… broadcast; the chain mines ${depth} blocks (the peer's minimum_depth)…`;
        await control('mine', { blocks: depth });
        chanText.textContent = `funding tx mined ${depth} deep; waiting for channel_ready both ways…`;
        const c = await waitChannel(r.channel_id, x => NORMAL.test(x.status?.[0] ?? ''), 'CHANNELD_NORMAL');
        chanText.textContent = `channel ${c.short_channel_id ?? r.channel_id} with ${nameOf(c.peer_id)} is in normal operation: ${sat(msat(c.to_us_msat))} sat on our side`;
      } catch (e) {
        chanText.textContent = `open failed: ${failure(e)}`;
      } finally {
        button.disabled = false;
      }
    })();
  });

  async function closeChannel(c: PeerChannel, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      chanText.textContent = `close: negotiating a mutual close with ${nameOf(c.peer_id)}…`;
      const r = (await node.call('close', { id: c.channel_id })) as { type: string; txids?: string[] };
      await control('mine', { blocks: 1 });
      chanText.textContent = `closed (${r.type}): tx ${(r.txids?.[0] ?? '').slice(0, 16)}… mined; the funds go back to the on-chain wallet`;
      await refreshChannels();
    } catch (e) {
      chanText.textContent = `close failed: ${failure(e)}`;
      button.disabled = false;
    }
  }

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
        void refreshChannels();
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
      void refreshChannels();
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
    const peers = new Set(channels.map(c => c.peer_id));
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
    const from = d.routes?.[0]?.[0]?.pubkey ?? channels[0]?.peer_id;
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

  void loadNetwork();
  void refreshChannels().catch(() => undefined);
  setInterval(() => void refreshChannels().catch(() => undefined), 2000);
  void refreshPayments().catch(() => undefined);
  void watchInvoices();
}
