// A forward whose incoming channel goes on chain (BOLT 5), in whole Node nodes on `boltworker
// regtest`: A pays C through B; C holds A's part in its HTLC set (a multi-part invoice, half paid);
// A force-closes A–B and its commitment is mined while B's forward is in flight; then B pays the
// other half itself, C has the whole payment and fulfils both parts to B. B learnt the preimage
// downstream: its onchaind for A–B must claim the HTLC output of A's commitment with it (BOLT 5
// "MUST resolve the output by spending it using the payment preimage"), before A can take it back
// after its cltv_expiry; and A's onchaind reads the preimage from B's claim. Then the other way:
// B–C goes on chain while C holds the HTLC; once C's invoice is paid, C's onchaind claims the HTLC
// on chain (a receive's preimage released after onchaind started), B's onchaind reads the preimage
// there, and B's forward fulfils A off chain: A's payment completes.
// The harness (three nodes, two private channels) is this file's own: test/support has no shared
// regtest harness yet.
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transaction } from '@scure/btc-signer';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { TX_OPTS } from '../../src/core/bolt3/index.ts';
import { startNode } from '../../src/node/node.ts';
import { startRegtest, type RegtestHandle } from '../../src/regtest/server-node.ts';
import { equal, ok } from '../support/assert.ts';
import { postJson } from '../support/regtest-client.ts';
import { until } from './regtest-nodes.ts';

type Node = Awaited<ReturnType<typeof startNode>>;
type PeerChannel = { peer_id: string; channel_id: string; state: string; peer_connected: boolean; status: string[]; htlcs: unknown[] };
type Forward = { status: string; in_msat: number; out_msat: number; out_htlc_id?: number };
type EsploraTx = { txid: string; vout: { scriptpubkey_type: string; value: number }[] };
type Outspend = { spent: boolean; txid?: string };

const FUNDING_SAT = 500_000;
const HALF_MSAT = 100_000_000;

describe('Node: a forward whose incoming channel went on chain is claimed there with the preimage learnt downstream', () => {
  let h: RegtestHandle;
  const nodes: Node[] = [];
  const dirs: string[] = [];
  let a: Node, b: Node, c: Node;
  const control = (path: string, body: unknown) => postJson(`${h.url}${path}`, body);
  const get = async <T>(path: string) => (await (await fetch(`${h.url}${path}`)).json()) as T;
  const mine = (blocks: number) => control('/regtest/mine', { blocks });
  const channels = async (n: Node) => ((await n.call('listpeerchannels', {})) as { channels: PeerChannel[] }).channels;
  const normal = (n: Node, count: number) =>
    until(
      () => channels(n),
      l =>
        l.length === count && l.every(x => x.state === 'CHANNELD_NORMAL' && x.peer_connected && /channeld normal/.test(x.status[0] ?? '')),
      `${count} channels in normal operation`,
    );

  before(async () => {
    h = await startRegtest({ port: 0, premine: 101 });
    for (let i = 0; i < 3; i++) {
      const d = mkdtempSync(join(tmpdir(), 'bw-node-forward-onchain-'));
      dirs.push(d);
      nodes.push(await startNode({ network: 'regtest', lightningDir: d, esplora: h.url, verifyWorkers: 1, bindAddr: ['127.0.0.1:0'] }));
    }
    [a, b, c] = nodes as [Node, Node, Node];
    for (const n of [a, b]) {
      const { bech32 } = (await n.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
      await control('/regtest/send', { address: bech32, amount_sat: 1_000_000 });
    }
    await mine(1);
    for (const n of [a, b])
      await until(
        () => n.call('listfunds', {}) as Promise<{ outputs: { status: string }[] }>,
        f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed',
        'the coin confirmed',
      );
    await a.call('connect', { id: `${b.id}@127.0.0.1:${b.binding[0]!.port}` });
    await b.call('connect', { id: `${c.id}@127.0.0.1:${c.binding[0]!.port}` });
    await a.call('fundchannel', { id: b.id, amount: FUNDING_SAT, feerate: '2000perkw', announce: false, channel_type: [12] });
    await b.call('fundchannel', { id: c.id, amount: FUNDING_SAT, feerate: '2000perkw', announce: false, channel_type: [12] });
    await mine(3);
    await normal(a, 1);
    await normal(b, 2);
    await normal(c, 1);
  });
  after(async () => {
    for (const n of nodes) await n.stop().catch(() => undefined);
    await h?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("A–B goes on chain while C holds the HTLC; C releases: B's onchaind claims it with the preimage, and A reads it on chain", async () => {
    const inv = (await c.call('invoice', {
      amount_msat: 2 * HALF_MSAT,
      label: 'held',
      description: 'held by C',
      exposeprivatechannels: true,
    })) as { bolt11: string; payment_hash: string };
    // What A's lightningd learns of its offered HTLC on chain (onchain-control.ts offeredHtlcOnChain).
    const aLearnt: { hash: string; preimage?: string }[] = [];
    a.lightningd.channels!.onHtlcs({
      onchain: (_dbid, hash, preimage) => void aLearnt.push({ hash, ...(preimage ? { preimage: toHex(preimage) } : {}) }),
    });
    // A's half goes through B; C holds it in its HTLC set until the total arrives.
    const fromA = a.call('xpay', { invstring: inv.bolt11, partial_msat: HALF_MSAT });
    fromA.catch(() => undefined);
    const offered = await until(
      () => b.call('listforwards', { status: 'offered' }) as Promise<{ forwards: Forward[] }>,
      x => x.forwards.some(f => f.out_htlc_id !== undefined),
      'the forward offered to C',
    );
    const inMsat = Number(offered.forwards[0]!.in_msat);
    await until(
      async () => c.lightningd.receiver?.held ?? 0,
      held => held === 1,
      "A's part held at C",
    );

    // A force-closes A–B: its commitment, holding the HTLC it offered B, is mined.
    const ab = (await channels(a))[0]!;
    const dbid = a.lightningd.channels!.list().find(x => x.record?.channel_id === ab.channel_id)!.record!.dbid;
    const closed = await a.lightningd.channels!.forceClose(dbid, 'test');
    await until(
      () => get<string[]>('/mempool/txids'),
      l => l.includes(closed.txid),
      "A's commitment in the mempool",
    );
    await mine(1);
    await until(
      () => channels(b),
      l => l.find(x => x.channel_id === ab.channel_id)?.state === 'ONCHAIN',
      "B's A–B channel ONCHAIN (its onchaind started, with no preimage yet)",
    );
    const commitment = await get<EsploraTx>(`/tx/${closed.txid}`);
    const vout = commitment.vout.findIndex(o => o.scriptpubkey_type === 'v0_p2wsh' && o.value === Math.floor(inMsat / 1000));
    ok(vout >= 0, `the HTLC output of ${Math.floor(inMsat / 1000)} sat`);
    equal((await get<Outspend>(`/tx/${closed.txid}/outspend/${vout}`)).spent, false, 'not claimed before B knows the preimage');

    // C releases: B pays the other half itself, C has the whole payment and fulfils both parts to B.
    await b.call('xpay', { invstring: inv.bolt11, partial_msat: HALF_MSAT });
    const preimage = ((await c.call('listinvoices', { label: 'held' })) as { invoices: { payment_preimage: string; status: string }[] })
      .invoices[0]!;
    equal(preimage.status, 'paid');
    const claim = await until(
      () => get<Outspend>(`/tx/${closed.txid}/outspend/${vout}`),
      o => o.spent,
      "B's claim of the HTLC output",
    );
    const raw = await (await fetch(`${h.url}/tx/${claim.txid}/hex`)).text();
    const tx = Transaction.fromRaw(fromHex(raw), TX_OPTS);
    const input = Array.from({ length: tx.inputsLength }, (_, i) => tx.getInput(i)).find(
      x => toHex(x.txid!) === closed.txid && x.index === vout,
    )!;
    ok(
      (input.finalScriptWitness ?? []).some(w => toHex(w) === preimage.payment_preimage),
      "B's claim carries the preimage C released",
    );
    const f = (await b.call('listforwards', { status: 'settled' })) as { forwards: Forward[] };
    equal(f.forwards.length, 1, 'the forward settled at B');

    // Mined: A's onchaind reads the preimage from B's claim.
    await mine(1);
    const learnt = await until(
      async () => aLearnt,
      l => l.some(x => x.hash === inv.payment_hash),
      "A's lightningd told of its HTLC settled on chain",
    );
    equal(learnt.find(x => x.hash === inv.payment_hash)!.preimage, preimage.payment_preimage, 'A learnt the preimage on chain');
  });
  it('B–C goes on chain while C holds the HTLC; C releases: C claims it on chain, and B fulfils A off chain with that preimage, durably', async () => {
    // New channels: A–B again, and a second B–C, so that B can pay C once one B–C channel is closed.
    const fresh = async (n: Node, peer: Node, sat: number) => {
      await n.call('fundchannel', { id: peer.id, amount: sat, feerate: '2000perkw', announce: false, channel_type: [12] });
    };
    await mine(1);
    await until(
      () => b.call('listfunds', {}) as Promise<{ outputs: { status: string }[] }>,
      f => f.outputs.length > 0 && f.outputs.every(o => o.status === 'confirmed'),
      "B's coins confirmed",
    );
    await fresh(a, b, 300_000);
    await fresh(b, c, 300_000);
    await mine(3);
    const normalWith = (n: Node, peer: string, count: number) =>
      until(
        () => channels(n),
        l =>
          l.filter(
            x => x.peer_id === peer && x.state === 'CHANNELD_NORMAL' && x.peer_connected && /channeld normal/.test(x.status[0] ?? ''),
          ).length === count,
        `${count} channels with ${peer} in normal operation`,
      );
    await normalWith(a, b.id, 1);
    await normalWith(b, a.id, 1);
    await normalWith(b, c.id, 2);
    await normalWith(c, b.id, 2);

    const inv = (await c.call('invoice', {
      amount_msat: HALF_MSAT,
      label: 'held-2',
      description: 'held by C, claimed on chain',
      exposeprivatechannels: true,
    })) as { bolt11: string; payment_hash: string };
    const fromA = a.call('xpay', { invstring: inv.bolt11, partial_msat: HALF_MSAT / 2 }) as Promise<{ payment_preimage: string }>;
    fromA.catch(() => undefined);
    type Fwd = Forward & { out_channel: string };
    const offered = await until(
      () => b.call('listforwards', { status: 'offered' }) as Promise<{ forwards: Fwd[] }>,
      x => x.forwards.some(f => f.out_htlc_id !== undefined),
      'the forward offered to C',
    );
    const fwd = offered.forwards.find(f => f.out_htlc_id !== undefined)!;
    // C committed it irrevocably and holds it in its HTLC set (before, B's close could leave it out).
    await until(
      async () => c.lightningd.receiver?.held ?? 0,
      held => held === 1,
      "A's part held at C",
    );
    // B force-closes the channel that carries it: B's commitment, with the HTLC B offered C, is mined.
    const out = b.lightningd.channels!.list().find(x => x.record?.short_channel_id === fwd.out_channel)!.record!;
    const closed = await b.lightningd.channels!.forceClose(out.dbid, 'test');
    await until(
      () => get<string[]>('/mempool/txids'),
      l => l.includes(closed.txid),
      "B's commitment in the mempool",
    );
    await mine(1);
    await until(
      () => channels(c),
      l => l.find(x => x.channel_id === out.channel_id)?.state === 'ONCHAIN',
      "C's channel ONCHAIN (its onchaind started; the invoice not yet paid)",
    );
    const commitment = await get<EsploraTx>(`/tx/${closed.txid}`);
    const vout = commitment.vout.findIndex(o => o.scriptpubkey_type === 'v0_p2wsh' && o.value === Math.floor(Number(fwd.out_msat) / 1000));
    ok(vout >= 0, 'the HTLC output');
    // C's onchaind acted at its start: the invoice is unpaid (receive has not accepted the part), so it claimed nothing.
    equal((await get<Outspend>(`/tx/${closed.txid}/outspend/${vout}`)).spent, false, 'not claimed before the invoice is paid');
    // C releases: B pays the other half over the other B–C channel; C's invoice is paid, and the
    // part on the closed channel goes to C's onchaind, which claims it on chain with the preimage.
    await b.call('xpay', { invstring: inv.bolt11, partial_msat: HALF_MSAT / 2 });
    await until(
      () => get<Outspend>(`/tx/${closed.txid}/outspend/${vout}`),
      o => o.spent,
      "C's claim of the HTLC output",
    );
    // Mined: B's onchaind reads the preimage, the forward settles, and A's payment completes off chain.
    await mine(1);
    const paid = await fromA;
    const inC = ((await c.call('listinvoices', { label: 'held-2' })) as { invoices: { payment_preimage: string }[] }).invoices[0]!;
    equal(paid.payment_preimage, inC.payment_preimage, "A's payment completes with C's preimage");
    const f = (await b.call('listforwards', { status: 'settled' })) as { forwards: Forward[] };
    equal(f.forwards.length, 2, 'the forward settled at B (with the first)');
  });
});
