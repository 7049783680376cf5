// Our payment while the payee holds its part (BOLT 4 multi-part: B keeps an HTLC set until the
// whole amount arrives), on `boltworker regtest` with three whole Node nodes: A pays half of B's
// invoice (xpay partial_msat), B holds it; C, with a channel to B, pays the other half when the
// test says: the release. So the part is in flight for certain, with no hook in anyone's code:
// - A is restarted while B holds the part: its payment is resumed pending (xpay refuses it 200,
//   pay waits for it), and once C pays, A's part is fulfilled: complete with B's preimage, once.
// - A's channel to B goes on chain while B holds the part: once C pays, B claims A's HTLC on chain
//   with the preimage, A's onchaind reads it there, and A's xpay returns it (no off-chain fulfill).
// - Again on chain, but B is never paid the rest: A's HTLC times out on chain, A's onchaind fails
//   it, and A's xpay fails (no channel left to send the amount again), the part and the payment failed.
// Channels are static_remotekey (`channel_type: [12]`): B, without wallet coins, claims on chain;
// under option_anchors its zero-fee HTLC-success would need one (node-anchors.test.ts).
import { after, before, describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { regtestNodes, until, type Node, type RegtestNodes } from './regtest-nodes.ts';

type PeerChannel = { peer_id: string; channel_id: string; state: string; peer_connected: boolean; status: string[]; to_us_msat: number };
type Pay = { status: string; preimage?: string; amount_sent_msat?: number; number_of_parts?: number };
type SendPay = { status: string; partid: number; payment_preimage?: string };
type Outspend = { spent: boolean; txid?: string };

const FUNDING_SAT = 500_000;
const HALF_MSAT = 100_000_000;

describe('Node: our payment while the payee holds its part (a restart; the channel on chain)', () => {
  let env: RegtestNodes;
  let a: Node, b: Node, c: Node;
  let dirA: string;
  const channels = async (n: Node) => ((await n.call('listpeerchannels', {})) as { channels: PeerChannel[] }).channels;
  const normalWith = (n: Node, peer: string) =>
    until(
      () => channels(n),
      l =>
        l.some(x => x.peer_id === peer && x.state === 'CHANNELD_NORMAL' && x.peer_connected && /channeld normal/.test(x.status[0] ?? '')),
      `a channel with ${peer.slice(0, 8)} in normal operation`,
    );
  const pays = async (n: Node, hash: string) => ((await n.call('listpays', { payment_hash: hash })) as { pays: Pay[] }).pays;
  const sendpays = async (n: Node, hash: string) =>
    ((await n.call('listsendpays', { payment_hash: hash })) as { payments: SendPay[] }).payments;
  const invoice = (label: string) =>
    b.call('invoice', { amount_msat: 2 * HALF_MSAT, label, description: label }) as Promise<{ bolt11: string; payment_hash: string }>;
  const preimageAtB = async (label: string) =>
    ((await b.call('listinvoices', { label })) as { invoices: { status: string; payment_preimage?: string }[] }).invoices[0]!;
  const heldAtB = () =>
    until(
      async () => b.lightningd.receiver?.held ?? 0,
      h => h === 1,
      "A's part held at B",
    );
  const failure = (p: Promise<unknown>) => rejects<Error & { code: number }>(p, Error);

  /** A force-closes its A–B channel in normal operation; resolves once its commitment is in the mempool. */
  async function forceCloseAB() {
    const ab = (await channels(a)).find(x => x.peer_id === b.id && x.state === 'CHANNELD_NORMAL')!;
    const dbid = a.lightningd.channels!.list().find(x => x.record?.channel_id === ab.channel_id)!.record!.dbid;
    const closed = await a.lightningd.channels!.forceClose(dbid, 'test');
    await until(
      () => env.get<string[]>('/mempool/txids'),
      l => l.includes(closed.txid),
      "A's commitment in the mempool",
    );
    return { ab, closed };
  }

  before(async () => {
    env = await regtestNodes('node-pay-held');
    dirA = env.tmp();
    a = await env.start(dirA);
    b = await env.start(env.tmp(), { bindAddr: ['127.0.0.1:0'] });
    c = await env.start(env.tmp());
    await env.fund(a, 1_000_000);
    await env.fund(c, 1_000_000);
    await env.connect(a, b);
    await env.connect(c, b);
    await a.call('fundchannel', { id: b.id, amount: FUNDING_SAT, feerate: '1000perkw', announce: false, channel_type: [12] });
    await c.call('fundchannel', { id: b.id, amount: FUNDING_SAT, feerate: '1000perkw', announce: false, channel_type: [12] });
    await env.mine(3);
    await normalWith(a, b.id);
    await normalWith(c, b.id);
    await normalWith(b, a.id);
    await normalWith(b, c.id);
  });
  after(async () => {
    await env?.stop();
  });

  it('A restarted while B holds its part: resumed pending (xpay 200, pay waits), then complete with the preimage, once', async () => {
    const inv = await invoice('held-restart');
    const before = Number((await channels(a))[0]!.to_us_msat);
    void a.call('xpay', { invstring: inv.bolt11, partial_msat: HALF_MSAT }).catch(() => undefined);
    await heldAtB();
    await a.stop();
    a = await env.start(dirA);
    // The part is in flight (B holds it): the payment is pending, and nothing is sent again.
    deepEqual(
      (await pays(a, inv.payment_hash)).map(p => p.status),
      ['pending'],
    );
    const refused = await failure(a.call('xpay', { invstring: inv.bolt11, partial_msat: HALF_MSAT }));
    equal(refused.code, 200, refused.message);
    // Core Lightning's pay waits for the attempt in flight and answers its result.
    const waiting = a.call('pay', { bolt11: inv.bolt11 }) as Promise<{ payment_preimage: string; status: string; parts: number }>;
    waiting.catch(() => undefined);
    await normalWith(a, b.id);
    equal((await sendpays(a, inv.payment_hash)).length, 1, 'one part, never sent again');
    // The release: C pays the other half, B has the whole payment and fulfils both parts.
    await c.call('xpay', { invstring: inv.bolt11, partial_msat: HALF_MSAT });
    const atB = await preimageAtB('held-restart');
    equal(atB.status, 'paid');
    const r = await waiting;
    deepEqual([r.payment_preimage, r.status, r.parts], [atB.payment_preimage, 'complete', 1]);
    equal(toHex(sha256(fromHex(r.payment_preimage))), inv.payment_hash);
    const done = await pays(a, inv.payment_hash);
    deepEqual(
      done.map(p => [p.status, p.preimage, Number(p.amount_sent_msat)]),
      [['complete', atB.payment_preimage, HALF_MSAT]],
    );
    deepEqual(
      (await sendpays(a, inv.payment_hash)).map(p => [p.partid, p.status]),
      [[1, 'complete']],
    );
    const again = await failure(a.call('xpay', { invstring: inv.bolt11, partial_msat: HALF_MSAT }));
    equal(again.code, 219, again.message);
    await until(
      () => channels(a),
      l => Number(l[0]!.to_us_msat) === before - HALF_MSAT,
      "A's balance down by its half, once",
    );
  });

  it("A's channel goes on chain while B holds its part: B claims it there with the preimage, and A's xpay completes from the chain", async () => {
    const inv = await invoice('held-onchain');
    const paying = a.call('xpay', { invstring: inv.bolt11, partial_msat: HALF_MSAT }) as Promise<{ payment_preimage: string }>;
    paying.catch(() => undefined);
    await heldAtB();
    // A force-closes: its commitment, with the HTLC it offered B, is mined.
    const { ab, closed } = await forceCloseAB();
    await env.mine(1);
    await until(
      () => channels(b),
      l => l.find(x => x.channel_id === ab.channel_id)?.state === 'ONCHAIN',
      "B's A–B channel ONCHAIN",
    );
    deepEqual(
      (await pays(a, inv.payment_hash)).map(p => p.status),
      ['pending'],
      'on chain, not yet claimed: pending',
    );
    // The release: C pays the other half; B's invoice is paid and its onchaind claims A's HTLC output.
    await c.call('xpay', { invstring: inv.bolt11, partial_msat: HALF_MSAT });
    const atB = await preimageAtB('held-onchain');
    equal(atB.status, 'paid');
    const commitment = await env.get<{ vout: { scriptpubkey_type: string; value: number }[] }>(`/tx/${closed.txid}`);
    const vout = commitment.vout.findIndex(o => o.scriptpubkey_type === 'v0_p2wsh' && o.value === HALF_MSAT / 1000);
    ok(vout >= 0, 'the HTLC output');
    await until(
      () => env.get<Outspend>(`/tx/${closed.txid}/outspend/${vout}`),
      o => o.spent,
      "B's claim of the HTLC output",
    );
    // Mined: A's onchaind reads the preimage from B's claim, and A's payment completes with it.
    await env.mine(1);
    const r = await paying;
    equal(r.payment_preimage, atB.payment_preimage);
    const done = await pays(a, inv.payment_hash);
    deepEqual(
      done.map(p => [p.status, p.preimage]),
      [['complete', atB.payment_preimage]],
    );
    deepEqual(
      (await sendpays(a, inv.payment_hash)).map(p => [p.status, p.payment_preimage]),
      [['complete', atB.payment_preimage]],
    );
  });

  it("A's channel goes on chain while B holds its part, and no one pays the rest: the HTLC times out on chain and A's xpay fails", async () => {
    // A new A–B channel (the last one is on chain).
    await a.call('fundchannel', { id: b.id, amount: 300_000, feerate: '1000perkw', announce: false, channel_type: [12] });
    await env.mine(3);
    await normalWith(a, b.id);
    await normalWith(b, a.id);
    const inv = await invoice('held-timeout');
    let answer: { code?: number; message?: string } | undefined;
    void a.call('xpay', { invstring: inv.bolt11, partial_msat: HALF_MSAT / 2 }).then(
      () => (answer = { message: 'paid' }),
      (e: { code: number; message: string }) => (answer = e),
    );
    await heldAtB();
    type Htlc = { direction: string; expiry: number };
    const open = (await channels(a)).find(x => x.peer_id === b.id && x.state === 'CHANNELD_NORMAL') as unknown as { htlcs: Htlc[] };
    const htlc = open.htlcs[0]!;
    equal(htlc.direction, 'out');
    await forceCloseAB();
    // Blocks until the HTLC expires, A's HTLC-timeout is mined and deep enough: one at a time, as A follows.
    await until(
      async () => {
        if (answer === undefined) await env.mine(1);
        return answer;
      },
      x => x !== undefined,
      "A's xpay answered after the HTLC timed out on chain",
    );
    const height = Number(((await a.call('getinfo', {})) as { blockheight: number }).blockheight);
    ok(height >= htlc.expiry, `not before the HTLC's expiry (${height} >= ${htlc.expiry})`);
    ok(answer!.code === 205 || answer!.code === 210, `failed: ${JSON.stringify(answer)}`);
    ok(answer!.message?.includes('our HTLC failed on chain'), `the part's failure from onchaind: ${answer!.message}`);
    deepEqual(
      (await pays(a, inv.payment_hash)).map(p => p.status),
      ['failed'],
    );
    deepEqual(
      (await sendpays(a, inv.payment_hash)).map(p => p.status),
      ['failed'],
      'its one part failed on chain',
    );
    equal((await preimageAtB('held-timeout')).status, 'unpaid');
  });
});
