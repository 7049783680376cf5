// Route blinding between whole Node nodes on `boltworker regtest` (BOLT 4 "Route Blinding"): A → B
// and B → C, private channels. C's `blindedinvoice` gives a blinded path whose introduction node is
// B; A's `xpayblinded` pays it: B relays by the path's payment_relay (its fee exactly), C checks its
// path_id and is paid. Failures inside the path come back to A as B's invalid_onion_blinding only.
import { after, before, describe, it } from 'node:test';
import { equal, ok, rejects } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import { privateLine, regtestNodes, type Node, type RegtestNodes } from './regtest-nodes.ts';

type PeerChannel = { peer_id: string; state: string; peer_connected: boolean; short_channel_id?: string; status: string[] };
type Forward = { status: string; in_msat: number; out_msat: number; fee_msat: number; failreason?: string };
type Path = {
  first_node_id: string;
  first_path_key: string;
  path: { blinded_node_id: string; encrypted_recipient_data: string }[];
  payinfo: { fee_base_msat: number; fee_proportional_millionths: number; cltv_expiry_delta: number };
};
type Blinded = { payment_hash: string; invoice_paths: Path[] };

const FUNDING_SAT = 500_000;

describe('Node: A pays C over a blinded path C made (B the introduction node)', () => {
  let env: RegtestNodes;
  let a: Node, b: Node, c: Node;

  before(async () => {
    env = await regtestNodes('node-blinded');
    const nodes: Node[] = [];
    for (let i = 0; i < 3; i++) nodes.push(await env.start(env.tmp(), { bindAddr: ['127.0.0.1:0'] }));
    [a, b, c] = nodes as [Node, Node, Node];
    await privateLine(env, [a, b, c], FUNDING_SAT);
    // C knows B's channel_update towards it (what the path's payment_relay says B charges).
    const bc = ((await c.call('listpeerchannels', {})) as { channels: PeerChannel[] }).channels[0]!;
    await fundsWhen(
      () => c.call('listchannels', { short_channel_id: bc.short_channel_id }) as Promise<{ channels: { source: string }[] }>,
      x => x.channels.some(ch => ch.source === b.id),
      "B's channel_update at C",
    );
  });
  after(async () => {
    await env?.stop();
  });

  it('C’s blindedinvoice hides C behind B: one hop in clear (B), C only blinded', async () => {
    const inv = (await c.call('blindedinvoice', {
      amount_msat: 10_000_000,
      label: 'blind-1',
      description: 'over a blinded path',
    })) as Blinded;
    equal(inv.invoice_paths.length, 1);
    const p = inv.invoice_paths[0]!;
    equal(p.first_node_id, b.id);
    equal(p.path.length, 2);
    ok(p.path[1]!.blinded_node_id !== c.id, 'C appears only blinded');
    // B's policy (Core Lightning's defaults): 1000 msat + 10 ppm; its delta plus C's final delta (18).
    equal(p.payinfo.fee_base_msat, 1000);
    equal(p.payinfo.fee_proportional_millionths, 10);
    ok(p.payinfo.cltv_expiry_delta > 18, `delta ${p.payinfo.cltv_expiry_delta}`);
  });

  it('A pays it: C paid, B forwarded with its fee exactly, A complete', async () => {
    const inv = (await c.call('blindedinvoice', { amount_msat: 10_000_000, label: 'blind-2', description: 'd' })) as Blinded;
    const paid = (await a.call('xpayblinded', {
      payment_hash: inv.payment_hash,
      amount_msat: 10_000_000,
      invoice_paths: inv.invoice_paths,
    })) as { payment_preimage: string; amount_msat: number; amount_sent_msat: number; failed_parts: number };
    equal(paid.payment_preimage.length, 64);
    equal(Number(paid.amount_msat), 10_000_000);
    equal(Number(paid.amount_sent_msat), 10_000_000 + 1000 + 100);
    equal(Number(paid.failed_parts), 0);
    const got = (await c.call('listinvoices', { label: 'blind-2' })) as { invoices: { status: string; amount_received_msat: number }[] };
    equal(got.invoices[0]!.status, 'paid');
    equal(Number(got.invoices[0]!.amount_received_msat), 10_000_000);
    const f = await fundsWhen(
      () => b.call('listforwards', { status: 'settled' }) as Promise<{ forwards: Forward[] }>,
      x => x.forwards.length === 1,
      'the forward settled',
    );
    equal(Number(f.forwards[0]!.in_msat), 10_001_100);
    equal(Number(f.forwards[0]!.out_msat), 10_000_000);
    equal(Number(f.forwards[0]!.fee_msat), 1100);
  });

  it('a failure inside the path (C cannot read its data) reaches A as invalid_onion_blinding from B, nothing more', async () => {
    const inv = (await c.call('blindedinvoice', { amount_msat: 50_000, label: 'blind-3', description: 'd' })) as Blinded;
    const p = inv.invoice_paths[0]!;
    const data = p.path[1]!.encrypted_recipient_data;
    const tampered = data.slice(0, 10) + (data[10] === '0' ? '1' : '0') + data.slice(11);
    const bad = [{ ...p, path: [p.path[0]!, { ...p.path[1]!, encrypted_recipient_data: tampered }] }];
    const e = await rejects<Error & { code: number; message: string }>(
      a.call('xpayblinded', { payment_hash: inv.payment_hash, amount_msat: 50_000, invoice_paths: bad }),
      Error,
    );
    equal(e.code, 203);
    ok(e.message.includes(`invalid_onion_blinding (0xc018) from ${b.id}`), e.message);
    const unpaid = (await c.call('listinvoices', { label: 'blind-3' })) as { invoices: { status: string }[] };
    equal(unpaid.invoices[0]!.status, 'unpaid');
    const f = (await b.call('listforwards', { status: 'failed' })) as { forwards: Forward[] };
    equal(f.forwards.length, 1);
  });

  it('C refuses a payment of less than its invoice; A learns only invalid_onion_blinding from B', async () => {
    const inv = (await c.call('blindedinvoice', { amount_msat: 80_000, label: 'blind-4', description: 'd' })) as Blinded;
    const e = await rejects<Error & { code: number; message: string }>(
      a.call('xpayblinded', { payment_hash: inv.payment_hash, amount_msat: 40_000, invoice_paths: inv.invoice_paths }),
      Error,
    );
    ok(e.message.includes(`invalid_onion_blinding (0xc018) from ${b.id}`), e.message);
    ok(!e.message.includes('incorrect_or_unknown_payment_details'), e.message);
    // the right amount then pays
    const paid = (await a.call('xpayblinded', {
      payment_hash: inv.payment_hash,
      amount_msat: 80_000,
      invoice_paths: inv.invoice_paths,
    })) as {
      payment_preimage: string;
    };
    equal(paid.payment_preimage.length, 64);
  });

  it('aliases (BOLT 2 channel_ready): C’s invoice hints B’s alias for B → C, and B forwards A’s payment by it', async () => {
    type Aliased = PeerChannel & { alias?: { local?: string; remote?: string } };
    const atB = ((await b.call('listpeerchannels', { id: c.id })) as { channels: Aliased[] }).channels[0]!;
    const atC = ((await c.call('listpeerchannels', {})) as { channels: Aliased[] }).channels[0]!;
    ok(atB.alias?.local && atB.alias.local !== atB.short_channel_id, `B chose an alias: ${JSON.stringify(atB.alias)}`);
    equal(atC.alias?.remote, atB.alias.local, 'C holds the alias B sent in channel_ready');
    equal(atB.alias.remote, atC.alias?.local, 'and B the one C sent');
    const inv = (await c.call('invoice', { amount_msat: 3_000_000, label: 'by-alias', description: 'd', exposeprivatechannels: true })) as {
      bolt11: string;
    };
    const hint = ((await c.call('decode', { string: inv.bolt11 })) as { routes: { short_channel_id: string }[][] }).routes[0]![0]!;
    equal(hint.short_channel_id, atB.alias.local);
    await a.call('xpay', { invstring: inv.bolt11 });
    const f = (await b.call('listforwards', { status: 'settled' })) as { forwards: (Forward & { out_channel: string })[] };
    const last = f.forwards.at(-1)!;
    equal(Number(last.out_msat), 3_000_000);
    equal(last.out_channel, atB.short_channel_id);
  });
});
