// A browser node killed while it pays (issue 13, "Never losing a state"): the node runs in an
// iframe of this page (lightningd in the iframe's realm, each daemon in a module Worker of its own,
// IndexedDB), with a channel to a Node node (the lightning plugin's chain node) through the bridge,
// on `boltworker regtest`. Each round the node pays several of the Node node's invoices at once
// (xpay) and the iframe is removed, in turn, at a random moment, just after the payee marked an
// invoice paid, or just after the tab answered a payment complete: the page's realm is gone and its
// Workers are terminated with it, mid-dance, without a clean stop, as when a tab crashes or is
// killed. A new iframe starts the node again on the same data name (IndexedDB), channel_reestablish
// runs with the peer, and once no HTLC is left the round checks what the Node test
// (test/node/crash-pay.test.ts) checks: nobody force-closed (both CHANNELD_NORMAL, nothing in the
// mempool, the funding output unspent), every payment the tab knows is complete with the payee's
// preimage or failed with the invoice unpaid, never pending, never completed twice, and the
// balances moved by exactly the sum of the paid invoices, to the msat, on both sides; and, as
// payments survive a restart (resumed from the store), none recorded before the kill ends failed.
// 6 rounds in npm test (DEFAULT_ROUNDS: each cut twice); CRASH_ROUNDS=50 in the test runner's environment for the full run.
import type { WebNode, WebNodeOptions } from '../../src/web/index.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import {
  CUTS,
  DEFAULT_ROUNDS,
  checkRound,
  noOutcomes,
  settledAfterRestart,
  sleep,
  until,
  untilCut,
  type Invoice,
  type Pay,
  type PeerChannel,
  type RoundInvoice,
} from '../support/crash-pay.ts';

const PER_ROUND = 3;
const MAX_DELAY_MS = 2500;
const FUNDING_SAT = 300_000;
const PUSH_MSAT = 5_000_000;

type Channel = PeerChannel & { peer_id: string };

async function ask<T>(path: string): Promise<T> {
  const r = await fetch(path);
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}: ${await r.text()}`);
  return (await r.json()) as T;
}
const peerCall = <T>(method: string, params: unknown) =>
  ask<T>(`/__lightning/chain-node/rpc?method=${method}&params=${encodeURIComponent(JSON.stringify(params))}`);
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
  it(`CRASH_ROUNDS rounds (6 by default) of ${PER_ROUND} payments: reestablished, nothing lost or doubled, nobody force-closes`, async function (this: {
    timeout(ms: number): void;
  }) {
    this.timeout(60 * 60 * 1000);
    const ROUNDS = (await ask<{ rounds: number | null }>('/__lightning/crash-rounds')).rounds ?? DEFAULT_ROUNDS;
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
    const prefix = `${dataName}-`;
    const snapshot = async () => {
      const [ca, cb, l, i] = await Promise.all([mine(), theirs(), n.call('listpays', {}), peerCall('listinvoices', {})]);
      return {
        ca,
        cb,
        all: (l as { pays: Pay[] }).pays,
        bInv: (i as { invoices: Invoice[] }).invoices.filter(x => x.label.startsWith(prefix)),
      };
    };
    const outcomes = noOutcomes();
    let last: { invoices: RoundInvoice[]; answers: string[]; where: string } | undefined;

    for (let round = 0; round <= ROUNDS; round++) {
      // After each restart (and once after the open): reestablished, settled, and the invariants.
      const where = last?.where ?? 'after the open';
      const s = await until(
        snapshot,
        x =>
          settledAfterRestart(
            { payer: x.ca, payee: x.cb, pays: x.all, invoices: x.bInv },
            { payer: FUNDING_SAT * 1000 - PUSH_MSAT, payee: PUSH_MSAT },
          ),
        `the tab and the Node node reestablished and settled, ${where}`,
      );
      if (last) checkRound(last.invoices, last.answers, s.all, s.bInv, outcomes, where);
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
      const cut = await untilCut(CUTS[round % CUTS.length]!, {
        maxDelayMs: MAX_DELAY_MS,
        payeePaid: async () =>
          (await peerCall<{ invoices: Invoice[] }>('listinvoices', {})).invoices.some(
            x => x.status === 'paid' && invoices.some(i => i.label === x.label),
          ),
        answered: () => answers.some(x => x === 'paid'),
      });
      // The kill: the iframe's document is discarded, its Workers terminated, no stop() anywhere.
      frame.remove();
      last = { invoices, answers: [...answers], where: `round ${round} (killed: ${cut}; answers before the kill ${answers.join(' | ')})` };
      ({ frame, n } = await start());
    }
    console.log(`crash-pay (Chromium): ${ROUNDS} rounds, ${ROUNDS * PER_ROUND} payments: ${JSON.stringify(outcomes)}`);
    ok(outcomes.completeAfterRestart + outcomes.failed > 0, JSON.stringify(outcomes));
    // Payments survive the kill: each one recorded before it is resumed and completes (the peer accepts them all, retry_for is 60 s).
    equal(outcomes.failed, 0, JSON.stringify(outcomes));
    await n.stop();
    frame.remove();
  });
});
