// The live demo end to end: startDemo() (scripts/demo-network.ts: two Node nodes holding a signed
// 300-node / 800-channel graph, the bridge, Vite serving demo/) and the page in headless Chromium
// (the system's /usr/bin/chromium through playwright-core). The page's own node connects to node B
// through the bridge, syncs the whole graph, finds a route and draws the map; a second tab on the
// same data name is refused by the Web Lock and says so. The page shows failures (a bridge that is
// down, a disconnect and why the reconnect happened), names map nodes on hover, cuts long ids in
// tables with the full id as the title, and its console lists the RPC methods. Then the tab opens a
// channel to B, pays C's invoice across B (tab → B → C), is paid by B, and lists both payments with
// their routes on the map.
import { createServer } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startDemo, type Demo } from '../../scripts/demo-network.ts';
import { after, before, describe, it } from 'node:test';
import { equal, ok } from '../support/assert.ts';

declare const window: { boltworker?: { call(m: string, p?: unknown): Promise<unknown> } };
// The page's globals, as far as the functions run in it use them (this file has Node's types, not the DOM's).
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
declare const document: { getElementById(id: string): PageElement | null };

/** web-test-runner.config.mjs's `chromiumArgs`: headless as root, nothing that reaches beyond this machine. */
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const TIMEOUT = 60_000;

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>(r => s.close(() => r()));
  return port;
}

describe("demo: npm start's network and page", { timeout: 300_000 }, () => {
  let demo: Demo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    demo = await startDemo({ serve: 'dev' });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: chromiumArgs,
    });
    context = await browser.newContext();
    page = await context.newPage();
    page.on('pageerror', e => console.error('page error:', e.message));
    await page.goto(demo.pageUrl);
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('connects to node B through the bridge and decodes its init features', async () => {
    await page.waitForSelector('#conn-state[data-state="connected"]', { timeout: TIMEOUT });
    const features = await page.locator('#features li').allTextContents();
    ok(
      features.some(f => f.startsWith('var_onion_optin')),
      `feature names shown: ${features.join(', ')}`,
    );
    const conn = await page.locator('#conn').textContent();
    ok(conn?.includes(demo.b.id), 'the peer shown is node B');
  });

  it('syncs the full channel count and finds a route', async () => {
    await page.waitForFunction(n => Number(document.getElementById('sync-text')?.dataset?.channels) >= n, demo.expected.channels, {
      timeout: TIMEOUT,
    });
    // channel_updates follow their announcements: the map counts them (listchannels entries).
    await page.waitForFunction(n => Number(document.getElementById('graph')?.dataset?.directions) >= n, demo.expected.directions, {
      timeout: TIMEOUT,
    });
    const got = await page.evaluate(async () => {
      const bw = window.boltworker!;
      const nodes = ((await bw.call('listnodes')) as { nodes: { nodeid: string }[] }).nodes;
      const info = (await bw.call('getinfo')) as { gossip: { channels_known: number } };
      const directions = ((await bw.call('listchannels')) as { channels: unknown[] }).channels.length;
      // The first node to any other one that has a route.
      for (const to of nodes.slice(1)) {
        try {
          const r = (await bw.call('getroute', { id: to.nodeid, fromid: nodes[0]!.nodeid, amount_msat: 1000, riskfactor: 10 })) as {
            route: { id: string; delay: number }[];
          };
          return { channels: info.gossip.channels_known, directions, nodes: nodes.length, route: r.route, to: to.nodeid };
        } catch {
          // no route to this one: try the next
        }
      }
      return { channels: info.gossip.channels_known, directions, nodes: nodes.length, route: [], to: '' };
    });
    equal(got.channels, demo.expected.channels);
    equal(got.directions, demo.expected.directions);
    equal(got.nodes, demo.expected.nodes);
    ok(got.route.length > 0, 'getroute returned hops');
    equal(got.route[got.route.length - 1]!.id, got.to);
  });

  it('draws the graph on the canvas', async () => {
    const lit = await page.evaluate(() => {
      const c = document.getElementById('graph')!;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      // The background is #0f1020.
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - 0x0f) + Math.abs(d[i + 1]! - 0x10) + Math.abs(d[i + 2]! - 0x20) > 30) n++;
      return n;
    });
    ok(lit > 2000, `non-background pixels: ${lit}`);
  });

  it('a second tab on the same data name is refused by the Web Lock', async () => {
    const second = await context.newPage();
    await second.goto(demo.pageUrl);
    await second.waitForSelector('#error:not([hidden])', { timeout: TIMEOUT });
    equal(await second.locator('#error').getAttribute('data-code'), 'node_locked');
    ok((await second.locator('#error').textContent())?.includes('already running'));
    await second.close();
    // The first tab's node is still there.
    equal(await page.evaluate(async () => typeof ((await window.boltworker!.call('getinfo')) as { id: string }).id), 'string');
  });

  it('the console lists the RPC methods that help gives', async () => {
    const shown = await page.locator('#rpc-methods button').evaluateAll(bs => bs.map(b => (b as unknown as PageElement).dataset.method));
    const help = await page.evaluate(async () =>
      ((await window.boltworker!.call('help')) as { help: { command: string }[] }).help.map(h => h.command.split(' ')[0]),
    );
    equal(shown.join(' '), help.join(' '));
    for (const m of ['getinfo', 'connect', 'getroute', 'listconfigs', 'stop']) ok(shown.includes(m), `${m} listed`);
    await page.fill('#rpc-method', 'nosuchmethod');
    await page.click('#rpc-form button');
    await page.waitForFunction(() => (document.getElementById('rpc-out')?.textContent ?? '').includes('-32601'), undefined, {
      timeout: TIMEOUT,
    });
  });

  it('"get test coins": the chain sends to a newaddr and mines, and the page shows the balance; the graph was checked on the chain', async () => {
    await page.waitForSelector('#wallet-coins:not([disabled])', { timeout: TIMEOUT });
    equal(await page.getAttribute('#wallet-balance', 'data-sat'), '0');
    await page.click('#wallet-coins');
    await page.waitForFunction(() => Number(document.getElementById('wallet-balance')?.dataset.sat) > 0, undefined, { timeout: TIMEOUT });
    equal(await page.getAttribute('#wallet-balance', 'data-sat'), '1000000');
    const funds = await page.evaluate(
      async () => (await window.boltworker!.call('listfunds', {})) as { outputs: { txid: string; status: string }[] },
    );
    equal(funds.outputs.length, 1);
    equal(funds.outputs[0]!.status, 'confirmed');
    // The coins are on the chain itself, in the block the button mined.
    const status = (await (await fetch(`${demo.chain.url}/tx/${funds.outputs[0]!.txid}/status`)).json()) as {
      confirmed: boolean;
      block_height: number;
    };
    equal(status.confirmed, true);
    equal(status.block_height, demo.chain.chain.height);
    // Every channel the page holds was checked against its funding output on the chain.
    const gossip = await page.evaluate(
      async () =>
        ((await window.boltworker!.call('getinfo')) as { gossip: { chain_source: string; funding_outputs_watched: number } }).gossip,
    );
    equal(gossip.chain_source, `esplora ${demo.chain.url}`);
    equal(gossip.funding_outputs_watched, demo.expected.channels);
  });

  it('the peers table cuts the id with an ellipsis and keeps the whole id as its title', async () => {
    await page.waitForSelector('#peers tbody tr', { timeout: TIMEOUT });
    const cell = page.locator('#peers tbody tr td').first();
    equal(await cell.getAttribute('title'), demo.b.id);
    ok(((await cell.textContent()) ?? '').length < 20);
    // On one line (the table wrapped it letter by letter): its text makes a single line box.
    const lines = await cell.evaluate(td => {
      const r = (
        globalThis as unknown as {
          document: { createRange(): { selectNodeContents(n: unknown): void; getClientRects(): { length: number } } };
        }
      ).document.createRange();
      r.selectNodeContents(td);
      return r.getClientRects().length;
    });
    equal(lines, 1);
  });

  it('hovering a node on the map names it', async () => {
    // Where a node is drawn: a pixel of the nodes' colour (#ffd24a), in canvas pixels.
    const dot = await page.evaluate(() => {
      const c = document.getElementById('graph')!;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4)
        if (Math.abs(d[i]! - 0xff) + Math.abs(d[i + 1]! - 0xd2) + Math.abs(d[i + 2]! - 0x4a) < 20)
          return { x: (i / 4) % c.width, y: Math.floor(i / 4 / c.width), w: c.width, h: c.height };
      return undefined;
    });
    ok(dot, 'a node drawn on the map');
    await page.locator('#graph').scrollIntoViewIfNeeded();
    const box = (await page.locator('#graph').boundingBox())!;
    await page.mouse.move(box.x + ((dot.x + 1) * box.width) / dot.w, box.y + ((dot.y + 2) * box.height) / dot.h);
    const hovered = await page.evaluate(() => document.getElementById('graph')?.dataset.hover ?? '');
    ok(hovered, 'the node under the pointer');
    const alias = await page.evaluate(
      async id => ((await window.boltworker!.call('listnodes', { id })) as { nodes: { alias: string }[] }).nodes[0]!.alias,
      hovered,
    );
    ok((await page.locator('#graph-hover').textContent())?.includes(alias), `the card names ${alias}`);
    ok((await page.locator('#graph').getAttribute('title'))?.includes(hovered));
  });

  it('a disconnect shows why, and the reconnect says what it followed', async () => {
    await page.waitForSelector('#conn-state[data-state="connected"]', { timeout: TIMEOUT });
    await page.evaluate(async id => window.boltworker!.call('disconnect', { id, force: true }), demo.b.id);
    await page.waitForSelector('#conn-state[data-state="connected"]', { timeout: TIMEOUT });
    const log = await page.locator('#conn-log li').allTextContents();
    ok(
      log.some(l => l.includes('disconnected') && l.includes('disconnect requested')),
      log.join(' | '),
    );
    ok(log[0]?.includes('reconnected') && log[0].includes('disconnect requested'), `latest: ${log[0]}`);
  });

  it('a bridge that is down is said so, not "connecting…" forever', async () => {
    const down = await context.newPage();
    const url = new URL(demo.pageUrl);
    url.searchParams.set('bridge', `ws://127.0.0.1:${await closedPort()}/{host}:{port}`);
    url.searchParams.set('data', 'demo-bridge-down');
    await down.goto(url.toString());
    await down.waitForSelector('#conn-state[data-state="unreachable"]', { timeout: TIMEOUT });
    const reason = (await down.locator('#conn-reason').textContent()) ?? '';
    ok(reason.includes('did not open a WebSocket') && reason.includes(url.searchParams.get('bridge')!.split('/{')[0]!), reason);
    ok(await down.locator('#conn-reason').isVisible());
    await down.close();
  });

  // The Lightning panels (demo/lightning.ts): a channel from the tab to B, a payment to C forwarded
  // by B, a payment from B, each checked on both sides and in the page's list and map.
  const FUNDING_SAT = 500_000;
  /** B's fee for forwarding 10,000 sat to C: Core Lightning's defaults, 1000 msat + 10 ppm. */
  const TO_C_MSAT = 10_000_000;
  const B_FEE_MSAT = 1000 + 100;
  const FROM_B_MSAT = 2_000_000;
  let tab = '';
  const toUs = () => page.getAttribute('#chan-table tbody tr[data-state="CHANNELD_NORMAL"]', 'data-to-us-msat').then(Number);
  const toUsIs = (msat: number) =>
    page.waitForFunction(
      m =>
        (globalThis as unknown as { document: { querySelector(s: string): PageElement | null } }).document.querySelector(
          '#chan-table tbody tr',
        )?.dataset.toUsMsat === String(m),
      msat,
      { timeout: TIMEOUT },
    );

  it('opens a channel from the tab to B: the chain mines it to CHANNELD_NORMAL, listed with its balance, on the map with C', async () => {
    tab = await page.evaluate(async () => ((await window.boltworker!.call('getinfo')) as { id: string }).id);
    await page.fill('#chan-amount', String(FUNDING_SAT));
    await page.click('#chan-open');
    await page.waitForFunction(() => /normal operation|failed/.test(document.getElementById('chan-text')?.textContent ?? ''), undefined, {
      timeout: TIMEOUT,
    });
    ok((await page.textContent('#chan-text'))?.includes('normal operation'), (await page.textContent('#chan-text')) ?? '');
    equal(await page.locator('#chan-table tbody tr').count(), 1);
    equal(await toUs(), FUNDING_SAT * 1000);
    // B's side of it: the same channel, normal, nothing on B's side.
    const atB = (await demo.b.call('listpeerchannels', { id: tab })) as { channels: { state: string; to_us_msat: unknown }[] };
    equal(atB.channels.length, 1);
    equal(atB.channels[0]!.state, 'CHANNELD_NORMAL');
    equal(Number(atB.channels[0]!.to_us_msat), 0);
    // The map holds our nodes: the tab, B and C (none of them in the gossip).
    await page.waitForFunction(
      ids => ids.every(id => (document.getElementById('graph')?.dataset.own ?? '').split(',').includes(id)),
      [tab, demo.b.id, demo.c.id],
      { timeout: TIMEOUT },
    );
  });

  it("pays C's invoice across B (tab → B → C): B forwards for its fee, C is paid, the balance and the list say so, the route is on the map", async () => {
    await page.fill('#pay-amount', String(TO_C_MSAT / 1000));
    await page.click('#pay-get button[data-node="c"]');
    await page.waitForFunction(() => (document.getElementById('pay-decoded')?.textContent ?? '').includes('route hints'), undefined, {
      timeout: TIMEOUT,
    });
    const bolt11 = await page.inputValue('#pay-bolt11');
    await page.click('#pay-button');
    await page.waitForSelector('#pay-result[data-status="paid"], #pay-result[data-status="failed"]', { timeout: TIMEOUT });
    equal(await page.getAttribute('#pay-result', 'data-status'), 'paid', (await page.textContent('#pay-result')) ?? '');
    equal(await page.getAttribute('#pay-result', 'data-fee-msat'), String(B_FEE_MSAT));
    // C was paid, and B forwarded it.
    const atC = (await demo.c.call('listinvoices', { invstring: bolt11 })) as {
      invoices: { status: string; amount_received_msat: unknown }[];
    };
    equal(atC.invoices[0]!.status, 'paid');
    equal(Number(atC.invoices[0]!.amount_received_msat), TO_C_MSAT);
    const fwd = (await demo.b.call('listforwards', {})) as { forwards: { status: string; fee_msat: unknown }[] };
    equal(fwd.forwards.length, 1);
    equal(fwd.forwards[0]!.status, 'settled');
    equal(Number(fwd.forwards[0]!.fee_msat), B_FEE_MSAT);
    await toUsIs(FUNDING_SAT * 1000 - TO_C_MSAT - B_FEE_MSAT);
    const row = page.locator('#pays-table tbody tr[data-direction="sent"]');
    equal(await row.count(), 1);
    equal(await row.getAttribute('data-status'), 'complete');
    equal(await row.getAttribute('data-amount-msat'), String(TO_C_MSAT));
    const route = [tab, demo.b.id, demo.c.id].join(',');
    equal(await row.getAttribute('data-route'), route);
    equal(await page.getAttribute('#graph', 'data-route'), route);
  });

  it('receives from B: the tab makes an invoice, "have B pay this", waitanyinvoice shows it paid; both payments listed', async () => {
    await page.fill('#recv-amount', String(FROM_B_MSAT / 1000));
    await page.click('#recv-form button[type="submit"]');
    await page.waitForSelector('#recv-status[data-status="unpaid"]', { timeout: TIMEOUT });
    await page.click('#recv-b-pays');
    await page.waitForSelector('#recv-status[data-status="paid"]', { timeout: TIMEOUT });
    ok((await page.textContent('#recv-status'))?.includes('2,000 sat received'), (await page.textContent('#recv-status')) ?? '');
    await toUsIs(FUNDING_SAT * 1000 - TO_C_MSAT - B_FEE_MSAT + FROM_B_MSAT);
    // B's side: its own payment, complete.
    const bolt11 = await page.inputValue('#recv-bolt11');
    const atB = (await demo.b.call('listpays', { bolt11 })) as { pays: { status: string; destination: string }[] };
    equal(atB.pays[0]!.status, 'complete');
    equal(atB.pays[0]!.destination, tab);
    await page.waitForSelector('#pays-table tbody tr[data-direction="received"]', { timeout: TIMEOUT });
    const rows = await page.locator('#pays-table tbody tr').evaluateAll(trs =>
      trs.map(tr => {
        const d = (tr as unknown as PageElement).dataset;
        return `${d.direction} ${d.status} ${d.amountMsat} ${d.route}`;
      }),
    );
    equal(rows.length, 2);
    ok(rows.includes(`received paid ${FROM_B_MSAT} ${demo.b.id},${tab}`), rows.join(' | '));
    ok(rows.includes(`sent complete ${TO_C_MSAT} ${tab},${demo.b.id},${demo.c.id}`), rows.join(' | '));
    equal(await page.getAttribute('#graph', 'data-route'), `${demo.b.id},${tab}`);
    // The route is drawn: pixels of the route's colour (#ff4d7a) and of our nodes' (#4ad4ff).
    // (No named functions inside: the test's transpiler would wrap them in a helper the page lacks.)
    const drawn = await page.evaluate(() => {
      const c = document.getElementById('graph')!;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const colours = [
        [0xff, 0x4d, 0x7a],
        [0x4a, 0xd4, 0xff],
      ];
      const counts = [0, 0];
      for (let i = 0; i < d.length; i += 4)
        for (let k = 0; k < 2; k++)
          if (Math.abs(d[i]! - colours[k]![0]!) + Math.abs(d[i + 1]! - colours[k]![1]!) + Math.abs(d[i + 2]! - colours[k]![2]!) < 20)
            counts[k]!++;
      return { route: counts[0]!, ours: counts[1]! };
    });
    ok(drawn.route > 100 && drawn.ours > 50, JSON.stringify(drawn));
  });

  it('closes the channel: a mutual close, mined, the funds back in the on-chain wallet', async () => {
    const before = Number(await page.getAttribute('#wallet-balance', 'data-sat'));
    const ours = await toUs();
    await page.click('#chan-table .chan-close');
    await page.waitForFunction(() => /closed|close failed/.test(document.getElementById('chan-text')?.textContent ?? ''), undefined, {
      timeout: TIMEOUT,
    });
    ok((await page.textContent('#chan-text'))?.includes('closed (mutual)'), (await page.textContent('#chan-text')) ?? '');
    ok((await page.getAttribute('#chan-table tbody tr', 'data-state')) !== 'CHANNELD_NORMAL');
    // Our side less the closing fee comes back, confirmed.
    await page.waitForFunction(n => Number(document.getElementById('wallet-balance')?.dataset.sat) > n, before, { timeout: TIMEOUT });
    const after = Number(await page.getAttribute('#wallet-balance', 'data-sat'));
    ok(after - before <= ours / 1000 && after - before > ours / 1000 - 10_000, `${before} → ${after} sat, ${ours} msat ours`);
  });

  it("the page's /demo/ endpoints are no RPC proxy: B pays only the tab's invoices, within bounds, same origin only", async () => {
    const origin = new URL(demo.pageUrl).origin;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${origin}/demo/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const cInvoice = (await demo.c.call('invoice', { amount_msat: 1000, label: 'not-the-tab', description: 'x' })) as { bolt11: string };
    equal((await post('pay', { bolt11: cInvoice.bolt11 })).status, 403);
    equal((await post('rpc', { method: 'withdraw' })).status, 404);
    equal((await post('invoice', { node: 'a', amount_msat: 1000 })).status, 400);
    equal((await post('invoice', { node: 'b', amount_msat: 10 ** 12 })).status, 400);
    equal((await post('invoice', { node: 'b', amount_msat: 1000 }, { origin: 'http://evil.example' })).status, 403);
    equal((await post('invoice', { node: 'b', amount_msat: 1000, pad: 'x'.repeat(5000) })).status, 413);
    const fine = await post('invoice', { node: 'b', amount_msat: 1000 });
    equal(fine.status, 200);
    ok(((await fine.json()) as { bolt11: string }).bolt11.startsWith('lnbcrt'));
  });

  // Last: it stops node B.
  it('a peer that is gone: the disconnect and then the failing reconnects say so', async () => {
    await page.waitForSelector('#conn-state[data-state="connected"]', { timeout: TIMEOUT });
    await demo.b.stop();
    await page.waitForSelector('#conn-state[data-state="unreachable"]', { timeout: TIMEOUT });
    const reason = (await page.locator('#conn-reason').textContent()) ?? '';
    ok(reason.includes('answered, but the peer behind it did not'), reason);
    const log = await page.locator('#conn-log li').allTextContents();
    ok(
      log.some(l => l.includes('disconnected') && l.includes('peer closed')),
      log.join(' | '),
    );
  });
});
