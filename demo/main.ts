// The demo page: a real boltworker node (src/web: lightningd here, hsmd, connectd and gossipd in
// module Workers) that connects to a peer through the WebSocket-to-TCP bridge, syncs the gossip, and
// shows the connection, the sync, the graph, routes, peers and a JSON-RPC console.
// Query parameters: `bridge` (URL template), `peer` (id@host:port), `data` (the node's data name,
// default 'demo'), `channels` (the full channel count, for the progress bar before the peer says).
import { startNode, type WebNode } from '../src/web/index.ts';
import { FeatureVector } from '../src/core/features.ts';
import { fromHex } from '../src/core/bytes.ts';
import { GraphMap, type MapNode } from './graph.ts';

declare global {
  interface Window {
    boltworker?: { call(method: string, params?: unknown): Promise<unknown>; node: WebNode };
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const q = new URLSearchParams(location.search);
const bridge = q.get('bridge') ?? undefined;
const peer = q.get('peer') ?? undefined;
const dataName = q.get('data') ?? 'demo';
const fullChannels = Number(q.get('channels') ?? 0) || 0;

interface ListNodes { nodes: { nodeid: string; alias?: string; color?: string }[] }
interface ListChannels { channels: { source: string; destination: string; short_channel_id: string }[] }
interface Peers { peers: { id: string; connected: boolean; netaddr?: string[]; features?: string }[] }
interface Hop { id: string; channel: string; direction: number; amount_msat: number; delay: number }

const short = (id: string) => `${id.slice(0, 10)}…${id.slice(-4)}`;
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2);

function featureNames(hex: string): string[] {
  try {
    return FeatureVector.fromBytes(fromHex(hex)).list().map((f) => `${f.name} (${f.bit}, ${f.support})`);
  } catch {
    return [`unreadable: ${hex}`];
  }
}

function dl(el: HTMLElement, rows: [string, string][]): void {
  el.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}

function row(cells: string[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.append(td);
  }
  return tr;
}

function showError(e: unknown): void {
  const el = $('error');
  const code = (e as { code?: string })?.code;
  el.textContent = `${code ? `${code}: ` : ''}${(e as Error)?.message ?? String(e)}`;
  el.dataset.code = code ?? '';
  el.hidden = false;
}

async function main(): Promise<void> {
  const status = $('status');
  status.textContent = `starting the node '${dataName}'…`;
  const node = await startNode({
    network: 'regtest',
    dataName,
    alias: 'boltworker-demo-tab',
    ...(bridge ? { bridge } : {}),
    ...(peer ? { peers: [peer] } : {}),
    gossipdConfig: { rangeTimeoutMs: 10_000, scidTimeoutMs: 10_000 },
  });
  window.boltworker = { call: (m, p) => node.call(m, p), node };
  addEventListener('pagehide', () => void node.stop());
  status.textContent = 'running';
  document.body.dataset.ready = 'true';

  const info = (await node.call('getinfo')) as Record<string, unknown>;
  dl($('us'), [
    ['id', node.id],
    ['alias', String(info.alias ?? '')],
    ['network', node.network],
    ['data name', dataName],
    ['bridge', bridge ?? '(none)'],
    ['version', String(info.version ?? '')],
  ]);

  // Connection: peer_connected means the BOLT 8 handshake and the `init` exchange are done.
  const connState = $('conn-state');
  if (!peer) connState.textContent = 'no peer given (add ?peer=id@host:port&bridge=...)';
  node.on('peer_connected', (e) => {
    connState.dataset.state = 'connected';
    connState.textContent = 'connected: BOLT 8 handshake and init done';
    dl($('conn'), [
      ['peer', e.id],
      ['direction', e.direction],
      ['address', e.address ? `${e.address.address}:${e.address.port}` : '(unknown)'],
      ['via bridge', bridge ?? '(direct)'],
      ['connection #', String(e.counter)],
      ['features (hex)', e.features],
    ]);
    $('features').replaceChildren(
      ...featureNames(e.features).map((n) => {
        const li = document.createElement('li');
        li.textContent = n;
        return li;
      }),
    );
    void refreshPeers();
  });
  node.on('peer_disconnected', (e) => {
    connState.dataset.state = 'disconnected';
    connState.textContent = `disconnected from ${short(e.id)}: reconnecting…`;
    void refreshPeers();
  });

  // Gossip sync.
  const bar = $<HTMLProgressElement>('sync-bar');
  const syncText = $('sync-text');
  let known = 0;
  const showProgress = (p: { state: string; channels_known: number; channels_expected: number; nodes_known: number }) => {
    const expected = Math.max(p.channels_expected, fullChannels, p.channels_known, 1);
    bar.max = expected;
    bar.value = p.channels_known;
    syncText.textContent = `${p.state}: ${p.channels_known} of ${expected} channels, ${p.nodes_known} nodes`;
    syncText.dataset.channels = String(p.channels_known);
    syncText.dataset.nodes = String(p.nodes_known);
    syncText.dataset.state = p.state;
    if (p.channels_known !== known) {
      known = p.channels_known;
      scheduleGraph();
    }
  };
  node.on('gossip_progress', showProgress);
  setInterval(() => {
    void node
      .call('getinfo')
      .then((i) => {
        const g = (i as { gossip?: Parameters<typeof showProgress>[0] }).gossip;
        if (g) showProgress(g);
        scheduleGraph();
      })
      .catch(() => undefined);
  }, 2000);

  // The map, redrawn at most once a second while the graph grows.
  const map = new GraphMap($<HTMLCanvasElement>('graph'));
  let graphTimer: ReturnType<typeof setTimeout> | undefined;
  let aliases = new Map<string, string>();
  function scheduleGraph(): void {
    graphTimer ??= setTimeout(() => {
      graphTimer = undefined;
      void drawGraph();
    }, 1000);
  }
  // What the map last showed: channel directions and nodes (channel_updates arrive after their
  // channel_announcement, so the channel count alone can settle before the edges do).
  let drawn = '';
  async function drawGraph(): Promise<void> {
    const [ln, lc] = (await Promise.all([node.call('listnodes'), node.call('listchannels')])) as [ListNodes, ListChannels];
    const shape = `${ln.nodes.length}/${lc.channels.length}`;
    if (shape === drawn) return;
    drawn = shape;
    const nodes: MapNode[] = ln.nodes.map((n) => ({ id: n.nodeid, alias: n.alias ?? short(n.nodeid), color: n.color ?? '888888' }));
    map.set(nodes, lc.channels.map((c) => ({ a: c.source, b: c.destination })));
    const canvas = $('graph');
    canvas.dataset.nodes = String(nodes.length);
    canvas.dataset.directions = String(lc.channels.length);
    $('graph-text').textContent = `${nodes.length} nodes, ${new Set(lc.channels.map((c) => c.short_channel_id)).size} channels`;
    const next = new Map(nodes.map((n) => [n.id, n.alias]));
    if (next.size !== aliases.size) {
      aliases = next;
      fillSelects(nodes);
    }
  }
  scheduleGraph();

  // Route finder.
  function fillSelects(nodes: MapNode[]): void {
    const sorted = [...nodes].sort((x, y) => x.alias.localeCompare(y.alias));
    for (const [id, pick] of [['route-from', 0], ['route-to', Math.floor(sorted.length / 2)]] as const) {
      const sel = $<HTMLSelectElement>(id);
      const was = sel.value;
      sel.replaceChildren(
        ...sorted.map((n) => {
          const o = document.createElement('option');
          o.value = n.id;
          o.textContent = `${n.alias} (${n.id.slice(0, 8)})`;
          return o;
        }),
      );
      sel.value = was && aliases.has(was) ? was : (sorted[pick]?.id ?? '');
    }
  }
  $('route-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fromid = $<HTMLSelectElement>('route-from').value;
    const id = $<HTMLSelectElement>('route-to').value;
    const amount = $<HTMLInputElement>('route-amount').value.trim();
    const text = $('route-text');
    const body = $('route-table').querySelector('tbody')!;
    body.replaceChildren();
    text.textContent = 'searching…';
    node
      .call('getroute', { id, fromid, amount_msat: amount, riskfactor: 10 })
      .then((r) => {
        const hops = (r as { route: Hop[] }).route;
        body.replaceChildren(
          ...hops.map((h, i) => {
            const fee = i + 1 < hops.length ? h.amount_msat - hops[i + 1]!.amount_msat : 0;
            return row([String(i + 1), aliases.get(h.id) ?? short(h.id), h.channel, String(h.amount_msat), String(fee), String(h.delay)]);
          }),
        );
        const total = hops.length ? hops[0]!.amount_msat - hops[hops.length - 1]!.amount_msat : 0;
        text.textContent = `${hops.length} hops, ${total} msat in fees, ${hops[0]?.delay ?? 0} blocks of delay`;
        map.showRoute([fromid, ...hops.map((h) => h.id)]);
      })
      .catch((e: Error) => {
        text.textContent = `no route: ${e.message}`;
        map.showRoute([]);
      });
  });

  // Peers.
  async function refreshPeers(): Promise<void> {
    const r = (await node.call('listpeers')) as Peers;
    $('peers').querySelector('tbody')!.replaceChildren(
      ...r.peers.map((p) => row([short(p.id), String(p.connected), (p.netaddr ?? []).join(', '), featureNames(p.features ?? '').map((n) => n.split(' ')[0]).join(', ')])),
    );
  }
  setInterval(() => void refreshPeers().catch(() => undefined), 3000);
  void refreshPeers();

  // JSON-RPC console.
  $('rpc-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const out = $('rpc-out');
    let params: unknown;
    try {
      const raw = $<HTMLInputElement>('rpc-params').value.trim();
      params = raw ? JSON.parse(raw) : undefined;
    } catch (e) {
      out.textContent = `params are not JSON: ${(e as Error).message}`;
      return;
    }
    node
      .call($<HTMLInputElement>('rpc-method').value.trim(), params)
      .then((r) => (out.textContent = json(r)))
      .catch((e: { code?: unknown; message?: string }) => (out.textContent = json({ error: { code: e.code, message: e.message } })));
  });
}

main().catch((e) => {
  $('status').textContent = 'not running';
  document.body.dataset.ready = 'error';
  showError(e);
  console.error(e);
});
