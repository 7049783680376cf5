// HTLC round trips on one channel, durable (issue 13's benchmark), in one run:
//   - ours → ours: two of our Node nodes (every daemon in its worker thread, real sockets,
//     lightningd's store fsynced), the channel of bench/pay.node.bench.ts's pair;
//   - ours → LDK: our Node node with a channel to an LDK node (npm lightningdevkit, its
//     ChannelMonitors fsynced) on `boltworker regtest`;
//   - LDK → LDK: bench/pay-ldk.ts's pair, the baseline.
// Our round trip (bench/htlc-round-trip.ts): channeld offers an HTLC, the commitment dance, the peer
// fails it back (update_fail_malformed_htlc: its onion is zeroes), the dance again, until our
// lightningd's write of the removal is durable. LDK's: send_payment of an invoice of the other LDK
// node's until PaymentSent (claimed: update_fulfill_htlc, the same two dances; plus LDK's router on
// a one-channel graph). The times of one round trip after another, and round trips per second with
// ATONCE at once; each against LDK → LDK, per round, rounds rotating who goes first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reporter } from './harness.ts';
import { fundsWhen } from '../test/support/regtest-client.ts';
import { LdkDriver } from '../test/interop/ldk/driver.ts';
import { startRegtestWithLdk } from '../test/interop/ldk/regtest-node.ts';
import { htlcRoundTrips } from './htlc-round-trip.ts';
import { durable, ldkPair } from './pay-ldk.ts';
import { ourPair } from './pay.node.bench.ts';
import { compare, comparisonNotes, payTrial, repeatTrial, type Trial } from './rounds.ts';

export const title = 'HTLC round trips on one channel, durable: ours with ours and with LDK, beside LDK with LDK';
export const runtimes = ['node' as const];

const FUNDING_SAT = 1_000_000;
const AMOUNT_MSAT = 5_000_000n;
const ATONCE = 10;
/** The LDK pair's round trips are payments of 5,000 sat (183 in a full run): a channel they cannot drain. */
const LDK_FUNDING_SAT = 5_000_000;

/** Our Node node with a channel to an LDK node (durable) on a regtest chain, LDK's loop every 1 ms while timed. */
async function oursToLdk(dir: string) {
  const env = await startRegtestWithLdk('bench-htlc', { persist: durable(join(dir, 'ldk-peer')) });
  const driver = new LdkDriver(env.peer);
  try {
    await env.fundAndConnect(2 * FUNDING_SAT);
    const r = (await env.node.call('fundchannel', { id: env.peer.nodeId, amount: FUNDING_SAT, feerate: '253perkw', announce: false })) as {
      txid: string;
      mindepth: number;
    };
    await env.confirmFunding(r.txid, r.mindepth);
    driver.start();
    await fundsWhen(
      () => env.node.call('listpeerchannels', {}) as Promise<{ channels: { status: string[] }[] }>,
      l => /^CHANNELD_NORMAL:channeld normal/.test(l.channels[0]?.status[0] ?? ''),
      'a channeld in normal operation with LDK',
    );
    await fundsWhen(
      async () => ((await env.node.call('getinfo', {})) as { blockheight: number }).blockheight,
      height => height === env.h.chain.height,
      'our node at the tip',
    );
    driver.stop();
  } catch (e) {
    driver.stop();
    await env.stop();
    throw e;
  }
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    env,
    around(on: boolean) {
      if (on) timer ??= setInterval(() => driver.pump(), 1);
      else if (timer) {
        clearInterval(timer);
        timer = undefined;
      }
    },
    async stop() {
      this.around(false);
      await env.stop();
    },
  };
}

export async function run(report: Reporter): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-htlc-bench-'));
  const rounds = report.quick ? 2 : 6;
  const perRound = report.quick ? 5 : 20;
  const t0 = performance.now();
  const ours = await ourPair(dir);
  const withLdk = await oursToLdk(dir).catch(async e => {
    await ours.stop();
    throw e;
  });
  const pair = await ldkPair(join(dir, 'ldk'), BigInt(LDK_FUNDING_SAT)).catch(async e => {
    await ours.stop();
    await withLdk.stop();
    throw e;
  });
  report.note(
    `set up (two regtest chains; 2 of our nodes and a channel; our node and an LDK node and a channel; 2 LDK nodes and a channel) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const oursRt = htlcRoundTrips(ours.a.lightningd, ours.height, AMOUNT_MSAT);
  const ldkRt = htlcRoundTrips(withLdk.env.node.lightningd, () => withLdk.env.h.chain.height, AMOUNT_MSAT);
  const sides: Record<string, Trial> = {
    ours: repeatTrial(oursRt.once),
    oursLdk: { ...repeatTrial(ldkRt.once), around: on => withLdk.around(on) },
    ldk: {
      ...payTrial(
        () => pair.invoice(AMOUNT_MSAT),
        b => pair.pay(b),
      ),
      around: on => pair.run(on),
      cpuHere: true,
    },
  };
  try {
    const c = await compare(sides, { rounds, perRound, atOnce: ATONCE });
    const labels = { ours: 'ours → ours', oursLdk: 'ours → LDK', ldk: 'LDK → LDK' };
    for (const n of comparisonNotes(c, ['ldk'], 'round trip', labels)) report.note(n);
    report.note(
      `${(Number(AMOUNT_MSAT) / 1000).toLocaleString('en-US')} sat HTLCs over ${FUNDING_SAT.toLocaleString('en-US')} sat channels (LDK → LDK's ${LDK_FUNDING_SAT.toLocaleString('en-US')} sat); ours: channeld's addHtlc (durable before update_add_htlc leaves) until lightningd's write of the failed HTLC is durable, the peer failing it as malformed; LDK → LDK: send_payment of an invoice until PaymentSent (fulfilled; the same two dances), ChannelMonitors fsynced before each update completes, LDK's loops polled every 1 ms; RouteNotFound right after a payment ${pair.refusals()} times (asked again 1 ms later, counted); CPU of ours → LDK includes the LDK node's`,
    );
  } finally {
    oursRt.stop();
    ldkRt.stop();
    await pair.stop();
    await withLdk.stop();
    await ours.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
