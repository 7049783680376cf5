// Our whole Node node pays LDK (npm lightningdevkit) over a channel it opened, on `boltworker
// regtest`: `xpay` of LDK's own BOLT 11 invoice (LDK sees PaymentClaimable, claims, and we get its
// preimage; listpays shows it complete), `keysend` to LDK (LDK reads the preimage we chose from the
// onion), and a payment LDK refuses, which comes back as Core Lightning's 203 with the BOLT 4 reason
// decoded from LDK's error onion.
import { after, before, describe, it } from 'node:test';
import * as ldk from 'lightningdevkit';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import type { LdkPeer } from './ldk/peer.ts';
import { startRegtestWithLdk, type RegtestWithLdk } from './ldk/regtest-node.ts';

const FUNDING_SAT = 200_000;
/** Under LDK's max_htlc_value_in_flight_msat (10% of the channel by default): one part carries it. */
const PAY_MSAT = 15_000_000n;

/** What LDK told us, and what it does with a payment it can claim. */
interface LdkSide {
  claimable: { hash: string; amount: bigint; preimage?: Uint8Array }[];
  claimed: { hash: string; amount: bigint }[];
  /** Fail (instead of claim) the payments of these hashes. */
  refuse: Set<string>;
  /** Neither claim nor fail these yet (the test claims them later). */
  hold: Set<string>;
}

describe('we pay LDK on boltworker regtest', () => {
  let env: RegtestWithLdk | undefined;
  let node: RegtestWithLdk['node'] | undefined;
  let peer: LdkPeer | undefined;
  let pump: ReturnType<typeof setInterval> | undefined;
  const side: LdkSide = { claimable: [], claimed: [], refuse: new Set(), hold: new Set() };
  const channeldRunning = (n: NonNullable<typeof node>) =>
    fundsWhen(
      () => n.call('listpeerchannels', {}) as Promise<{ channels: { state: string; status: string[] }[] }>,
      // openingd hands over to channeld just after the state is recorded: wait for channeld itself.
      l => /^CHANNELD_NORMAL:channeld normal/.test(l.channels[0]?.status[0] ?? ''),
      'a channeld in normal operation with LDK',
    );

  /** LDK's loop: forwards held HTLCs, sends what it queued, handles its events (outside its callback: no re-entry). */
  function ldkLoop(): void {
    const cm = peer!.channelManager!;
    for (const e of peer!.takeEvents()) {
      if (e instanceof ldk.Event_PaymentClaimable) {
        const hash = toHex(e.payment_hash);
        const p = e.purpose;
        let preimage: Uint8Array | undefined;
        if (p instanceof ldk.PaymentPurpose_Bolt11InvoicePayment && p.payment_preimage instanceof ldk.Option_ThirtyTwoBytesZ_Some)
          preimage = p.payment_preimage.some;
        if (p instanceof ldk.PaymentPurpose_SpontaneousPayment) preimage = p.spontaneous_payment;
        side.claimable.push({ hash, amount: e.amount_msat, ...(preimage ? { preimage } : {}) });
        if (side.hold.has(hash)) continue;
        if (side.refuse.has(hash) || !preimage) cm.fail_htlc_backwards(e.payment_hash);
        else cm.claim_funds(preimage);
      } else if (e instanceof ldk.Event_PaymentClaimed) {
        side.claimed.push({ hash: toHex(e.payment_hash), amount: e.amount_msat });
      }
    }
    peer!.processEvents();
  }

  /** An invoice of LDK's for `amount_msat` (its own preimage and payment_secret; hints for our private channel). */
  function ldkInvoice(amount_msat: bigint): string {
    const r = ldk.UtilMethods.constructor_create_invoice_from_channelmanager(
      peer!.channelManager!,
      ldk.Option_u64Z.constructor_some(amount_msat),
      'coffee from boltworker',
      3600,
      ldk.Option_u16Z.constructor_none(),
    );
    ok(r instanceof ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK, 'LDK made an invoice');
    return r.res.to_str();
  }

  before(async () => {
    env = await startRegtestWithLdk('ldk-pay');
    ({ node, peer } = env);
    const n = node;
    const h = env.h;
    await env.fundAndConnect(1_000_000);
    const r = (await n.call('fundchannel', { id: peer.nodeId, amount: FUNDING_SAT, feerate: '253perkw', announce: false })) as {
      txid: string;
      mindepth: number;
    };
    await env.confirmFunding(r.txid, r.mindepth);
    await channeldRunning(n);
    // Both at the same tip: the CLTVs we put in onions are the ones LDK checks.
    await fundsWhen(
      async () => ((await n.call('getinfo', {})) as { blockheight: number }).blockheight,
      height => height === h.chain.height,
      'our node at the tip',
    );
    pump = setInterval(ldkLoop, 20);
  });
  after(async () => {
    if (pump) clearInterval(pump);
    await env?.stop();
  });

  it("xpay pays LDK's invoice: LDK claims it and we have its preimage", async () => {
    const n = node!;
    const bolt11 = ldkInvoice(PAY_MSAT);
    const r = (await n.call('xpay', { invstring: bolt11 })) as {
      payment_preimage: string;
      successful_parts: number;
      amount_msat: number | bigint;
      amount_sent_msat: number | bigint;
    };
    const hash = toHex(sha256(fromHex(r.payment_preimage)));
    const claimable = side.claimable.find(c => c.hash === hash);
    ok(claimable, 'LDK saw PaymentClaimable for our payment');
    equal(claimable.amount, PAY_MSAT);
    equal(toHex(claimable.preimage!), r.payment_preimage, "the preimage is LDK's");
    equal(Number(r.amount_msat), Number(PAY_MSAT));
    equal(Number(r.amount_sent_msat), Number(PAY_MSAT), 'one hop: no fee');
    await fundsWhen(
      async () => side.claimed,
      c => c.some(x => x.hash === hash),
      'LDK saw PaymentClaimed',
    );
    const pays = (await n.call('listpays', { bolt11 })) as { pays: { status: string; preimage: string; number_of_parts: number }[] };
    equal(pays.pays.length, 1);
    equal(pays.pays[0]!.status, 'complete');
    equal(pays.pays[0]!.preimage, r.payment_preimage);
    // Paying it again answers the first payment; LDK sees nothing more.
    const seen = side.claimable.length;
    const again = (await n.call('pay', { bolt11 })) as { payment_preimage: string; status: string };
    equal(again.payment_preimage, r.payment_preimage);
    equal(again.status, 'complete');
    equal(side.claimable.length, seen);
    const ch = (await n.call('listpeerchannels', {})) as { channels: { to_us_msat: number }[] };
    equal(ch.channels[0]!.to_us_msat, FUNDING_SAT * 1000 - Number(PAY_MSAT));
  });

  it('keysend to LDK: LDK reads our preimage from the onion and claims it', async () => {
    const n = node!;
    const r = (await n.call('keysend', { destination: peer!.nodeId, amount_msat: 1_234_000 })) as {
      payment_preimage: string;
      payment_hash: string;
      status: string;
      destination: string;
    };
    equal(r.status, 'complete');
    equal(r.destination, peer!.nodeId);
    const claimable = side.claimable.find(c => c.hash === r.payment_hash);
    ok(claimable, 'LDK saw our keysend');
    equal(toHex(claimable.preimage!), r.payment_preimage);
    equal(claimable.amount, 1_234_000n);
  });

  it("a payment LDK refuses comes back as 203 with LDK's BOLT 4 reason decoded", async () => {
    const n = node!;
    const bolt11 = ldkInvoice(PAY_MSAT / 2n);
    const hash = toHex(
      (ldk.Bolt11Invoice.constructor_from_str(bolt11) as ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK).res.payment_hash(),
    );
    side.refuse.add(hash);
    let err: { code?: number; message?: string } | undefined;
    try {
      await n.call('xpay', { invstring: bolt11 });
    } catch (e) {
      err = e as { code?: number; message?: string };
    }
    ok(err, 'xpay failed');
    equal(err.code, 203, err.message);
    ok(err.message?.includes(`incorrect_or_unknown_payment_details (0x400f) from ${peer!.nodeId}`), err.message);
    ok(
      side.claimable.some(c => c.hash === hash),
      'LDK had it claimable before it failed it',
    );
    const pays = (await n.call('listpays', { payment_hash: hash })) as { pays: { status: string; erroronion?: string }[] };
    equal(pays.pays[0]!.status, 'failed');
    ok(pays.pays[0]!.erroronion, 'the error onion kept');
    const sp = (await n.call('listsendpays', { payment_hash: hash })) as { payments: { status: string }[] };
    equal(sp.payments.length, 1, 'the destination said no: one part, not retried');
  });

  it('a part in flight when our node stops is resolved from the channel after the restart, never sent again', async () => {
    const bolt11 = ldkInvoice(PAY_MSAT / 4n);
    const hash = toHex(
      (ldk.Bolt11Invoice.constructor_from_str(bolt11) as ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK).res.payment_hash(),
    );
    side.hold.add(hash);
    void node!.call('xpay', { invstring: bolt11 }).catch(() => undefined);
    const held = await fundsWhen(
      async () => side.claimable.find(c => c.hash === hash),
      c => c !== undefined,
      'LDK holding our HTLC',
    );
    node = await env!.restart();
    const n = node;
    const pending = (await n.call('listpays', { payment_hash: hash })) as { pays: { status: string }[] };
    equal(pending.pays[0]!.status, 'pending', 'the part is in flight: the payment waits for it');
    // Our node dials LDK again (a peer we have a channel with); channeld reestablishes; LDK claims.
    await channeldRunning(n);
    side.hold.delete(hash);
    peer!.channelManager!.claim_funds(held!.preimage!);
    const done = await fundsWhen(
      () => n.call('listpays', { payment_hash: hash }) as Promise<{ pays: { status: string; preimage?: string }[] }>,
      l => l.pays[0]?.status === 'complete',
      'the payment complete from the fulfill after the restart',
    );
    equal(done.pays[0]!.preimage, toHex(held!.preimage!));
    // Paid: pay answers the first result (xpay would refuse it, 219, as Core Lightning's).
    const r = (await n.call('pay', { bolt11 })) as { payment_preimage: string };
    equal(r.payment_preimage, toHex(held!.preimage!));
    const sp = (await n.call('listsendpays', { payment_hash: hash })) as { payments: unknown[] };
    equal(sp.payments.length, 1, 'one part, never sent again');
    equal(side.claimable.filter(c => c.hash === hash).length, 1);
  });
});
