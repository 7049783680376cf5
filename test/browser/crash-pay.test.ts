// A browser node killed while it pays (issue 13, "Never losing a state"): the node runs in an
// iframe of this page (lightningd in the iframe's realm, each daemon in a module Worker of its own,
// IndexedDB), with a channel to a Node node (the lightning plugin's chain node) through the bridge,
// on `boltworker regtest`. Each round the node pays several of the Node node's invoices at once
// (xpay) and the iframe is removed after a random short delay: the page's realm is gone and its
// Workers are terminated with it, mid-dance, without a clean stop, as when a tab crashes or is
// killed. A new iframe starts the node again on the same data name (IndexedDB), channel_reestablish
// runs with the peer, and once no HTLC is left the round checks what the Node test
// (test/node/crash-pay.test.ts) checks: nobody force-closed (both CHANNELD_NORMAL, nothing in the
// mempool, the funding output unspent), every payment the tab knows is complete with the payee's
// preimage or failed with the invoice unpaid, never pending, never completed twice, and the
// balances moved by exactly the sum of the paid invoices, to the msat, on both sides.
// 10 rounds in npm test; CRASH_ROUNDS=50 in the test runner's environment for the full run.
import type { WebNode, WebNodeOptions } from '../../src/web/index.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';

const PER_ROUND = 3;
const MAX_DELAY_MS = 2500;
const FUNDING_SAT = 300_000;
const PUSH_MSAT = 5_000_000;

type Channel = {
  peer_id: string;
  state: string;
  status: string[];
  peer_connected: boolean;
  to_us_msat: number;
  htlcs: unknown[];
  funding_txid: string;
  funding_outnum: number;
};
type Pay = { payment_hash: string; status: string; preimage?: string };
type Invoice = { label: string; payment_hash: string; status: string; amount_received_msat?: number; payment_preimage?: string };

async function ask<T>(path: string): Promise<T> {
  const r = await fetch(path);
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}: ${await r.text()}`);
  return (await r.json()) as T;
}
const peerCall = <T>(method: string, params: unknown) =>
  ask<T>(`/__lightning/chain-node/call?method=${method}&params=${encodeURIComponent(JSON.stringify(params))}`);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));

/** Polls `get` until `pred` holds (at most ~60 s); fails naming `what` with the last snapshot otherwise. */
async function until<T>(get: () => Promise<T>, pred: (x: T) => boolean, what: string): Promise<T> {
  let x: T | undefined;
  for (let i = 0; i < 300; i++) {
    x = await get();
    if (pred(x)) return x;
    await sleep(200);
  }
  throw new Error(`never ${what}: ${show(x)}`);
}

/** A same-origin iframe that loads the web runtime; its startNode runs the node in the iframe's realm. */
async function frameWithNode(): Promise<{ frame: HTMLIFrameElement; startNode: (o: WebNodeOptions) => Promise<WebNode> }> {
  const frame = document.createElement('iframe');
  const ready = new Promise<void>(resolve => {
    const on = (e: MessageEvent) => {
      if (e.source === frame.contentWindow && e.data === 'bw-ready') {
        window.removeEventListener('message', on);
        resolve();
      }
    };
    window.addEventListener('message', on);
  });
  frame.srcdoc = `<script type="module">import { startNode } from '/src/web/index.ts'; window.bwStartNode = startNode; parent.postMessage('bw-ready', '*');</script>`;
  document.body.append(frame);
  await ready;
  return { frame, startNode: (frame.contentWindow as unknown as { bwStartNode: (o: WebNodeOptions) => Promise<WebNode> }).bwStartNode };
}

describe('browser: the tab node killed (its page and Workers gone) at random points while paying, restarted on the same IndexedDB', () => {
  it(`CRASH_ROUNDS rounds (10 by default) of ${PER_ROUND} payments: reestablished, nothing lost or doubled, nobody force-closes`, async function (this: {
    timeout(ms: number): void;
  }) {
    this.timeout(60 * 60 * 1000);
    const ROUNDS = (await ask<{ rounds: number | null }>('/__lightning/crash-rounds')).rounds ?? 10;
    const { url } = await ask<{ url: string }>('/__regtest');
    const peer = await ask<{ id: string; host: string; port: number; bridge: string }>(
      `/__lightning/chain-node?esplora=${encodeURIComponent(url)}`,
    );
    const dataName = `crash-${Math.random().toString(36).slice(2)}`;
    const options: WebNodeOptions = { network: 'regtest', dataName, esplora: url, bridge: peer.bridge, verifyWorkers: 1 };

    /** Starts the node in a new iframe; the killed one's Web Lock may take a moment to go. */
    async function start(): Promise<{ frame: HTMLIFrameElement; n: WebNode }> {
      const f = await frameWithNode();
      for (let i = 0; ; i++) {
        try {
          return { frame: f.frame, n: await f.startNode(options) };
        } catch (e) {
          if ((e as { code?: string }).code !== 'node_locked' || i >= 100) throw e;
          await sleep(100);
        }
      }
    }

    let { frame, n } = await start();
    const { bech32 } = (await n.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    await ask(`/__regtest/send?address=${bech32}&amount_sat=1000000`);
    await ask('/__regtest/mine?blocks=1');
    await fundsWhen(
      () => n.call('listfunds', {}) as Promise<{ outputs: { status: string }[] }>,
      f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed',
      'the coin confirmed',
    );
    await n.call('connect', { id: `${peer.id}@${peer.host}:${peer.port}` });
    const opened = (await n.call('fundchannel', { id: peer.id, amount: FUNDING_SAT, push_msat: PUSH_MSAT, feerate: '1000perkw' })) as {
      txid: string;
      outnum: number;
      mindepth: number;
    };
    await ask(`/__regtest/mine?blocks=${opened.mindepth}`);

    const mine = async () => ((await n.call('listpeerchannels', {})) as { channels: Channel[] }).channels;
    const theirs = async () => (await peerCall<{ channels: Channel[] }>('listpeerchannels', { id: n.id })).channels;
    const settled = (c: Channel[]) =>
      c.length === 1 && c[0]!.peer_connected && /^CHANNELD_NORMAL:channeld normal/.test(c[0]!.status[0] ?? '') && c[0]!.htlcs.length === 0;
    const prefix = `${dataName}-`;
    const paidSum = (l: Invoice[]) =>
      l.filter(x => x.label.startsWith(prefix) && x.status === 'paid').reduce((s, x) => s + Number(x.amount_received_msat), 0);
    const snapshot = async () => {
      const [ca, cb, l, i] = await Promise.all([mine(), theirs(), n.call('listpays', {}), peerCall('listinvoices', {})]);
      return {
        ca,
        cb,
        all: (l as { pays: Pay[] }).pays,
        bInv: (i as { invoices: Invoice[] }).invoices.filter(x => x.label.startsWith(prefix)),
      };
    };
    const outcomes = { answeredBeforeKill: 0, completeAfterRestart: 0, failed: 0, neverStarted: 0 };
    let last: { invoices: { label: string; hash: string; amount: number }[]; answers: string[]; where: string } | undefined;

    for (let round = 0; round <= ROUNDS; round++) {
      // After each restart (and once after the open): reestablished, settled, and the invariants.
      const where = last?.where ?? 'after the open';
      const s = await until(
        snapshot,
        x =>
          settled(x.ca) &&
          settled(x.cb) &&
          x.all.every(p => p.status !== 'pending') &&
          Number(x.ca[0]!.to_us_msat) === FUNDING_SAT * 1000 - PUSH_MSAT - paidSum(x.bInv) &&
          Number(x.cb[0]!.to_us_msat) === PUSH_MSAT + paidSum(x.bInv),
        `the tab and the Node node reestablished and settled, ${where}`,
      );
      for (const [i, inv] of (last?.invoices ?? []).entries()) {
        const at = s.all.filter(p => p.payment_hash === inv.hash);
        const complete = at.filter(p => p.status === 'complete');
        const payee = s.bInv.find(x => x.label === inv.label)!;
        ok(complete.length <= 1, `${inv.label} completed ${complete.length} times, ${where}`);
        if (payee.status === 'paid') {
          equal(Number(payee.amount_received_msat), inv.amount, `${inv.label} received once, ${where}`);
          equal(complete.length, 1, `${inv.label} paid at the payee but not complete at the tab: ${show(at)}, ${where}`);
          equal(complete[0]!.preimage, payee.payment_preimage, `the tab holds the payee's preimage, ${where}`);
        } else {
          equal(payee.status, 'unpaid', `${inv.label}, ${where}`);
          equal(complete.length, 0, `${inv.label} complete at the tab but unpaid at the payee, ${where}`);
        }
        if (last!.answers[i] === 'paid') outcomes.answeredBeforeKill++;
        else if (complete.length === 1) outcomes.completeAfterRestart++;
        else if (at.length > 0) outcomes.failed++;
        else outcomes.neverStarted++;
      }
      deepEqual([s.ca[0]!.state, s.cb[0]!.state], ['CHANNELD_NORMAL', 'CHANNELD_NORMAL'], where);
      deepEqual(await ask(`${url}/mempool/txids`), [], `nothing broadcast, ${where}`);
      equal(
        (await ask<{ spent: boolean }>(`${url}/tx/${opened.txid}/outspend/${opened.outnum}`)).spent,
        false,
        `the funding output unspent, ${where}`,
      );
      if (round === ROUNDS) break;

      const invoices: { label: string; bolt11: string; hash: string; amount: number }[] = [];
      for (let i = 0; i < PER_ROUND; i++) {
        const label = `${prefix}r${round}-${i}`;
        const amount = 1_000_000 + round * 10 + i;
        const inv = await peerCall<{ bolt11: string; payment_hash: string }>('invoice', { amount_msat: amount, label, description: label });
        invoices.push({ label, bolt11: inv.bolt11, hash: inv.payment_hash, amount });
      }
      const answers = invoices.map(() => 'none');
      // Never awaited: a call whose realm is removed never settles.
      invoices.forEach((inv, i) =>
        n.call('xpay', { invstring: inv.bolt11 }).then(
          () => (answers[i] = 'paid'),
          (e: Error) => (answers[i] = `error ${e.message.slice(0, 80)}`),
        ),
      );
      const delay = Math.floor(Math.random() * MAX_DELAY_MS);
      await sleep(delay);
      // The kill: the iframe's document is discarded, its Workers terminated, no stop() anywhere.
      frame.remove();
      last = { invoices, answers: [...answers], where: `round ${round} (killed ${delay} ms in, answers ${answers.join(' | ')})` };
      ({ frame, n } = await start());
    }
    console.log(`crash-pay (Chromium): ${ROUNDS} rounds, ${ROUNDS * PER_ROUND} payments: ${JSON.stringify(outcomes)}`);
    ok(outcomes.completeAfterRestart + outcomes.failed > 0, JSON.stringify(outcomes));
    await n.stop();
    frame.remove();
  });
});
