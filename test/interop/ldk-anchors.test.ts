// option_anchors with LDK (npm lightningdevkit) on `boltworker regtest`, LDK configured to negotiate
// it (ChannelHandshakeConfig.negotiate_anchors_zero_fee_htlc_tx, and manually_accept_inbound_channels,
// which LDK requires to take an anchor channel): our `fundchannel` opens with anchors by default
// (BOLT 2 channel_type, both inits offering option_anchors) and with static_remotekey when asked;
// LDK's own open negotiates anchors with us. Each channel pays both ways (zero-fee HTLC signatures,
// SIGHASH_SINGLE|ANYONECANPAY, checked by both sides) and closes mutually into our listfunds.
import { after, before, describe, it } from 'node:test';
import * as ldk from 'lightningdevkit';
import { Address, OutScript } from '@scure/btc-signer';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { REGTEST_NETWORK } from '../../src/regtest/params.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import { LdkDriver } from './ldk/driver.ts';
import { startRegtestWithLdk, type RegtestWithLdk } from './ldk/regtest-node.ts';
import { loadLdk } from './ldk/wasm.ts';

const FUNDING_SAT = 300_000;
/** Under LDK's max_htlc_value_in_flight_msat (10% of the channel by default). */
const PAY_MSAT = 20_000_000n;

type PeerChannel = { channel_id: string; state: string; status: string[]; features: string[]; to_us_msat: number };
type Funds = { outputs: { txid: string; status: string }[] };

describe('option_anchors with LDK on boltworker regtest', () => {
  let env: RegtestWithLdk;
  let d: LdkDriver;
  const node = () => env.node;
  /** The funding transactions LDK asked for, in order. */
  const ldkFunding: string[] = [];
  const channels = async () => ((await node().call('listpeerchannels', {})) as { channels: PeerChannel[] }).channels;
  const ldkChannel = (id: string) => d.cm.list_channels().find(c => toHex(c.get_channel_id().get_a()) === id);

  before(async () => {
    await loadLdk();
    const config = ldk.UserConfig.constructor_default();
    const hs = config.get_channel_handshake_config();
    hs.set_negotiate_anchors_zero_fee_htlc_tx(true);
    config.set_channel_handshake_config(hs);
    config.set_manually_accept_inbound_channels(true);
    env = await startRegtestWithLdk('ldk-anchors', { userConfig: config });
    await env.fundAndConnect(2_000_000);
    // LDK's funding outputs are paid by the chain's own wallet.
    d = new LdkDriver(env.peer, async (script, value) => {
      const address = Address(REGTEST_NETWORK).encode(OutScript.decode(script));
      const { txid } = (await env.control('/regtest/send', { address, amount_sat: Number(value) })) as { txid: string };
      ldkFunding.push(txid);
      return fromHex(await env.get(`/tx/${txid}/hex`));
    });
    d.start();
  });
  after(async () => {
    d?.stop();
    await env?.stop();
  });

  /** Both sides ready: CHANNELD_NORMAL with channeld running here, usable at LDK. */
  async function ready(id: string, fundingTxid: string, mindepth: number): Promise<PeerChannel> {
    await env.confirmFunding(fundingTxid, mindepth);
    const l = await fundsWhen(
      async () => (await channels()).find(c => c.channel_id === id),
      c => c?.state === 'CHANNELD_NORMAL' && /channeld normal/.test(c.status[0] ?? ''),
      'CHANNELD_NORMAL',
    );
    const seen = () =>
      JSON.stringify(d.cm.list_channels().map(c => [toHex(c.get_channel_id().get_a()), c.get_is_channel_ready(), c.get_is_usable()]));
    // (LDK's bindings answer booleans as 0/1.)
    await d
      .until(() => Boolean(ldkChannel(id)?.get_is_channel_ready()), `the channel ${id} ready`)
      .catch(e => {
        throw new Error(`${(e as Error).message}; LDK has ${seen()}`);
      });
    await fundsWhen(
      async () => ((await node().call('getinfo', {})) as { blockheight: number }).blockheight,
      h => h === env.h.chain.height,
      'our node at the tip',
    );
    return l!;
  }

  /**
   * A payment each way: the side holding the funds pays PAY_MSAT, the other pays half of it back
   * (all of it would cut into the channel reserve the payer must keep); both balances move.
   */
  async function payBothWays(id: string, weOpened: boolean): Promise<void> {
    const pay = async (amount: bigint) => {
      const r = (await node().call('xpay', { invstring: d.invoice(amount) })) as { amount_msat: number | bigint };
      equal(Number(r.amount_msat), Number(amount));
    };
    const toUs = async () => (await channels()).find(c => c.channel_id === id)!.to_us_msat;
    const receive = async (amount: bigint, label: string) => {
      const had = await toUs();
      const inv = (await node().call('invoice', { amount_msat: Number(amount), label, description: label })) as { bolt11: string };
      const outcome = await d.outcome(d.payInvoice(inv.bolt11, label));
      ok(outcome instanceof ldk.Event_PaymentSent, `LDK paid our invoice ${label}`);
      await fundsWhen(
        () => node().call('listinvoices', { label }) as Promise<{ invoices: { status: string }[] }>,
        l => l.invoices[0]?.status === 'paid',
        'our invoice paid',
      );
      // Paid (and LDK's PaymentSent) at our update_fulfill_htlc; ours to spend once the commitment
      // dance removed the HTLC (BOLT 2), as Core Lightning's spendable_msat counts it.
      await fundsWhen(toUs, v => v === had + Number(amount), 'the HTLC settled into our balance');
    };
    const before = await toUs();
    if (weOpened) {
      await pay(PAY_MSAT);
      await receive(PAY_MSAT / 2n, `back-${id.slice(0, 8)}`);
    } else {
      await receive(PAY_MSAT, `from-ldk-${id.slice(0, 8)}`);
      await pay(PAY_MSAT / 2n);
    }
    const moved = Number(PAY_MSAT / 2n) * (weOpened ? -1 : 1);
    await fundsWhen(toUs, v => v === before + moved, 'the balance moved by the difference of the two payments');
  }

  /** Our close: mutual with LDK, mined, our output in listfunds. */
  async function closeIntoFunds(id: string): Promise<void> {
    const r = (await node().call('close', { id })) as { type: string; txid: string };
    equal(r.type, 'mutual');
    await fundsWhen(
      async () => (await fetch(`${env.h.url}/tx/${r.txid}/status`)).ok,
      x => x,
      'the close in the mempool',
    );
    await env.control('/regtest/mine', { blocks: 1 });
    await fundsWhen(
      () => node().call('listfunds', {}) as Promise<Funds>,
      f => f.outputs.some(o => o.txid === r.txid && o.status === 'confirmed'),
      'our close output confirmed in listfunds',
    );
  }

  for (const [label, type, bits, features] of [
    ['anchors (fundchannel’s default)', undefined, [12, 22], ['option_static_remotekey', 'option_anchors']],
    ['static_remotekey (asked)', [12], [12], ['option_static_remotekey']],
  ] as const) {
    it(`we open with ${label}: LDK takes it, a payment each way, a mutual close`, async () => {
      const r = (await node().call('fundchannel', {
        id: d.nodeId,
        amount: FUNDING_SAT,
        feerate: '253perkw',
        announce: false,
        ...(type ? { channel_type: type } : {}),
      })) as { txid: string; mindepth: number; channel_id: string; channel_type: { bits: number[] } };
      deepEqual(r.channel_type.bits, [...bits]);
      const c = await ready(r.channel_id, r.txid, r.mindepth);
      deepEqual(c.features, [...features]);
      const t = ldkChannel(r.channel_id)!.get_channel_type();
      equal(Boolean(t?.supports_anchors_zero_fee_htlc_tx()), (bits as readonly number[]).includes(22), "LDK's channel type");
      await payBothWays(r.channel_id, true);
      await closeIntoFunds(r.channel_id);
    });
  }

  it('LDK opens to us: anchors negotiated, a payment each way, our mutual close', async () => {
    const from = d.events.length;
    const r = d.cm.create_channel(fromHex(node().id), BigInt(FUNDING_SAT), 0n, 42n, null, null);
    ok(r.is_ok(), 'LDK starts the open');
    d.pump();
    await d.until(() => d.events.slice(from).some(e => e instanceof ldk.Event_FundingGenerationReady), 'asked for a funding transaction');
    await d.fundingDone();
    const pending = await d.event((e): e is ldk.Event_ChannelPending => e instanceof ldk.Event_ChannelPending, 'the channel pending', from);
    const id = toHex(pending.channel_id.get_a());
    const ours = await fundsWhen(
      async () => (await channels()).find(c => c.channel_id === id),
      c => c !== undefined,
      'the channel at our node',
    );
    deepEqual(ours!.features, ['option_static_remotekey', 'option_anchors']);
    await ready(id, ldkFunding.at(-1)!, 6);
    await payBothWays(id, false);
    await closeIntoFunds(id);
  });
});
