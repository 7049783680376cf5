// A whole node killed while it pays (issue 13, "Never losing a state"): node A runs as
// `boltworker node` in a child process, node B in this process, with a channel A → B on
// `boltworker regtest`. Each round A pays several of B's invoices at once (xpay over A's Unix
// socket) and is SIGKILLed, in turn, at a random moment (mostly before the add or mid-dance),
// just after B marked an invoice paid (its fulfill in the dance), or just after A answered a
// payment complete (after the fulfill) (test/support/crash-pay.ts). A restarts on the same lightning-dir, channel_reestablish runs with B, and once no
// HTLC is left the round checks: nobody force-closed (both CHANNELD_NORMAL, nothing in the
// mempool, the funding output unspent), every payment A knows is complete (with B's preimage)
// or failed (with B's invoice unpaid), never pending, never completed twice; B's paid invoices
// are exactly A's complete payments; and the balances moved by exactly the sum of B's paid
// invoices, to the msat, on both sides. CRASH_ROUNDS sets the number of rounds (DEFAULT_ROUNDS, 6, in npm test: each cut twice; the full run is CRASH_ROUNDS=50).
import { after, before, describe, it } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { socketCall } from '../../src/node/cli.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import {
  CUTS,
  DEFAULT_ROUNDS,
  checkRound,
  noOutcomes,
  settled,
  settledAfterRestart,
  until,
  untilCut,
  paidSum,
  type Invoice,
  type Pay,
  type PeerChannel,
} from '../support/crash-pay.ts';
import { regtestNodes, type Node, type RegtestNodes } from './regtest-nodes.ts';

const ROUNDS = Number(process.env['CRASH_ROUNDS'] ?? DEFAULT_ROUNDS);
/** Payments started together in each round. */
const PER_ROUND = 3;
/** The kill comes this long (uniformly at random, ms) after the first xpay is sent. */
const MAX_DELAY_MS = Number(process.env['CRASH_MAX_DELAY_MS'] ?? 2500);
const FUNDING_SAT = 500_000;
const PUSH_MSAT = 10_000_000;

type Channel = PeerChannel & { funding_txid: string; funding_outnum: number };

describe('Node: node A killed (SIGKILL) at random points while paying B, restarted, CRASH_ROUNDS rounds (6 by default, 50 for the full run)', () => {
  let env: RegtestNodes;
  let h: RegtestNodes['h'];
  let b: Node | undefined;
  let a: ChildProcess | undefined;
  let aErr = '';
  let dirA: string;
  let sock: string;
  let rpcId = 0;
  /** A's RPC over its Unix socket, as `cli` calls it; a JSON-RPC error rejects with its code. */
  const callA = async (method: string, params: unknown = {}): Promise<any> => {
    const r = await socketCall(sock, { jsonrpc: '2.0', id: ++rpcId, method, params });
    if (r.error) throw Object.assign(new Error(`${method}: ${JSON.stringify(r.error)}`), r.error);
    return r.result;
  };
  const control = (path: string, body: unknown) => env.control(path, body);

  /** Starts `boltworker node` for A on its directory; resolves with its ready line. */
  async function startA(): Promise<{ id: string }> {
    aErr = '';
    const p = spawn(process.execPath, ['bin/boltworker.mjs', 'node', '--network', 'regtest', '--lightning-dir', dirA, '--esplora', h.url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    a = p;
    p.stderr!.on('data', d => (aErr = (aErr + d).slice(-4000)));
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: p.stdout! });
      lines.once('line', l => resolve(JSON.parse(l)));
      p.once('exit', c => reject(new Error(`A exited ${c} before its ready line: ${aErr}`)));
    });
  }
  async function killA(): Promise<void> {
    const p = a!;
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise(r => p.once('exit', r));
      p.kill('SIGKILL');
      await gone;
    }
  }

  const channelsB = async () => ((await b!.call('listpeerchannels', {})) as { channels: Channel[] }).channels;
  const channelsA = async () => ((await callA('listpeerchannels')) as { channels: Channel[] }).channels;
  before(async () => {
    env = await regtestNodes('crash-pay');
    h = env.h;
    dirA = env.tmp();
    sock = join(dirA, 'regtest', 'lightning-rpc');
    b = await env.start(env.tmp(), { bindAddr: ['127.0.0.1:0'] });
    await startA();
    const { bech32 } = await callA('newaddr', { addresstype: 'bech32' });
    await control('/regtest/send', { address: bech32, amount_sat: 1_000_000 });
    await control('/regtest/mine', { blocks: 1 });
    await fundsWhen(
      () => callA('listfunds'),
      (f: { outputs: { status: string }[] }) => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed',
      "A's coin confirmed",
    );
    await callA('connect', { id: `${b.id}@127.0.0.1:${b.binding[0]!.port}` });
    await callA('fundchannel', { id: b.id, amount: FUNDING_SAT, push_msat: PUSH_MSAT, feerate: '2000perkw', announce: false });
    await control('/regtest/mine', { blocks: 3 });
    await fundsWhen(channelsA, settled, 'A: channeld normal');
    await fundsWhen(channelsB, settled, 'B: channeld normal');
  });
  after(async () => {
    if (a) await killA();
    await env?.stop();
  });

  it(`A pays B ${PER_ROUND} invoices at once, SIGKILLed at a random point (a timer, the payee's paid mark, the payer's answer), restarted: reestablished, nothing lost or doubled, nobody force-closes`, async () => {
    const [a0] = await channelsA();
    const [b0] = await channelsB();
    const fundingTxid = a0!.funding_txid;
    const fundingOut = a0!.funding_outnum;
    equal(a0!.to_us_msat, FUNDING_SAT * 1000 - PUSH_MSAT);
    equal(Number(b0!.to_us_msat), PUSH_MSAT);
    /** Every invoice of every round: label → amount. */
    const issued = new Map<string, number>();
    const outcomes = noOutcomes();
    for (let round = 0; round < ROUNDS; round++) {
      const invoices: { label: string; bolt11: string; hash: string; amount: number }[] = [];
      for (let i = 0; i < PER_ROUND; i++) {
        const label = `r${round}-${i}`;
        // Distinct amounts, so a doubled or a lost payment shows in the sums.
        const amount = 1_000_000 + round * 10 + i;
        const inv = (await b!.call('invoice', { amount_msat: amount, label, description: label })) as {
          bolt11: string;
          payment_hash: string;
        };
        invoices.push({ label, bolt11: inv.bolt11, hash: inv.payment_hash, amount });
        issued.set(label, amount);
      }
      const answers = invoices.map(() => 'none' as string);
      const pays = invoices.map((inv, i) =>
        callA('xpay', { invstring: inv.bolt11 }).then(
          () => (answers[i] = 'paid'),
          e => (answers[i] = `error ${(e as Error).message.slice(0, 80)}`),
        ),
      );
      const cut = await untilCut(CUTS[round % CUTS.length]!, {
        maxDelayMs: MAX_DELAY_MS,
        payeePaid: async () => {
          const l = ((await b!.call('listinvoices', {})) as { invoices: Invoice[] }).invoices;
          return l.some(x => x.status === 'paid' && invoices.some(i => i.label === x.label));
        },
        answered: () => answers.some(x => x === 'paid'),
      });
      const answered = [...answers];
      await killA();
      await Promise.all(pays);
      const t0 = Date.now();
      const where = `round ${round} (killed: ${cut}; answers before the kill ${answered.join(' | ')})`;
      await startA();
      const tReady = Date.now() - t0;
      // channel_reestablish: both channelds in normal operation again, every HTLC resolved, every
      // payment A recorded resolved one way or the other, and the balances moved by what B was paid.
      const { ca, cb, all, bInv } = await until(
        async () => {
          const [ca, cb, l, i] = await Promise.all([channelsA(), channelsB(), callA('listpays'), b!.call('listinvoices', {})]);
          return { ca, cb, all: (l as { pays: Pay[] }).pays, bInv: (i as { invoices: Invoice[] }).invoices };
        },
        x =>
          settledAfterRestart(
            { payer: x.ca, payee: x.cb, pays: x.all, invoices: x.bInv },
            { payer: FUNDING_SAT * 1000 - PUSH_MSAT, payee: PUSH_MSAT },
          ),
        `A and B reestablished and settled, ${where}; A's stderr: ${aErr}`,
      );
      checkRound(invoices, answered, all, bInv, outcomes, where);
      // The balances: exactly the paid invoices moved from A to B (no fees: B is the destination).
      const paid = bInv.filter(x => x.status === 'paid');
      const sum = paidSum(bInv);
      for (const x of paid) equal(Number(x.amount_received_msat), issued.get(x.label), `${x.label} paid its amount, ${where}`);
      deepEqual(
        [Number(ca[0]!.to_us_msat), Number(cb[0]!.to_us_msat)],
        [FUNDING_SAT * 1000 - PUSH_MSAT - sum, PUSH_MSAT + sum],
        `balances after ${paid.length} paid invoices (${sum} msat), ${where}`,
      );
      // Nobody force-closed: both CHANNELD_NORMAL, nothing in the mempool, the funding output unspent.
      deepEqual([ca[0]!.state, cb[0]!.state], ['CHANNELD_NORMAL', 'CHANNELD_NORMAL'], where);
      deepEqual(await (await fetch(`${h.url}/mempool/txids`)).json(), [], `nothing broadcast, ${where}`);
      if (process.env['CRASH_VERBOSE'])
        console.log(`${where}: ${tReady} ms to restart, ${Date.now() - t0} ms to settle, ${paid.length} paid`);
      const spent = (await (await fetch(`${h.url}/tx/${fundingTxid}/outspend/${fundingOut}`)).json()) as { spent: boolean };
      equal(spent.spent, false, `the funding output unspent, ${where}`);
    }
    console.log(`crash-pay (Node): ${ROUNDS} rounds, ${ROUNDS * PER_ROUND} payments: ${JSON.stringify(outcomes)}`);
    // The kills landed on both sides of the dance: some payments resolved only after the restart
    // (asked of every run that played each cut).
    ok(outcomes.completeAfterRestart + outcomes.failed > 0 || ROUNDS < CUTS.length, JSON.stringify(outcomes));
    // Payments survive the kill: each one recorded before it is resumed and completes (B accepts them all, retry_for is 60 s).
    equal(outcomes.failed, 0, JSON.stringify(outcomes));
  });
});
