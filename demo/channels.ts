// The page's Channels panel: `fundchannel` to the peer (node B), then the chain mines minimum_depth
// blocks on the page's request (as "get test coins" does: /chain/regtest/mine through the page's
// origin), so the channel reaches CHANNELD_NORMAL; `listpeerchannels` with state and balances; `close`
// (and a block). It also gives the map our part of the network: the tab, its peers, and the demo's
// own nodes and channels (the demo server's /demo/network: B's channels, to C and to the tab).
import { control } from './wallet.ts';
import { OWN_COLOR, type MapEdge } from './graph.ts';
import { $, cell, demoApi, failure, msat, sat, type LightningUi } from './ui.ts';

export interface PeerChannel {
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
interface DemoNetwork {
  a: { id: string; alias: string };
  b: { id: string; alias: string };
  c: { id: string; alias: string };
  channels: { peer_id: string; short_channel_id?: string; state: string }[];
}
const NORMAL = /^CHANNELD_NORMAL:channeld normal/;
/** A channel still open (being locked in, normal, shutting down): drawn on the map. */
const live = (state: string) => state.startsWith('CHANNELD_');
/** While a channel is pending, the page looks this often. */
const POLL_MS = 500;

export interface Channels {
  /** The tab's channels as last listed. */
  list(): PeerChannel[];
  refresh(): Promise<PeerChannel[]>;
  /** A node's name: ours ("this tab", the demo's A, B, C) or the map's. */
  nameOf(id: string): string;
}

export function showChannels(ui: LightningUi): Channels {
  const { node } = ui;
  const me = node.id;
  let network: DemoNetwork | undefined;
  let channels: PeerChannel[] = [];

  // ---- our part of the map: the tab, its peers, and the demo's own nodes and channels ----
  const names = new Map<string, string>([[me, 'this tab']]);
  const nameOf = (id: string) => names.get(id) ?? ui.aliasOf(id);
  function drawOwn(): void {
    const edges: MapEdge[] = channels.filter(c => live(c.state)).map(c => ({ a: me, b: c.peer_id }));
    if (network) for (const c of network.channels) if (c.peer_id !== me && live(c.state)) edges.push({ a: network.b.id, b: c.peer_id });
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

  void loadNetwork();
  void refreshChannels().catch(() => undefined);
  setInterval(() => void refreshChannels().catch(() => undefined), 2000);
  return { list: () => channels, refresh: refreshChannels, nameOf };
}
