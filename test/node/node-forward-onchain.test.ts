// A forward whose incoming channel goes on chain (BOLT 5), in whole Node nodes on `boltworker
// regtest`: A pays C through B; C holds A's part in its HTLC set (a multi-part invoice, half paid);
// A force-closes A–B and its commitment is mined while B's forward is in flight; then B pays the
// other half itself, C has the whole payment and fulfils both parts to B. B learnt the preimage
// downstream: its onchaind for A–B must claim the HTLC output of A's commitment with it (BOLT 5
// "MUST resolve the output by spending it using the payment preimage"), before A can take it back
// after its cltv_expiry; and A's onchaind reads the preimage from B's claim.
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

type Node = Awaited<ReturnType<typeof startNode>>;
type PeerChannel = { peer_id: string; channel_id: string; state: string; peer_connected: boolean; status: string[]; htlcs: unknown[] };
type Forward = { status: string; in_msat: number; out_htlc_id?: number; payment_hash?: string };
type EsploraTx = { txid: string; vout: { scriptpubkey_type: string; value: number }[] };
type Outspend = { spent: boolean; txid?: string };

const FUNDING_SAT = 500_000;
const HALF_MSAT = 100_000_000;

/** Asks `read` every 100 ms (at most 1,200 times) until `pred` holds: a node follows a regtest chain by polling it each second. */
async function until<T>(read: () => Promise<T>, pred: (v: T) => boolean, what: string): Promise<T> {
  let v: T | undefined;
  for (let i = 0; i < 1200; i++) {
    v = await read();
    if (pred(v)) return v;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`never saw ${what}: ${JSON.stringify(v)}`);
}

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
    await a.call('fundchannel', { id: b.id, amount: FUNDING_SAT, feerate: '2000perkw', announce: false });
    await b.call('fundchannel', { id: c.id, amount: FUNDING_SAT, feerate: '2000perkw', announce: false });
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
});
