// Mutual close between our whole Node node and LDK on `boltworker regtest`: we open to LDK with
// `fundchannel` and a `close_to` (committed in open_channel's upfront_shutdown_script, which LDK
// enforces on our shutdown; LDK commits to its own, which we enforce), then our `close` sends shutdown, LDK answers, our
// closingd negotiates closing_signed with LDK and lightningd broadcasts the agreed close, which
// the chain (evaluating every input's script) accepts and mines; listfunds shows our coins. Then
// LDK closes (close_channel) a second channel: its shutdown reaches our channeld, our lightningd
// answers with a fresh wallet script, and the close lands the same way.
import { after, before, describe, it } from 'node:test';
import * as ldk from 'lightningdevkit';
import { Address, OutScript, Transaction } from '@scure/btc-signer';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import type { LdkPeer } from './ldk/peer.ts';
import { startRegtestWithLdk, type RegtestWithLdk } from './ldk/regtest-node.ts';

const FUNDING_SAT = 200_000;
const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const scriptOf = (address: string) => toHex(OutScript.encode(Address(REGTEST).decode(address)));

type PeerChannel = { channel_id: string; state: string; to_us_msat: number; close_to?: string };
type CloseResult = { type: string; tx: string; txid: string; txs: string[]; txids: string[] };
type Funds = { outputs: { txid: string; amount_msat: number; status: string; scriptpubkey: string }[] };

describe('close with LDK on boltworker regtest', () => {
  let env: RegtestWithLdk;
  let node: RegtestWithLdk['node'] | undefined;
  let peer: LdkPeer | undefined;
  const seen: ldk.Event[] = [];
  const control = (path: string, body: unknown) => env.control(path, body);
  const cm = () => peer!.channelManager!;
  const channels = () => node!.call('listpeerchannels', {}) as Promise<{ channels: PeerChannel[] }>;
  const funds = () => node!.call('listfunds', {}) as Promise<Funds>;

  before(async () => {
    env = await startRegtestWithLdk('ldk-close');
    ({ node, peer } = env);
    await env.fundAndConnect(2_000_000);
  });
  after(async () => {
    await env?.stop();
  });

  /** LDK's events so far (kept: each call drains LDK's queue). */
  function ldkEvents(): ldk.Event[] {
    const handler = ldk.EventHandler.new_impl({
      handle_event: (e: ldk.Event) => {
        seen.push(e);
        return ldk.Result_NoneReplayEventZ.constructor_ok();
      },
    } as ldk.EventHandlerInterface);
    peer!.processEvents();
    cm().as_EventsProvider().process_pending_events(handler);
    return seen;
  }

  async function ldkClosed(channelId: string): Promise<ldk.ClosureReason | undefined> {
    for (let i = 0; i < 1000; i++) {
      const closed = ldkEvents().find(
        (e): e is ldk.Event_ChannelClosed => e instanceof ldk.Event_ChannelClosed && toHex(e.channel_id.get_a()) === channelId,
      );
      if (closed) return closed.reason;
      await new Promise(r => setTimeout(r, 20));
    }
    return undefined;
  }

  /** We open to LDK; both sides ready: CHANNELD_NORMAL here, channel_ready at LDK. */
  async function open(closeTo?: string): Promise<string> {
    const r = (await node!.call('fundchannel', {
      id: peer!.nodeId,
      amount: FUNDING_SAT,
      feerate: '253perkw',
      announce: false,
      ...(closeTo ? { close_to: closeTo } : {}),
    })) as {
      txid: string;
      channel_id: string;
      mindepth: number;
      close_to?: string;
    };
    // LDK offers option_upfront_shutdown_script: our close_to is committed in open_channel.
    if (closeTo) equal(r.close_to, scriptOf(closeTo));
    await env.confirmFunding(r.txid, r.mindepth);
    await fundsWhen(channels, l => l.channels.find(c => c.channel_id === r.channel_id)?.state === 'CHANNELD_NORMAL', 'CHANNELD_NORMAL');
    // LDK takes our channel_ready on its process_events.
    let ready = false;
    for (let i = 0; i < 600 && !ready; i++) {
      ldkEvents();
      ready = cm()
        .list_channels()
        .some(c => toHex(c.get_channel_id().get_a()) === r.channel_id && c.get_is_channel_ready());
      if (!ready) await new Promise(res => setTimeout(res, 50));
    }
    ok(ready, 'LDK has our channel_ready');
    return r.channel_id;
  }

  /** The close is in the mempool (scripts checked), pays our close_to our balance less the fee (we opened), is mined, and listfunds has it. */
  async function lands(r: CloseResult, channelId: string): Promise<void> {
    equal(r.type, 'mutual');
    deepEqual([r.txs, r.txids], [[r.tx], [r.txid]]);
    // Broadcast right after it was made durable: wait for the chain to have it.
    const status = await fundsWhen(
      async () => {
        const res = await fetch(`${env.h.url}/tx/${r.txid}/status`);
        return res.ok ? ((await res.json()) as { confirmed: boolean }) : undefined;
      },
      s => s !== undefined,
      'the close in the mempool',
    );
    equal(status!.confirmed, false, 'in the mempool');
    const c = (await channels()).channels.find(x => x.channel_id === channelId)!;
    equal(c.state, 'CLOSINGD_COMPLETE');
    const tx = Transaction.fromRaw(fromHex(r.tx));
    const ours = Array.from({ length: tx.outputsLength }, (_, i) => tx.getOutput(i)).find(o => toHex(o.script!) === c.close_to);
    ok(ours, `an output pays our close_to ${c.close_to}`);
    const fee =
      BigInt(FUNDING_SAT) - Array.from({ length: tx.outputsLength }, (_, i) => tx.getOutput(i).amount!).reduce((a, b) => a + b, 0n);
    equal(ours!.amount, BigInt(c.to_us_msat / 1000) - fee, 'we, the funder, pay the fee');
    await control('/regtest/mine', { blocks: 1 });
    const f = await fundsWhen(
      funds,
      x => x.outputs.some(o => o.txid === r.txid && o.status === 'confirmed'),
      "the close's output confirmed",
    );
    equal(f.outputs.find(o => o.txid === r.txid)!.amount_msat, Number(ours!.amount) * 1000);
  }

  it('our close to the close_to committed at the open (upfront_shutdown_script): LDK answers our shutdown, negotiates closing_signed with our closingd, the close is broadcast, mined and in listfunds', async () => {
    const { bech32: closeTo } = (await node!.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    const id = await open(closeTo);
    const r = (await node!.call('close', { id })) as CloseResult;
    equal((await channels()).channels.find(c => c.channel_id === id)!.close_to, scriptOf(closeTo));
    ok((await ldkClosed(id)) instanceof ldk.ClosureReason_CounterpartyInitiatedCooperativeClosure, 'LDK saw our close');
    await lands(r, id);
  });

  // LDK commits to an upfront_shutdown_script when it accepts (its default): its shutdown is checked against it.
  it("LDK's close_channel: LDK's shutdown reaches our channeld, our lightningd answers, the close is broadcast by us, mined and in listfunds", async () => {
    const id = await open();
    const res = cm().close_channel(ldk.ChannelId.constructor_new(fromHex(id)), fromHex(node!.id));
    ok(res instanceof ldk.Result_NoneAPIErrorZ_OK, 'LDK starts the close');
    peer!.processEvents();
    // LDK's messages leave on its process_events: drive it while we wait (a loaded machine is slow).
    for (let i = 0; i < 1200; i++) {
      ldkEvents();
      if ((await channels()).channels.find(c => c.channel_id === id)?.state === 'CLOSINGD_COMPLETE') break;
      await new Promise(r => setTimeout(r, 50));
    }
    equal((await channels()).channels.find(c => c.channel_id === id)?.state, 'CLOSINGD_COMPLETE');
    ok((await ldkClosed(id)) instanceof ldk.ClosureReason_LocallyInitiatedCooperativeClosure, 'LDK saw the close agreed');
    // `close` now answers the agreed close at once.
    const r = (await node!.call('close', { id })) as CloseResult;
    await lands(r, id);
  });
});
