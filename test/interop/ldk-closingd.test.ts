// Mutual close with LDK over a real BOLT 8 connection, on a channel our openingd opened to LDK (or
// LDK opened to us) and funded from the regtest chain: LDK is told of the funding's confirmations (Confirm), both sides
// send channel_ready; then the shutdown exchange runs with src/core/channel/shutdown.ts (as
// channeld will) and our closingd negotiates closing_signed with LDK: once LDK starts the close
// (close_channel: LDK sends shutdown first), once we do, and once with LDK the funder (it sends
// the first closing_signed, our closingd answers as fundee). LDK reports the channel closed
// cooperatively, and the closing transaction closingd hands lightningd relays and confirms on the
// regtest chain: both signatures, ours and LDK's, satisfy its script check.
import { p2wpkh, Transaction } from '@scure/btc-signer';
import { pubECDSA } from '@scure/btc-signer/utils.js';
import * as ldk from 'lightningdevkit';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { fundingScript, SIGHASH_ALL, signCompact, TX_OPTS } from '../../src/core/bolt3/index.ts';
import { receiveShutdown, readyToNegotiate, sendShutdown, type Shutdown, type ShutdownContext } from '../../src/core/channel/shutdown.ts';
import { serializeChannel } from '../../src/core/channel/serialize.ts';
import type { ChannelState } from '../../src/core/channel/state.ts';
import { ourFeatures } from '../../src/core/features/index.ts';
import { CHANNEL_ID_OFFSET } from '../../src/core/daemons/connectd/routing.ts';
import type { ChannelOwner } from '../../src/core/daemons/connectd/interface.ts';
import { daemon as closingd } from '../../src/core/daemons/closingd/host.ts';
import type { ClosingdSpec, ClosingResult, ClosingSigner } from '../../src/core/daemons/closingd/interface.ts';
import type { OpeningdSpec } from '../../src/core/daemons/openingd/interface.ts';
import type { DaemonEnv } from '../../src/core/node/daemon.ts';
import { decodeMessage, encodeMessage, type Message, type MessageOf } from '../../src/core/wire/messages.ts';
import { RegtestChain } from '../../src/regtest/chain.ts';
import { bitcoreVerifier } from '../../src/regtest/scripts.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { initOf, localOf, SECRETS, signerOf, startOpeningd, TYPE, type Who } from '../core/openingd-fixture.ts';
import { fund, SINK, spend } from '../regtest/helpers.ts';
import { startLdkPeer, type LdkPeer } from './ldk/peer.ts';
import { RawClient, initMessage, messageType, parseInit } from './ldk/raw-client.ts';

const FUNDING = 200_000n;
const PUSH = 20_000_000n;
/** Our shutdown scriptpubkey: a P2WPKH of a test key. */
const OUR_SCRIPT = p2wpkh(pubECDSA(sha256(new TextEncoder().encode('our close key')))).script;

const env: DaemonEnv = {
  clock: new FakeClock(),
  log: { debug() {}, info() {}, warn() {} },
  randomBytes: (n: number) => sha256(new TextEncoder().encode('ldk closing temp id')).subarray(0, n),
};

describe('closingd closes a channel with LDK', () => {
  let peer: LdkPeer;
  let port: number;
  let now = 1_700_000_000;
  const chain = new RegtestChain({ now: () => now, verifier: bitcoreVerifier });
  chain.mine(101);
  const clients: RawClient[] = [];
  const cm = () => peer.channelManager!;

  before(async () => {
    peer = await startLdkPeer({ tickIntervalMs: 0, name: 'ldk-closingd' });
    port = await peer.listen();
  });

  after(async () => {
    for (const c of clients) await c.close();
    await peer?.stop();
  });

  /** LDK's events since the last call. */
  function ldkEvents(): ldk.Event[] {
    const events: ldk.Event[] = [];
    const handler = ldk.EventHandler.new_impl({
      handle_event: (e: ldk.Event) => {
        events.push(e);
        return ldk.Result_NoneReplayEventZ.constructor_ok();
      },
    } as ldk.EventHandlerInterface);
    peer.processEvents();
    cm().as_EventsProvider().process_pending_events(handler);
    return events;
  }

  /**
   * A funded, confirmed, ready channel between our openingd and LDK over a new connection: we open
   * (`who` 'a', the opener) or LDK opens to us ('b', the accepter).
   */
  async function channelWithLdk(who: Who): Promise<{ raw: RawClient; link: Link; state: ChannelState; theirFeatures: string }> {
    const raw = await RawClient.connect(peer.nodeId, port);
    clients.push(raw);
    const ours = ourFeatures('I').toBytes();
    raw.send(initMessage(ours, [chainHash('regtest')]));
    const theirs = parseInit((await raw.nextOfType(16))!).features;
    const link = new Link(raw, () => peer.processEvents());
    const failures: string[] = [];
    const started = startOpeningd(
      {
        ...initOf(who, { fundingSatoshis: FUNDING, pushMsat: PUSH, feeratePerKw: 253, type: TYPE.staticRemotekey }),
        peerId: peer.nodeId,
        ourFeatures: toHex(ours),
        theirFeatures: toHex(theirs),
        local: localOf(who, { channelReserveSatoshis: 2_000n, maxAcceptedHtlcs: 30 }),
      },
      {
        peer: link,
        hsm: signerOf(who),
        events: {
          funded: () => undefined,
          failed: (e: { code: string; message: string }) => void failures.push(`${e.code}: ${e.message}`),
        },
      } as unknown as Parameters<typeof startOpeningd>[1],
      env as OpeningdSpec['env'] & DaemonEnv,
    );
    link.owner = started.serve('peer', []) as ChannelOwner;
    /** A regtest coin's transaction paying `script` the channel's amount. */
    const fundingTo = (script: Uint8Array) =>
      spend(
        [fund(chain, 'wpkh', FUNDING + 50_000n)],
        [
          { script, value: FUNDING },
          { script: SINK.script, value: 49_000n },
        ],
      );
    let fundingTx: Uint8Array;
    if (who === 'a') {
      const out = await started.api.open();
      fundingTx = fundingTo(out.script);
      await started.api.fund(Transaction.fromRaw(fundingTx, TX_OPTS).id, 0);
    } else {
      const accepting = started.api.accept();
      void accepting.catch(e => failures.push(String(e)));
      let built: Uint8Array | undefined;
      const handler = ldk.EventHandler.new_impl({
        handle_event: (e: ldk.Event) => {
          if (e instanceof ldk.Event_FundingGenerationReady) {
            built = fundingTo(e.output_script);
            const r = cm().funding_transaction_generated(e.temporary_channel_id, e.counterparty_node_id, built);
            if (!(r instanceof ldk.Result_NoneAPIErrorZ_OK)) failures.push('LDK refused our funding transaction');
          }
          return ldk.Result_NoneReplayEventZ.constructor_ok();
        },
      } as ldk.EventHandlerInterface);
      const r = cm().create_channel(fromHex(raw.nodeId), FUNDING, PUSH, 42n, null, null);
      ok(r instanceof ldk.Result_ChannelIdAPIErrorZ_OK, 'LDK starts the open');
      for (let i = 0; i < 500 && !built; i++) {
        peer.processEvents();
        cm().as_EventsProvider().process_pending_events(handler);
        await new Promise(r => setTimeout(r, 20));
      }
      ok(built, `LDK asked for its funding transaction ${failures.join('; ')}`);
      fundingTx = built;
      peer.processEvents();
      await accepting;
      // LDK takes our funding_signed (ChannelPending) before it is told of confirmations.
      let pending = false;
      for (let i = 0; i < 500 && !pending; i++) {
        pending = ldkEvents().some(e => e instanceof ldk.Event_ChannelPending);
        if (!pending) await new Promise(r => setTimeout(r, 20));
      }
      ok(pending, 'LDK reports the channel pending');
    }
    const txid = Transaction.fromRaw(fundingTx, TX_OPTS).id;
    // LDK's broadcaster goes nowhere: the test broadcasts (the opener only after funding_signed).
    const sent = chain.accept(fundingTx);
    ok(sent.ok, sent.ok ? '' : sent.message);
    now += 600;
    chain.mine(6);
    // LDK follows the chain through its Confirm interface: the funding's block, then the tip.
    const at = chain.txIndex.get(txid)!;
    const header = (h: number) => chain.at(h)!.block.raw.subarray(0, 80);
    const confirm = cm().as_Confirm();
    confirm.transactions_confirmed(
      header(at.entry.height),
      [ldk.TwoTuple_usizeTransactionZ.constructor_new(at.index, fundingTx)],
      at.entry.height,
    );
    confirm.best_block_updated(header(chain.height), chain.height);
    peer.processEvents();
    const state = await started.api.ready();
    deepEqual(failures, []);
    return { raw, link, state, theirFeatures: toHex(theirs) };
  }

  /** What channeld does from the first shutdown to closingd: the exchange, then closingd started on the channel. */
  async function closeWith(o: {
    who?: Who;
    link: Link;
    state: ChannelState;
    theirFeatures: string;
    /** LDK's shutdown when LDK started the close; else we send ours first. */
    theirShutdown?: Promise<Message>;
  }): Promise<ClosingResult> {
    const ctx: ShutdownContext = { features: { anysegwit: true, simpleClose: false } };
    let sd: Shutdown = {};
    const weStart = !o.theirShutdown;
    const shutdowns = o.theirShutdown ?? o.link.expect('shutdown');
    if (weStart) {
      const s = sendShutdown(o.state, sd, OUR_SCRIPT, ctx);
      sd = s.shutdown;
      await o.link.send(encodeMessage(s.message));
    }
    const theirs = (await shutdowns) as MessageOf<'shutdown'>;
    const got = receiveShutdown(o.state, sd, theirs, ctx);
    sd = got.shutdown;
    if (got.replyDue) {
      const s = sendShutdown(o.state, sd, OUR_SCRIPT, ctx);
      sd = s.shutdown;
      await o.link.send(encodeMessage(s.message));
    }
    ok(readyToNegotiate(o.state, sd), 'both shutdowns out, no HTLC: closingd takes over');
    const failures: string[] = [];
    const started = await closingd.start(
      {
        peerId: peer.nodeId,
        dbid: 1n,
        channel: serializeChannel(o.state),
        localScript: toHex(sd.sent!),
        remoteScript: toHex(sd.received!),
        destination: { index: 0, type: 'p2wpkh' },
        ourFeatures: toHex(ourFeatures('I').toBytes()),
        theirFeatures: o.theirFeatures,
        feerates: { min: 253, ideal: 1_000, max: 5_000 },
      },
      {
        peer: o.link,
        hsm: keyClosingSigner(o.state, o.who ?? 'a'),
        events: {
          agreed: () => undefined,
          closed: () => undefined,
          failed: (e: { code: string; message: string }) => void failures.push(`${e.code}: ${e.message}`),
        },
      } as unknown as Parameters<typeof closingd.start>[1],
      env as ClosingdSpec['env'] & DaemonEnv,
    );
    o.link.owner = started.serve('peer', []) as ChannelOwner;
    const result = await started.api.negotiate().catch(e => {
      throw new Error(`closingd failed: ${String(e)} ${failures.join('; ')}`);
    });
    return result;
  }

  /** The close LDK signed with us relays and confirms on the regtest chain, paying us our balance less the fee. */
  function confirmsOnChain(r: ClosingResult, state: ChannelState): void {
    const tx = Transaction.fromRaw(r.tx, TX_OPTS);
    const ours = Array.from({ length: tx.outputsLength }, (_, i) => tx.getOutput(i)).find(o => toHex(o.script!) === toHex(OUR_SCRIPT));
    const fee = state.params.localIsOpener ? r.feeSatoshis : 0n;
    equal(ours?.amount, state.localCommit.spec.toLocalMsat / 1000n - fee, 'the funder pays the fee');
    const sent = chain.accept(r.tx);
    ok(sent.ok, sent.ok ? '' : sent.message);
    now += 600;
    chain.mine(1);
    equal(chain.txIndex.get(r.txid)?.entry.height, chain.height, 'the close confirmed');
  }

  async function ldkClosed(channelId: Uint8Array): Promise<ldk.ClosureReason | undefined> {
    for (let i = 0; i < 500; i++) {
      const closed = ldkEvents().find(
        (e): e is ldk.Event_ChannelClosed => e instanceof ldk.Event_ChannelClosed && toHex(e.channel_id.get_a()) === toHex(channelId),
      );
      if (closed) return closed.reason;
      await new Promise(r => setTimeout(r, 20));
    }
    return undefined;
  }

  it("LDK's close_channel: LDK sends shutdown, we answer, closingd negotiates with LDK; the close confirms", async () => {
    const { raw, link, state, theirFeatures } = await channelWithLdk('a');
    const theirShutdown = link.expect('shutdown');
    const r = cm().close_channel(ldk.ChannelId.constructor_new(state.params.channelId), fromHex(raw.nodeId));
    ok(r instanceof ldk.Result_NoneAPIErrorZ_OK, 'LDK starts the close');
    peer.processEvents();
    const result = await closeWith({ link, state, theirFeatures, theirShutdown });
    ok((await ldkClosed(state.params.channelId)) instanceof ldk.ClosureReason_LocallyInitiatedCooperativeClosure);
    confirmsOnChain(result, state);
  });

  it('our shutdown: LDK answers, closingd negotiates with LDK; the close confirms', async () => {
    const { link, state, theirFeatures } = await channelWithLdk('a');
    const result = await closeWith({ link, state, theirFeatures });
    ok((await ldkClosed(state.params.channelId)) instanceof ldk.ClosureReason_CounterpartyInitiatedCooperativeClosure);
    confirmsOnChain(result, state);
  });

  it('LDK opens to us and closes (close_channel): LDK, the funder, opens the negotiation; our closingd as fundee; the close confirms', async () => {
    const { raw, link, state, theirFeatures } = await channelWithLdk('b');
    equal(state.params.localIsOpener, false);
    const theirShutdown = link.expect('shutdown');
    const r = cm().close_channel(ldk.ChannelId.constructor_new(state.params.channelId), fromHex(raw.nodeId));
    ok(r instanceof ldk.Result_NoneAPIErrorZ_OK, 'LDK starts the close');
    peer.processEvents();
    const result = await closeWith({ who: 'b', link, state, theirFeatures, theirShutdown });
    ok((await ldkClosed(state.params.channelId)) instanceof ldk.ClosureReason_LocallyInitiatedCooperativeClosure);
    confirmsOnChain(result, state);
  });
});

/** Our funding key signing the closing transaction (a test's signer; in the node, hsmd's signMutualClose). */
function keyClosingSigner(state: ChannelState, who: Who): ClosingSigner {
  const script = fundingScript(state.params.local.fundingPubkey, state.params.remote.fundingPubkey);
  return {
    signMutualClose: async req =>
      signCompact(Transaction.fromRaw(req.tx, TX_OPTS), 0, script, state.params.fundingSatoshis, SECRETS[who].funding, SIGHASH_ALL),
  };
}

/**
 * connectd's part, by hand: LDK's channel messages (and BOLT 1 error / warning) go to the daemon
 * that owns the channel now (openingd, then closingd), or to a test waiting for one by name.
 */
class Link {
  owner: ChannelOwner | undefined;
  readonly #waiting: { name: string; resolve: (m: Message) => void }[] = [];

  constructor(
    private readonly raw: RawClient,
    private readonly flush: () => void,
  ) {
    void (async () => {
      for (;;) {
        const m = await raw.next();
        if (!m) return this.owner?.peerGone?.('closed');
        const type = messageType(m);
        if (!CHANNEL_ID_OFFSET.has(type) && type !== 17 && type !== 1) continue;
        const decoded = decodeMessage(m);
        const w = this.#waiting.findIndex(x => x.name === decoded.name);
        if (w >= 0) {
          this.#waiting.splice(w, 1)[0]!.resolve(decoded as Message);
          continue;
        }
        await this.owner?.deliver(m);
      }
    })();
  }

  async send(msg: Uint8Array): Promise<void> {
    this.raw.send(msg);
    setTimeout(() => this.flush(), 10);
  }

  /** The next message named `name` comes here instead of to the owner. */
  expect(name: string): Promise<Message> {
    return new Promise(resolve => this.#waiting.push({ name, resolve }));
  }
}
