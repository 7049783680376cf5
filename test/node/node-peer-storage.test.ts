// Backups with peers (BOLT 1 option_provide_storage) in whole Node nodes on `boltworker regtest`:
// A opens a channel to B and leaves its sealed channel list with B; A's lightning-dir is wiped but
// for hsm_secret and A restarts onto an empty store; on reconnecting, B's peer_storage_retrieval
// gives A its channel back (opened by hsmd with the key the seed gives), and B, whose reestablish A
// can only answer with BOLT 1's `error`, drops its commitment to the chain; A sweeps its to_remote
// output of that commitment to its wallet (peer-storage-sweep.ts) and listfunds shows the coin.
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from '../../src/node/node.ts';
import { startRegtest, type RegtestHandle } from '../../src/regtest/server-node.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { postJson } from '../support/regtest-client.ts';
import { until } from './regtest-nodes.ts';

type Node = Awaited<ReturnType<typeof startNode>>;
type PeerChannel = { state: string; channel_id: string; funding_txid: string; funding_outnum: number; status: string[] };
type Recovered = { channel_id: string; peer_id: string; dbid: string; funding_txid: string; funding_outnum: number; from: string };
type Outspend = { spent: boolean; txid?: string };
type EsploraTx = {
  vin: { sequence: number }[];
  vout: { value: number; scriptpubkey_type: string }[];
  fee: number;
  weight: number;
};

const FUNDING_SAT = 400_000;

describe('Node: backups with peers (BOLT 1 peer storage) on boltworker regtest', () => {
  let h: RegtestHandle;
  let a: Node | undefined;
  let b: Node | undefined;
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'bw-node-peerstore-'));
    dirs.push(d);
    return d;
  };
  let dirA: string;
  const recovered: Recovered[][] = [];
  const startA = () =>
    startNode({
      network: 'regtest',
      lightningDir: dirA,
      esplora: h.url,
      verifyWorkers: 1,
      onEvent: (ev, payload) => {
        if (ev === 'peer_backup_recovered') recovered.push(payload as Recovered[]);
      },
    });
  const control = (path: string, body: unknown) => postJson(`${h.url}${path}`, body);
  const get = async <T>(path: string) => (await (await fetch(`${h.url}${path}`)).json()) as T;
  const mine = (blocks: number) => control('/regtest/mine', { blocks });
  const channelsOf = async (n: Node) => ((await n.call('listpeerchannels', {})) as { channels: PeerChannel[] }).channels;

  before(async () => {
    h = await startRegtest({ port: 0, premine: 101 });
    dirA = tmp();
    a = await startA();
    b = await startNode({ network: 'regtest', lightningDir: tmp(), esplora: h.url, verifyWorkers: 1, bindAddr: ['127.0.0.1:0'] });
    const { bech32 } = (await a.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    await control('/regtest/send', { address: bech32, amount_sat: 2_000_000 });
    await mine(1);
    await until(
      async () => (await a!.call('listfunds', {})) as { outputs: { status: string }[] },
      f => f.outputs.some(o => o.status === 'confirmed'),
      "A's coin",
    );
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await h?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("A, wiped but for hsm_secret, gets its channel back from B's storage; B force-closes; A sweeps its to_remote", async () => {
    const bAt = `${b!.id}@127.0.0.1:${b!.binding[0]!.port}`;
    await a!.call('connect', { id: bAt });
    const r = (await a!.call('fundchannel', { id: b!.id, amount: FUNDING_SAT, feerate: '2000perkw' })) as {
      channel_id: string;
      txid: string;
      outnum: number;
      channel_type: { names: string[] };
    };
    await mine(3);
    for (const n of [a!, b!])
      await until(
        () => channelsOf(n),
        cs => cs.some(c => c.channel_id === r.channel_id && c.status[0]?.startsWith('CHANNELD_NORMAL:channeld normal') === true),
        'channeld normal',
      );
    const dbid = a!.lightningd.channels!.list().find(c => c.record?.channel_id === r.channel_id)!.record!.dbid;
    // A's backup went to B once the channel was funded (and again at channel_ready): a
    // reconnection now has B send it back, and A, which still holds the channel, learns nothing new.
    await a!.call('disconnect', { id: b!.id, force: true });
    await a!.call('connect', { id: bAt });
    await until(
      () => channelsOf(a!),
      cs => cs.some(c => c.status[0]?.startsWith('CHANNELD_NORMAL:channeld normal') === true),
      'reestablished',
    );
    deepEqual(recovered, []);

    // The disaster: A's store is gone; its seed (hsm_secret) was kept.
    await a!.stop();
    const net = join(dirA, 'regtest');
    for (const f of readdirSync(net)) if (f !== 'hsm_secret') rmSync(join(net, f), { recursive: true, force: true });
    a = await startA();
    deepEqual(await channelsOf(a), []);
    await a.call('connect', { id: bAt });
    const got = await until(
      () => recovered,
      l => l.length > 0,
      "A's channel list from B",
    );
    equal(got.length, 1);
    deepEqual(
      got[0]!.map(c => [c.channel_id, c.peer_id, c.dbid, c.funding_txid, c.funding_outnum, c.from]),
      [[r.channel_id, b!.id, dbid, r.txid, r.outnum, b!.id]],
    );
    // B's reestablish met A's `error` (A has no such channel): B drops its commitment to the chain.
    const spend = await until(
      () => get<Outspend>(`/tx/${r.txid}/outspend/${r.outnum}`),
      o => o.spent,
      "B's commitment spending the funding output",
    );
    ok(spend.txid);
    const bState = (await channelsOf(b!)).find(c => c.channel_id === r.channel_id)!.state;
    ok(['AWAITING_UNILATERAL', 'FUNDING_SPEND_SEEN', 'ONCHAIN'].includes(bState), bState);

    // A sweeps its to_remote of B's commitment (BOLT 3: option_anchors' 1-block CSV script on our
    // payment_basepoint, or its P2WPKH with option_static_remotekey) to its wallet, hsmd signing
    // with the key it derives from (B's id, the dbid the backup held).
    await mine(1);
    const commitment = await get<EsploraTx>(`/tx/${spend.txid}`);
    const anchors = r.channel_type.names.some(n => n.startsWith('anchors'));
    const toRemote = commitment.vout.find(o => o.value > 330)!;
    // A opened with no push: B's commitment holds A's whole balance less the commitment fee (and
    // with option_anchors the two anchors A pays for; B's side, empty, has no output nor anchor).
    equal(commitment.vout.length, anchors ? 2 : 1);
    equal(toRemote.value + commitment.fee + (anchors ? 330 : 0), FUNDING_SAT);
    equal(toRemote.scriptpubkey_type, anchors ? 'v0_p2wsh' : 'v0_p2wpkh');
    const sweep = await until(
      () => get<Outspend>(`/tx/${spend.txid}/outspend/${commitment.vout.indexOf(toRemote)}`),
      o => o.spent,
      "A's sweep of its to_remote",
    );
    const sweepTx = await get<EsploraTx>(`/tx/${sweep.txid}`);
    if (anchors) equal(sweepTx.vin[0]!.sequence, 1);
    equal(sweepTx.vout.length, 1);
    // The sweep pays the wallet its to_remote less a fee at the sweep feerate (regtest: 253 perkw,
    // the floor) on its weight (a DER signature is 71 to 73 bytes: hsmd's may be 2 shorter than the estimate).
    equal(sweepTx.vout[0]!.value, toRemote.value - sweepTx.fee);
    ok(sweepTx.fee > Math.floor((253 * sweepTx.weight) / 1000), `fee ${sweepTx.fee} at weight ${sweepTx.weight}`);
    ok(sweepTx.fee <= Math.floor((253 * (sweepTx.weight + 2)) / 1000) + 1, `fee ${sweepTx.fee} at weight ${sweepTx.weight}`);
    await mine(1);
    const funds = await until(
      async () => (await a!.call('listfunds', {})) as { outputs: { txid: string; output: number; amount_msat: number; status: string }[] },
      f => f.outputs.some(o => o.txid === sweep.txid && o.status === 'confirmed'),
      'the swept coin in listfunds',
    );
    const coin = funds.outputs.filter(o => o.txid === sweep.txid);
    deepEqual(
      coin.map(o => [o.output, o.amount_msat]),
      [[0, sweepTx.vout[0]!.value * 1000]],
    );
    // A's wallet balance: the channel's funds less B's commitment fee (and the anchor A paid for)
    // and the sweep's fee. (The funding's change is not in it: a wallet restored onto an empty store
    // follows the chain from where it starts, and does not rescan the blocks before.)
    const total = funds.outputs.filter(o => o.status === 'confirmed').reduce((n, o) => n + o.amount_msat, 0);
    equal(total, (FUNDING_SAT - commitment.fee - (anchors ? 330 : 0) - sweepTx.fee) * 1000);
  });
});
