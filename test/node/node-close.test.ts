// Mutual close between two whole Node nodes (daemons in worker threads) on `boltworker regtest`:
// `close` sends shutdown (durable first), the peer answers with its own, channeld waits for the
// HTLCs to go, hands over to closingd, closingd negotiates closing_signed and lightningd persists
// the agreed close (CLOSINGD_COMPLETE) then broadcasts it; the regtest chain (which evaluates every
// input's script) accepts it, mines it, and each node's listfunds shows its side of the close.
// Closes by A, by B (peer-initiated for A), with an HTLC pending, and across a restart of A with
// B away; `close`'s parameter errors in Core Lightning's codes.
import { after, before, describe, it } from 'node:test';
import { Address, OutScript, Transaction } from '@scure/btc-signer';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import { regtestNodes, type Node, type RegtestNodes, until } from './regtest-nodes.ts';

type Funds = {
  outputs: { txid: string; output: number; amount_msat: number; status: string; address?: string; scriptpubkey: string }[];
  channels: { channel_id: string; state: string }[];
};
type PeerChannel = {
  peer_id: string;
  peer_connected: boolean;
  state: string;
  channel_id: string;
  short_channel_id?: string;
  to_us_msat: number;
  close_to?: string;
  status: string[];
  htlcs: unknown[];
};
type CloseResult = { type: string; tx: string; txid: string; txs: string[]; txids: string[] };

const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const FUNDING_SAT = 400_000;
const PUSH_MSAT = 50_000_000;

describe('Node: close (mutual) between two nodes on boltworker regtest', () => {
  let env: RegtestNodes;
  let a: Node | undefined;
  let b: Node | undefined;
  let dirA: string;
  let dirB: string;
  let portB: number;
  const mine = (blocks: number) => env.mine(blocks);
  const channelsOf = (n: Node) => () => n.call('listpeerchannels', {}) as Promise<{ channels: PeerChannel[] }>;
  const channelOf = async (n: Node, channelId: string) => (await channelsOf(n)()).channels.find(c => c.channel_id === channelId);
  const funds = (n: Node) => () => n.call('listfunds', {}) as Promise<Funds>;
  const code = async (p: Promise<unknown>) => (await rejects<Error & { code: number }>(p, Error)).code;
  const startA = () => env.start(dirA);
  const startB = (port = 0) => env.start(dirB, { bindAddr: [`127.0.0.1:${port}`] });
  /** Until `n` holds channel `id` in `state` (and, for CHANNELD_NORMAL, a channeld runs for it with the peer connected). */
  const inState = (n: Node, id: string, state: string) =>
    until(
      () => channelOf(n, id),
      c => c?.state === state && (state !== 'CHANNELD_NORMAL' || (c.peer_connected && /channeld normal/.test(c.status[0] ?? ''))),
      `channel ${id} in ${state}`,
    ).then(c => c!);
  const dbidOf = (n: Node, channelId: string) => n.lightningd.channels!.list().find(c => c.record?.channel_id === channelId)!.record!.dbid;

  /** A opens a channel to B (pushing PUSH_MSAT), mined to minimum_depth: both CHANNELD_NORMAL. */
  const open = async (): Promise<string> => {
    const r = (await a!.call('fundchannel', {
      id: b!.id,
      amount: FUNDING_SAT,
      push_msat: PUSH_MSAT,
      feerate: '2000perkw',
      announce: false,
    })) as {
      channel_id: string;
    };
    await mine(3);
    await inState(a!, r.channel_id, 'CHANNELD_NORMAL');
    await inState(b!, r.channel_id, 'CHANNELD_NORMAL');
    return r.channel_id;
  };

  /** The close is in the chain's mempool (its script interpreter accepted it), pays each side's wallet, and is mined; listfunds shows both. */
  const closeLands = async (r: CloseResult, channelId: string) => {
    equal(r.type, 'mutual');
    deepEqual([r.txs, r.txids], [[r.tx], [r.txid]]);
    const tx = Transaction.fromRaw(fromHex(r.tx));
    equal(tx.id, r.txid);
    const status = await env.get<{ confirmed: boolean }>(`/tx/${r.txid}/status`);
    equal(status.confirmed, false, 'in the mempool');
    const [ca, cb] = [(await channelOf(a!, channelId))!, (await channelOf(b!, channelId))!];
    const scripts = Array.from({ length: tx.outputsLength }, (_, i) => toHex(tx.getOutput(i).script!));
    // Each side's output pays the close_to its listpeerchannels shows (a wallet address of its own).
    ok(ca.close_to && scripts.includes(ca.close_to), `A's close_to ${ca.close_to} in ${scripts}`);
    ok(cb.close_to && scripts.includes(cb.close_to), `B's close_to ${cb.close_to} in ${scripts}`);
    await mine(1);
    for (const [n, c] of [
      [a!, ca],
      [b!, cb],
    ] as const) {
      const f = await fundsWhen(
        funds(n),
        x => x.outputs.some(o => o.txid === r.txid && o.status === 'confirmed'),
        `the close's output confirmed`,
      );
      const o = f.outputs.find(x => x.txid === r.txid)!;
      equal(o.scriptpubkey, c.close_to);
      // The opener (A) pays the close's fee from its side; B gets exactly what it held.
      if (n === b) equal(o.amount_msat, c.to_us_msat);
      else ok(o.amount_msat < c.to_us_msat && o.amount_msat > c.to_us_msat - 10_000_000, `${o.amount_msat} of ${c.to_us_msat}`);
      // onchain-control takes the channel to ONCHAIN once it sees the close spend the funding output.
      ok(['CLOSINGD_COMPLETE', 'ONCHAIN'].includes(f.channels.find(x => x.channel_id === channelId)?.state ?? ''));
    }
  };

  before(async () => {
    env = await regtestNodes('node-close');
    dirA = env.tmp();
    dirB = env.tmp();
    a = await startA();
    b = await startB();
    portB = b.binding[0]!.port;
    await env.fund(a, 3_000_000);
    await env.connect(a, b);
  });
  after(async () => {
    await env?.stop();
  });

  it('refuses what Core Lightning refuses: an id that names no channel, a bad destination, a bad fee_negotiation_step or feerange', async () => {
    const id = await open();
    equal(await code(a!.call('close', { id: '02' + '11'.repeat(32) })), -1, 'a peer with no channel');
    equal(await code(a!.call('close', { id: '22'.repeat(32) })), -1, 'an unknown channel_id');
    equal(await code(a!.call('close', { id: '1x2x3' })), -1, 'an unknown short_channel_id');
    equal(await code(a!.call('close', { id: 'nonsense' })), -32602);
    equal(await code(a!.call('close', { id, destination: 'bc1qnotanaddress' })), -32602, 'bad destination');
    // A valid address of the network that is not our wallet's: hsmd signs only closes paying the wallet.
    const { bech32: theirs } = (await b!.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    equal(await code(a!.call('close', { id, destination: theirs })), -32602, "B's address as A's destination");
    equal(await code(a!.call('close', { id, fee_negotiation_step: '0%' })), -32602);
    equal(await code(a!.call('close', { id, feerange: ['3000perkw', '1000perkw'] })), -32602);
    // Nothing was sent: the channel is still in normal operation, and usable below.
    equal((await channelOf(a!, id))!.state, 'CHANNELD_NORMAL');
    equal((await channelOf(b!, id))!.state, 'CHANNELD_NORMAL');
  });

  it('A closes just after an HTLC (which B, unable to take it, fails): the close goes on once no HTLC is left; signed, broadcast, mined and in listfunds', async () => {
    // (The close waiting on a pending HTLC, and adds refused after shutdown, are test/core/channeld-shutdown.test.ts.)
    const id = (await channelsOf(a!)()).channels.find(c => c.state === 'CHANNELD_NORMAL')!.channel_id;
    const channeld = (n: Node) => n.lightningd.channels!.channeldOf(dbidOf(n, id))!;
    const htlc = {
      amountMsat: 5_000_000n,
      paymentHash: new Uint8Array(32).fill(9),
      cltvExpiry: env.h.chain.height + 100,
      onion: new Uint8Array(1366),
    };
    await channeld(a!).api.addHtlc(htlc);
    const { bech32: dest } = (await a!.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    const r = (await a!.call('close', { id, destination: dest })) as CloseResult;
    const ca = await inState(a!, id, 'CLOSINGD_COMPLETE');
    deepEqual(ca.htlcs, [], 'no HTLC left in the closed channel');
    // The destination A named is where its side goes.
    equal(ca.close_to, toHex(OutScript.encode(Address(REGTEST).decode(dest))));
    await inState(b!, id, 'CLOSINGD_COMPLETE');
    await closeLands(r, id);
    const again = (await a!.call('close', { id })) as CloseResult;
    deepEqual([again.type, again.txid], ['mutual', r.txid], 'close again answers the agreed close');
  });

  it('B closes (peer-initiated for A): A answers with its shutdown from a fresh wallet address, the close lands', async () => {
    const id = await open();
    const r = (await b!.call('close', { id })) as CloseResult;
    await inState(a!, id, 'CLOSINGD_COMPLETE');
    await closeLands(r, id);
  });

  it("fundchannel's close_to (option_upfront_shutdown_script): committed in open_channel, B's close pays A there; another destination is refused", async () => {
    const script = (address: string) => toHex(OutScript.encode(Address(REGTEST).decode(address)));
    // Core Lightning's parameter errors: not an address, and (hsmd's rule, as close's destination) not ours.
    const fund = (close_to: unknown) =>
      a!.call('fundchannel', { id: b!.id, amount: FUNDING_SAT, push_msat: PUSH_MSAT, feerate: '2000perkw', announce: false, close_to });
    equal(await code(fund('bcrt1qnotanaddress')), -32602, 'a bad close_to');
    const { bech32: theirs } = (await b!.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    equal(await code(fund(theirs)), -32602, "B's address as A's close_to");
    const { bech32: closeTo } = (await a!.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    const r = (await fund(closeTo)) as { channel_id: string; close_to?: string };
    // Both advertise option_upfront_shutdown_script: it is committed, and answered as Core Lightning does.
    equal(r.close_to, script(closeTo));
    await mine(3);
    await inState(a!, r.channel_id, 'CHANNELD_NORMAL');
    await inState(b!, r.channel_id, 'CHANNELD_NORMAL');
    equal((await channelOf(a!, r.channel_id))!.close_to, script(closeTo));
    // BOLT 2: our shutdown must be the committed script: a close to another destination is refused, nothing sent.
    const { bech32: other } = (await a!.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    equal(await code(a!.call('close', { id: r.channel_id, destination: other })), -32602, 'a destination other than close_to');
    equal((await channelOf(a!, r.channel_id))!.state, 'CHANNELD_NORMAL');
    // B closes: A answers with the committed script (not a fresh address), and B, which holds it as
    // A's upfront script, accepts it (a different one would fail the connection).
    const closed = (await b!.call('close', { id: r.channel_id })) as CloseResult;
    await inState(a!, r.channel_id, 'CLOSINGD_COMPLETE');
    equal((await channelOf(a!, r.channel_id))!.close_to, script(closeTo));
    await closeLands(closed, r.channel_id);
  });

  it('A closes while B is away, and A restarts: after both are back, channeld retransmits shutdown, closingd negotiates, the close lands', async () => {
    const id = await open();
    await b!.stop();
    b = undefined;
    await until(
      () => channelOf(a!, id),
      c => c?.peer_connected === false,
      'B gone',
    );
    const pending = a!.call('close', { id, unilateraltimeout: 0 });
    pending.catch(() => undefined);
    const c = await inState(a!, id, 'CHANNELD_SHUTTING_DOWN');
    ok(c.close_to, 'our script is durable before anything is sent');
    await a!.stop();
    a = await startA();
    equal((await channelOf(a, id))!.state, 'CHANNELD_SHUTTING_DOWN', 'the close survives the restart');
    b = await startB(portB);
    await inState(a, id, 'CLOSINGD_COMPLETE');
    await inState(b, id, 'CLOSINGD_COMPLETE');
    const r = (await a.call('close', { id })) as CloseResult;
    await closeLands(r, id);
  });
});
