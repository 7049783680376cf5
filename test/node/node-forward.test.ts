// Forwarding in whole Node nodes on `boltworker regtest`: A → B and B → C, private channels; C's
// invoice made with `exposeprivatechannels` carries B → C in a route hint; A `xpay`s it through B.
// C is paid, B's listforwards shows the forward settled with its fee, A's listpays complete; a
// payment C refuses comes back to A decoded, with C as the failing node.
import { after, before, describe, it } from 'node:test';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import { regtestNodes, type Node, type RegtestNodes } from './regtest-nodes.ts';

type PeerChannel = { peer_id: string; state: string; peer_connected: boolean; short_channel_id?: string; status: string[] };
type Forward = { status: string; in_channel: string; out_channel: string; in_msat: number; out_msat: number; fee_msat: number };

const FUNDING_SAT = 500_000;

describe('Node: A pays C through B (B forwards)', () => {
  let env: RegtestNodes;
  const nodes: Node[] = [];
  const control = (path: string, body: unknown) => env.control(path, body);
  let a: Node, b: Node, c: Node;
  let bDir = '';

  const normal = (n: Node, count: number) =>
    fundsWhen(
      () => n.call('listpeerchannels', {}) as Promise<{ channels: PeerChannel[] }>,
      l =>
        l.channels.length === count &&
        l.channels.every(x => x.state === 'CHANNELD_NORMAL' && x.peer_connected && /channeld normal/.test(x.status[0] ?? '')),
      `${count} channels in normal operation`,
    );

  async function fund(n: Node) {
    const { bech32 } = (await n.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    await control('/regtest/send', { address: bech32, amount_sat: 1_000_000 });
  }

  before(async () => {
    env = await regtestNodes('node-forward');
    for (let i = 0; i < 3; i++) {
      const d = env.tmp();
      if (i === 1) bDir = d;
      nodes.push(await env.start(d, { bindAddr: ['127.0.0.1:0'] }));
    }
    [a, b, c] = nodes as [Node, Node, Node];
  });
  after(async () => {
    await env?.stop();
  });

  it('opens A → B and B → C (private), then A pays C: settled at B with its fee, complete at A', async () => {
    await fund(a);
    await fund(b);
    await control('/regtest/mine', { blocks: 1 });
    const confirmed = (n: Node) =>
      fundsWhen(
        () => n.call('listfunds', {}) as Promise<{ outputs: { status: string }[] }>,
        f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed',
        'the coin confirmed',
      );
    await confirmed(a);
    await confirmed(b);
    await a.call('connect', { id: `${b.id}@127.0.0.1:${b.binding[0]!.port}` });
    await b.call('connect', { id: `${c.id}@127.0.0.1:${c.binding[0]!.port}` });
    await a.call('fundchannel', { id: b.id, amount: FUNDING_SAT, feerate: '2000perkw', announce: false });
    await b.call('fundchannel', { id: c.id, amount: FUNDING_SAT, feerate: '2000perkw', announce: false });
    await control('/regtest/mine', { blocks: 3 });
    await normal(a, 1);
    await normal(b, 2);
    await normal(c, 1);

    const inv = (await c.call('invoice', {
      amount_msat: 10_000_000,
      label: 'through-b',
      description: 'forwarded',
      exposeprivatechannels: true,
    })) as { bolt11: string; payment_hash: string };
    const paid = (await a.call('xpay', { invstring: inv.bolt11 })) as { payment_preimage: string; amount_sent_msat: number };
    ok(paid.payment_preimage.length === 64, 'a preimage');
    // B's fee: Core Lightning's defaults, 1000 msat + 10 ppm of 10,000,000 msat.
    equal(Number(paid.amount_sent_msat), 10_000_000 + 1000 + 100);
    const got = (await c.call('listinvoices', { label: 'through-b' })) as { invoices: { status: string }[] };
    equal(got.invoices[0]!.status, 'paid');
    const f = await fundsWhen(
      () => b.call('listforwards', {}) as Promise<{ forwards: Forward[] }>,
      x => x.forwards.length === 1 && x.forwards[0]!.status === 'settled',
      'the forward settled',
    );
    equal(Number(f.forwards[0]!.in_msat), 10_001_100);
    equal(Number(f.forwards[0]!.out_msat), 10_000_000);
    equal(Number(f.forwards[0]!.fee_msat), 1100);
    const pays = (await a.call('listpays', { payment_hash: inv.payment_hash })) as { pays: { status: string }[] };
    equal(pays.pays[0]!.status, 'complete');
  });

  it('a payment C refuses (an unknown payment_hash) comes back to A with C as the failing node', async () => {
    const inv = (await c.call('invoice', {
      amount_msat: 20_000,
      label: 'to-delete',
      description: 'gone',
      exposeprivatechannels: true,
    })) as { bolt11: string };
    await c.call('delinvoice', { label: 'to-delete', status: 'unpaid' });
    const e = await rejects<Error & { code: number; message: string }>(a.call('xpay', { invstring: inv.bolt11 }), Error);
    // PAY_DESTINATION_PERM_FAIL, the failure read from C's error onion through B's obfuscation.
    equal(e.code, 203);
    ok(e.message.includes(`incorrect_or_unknown_payment_details (0x400f) from ${c.id}`), e.message);
    const f = (await b.call('listforwards', { status: 'failed' })) as { forwards: Forward[] };
    equal(f.forwards.length, 1);
  });

  it("setchannel raises B's fee: listpeerchannels shows it; A, paying a hint at the old fee, learns it from the fee_insufficient update; C's next invoice hints the new fee", async () => {
    // Made before the change: its hint carries B's old fee.
    const stale = (await c.call('invoice', {
      amount_msat: 10_000_000,
      label: 'old-fee',
      description: 'd',
      exposeprivatechannels: true,
    })) as {
      bolt11: string;
    };
    const set = (await b.call('setchannel', { id: c.id, feebase: 2000 })) as { channels: { fee_base_msat: number }[] };
    equal(set.channels[0]!.fee_base_msat, 2000);
    const lc = (await b.call('listpeerchannels', { id: c.id })) as {
      channels: { peer_id: string; fee_base_msat: number; short_channel_id: string }[];
    };
    const bc = lc.channels.find(x => x.peer_id === c.id)!;
    equal(bc.fee_base_msat, 2000);
    const paid = (await a.call('xpay', { invstring: stale.bolt11 })) as { amount_sent_msat: number; failed_parts: number };
    equal(Number(paid.amount_sent_msat), 10_000_000 + 2000 + 100);
    ok(Number(paid.failed_parts) >= 1, "the first attempt, at the hint's fee, failed");
    const f = (await b.call('listforwards', { status: 'local_failed' })) as { forwards: (Forward & { failreason: string })[] };
    equal(f.forwards.at(-1)!.failreason, 'WIRE_FEE_INSUFFICIENT');
    // B sent its new channel_update to C (BOLT 7, dont_forward: the channel is not announced); C keeps it
    // and hints it: paid at the new fee at once.
    await fundsWhen(
      () =>
        c.call('listchannels', { short_channel_id: bc.short_channel_id }) as Promise<{
          channels: { source: string; base_fee_millisatoshi: number }[];
        }>,
      x => x.channels.some(ch => ch.source === b.id && ch.base_fee_millisatoshi === 2000),
      "B's new channel_update at C",
    );
    const inv = (await c.call('invoice', { amount_msat: 10_000_000, label: 'new-fee', description: 'd', exposeprivatechannels: true })) as {
      bolt11: string;
    };
    const direct = (await a.call('xpay', { invstring: inv.bolt11 })) as { amount_sent_msat: number; failed_parts: number };
    deepEqual([Number(direct.amount_sent_msat), Number(direct.failed_parts)], [10_000_000 + 2000 + 100, 0]);
  });

  it("B restarted with a forward in flight finishes it: C holds A's part until B pays the rest", async () => {
    const inv = (await c.call('invoice', { amount_msat: 2_000_000, label: 'held', description: 'd', exposeprivatechannels: true })) as {
      bolt11: string;
    };
    // A's half goes through B; C holds it in its HTLC set until the total arrives.
    const fromA = a.call('xpay', { invstring: inv.bolt11, partial_msat: 1_000_000 }) as Promise<{ payment_preimage: string }>;
    fromA.catch(() => undefined);
    await fundsWhen(
      () => b.call('listforwards', { status: 'offered' }) as Promise<{ forwards: (Forward & { out_htlc_id?: number })[] }>,
      x => x.forwards.some(f => f.out_htlc_id !== undefined),
      'the forward offered to C',
    );
    const port = b.binding[0]!.port;
    await b.stop();
    b = await env.start(bDir, { bindAddr: [`127.0.0.1:${port}`] });
    // A (whose address B never learnt: it dialled in) reconnects.
    await a.call('connect', { id: `${b.id}@127.0.0.1:${port}` });
    await normal(b, 2);
    // B pays the other half itself: C has the total and fulfills both; B's forward gives A the preimage.
    await b.call('xpay', { invstring: inv.bolt11, partial_msat: 1_000_000 });
    const paid = await fromA;
    equal(paid.payment_preimage.length, 64);
    const f = await fundsWhen(
      () => b.call('listforwards', {}) as Promise<{ forwards: Forward[] }>,
      x => x.forwards.at(-1)!.status === 'settled',
      'the forward settled after the restart',
    );
    equal(Number(f.forwards.at(-1)!.out_msat), 1_000_000);
  });
});
