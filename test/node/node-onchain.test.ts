// Failing a channel and resolving it on chain (BOLT 5), in whole Node nodes on `boltworker regtest`
// (whose mempool refuses what Bitcoin Core refuses and whose script interpreter checks every input):
// A's forceClose has hsmd sign A's latest commitment and broadcasts it; once mined each side's
// lightningd hands the spend to an onchaind: B sweeps its to_remote at once, A its to_local after
// the CSV delay B asked (its watchtime-blocks, 6 here), across a restart of A; an HTLC in flight goes back to A by
// HTLC-timeout once its cltv_expiry is reached; a node that found itself behind
// (option_data_loss_protect) never broadcasts its stale commitment and recovers from the peer's;
// one restored whole while its peer is away broadcasts a revoked commitment, and loses it to a penalty.
import { after, before, describe, it } from 'node:test';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Transaction } from '@scure/btc-signer';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { TX_OPTS } from '../../src/core/bolt3/index.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { RECONNECT_MS, regtestNodes, type Node, type RegtestNodes, until } from './regtest-nodes.ts';

type Funds = {
  outputs: { txid: string; output: number; amount_msat: number; status: string }[];
  channels: { channel_id: string; state: string }[];
};
type PeerChannel = {
  state: string;
  channel_id: string;
  funding_txid: string;
  funding_outnum: number;
  status: string[];
  htlcs: { direction: string }[];
  our_to_self_delay: number;
  their_to_self_delay: number;
};
type EsploraTx = {
  txid: string;
  locktime: number;
  vin: { txid: string; vout: number }[];
  vout: { scriptpubkey_type: string; value: number }[];
};
type Outspend = { spent: boolean; txid?: string; status?: { confirmed: boolean } };

const FUNDING_SAT = 500_000;
const PUSH_MSAT = 20_000_000;
/**
 * Core Lightning's watchtime-blocks: the to_self_delay each of our nodes asks of the other (6, Core
 * Lightning's testnet value, rather than its default 144: the nodes follow fewer blocks).
 */
const TO_SELF_DELAY = 6;

describe('Node: failing a channel and resolving it on chain (BOLT 5) on boltworker regtest', () => {
  let env: RegtestNodes;
  let h: RegtestNodes['h'];
  let a: Node | undefined;
  let b: Node | undefined;
  let dirA: string;
  let bDir: string;
  let bPort: number;
  const tmp = () => env.tmp();
  const startA = () => env.start(dirA);
  const get = <T>(path: string) => env.get<T>(path);
  const mine = (blocks: number) => env.mine(blocks);
  const channelsOf = async (n: Node) => ((await n.call('listpeerchannels', {})) as { channels: PeerChannel[] }).channels;
  const channel = async (n: Node, id: string) => (await channelsOf(n)).find(c => c.channel_id === id);
  const funds = (n: Node) => n.call('listfunds', {}) as Promise<Funds>;
  /** The node has followed the chain to its tip. */
  const synced = (n: Node) =>
    until(
      () => n.call('getinfo', {}) as Promise<{ blockheight: number }>,
      i => i.blockheight === h.chain.height,
      `height ${h.chain.height}`,
    );
  const stateIs = (n: Node, id: string, state: string | undefined) =>
    until(
      () => channel(n, id),
      c => c?.state === state,
      `channel ${id} in ${state ?? 'no state (forgotten)'}`,
    );
  const dbidOf = (n: Node, id: string) => n.lightningd.channels!.list().find(c => c.record?.channel_id === id)!.record!.dbid;
  const outspend = (txid: string, vout: number) => get<Outspend>(`/tx/${txid}/outspend/${vout}`);

  /**
   * Waits for `n`'s sweep of output `vout` of `txid`, mines it, and checks `n`'s wallet holds the
   * output's value less a fee (under 2,000 sat). The sweep's txid.
   */
  async function sweptToWallet(n: Node, txid: string, vout: number, what: string): Promise<string> {
    const value = (await get<EsploraTx>(`/tx/${txid}`)).vout[vout]!.value * 1000;
    const sweep = await until(
      () => outspend(txid, vout),
      o => o.spent,
      what,
    );
    await mine(1);
    const f = await until(
      () => funds(n),
      x => x.outputs.some(o => o.txid === sweep.txid && o.status === 'confirmed'),
      `${what}, confirmed in the wallet`,
    );
    const coin = f.outputs.find(o => o.txid === sweep.txid)!;
    ok(coin.amount_msat < value && coin.amount_msat > value - 2_000_000, `${what}: ${coin.amount_msat} of ${value} msat`);
    return sweep.txid!;
  }

  /** lightningd's database files (a log of batches and its snapshot), hsmd's channel records. */
  const LIGHTNINGD_FILES = ['lightningd.log', 'lightningd.snapshot.json'];
  /** Copies `files` from `from` to `to`, those that exist; in `to` the others are removed (a restore leaves no newer file behind). */
  const copyFiles = (files: string[], from: string, to: string) => {
    for (const f of files) {
      rmSync(join(to, f), { force: true });
      if (existsSync(join(from, f))) cpSync(join(from, f), join(to, f));
    }
  };

  /**
   * A new channel, a backup of A's lightningd and hsmd state at its commitment 0 (A stopped for the
   * copy), then an HTLC added and failed: A's commitments 0 and 1 are revoked, both sides at 2/2.
   */
  async function backedUpThenAdvanced() {
    const ch = await open();
    const dbid = dbidOf(a!, ch.channel_id);
    const net = join(dirA, 'regtest');
    const snap = tmp();
    await a!.stop();
    copyFiles([...LIGHTNINGD_FILES, 'hsm_channels.json'], net, snap);
    a = await startA();
    const normal = (n: Node) =>
      until(
        () => channel(n, ch.channel_id),
        c => /^CHANNELD_NORMAL:channeld normal .*commitments/.test(c?.status[0] ?? ''),
        'channeld reestablished',
      );
    await normal(a);
    await normal(b!);
    await a.lightningd.channels!.channeldOf(dbid)!.api.addHtlc({
      amountMsat: 5_000_000n,
      paymentHash: new Uint8Array(32).fill(3),
      cltvExpiry: h.chain.height + 100,
      onion: new Uint8Array(1366),
    });
    // B's lightningd fails it as malformed (its onion is zeroes: BOLT 4 invalid_onion_key).
    await until(
      () => channel(a!, ch.channel_id),
      c => /commitments 2\/2$/.test(c?.status[0] ?? '') && c!.htlcs.length === 0,
      "A's commitments at 2/2",
    );
    return { ch, dbid, net, snap };
  }
  const startB = () => env.start(bDir, { bindAddr: [`127.0.0.1:${bPort}`] });

  /** A opens a channel to B (pushing PUSH_MSAT) and both reach CHANNELD_NORMAL. */
  async function open(): Promise<{ channel_id: string; txid: string }> {
    // A restarted since, with no channel to keep B connected.
    await a!.call('connect', { id: `${b!.id}@127.0.0.1:${b!.binding[0]!.port}` });
    const r = (await a!.call('fundchannel', {
      id: b!.id,
      amount: FUNDING_SAT,
      push_msat: PUSH_MSAT,
      feerate: '2000perkw',
      // static_remotekey (the outputs below are counted for it); anchors: node-anchors.test.ts.
      channel_type: [12],
    })) as {
      channel_id: string;
      txid: string;
    };
    await mine(3);
    for (const n of [a!, b!]) await stateIs(n, r.channel_id, 'CHANNELD_NORMAL');
    // Each side's channeld runs (it is what an HTLC goes through).
    await until(
      async () => (await channel(a!, r.channel_id))?.status[0] ?? '',
      s => s.startsWith('CHANNELD_NORMAL:channeld normal'),
      "A's channeld",
    );
    return r;
  }

  before(async () => {
    env = await regtestNodes('node-onchain', { connectdConfig: RECONNECT_MS, watchtimeBlocks: TO_SELF_DELAY });
    h = env.h;
    dirA = tmp();
    a = await startA();
    bDir = tmp();
    b = await env.start(bDir, { bindAddr: ['127.0.0.1:0'] });
    bPort = b.binding[0]!.port;
    await env.fund(a, 3_000_000);
  });
  after(async () => {
    await env?.stop();
  });

  it("A's forceClose: its commitment, signed by hsmd, in the mempool; mined, B sweeps its to_remote, A (restarted) its to_local after the CSV delay; both wallets hold the coins; forgotten 100 blocks later", async () => {
    const ch = await open();
    // Each asked the other its watchtime-blocks (listpeerchannels, as Core Lightning names them).
    const delays = (c: PeerChannel | undefined) => [c?.our_to_self_delay, c?.their_to_self_delay];
    deepEqual(
      [delays(await channel(a!, ch.channel_id)), delays(await channel(b!, ch.channel_id))],
      [
        [6, 6],
        [6, 6],
      ],
    );
    const bFundsBefore = (await funds(b!)).outputs.length;
    const r = await a!.lightningd.channels!.forceClose(dbidOf(a!, ch.channel_id), 'test');
    const tx = Transaction.fromRaw(fromHex(r.tx), TX_OPTS);
    equal(tx.id, r.txid);
    deepEqual([toHex(tx.getInput(0).txid!), tx.getInput(0).index], [ch.txid, 0], 'it spends the funding output');
    // Accepted by the chain's mempool: the 2-of-2 witness (hsmd's signature and B's) is valid.
    equal((await get<{ confirmed: boolean }>(`/tx/${r.txid}/status`)).confirmed, false);
    const failed = (await channel(a!, ch.channel_id))!;
    equal(failed.state, 'AWAITING_UNILATERAL');
    ok(
      failed.status.some(s => s.includes(r.txid)),
      failed.status.join('; '),
    );
    equal((await a!.lightningd.channels!.forceClose(dbidOf(a!, ch.channel_id), 'again')).txid, r.txid, 'the same commitment again');

    await mine(1);
    const closedAt = h.chain.height;
    for (const n of [a!, b!]) await stateIs(n, ch.channel_id, 'ONCHAIN');
    const commitment = await get<EsploraTx>(`/tx/${r.txid}`);
    // static_remotekey: B's to_remote is a P2WPKH of PUSH_MSAT; A's to_local the P2WSH.
    const toRemote = commitment.vout.findIndex(o => o.scriptpubkey_type === 'v0_p2wpkh');
    const toLocal = commitment.vout.findIndex(o => o.scriptpubkey_type === 'v0_p2wsh');
    equal(commitment.vout[toRemote]!.value, PUSH_MSAT / 1000);
    ok(toLocal >= 0);

    // B sweeps its to_remote to its wallet at once.
    await sweptToWallet(b!, r.txid, toRemote, "B's sweep of to_remote");
    equal((await funds(b!)).outputs.length, bFundsBefore + 1);

    // A restarts while its to_local waits for its CSV delay: onchaind starts again from the recorded spend.
    await a!.stop();
    a = await startA();
    equal((await channel(a, ch.channel_id))?.state, 'ONCHAIN');
    // One block short of the delay, A's to_local cannot be spent (BIP 68): nothing spends it.
    await mine(closedAt + TO_SELF_DELAY - 2 - h.chain.height);
    await synced(a);
    equal((await outspend(r.txid, toLocal)).spent, false, 'to_local not spent before its CSV delay');
    await mine(1);
    await sweptToWallet(a!, r.txid, toLocal, "A's sweep of to_local");

    // Core Lightning forgets a channel once every output is 100 blocks deep.
    await mine(98);
    await synced(a!);
    equal((await channel(a!, ch.channel_id))?.state, 'ONCHAIN', 'A waits for its sweep to be 100 deep');
    await mine(1);
    for (const n of [a!, b!]) await stateIs(n, ch.channel_id, undefined);
    for (const n of [a!, b!]) ok(!(await funds(n)).channels.some(c => c.channel_id === ch.channel_id));
    // listclosedchannels: A closed it (with the RPC's forceClose), B saw A's commitment.
    const closed = async (n: Node) =>
      ((await n.call('listclosedchannels', {})) as { closedchannels: Record<string, unknown>[] }).closedchannels.find(
        c => c.channel_id === ch.channel_id,
      );
    const [ca, cb] = [(await closed(a!))!, (await closed(b!))!];
    deepEqual(
      [ca.closer, ca.close_cause, ca.last_commitment_txid, ca.opener, ca.total_msat],
      ['local', 'user', r.txid, 'local', FUNDING_SAT * 1000],
    );
    deepEqual([cb.closer, cb.close_cause, cb.opener, cb.final_to_us_msat], ['remote', 'onchain', 'remote', PUSH_MSAT]);
  });
  it('an HTLC A offered, in flight when A force-closes: HTLC-timeout once its cltv_expiry is reached (not before), its output swept to the wallet after the CSV delay', async () => {
    const ch = await open();
    const amount = 10_000_000n;
    const cltv = h.chain.height + 20;
    const dbid = dbidOf(a!, ch.channel_id);
    await a!.lightningd.channels!.channeldOf(dbid)!.api.addHtlc({
      amountMsat: amount,
      paymentHash: new Uint8Array(32).fill(9),
      cltvExpiry: cltv,
      onion: new Uint8Array(1366),
    });
    // Committed on both sides: in A's commitment (listpeerchannels reads it) and B's.
    await until(
      () => channel(a!, ch.channel_id),
      c => c?.htlcs.some(x => x.direction === 'out') === true,
      "the HTLC in A's commitment",
    );
    await until(
      () => channel(b!, ch.channel_id),
      c => c?.htlcs.some(x => x.direction === 'in') === true,
      "the HTLC in B's commitment",
    );
    const r = await a!.lightningd.channels!.forceClose(dbid, 'test');
    await mine(1);
    await stateIs(a!, ch.channel_id, 'ONCHAIN');
    const commitment = await get<EsploraTx>(`/tx/${r.txid}`);
    const htlc = commitment.vout.findIndex(o => o.scriptpubkey_type === 'v0_p2wsh' && o.value === Number(amount / 1000n));
    ok(htlc >= 0, 'the HTLC output');

    // BOLT 3: the HTLC-timeout's nLockTime is the cltv_expiry, so (BIP 65, IsFinalTx) it can be
    // mined in the block after the one at cltv_expiry: not spent while the tip is below it.
    await mine(cltv - 1 - h.chain.height);
    await synced(a!);
    equal((await outspend(r.txid, htlc)).spent, false, 'the HTLC output is not spent before its cltv_expiry');
    await mine(1);
    const spent = await until(
      () => outspend(r.txid, htlc),
      o => o.spent,
      "A's HTLC-timeout",
    );
    const timeout = await get<EsploraTx>(`/tx/${spent.txid}`);
    equal(timeout.locktime, cltv, 'an HTLC-timeout: its locktime is the cltv_expiry');
    deepEqual(
      timeout.vout.map(o => o.scriptpubkey_type),
      ['v0_p2wsh'],
      'paying the delayed to_local script',
    );
    await mine(1);
    const timedOutAt = h.chain.height;
    await until(
      () => outspend(r.txid, htlc),
      o => o.status?.confirmed === true,
      'the HTLC-timeout mined',
    );

    // Its output, after the delay B asked, goes to A's wallet.
    await mine(timedOutAt + TO_SELF_DELAY - 1 - h.chain.height);
    await sweptToWallet(a!, spent.txid!, 0, "A's sweep of the HTLC-timeout's output");
  });
  it("a node restored from an old state: hsmd refuses to sign the commitment it revoked, and once the peer proves it behind (option_data_loss_protect) it never broadcasts; it takes its funds from the peer's commitment", async () => {
    const { ch, dbid, net, snap } = await backedUpThenAdvanced();
    const funding = () => outspend(ch.txid, 0);

    // lightningd's state alone goes back (hsmd's is current), with B away: lightningd would sign
    // commitment 0, which hsmd has revoked. hsmd refuses; nothing is broadcast or recorded.
    await b!.stop();
    await a!.stop();
    copyFiles(LIGHTNINGD_FILES, snap, net);
    a = await startA();
    const refused = await rejects<Error & { code?: string }>(a.lightningd.channels!.forceClose(dbid, 'test'), Error);
    ok(refused.code === 'revoked' || /revoked/.test(refused.message), `${refused.code}: ${refused.message}`);
    equal((await funding()).spent, false);
    equal((await channel(a, ch.channel_id))?.state, 'CHANNELD_NORMAL');

    // Both go back (a node restored from its backup): at reestablish B proves A behind. A never broadcasts.
    await a.stop();
    cpSync(join(snap, 'hsm_channels.json'), join(net, 'hsm_channels.json'));
    a = await startA();
    b = await startB();
    const behind = await stateIs(a, ch.channel_id, 'AWAITING_UNILATERAL');
    ok(
      behind!.status.some(x => /behind/.test(x)),
      behind!.status.join('; '),
    );
    const stale = await rejects<Error & { reason?: string }>(a.lightningd.channels!.forceClose(dbid, 'test'), Error);
    equal(stale.reason, 'data_loss');
    equal(
      a.lightningd.channels!.list().find(c => c.record?.dbid === dbid)!.record!.onchain?.commitment_tx,
      undefined,
      'nothing of A signed',
    );
    // A's error asked B to fail the channel: B broadcasts its own commitment, the only spend of the funding output.
    const spent = await until(funding, o => o.spent, "B's commitment");
    const bRecord = b.lightningd.channels!.list().find(c => c.record?.channel_id === ch.channel_id)!.record!;
    equal(spent.txid, bRecord.onchain?.commitment_txid);

    // Mined, A's onchaind takes its output of B's commitment (static_remotekey: no point needed) to A's wallet.
    await mine(1);
    const onchain = await stateIs(a, ch.channel_id, 'ONCHAIN');
    await until(
      async () => (await channel(a!, ch.channel_id))?.status ?? [],
      st => st.some(x => /a state we lost/.test(x)),
      "A's onchaind on B's commitment",
    );
    ok(onchain);
    const theirs = await get<EsploraTx>(`/tx/${spent.txid}`);
    const ours = theirs.vout.findIndex(o => o.scriptpubkey_type === 'v0_p2wpkh');
    ok(theirs.vout[ours]!.value * 1000 > (FUNDING_SAT - 20_000) * 1000 - PUSH_MSAT, 'our balance, less the commitment fee');
    await sweptToWallet(a!, spent.txid!, ours, "A's sweep of its output of B's commitment");
  });
  it("A, restored from an old backup while B is away, broadcasts its revoked commitment: B's onchaind takes A's to_local with a penalty (BOLT 5 revoked transaction close)", async () => {
    const { ch, dbid, net, snap } = await backedUpThenAdvanced();
    // B away, A goes back whole (lightningd and hsmd): hsmd believes commitment 0 its latest, and signs it.
    await b!.stop();
    await a!.stop();
    copyFiles([...LIGHTNINGD_FILES, 'hsm_channels.json'], snap, net);
    a = await startA();
    const r = await a.lightningd.channels!.forceClose(dbid, 'test');
    await a.stop();
    a = undefined;
    b = await startB();
    await mine(1);
    await stateIs(b, ch.channel_id, 'ONCHAIN');
    await until(
      async () => (await channel(b!, ch.channel_id))?.status ?? [],
      st => st.some(x => /illegal close: taking all funds/.test(x)),
      "B's onchaind on A's revoked commitment",
    );
    const revoked = await get<EsploraTx>(`/tx/${r.txid}`);
    // A's to_local (its whole balance) is B's by the revocation key, at once; B's own to_remote too.
    const toLocal = revoked.vout.findIndex(o => o.scriptpubkey_type === 'v0_p2wsh');
    const toRemote = revoked.vout.findIndex(o => o.scriptpubkey_type === 'v0_p2wpkh');
    ok(revoked.vout[toLocal]!.value * 1000 > (FUNDING_SAT - 20_000) * 1000 - PUSH_MSAT, "A's balance");
    await sweptToWallet(b, r.txid, toLocal, "B's penalty on A's to_local");
    await sweptToWallet(b, r.txid, toRemote, "B's sweep of its to_remote");
    a = await startA();
  });
});
