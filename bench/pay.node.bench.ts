// Payments over one hop, durable, between two of our Node nodes (every daemon in its worker
// thread, real sockets, lightningd's log+snapshot store on disk), beside two LDK nodes
// (bench/pay-ldk.ts: npm lightningdevkit in this process, ChannelMonitors fsynced) in the same run:
//   - the median time of one payment: `xpay` of a fresh invoice until it answers (the preimage
//     back and the payment durable) / LDK's send_payment until its PaymentSent event;
//   - payments per second: CONCURRENT payments at once, from the first sent to the last completed.
// Rounds alternate ours and LDK (which goes first too), so both see the same load; the ratios are
// per round (ours / LDK: time per payment), their median printed. Invoices are made before each
// timed batch and are not timed. Node only (the LDK pair and our Node daemons).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reporter } from './harness.ts';
import { startNode } from '../src/node/node.ts';
import { startRegtest } from '../src/regtest/server-node.ts';
import { fundsWhen, postJson } from '../test/support/regtest-client.ts';
import { ldkPair } from './pay-ldk.ts';
import { compare, comparisonNotes, payTrial } from './rounds.ts';

export const title = 'Payments over one hop, durable: our Node nodes beside LDK with LDK';
export const runtimes = ['node' as const];

type Node = Awaited<ReturnType<typeof startNode>>;
const FUNDING_SAT = 1_000_000;
const AMOUNT_MSAT = 5_000_000;
const CONCURRENT = 10;

/** Two of our nodes on a fresh regtest chain, A with a channel to B (private, as a tab's are). */
export async function ourPair(dir: string) {
  const h = await startRegtest({ port: 0, premine: 101 });
  const opts = (d: string) => ({
    network: 'regtest',
    lightningDir: join(dir, d),
    esplora: h.url,
    verifyWorkers: 1,
    bindAddr: ['127.0.0.1:0'],
  });
  const a = await startNode(opts('a'));
  const b = await startNode(opts('b'));
  const control = (path: string, body: unknown) => postJson(`${h.url}${path}`, body);
  const channels = async (n: Node) =>
    ((await n.call('listpeerchannels', {})) as { channels: { status: string[]; peer_connected: boolean; htlcs: unknown[] }[] }).channels;
  const { bech32 } = (await a.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
  await control('/regtest/send', { address: bech32, amount_sat: 2 * FUNDING_SAT });
  await control('/regtest/mine', { blocks: 1 });
  await fundsWhen(
    () => a.call('listfunds', {}) as Promise<{ outputs: { status: string }[] }>,
    f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed',
    'the coin confirmed',
  );
  await a.call('connect', { id: `${b.id}@127.0.0.1:${b.binding[0]!.port}` });
  const r = (await a.call('fundchannel', { id: b.id, amount: FUNDING_SAT, feerate: '1000perkw', announce: false })) as { mindepth: number };
  await control('/regtest/mine', { blocks: r.mindepth });
  for (const n of [a, b])
    await fundsWhen(
      () => channels(n),
      l => l.length === 1 && l[0]!.peer_connected && /^CHANNELD_NORMAL:channeld normal/.test(l[0]!.status[0] ?? ''),
      'the channel normal',
    );
  let label = 0;
  return {
    a,
    b,
    /** The chain's tip height. */
    height: () => h.chain.height,
    invoice: async () =>
      ((await b.call('invoice', { amount_msat: AMOUNT_MSAT, label: `bench-${++label}`, description: 'bench' })) as { bolt11: string })
        .bolt11,
    pay: async (bolt11: string) => {
      await a.call('xpay', { invstring: bolt11 });
    },
    async stop() {
      await a.stop();
      await b.stop();
      await h.close();
    },
  };
}

export async function run(report: Reporter): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-pay-bench-'));
  const rounds = report.quick ? 2 : 6;
  const perRound = report.quick ? 5 : 10;
  const t0 = performance.now();
  const ours = await ourPair(dir);
  const pair = await ldkPair(join(dir, 'ldk'), BigInt(FUNDING_SAT));
  report.note(`set up (regtest chain, 2 nodes, a channel; 2 LDK nodes, a channel) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const sides = {
    ours: { ...payTrial(ours.invoice, ours.pay), cpuHere: true },
    ldk: {
      ...payTrial(
        () => pair.invoice(BigInt(AMOUNT_MSAT)),
        b => pair.pay(b),
      ),
      around: (on: boolean) => pair.run(on),
      cpuHere: true,
    },
  };
  try {
    const c = await compare(sides, { rounds, perRound, atOnce: CONCURRENT });
    for (const n of comparisonNotes(c, ['ldk'], 'payment', { ours: 'ours', ldk: 'LDK' })) report.note(n);
    report.note(
      `${(AMOUNT_MSAT / 1000).toLocaleString('en-US')} sat each over a ${FUNDING_SAT.toLocaleString('en-US')} sat channel; ours: xpay until it answers (lightningd's store fsynced, both nodes' channel state durable); LDK: send_payment until PaymentSent, ChannelMonitors written and fsynced before each update completes, its event loop polled every 1 ms; send_payment answered RouteNotFound ${pair.refusals()} times right after a payment (asked again 1 ms later, the time counted)`,
    );
  } finally {
    await pair.stop();
    await ours.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
