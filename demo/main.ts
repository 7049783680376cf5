// The demo page: a real boltworker node (src/web: lightningd here, hsmd, connectd and gossipd in
// module Workers) that connects to a peer through the WebSocket-to-TCP bridge, syncs the gossip, and
// shows the connection (and why it failed, dropped or came back), the sync, the map, routes, peers,
// channels, payments sent and received with their routes on the map (lightning.ts) and a JSON-RPC
// console listing the node's methods.
// Query parameters: `bridge` (URL template), `peer` (id@host:port), `data` (the node's data name,
// default 'demo'), `channels` (the full channel count, for the progress bar before the peer says),
// `esplora` (the chain's Esplora URL: the node checks channels on it and runs its wallet over it).
import { startNode, type WebNode } from '../src/web/index.ts';
import { FeatureVector } from '../src/core/features/index.ts';
import { fromHex } from '../src/core/base/bytes.ts';
import { GraphMap, type MapEdge, type MapNode } from './graph.ts';
import { showLightning } from './lightning.ts';
import { showWallet } from './wallet.ts';

declare global {
  interface Window {
    boltworker?: { call(method: string, params?: unknown): Promise<unknown>; node: WebNode };
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const q = new URLSearchParams(location.search);
const bridge = q.get('bridge') ?? undefined;
const peer = q.get('peer') ?? undefined;
const peerId = peer?.split('@')[0];
const dataName = q.get('data') ?? 'demo';
const esplora = q.get('esplora') ?? undefined;
const fullChannels = Number(q.get('channels') ?? 0) || 0;
/** While the peer is not connected, the page asks `connect` this often (connectd also retries on its own). */
const PROBE_MS = 5000;

interface ListNodes {
  nodes: { nodeid: string; alias?: string; color?: string }[];
}
interface ListChannels {
  channels: { source: string; destination: string; short_channel_id: string }[];
}
interface Peers {
  peers: { id: string; connected: boolean; netaddr?: string[]; features?: string }[];
}
interface Hop {
  id: string;
  channel: string;
  direction: number;
  amount_msat: number;
  delay: number;
}
interface HelpEntry {
  command: string;
  category: string;
  description: string;
}
interface RpcFailure {
  code?: unknown;
  message?: string;
}

const short = (id: string) => `${id.slice(0, 10)}…${id.slice(-4)}`;
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2);
const messageOf = (e: unknown) => (e as RpcFailure)?.message ?? String(e);

function featureNames(hex: string): string[] {
  try {
    return FeatureVector.fromBytes(fromHex(hex))
      .list()
      .map(f => `${f.name} (${f.bit}, ${f.support})`);
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
      dd.title = v;
      return [dt, dd];
    }),
  );
}

/** A table row; each cell is a string, or [shown, full] (the full text is the cell's title). */
function row(cells: (string | [string, string])[], wrapLast = false): HTMLTableRowElement {
  const tr = document.createElement('tr');
  cells.forEach((c, i) => {
    const td = document.createElement('td');
    const [shown, full] = typeof c === 'string' ? [c, c] : c;
    td.textContent = shown;
    td.title = full;
    if (wrapLast && i === cells.length - 1) td.className = 'wrap';
    tr.append(td);
  });
  return tr;
}

function showError(e: unknown): void {
  const el = $('error');
  const code = (e as RpcFailure)?.code;
  const c = typeof code === 'string' || typeof code === 'number' ? String(code) : '';
  el.textContent = `${c ? `${c}: ` : ''}${messageOf(e)}`;
  el.dataset.code = c;
  el.hidden = false;
}

// ---- the connection: its state, the reason shown, and a log of what happened ----

type ConnState = 'connecting' | 'connected' | 'disconnected' | 'unreachable' | 'none';

function setConn(state: ConnState, text: string, reason?: string): void {
  const s = $('conn-state');
  s.dataset.state = state;
  s.textContent = text;
  const r = $('conn-reason');
  r.textContent = reason ?? '';
  r.hidden = !reason;
}

function logConn(text: string): void {
  const li = document.createElement('li');
  const t = document.createElement('time');
  t.textContent = new Date().toLocaleTimeString();
  li.append(t, text);
  const log = $('conn-log');
  log.prepend(li);
  while (log.children.length > 30) log.lastElementChild!.remove();
}

/** Why a connect failed, in words: the bridge (down, or refusing us), or the peer behind it. */
function explainUnreachable(e: unknown): string {
  const m = messageOf(e);
  const code = (e as RpcFailure)?.code;
  const via = bridge?.replace(/\/?\{host\}.*$/, '');
  let why: string;
  if (!bridge) why = 'A browser reaches a TCP-only peer through a bridge: add ?bridge=ws://HOST:PORT/{host}:{port}.';
  else if (/closed before opening/.test(m))
    why = `The bridge at ${via} did not open a WebSocket: it is not running, or it refused this page. (\`npm start\` starts it; Ctrl-C stops it.)`;
  else why = `The bridge at ${via} answered, but the peer behind it did not: it may have stopped.`;
  return `${why} connectd keeps trying, and so does this page every ${PROBE_MS / 1000} s. (connect: error ${typeof code === 'number' ? code : '?'}, ${m})`;
}

/** Why a connection ended, in words, and what happens next. */
function explainDisconnect(reason: string): string {
  const next =
    'The peer is kept connected (it was given as ?peer), so connectd dials it again after 1 s, doubling up to 300 s while it fails.';
  if (/disconnect requested/.test(reason)) return `You asked for it (disconnect). ${next}`;
  if (/peer closed/.test(reason)) return `The peer (or the bridge between us) closed the connection: it may have stopped. ${next}`;
  if (/ping|pong|timeout/i.test(reason)) return `The peer stopped answering (${reason}). ${next}`;
  return `${reason}. ${next}`;
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
    ...(esplora ? { esplora } : {}),
    gossipdConfig: { rangeTimeoutMs: 10_000, scidTimeoutMs: 10_000 },
  });
  window.boltworker = { call: (m, p) => node.call(m, p), node };
  addEventListener('pagehide', () => void node.stop());
  status.textContent = 'running';
  document.body.dataset.ready = 'true';
  if (esplora) showWallet(node, { balance: $('wallet-balance'), button: $<HTMLButtonElement>('wallet-coins'), text: $('wallet-text') });
  node.on('daemon_error', e => showError({ message: `${e.daemon} failed: ${e.message}` }));

  // Connection: peer_connected means the BOLT 8 handshake and the `init` exchange are done.
  let connected = false;
  let lastDrop: string | undefined;
  if (!peer) setConn('none', 'no peer given (add ?peer=id@host:port&bridge=...)');
  else logConn(`connecting to ${short(peerId!)} ${bridge ? 'through the bridge' : 'directly'}`);
  /** The peer is connected: from its peer_connected event, or from a `connect` that found it connected (the event came before the page listened). */
  function showConnected(e: {
    id: string;
    direction: string;
    features: string;
    counter?: number;
    address?: { address: string; port: number };
  }): void {
    connected = true;
    setConn('connected', 'connected: BOLT 8 handshake and init done');
    const which = e.counter === undefined ? '' : `connection #${e.counter}`;
    logConn(
      lastDrop ? `reconnected (${which || e.direction}) after: ${lastDrop}` : `connected (${which ? `${which}, ` : ''}${e.direction})`,
    );
    lastDrop = undefined;
    dl($('conn'), [
      ['peer', e.id],
      ['direction', e.direction],
      ['address', e.address ? `${e.address.address}:${e.address.port}` : '(unknown)'],
      ['via bridge', bridge ?? '(direct)'],
      ['connection #', e.counter === undefined ? '(before the page listened)' : String(e.counter)],
      ['features (hex)', e.features],
    ]);
    $('features').replaceChildren(
      ...featureNames(e.features).map(n => {
        const li = document.createElement('li');
        li.textContent = n;
        return li;
      }),
    );
    void refreshPeers();
  }
  node.on('peer_connected', showConnected);
  node.on('peer_disconnected', e => {
    if (e.id !== peerId) return;
    connected = false;
    lastDrop = e.reason;
    setConn('disconnected', `disconnected from ${short(e.id)}: reconnecting…`, explainDisconnect(e.reason));
    logConn(`disconnected (connection #${e.counter}): ${e.reason}`);
    void refreshPeers();
  });
  // connectd retries the peer on its own but tells no one why an attempt failed: `connect` (which
  // joins an attempt in progress) does, with each address's reason.
  let lastFailure = '';
  async function probe(): Promise<void> {
    if (!peer || connected) return;
    try {
      const r = (await node.call('connect', { id: peer })) as Parameters<typeof showConnected>[0];
      if (!connected) showConnected(r);
    } catch (e) {
      if (connected) return;
      const why = explainUnreachable(e);
      setConn('unreachable', 'cannot reach the peer', why);
      if (messageOf(e) !== lastFailure) logConn(`connect failed: ${messageOf(e)}`);
      lastFailure = messageOf(e);
    }
  }
  void probe();
  setInterval(() => void probe(), PROBE_MS);

  const info = (await node.call('getinfo')) as Record<string, unknown>;
  dl($('us'), [
    ['id', node.id],
    ['alias', String(info.alias ?? '')],
    ['network', node.network],
    ['data name', dataName],
    ['bridge', bridge ?? '(none)'],
    ['version', String(info.version ?? '')],
  ]);

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
      .then(i => {
        const g = (i as { gossip?: Parameters<typeof showProgress>[0] }).gossip;
        if (g) showProgress(g);
        scheduleGraph();
      })
      .catch(() => undefined);
  }, 2000);

  // The map, redrawn at most once a second while the graph grows; hover names a node, click routes to it.
  const canvas = $<HTMLCanvasElement>('graph');
  const map = new GraphMap(canvas);
  let graphTimer: ReturnType<typeof setTimeout> | undefined;
  let aliases = new Map<string, string>();
  function scheduleGraph(): void {
    graphTimer ??= setTimeout(() => {
      graphTimer = undefined;
      void drawGraph();
    }, 1000);
  }
  const hoverCard = $('graph-hover');
  const hoverHint = hoverCard.innerHTML;
  canvas.addEventListener('mousemove', ev => {
    const n = map.nodeAt(ev.clientX, ev.clientY);
    map.hover(n?.id);
    canvas.title = n ? `${n.alias} (${n.id})` : '';
    canvas.dataset.hover = n?.id ?? '';
    if (!n) {
      hoverCard.innerHTML = hoverHint;
      return;
    }
    const h = document.createElement('h3');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = `#${n.color}`;
    h.append(sw, n.alias);
    const d = document.createElement('dl');
    dl(d, [
      ['id', n.id],
      ['channels', String(n.channels)],
      ['colour', `#${n.color}`],
    ]);
    const tip = document.createElement('p');
    tip.className = 'muted';
    tip.textContent = 'Click to find a route to it.';
    hoverCard.replaceChildren(h, d, tip);
  });
  canvas.addEventListener('mouseleave', () => {
    map.hover(undefined);
    canvas.dataset.hover = '';
    hoverCard.innerHTML = hoverHint;
  });
  canvas.addEventListener('click', ev => {
    const n = map.nodeAt(ev.clientX, ev.clientY);
    if (!n) return;
    $<HTMLSelectElement>('route-to').value = n.id;
    $<HTMLFormElement>('route-form').requestSubmit();
  });
  // What the map last showed: channel directions and nodes (channel_updates arrive after their
  // channel_announcement, so the channel count alone can settle before the edges do).
  let drawn = '';
  // Our own nodes and channels (lightning.ts): private, so not in the gossip.
  let own: { nodes: MapNode[]; edges: MapEdge[] } = { nodes: [], edges: [] };
  const ownShape = () => JSON.stringify([own.nodes.map(n => [n.id, n.alias]), own.edges]);
  async function drawGraph(): Promise<void> {
    const [ln, lc] = (await Promise.all([node.call('listnodes'), node.call('listchannels')])) as [ListNodes, ListChannels];
    const shape = `${ln.nodes.length}/${lc.channels.length}/${ownShape()}`;
    if (shape === drawn) return;
    drawn = shape;
    const ownIds = new Set(own.nodes.map(n => n.id));
    const nodes: MapNode[] = ln.nodes
      .filter(n => !ownIds.has(n.nodeid))
      .map(n => ({ id: n.nodeid, alias: n.alias ?? short(n.nodeid), color: n.color ?? '888888' }));
    map.set([...nodes, ...own.nodes], [...lc.channels.map(c => ({ a: c.source, b: c.destination })), ...own.edges]);
    canvas.dataset.nodes = String(nodes.length);
    canvas.dataset.directions = String(lc.channels.length);
    canvas.dataset.own = own.nodes.map(n => n.id).join(',');
    $('graph-text').textContent =
      `${nodes.length} nodes, ${new Set(lc.channels.map(c => c.short_channel_id)).size} channels from the gossip${own.nodes.length ? `; in blue, ours: ${own.nodes.length} nodes, ${own.edges.length} private channels` : ''}`;
    const next = new Map(nodes.map(n => [n.id, n.alias]));
    if (next.size !== aliases.size) {
      aliases = next;
      const degree = new Map<string, number>();
      for (const c of lc.channels) degree.set(c.source, (degree.get(c.source) ?? 0) + 1);
      fillSelects(nodes, degree);
    }
  }
  scheduleGraph();

  showLightning({
    node,
    peerId,
    aliasOf: id => aliases.get(id) ?? short(id),
    setOwn: (nodes, edges) => {
      own = { nodes, edges };
      scheduleGraph();
    },
    showRoute: ids => {
      map.showRoute(ids);
      canvas.dataset.route = ids.join(',');
    },
  });

  // Route finder.
  /** Both lists by alias; the first choice a pair of the best-connected nodes (likely to have a route). */
  function fillSelects(nodes: MapNode[], degree: Map<string, number>): void {
    const sorted = [...nodes].sort((x, y) => x.alias.localeCompare(y.alias));
    const hubs = [...nodes].sort((x, y) => (degree.get(y.id) ?? 0) - (degree.get(x.id) ?? 0));
    for (const [id, pick] of [
      ['route-from', hubs[0]?.id],
      ['route-to', hubs[1]?.id],
    ] as const) {
      const sel = $<HTMLSelectElement>(id);
      const was = sel.value;
      sel.replaceChildren(
        ...sorted.map(n => {
          const o = document.createElement('option');
          o.value = n.id;
          o.textContent = `${n.alias} (${n.id.slice(0, 8)})`;
          return o;
        }),
      );
      sel.value = was && aliases.has(was) ? was : (pick ?? '');
    }
  }
  $('route-form').addEventListener('submit', ev => {
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
      .then(r => {
        const hops = (r as { route: Hop[] }).route;
        body.replaceChildren(
          ...hops.map((h, i) => {
            const fee = i + 1 < hops.length ? h.amount_msat - hops[i + 1]!.amount_msat : 0;
            return row([
              String(i + 1),
              [aliases.get(h.id) ?? short(h.id), h.id],
              h.channel,
              String(h.amount_msat),
              String(fee),
              String(h.delay),
            ]);
          }),
        );
        const total = hops.length ? hops[0]!.amount_msat - hops[hops.length - 1]!.amount_msat : 0;
        text.textContent = `${hops.length} hops, ${total} msat in fees, ${hops[0]?.delay ?? 0} blocks of delay`;
        map.showRoute([fromid, ...hops.map(h => h.id)]);
        canvas.dataset.route = [fromid, ...hops.map(h => h.id)].join(',');
      })
      .catch((e: RpcFailure) => {
        text.textContent = `no route (error ${String(e.code)}): ${e.message ?? ''}`;
        map.showRoute([]);
      });
  });

  // Peers.
  async function refreshPeers(): Promise<void> {
    const r = (await node.call('listpeers')) as Peers;
    $('peers')
      .querySelector('tbody')!
      .replaceChildren(
        ...r.peers.map(p => {
          const addr = (p.netaddr ?? []).join(', ');
          const features = featureNames(p.features ?? '')
            .map(n => n.split(' ')[0]!)
            .join(', ');
          return row([[short(p.id), p.id], String(p.connected), [addr || '—', addr], features], true);
        }),
      );
  }
  setInterval(() => void refreshPeers().catch(() => undefined), 3000);
  void refreshPeers();

  // JSON-RPC console: the methods `help` lists, each a button that fills the form.
  const usage = new Map<string, HelpEntry>();
  const methodInput = $<HTMLInputElement>('rpc-method');
  const showUsage = () => {
    const h = usage.get(methodInput.value.trim());
    $('rpc-usage').textContent = h ? `${h.command} — ${h.description} (${h.category})` : '';
  };
  try {
    const help = ((await node.call('help')) as { help: HelpEntry[] }).help;
    for (const h of help) usage.set(h.command.split(' ')[0]!, h);
    $('rpc-method-list').replaceChildren(
      ...[...usage.keys()].map(m => {
        const o = document.createElement('option');
        o.value = m;
        return o;
      }),
    );
    $('rpc-methods').replaceChildren(
      ...[...usage.entries()].map(([m, h]) => {
        const li = document.createElement('li');
        const b = document.createElement('button');
        b.type = 'button';
        b.dataset.method = m;
        b.title = `${h.command}\n${h.description}`;
        const cat = document.createElement('span');
        cat.className = 'cat';
        cat.textContent = h.category;
        b.append(m, cat);
        b.addEventListener('click', () => {
          methodInput.value = m;
          // Named parameters, required ones first: `connect id [host] [port]` → {"id": ""}.
          const required = h.command
            .split(' ')
            .slice(1)
            .filter(p => !p.startsWith('['));
          $<HTMLInputElement>('rpc-params').value = JSON.stringify(Object.fromEntries(required.map(p => [p, ''])));
          showUsage();
        });
        li.append(b);
        return li;
      }),
    );
  } catch (e) {
    $('rpc-usage').textContent = `help failed: ${messageOf(e)}`;
  }
  methodInput.addEventListener('input', showUsage);
  showUsage();
  $('rpc-form').addEventListener('submit', ev => {
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
    const method = methodInput.value.trim();
    node
      .call(method, params)
      .then(r => {
        out.textContent = json(r);
        if (method === 'stop') {
          $('status').textContent = 'stopped (the `stop` command): reload the page to start the node again';
          setConn('none', 'the node was stopped');
        }
      })
      .catch((e: RpcFailure) => (out.textContent = json({ error: { code: e.code, message: e.message } })));
  });
}

main().catch(e => {
  $('status').textContent = 'not running';
  document.body.dataset.ready = 'error';
  setConn('none', 'the node did not start');
  showError(e);
  console.error(e);
});
