// Our openingd (the opener) against LDK (the accepter) over a real BOLT 8 connection: LDK checks
// our open_channel and answers accept_channel, checks our funding_created signature over ITS
// commitment 0 as LDK builds it, and answers funding_signed, whose signature must verify over OUR
// commitment 0. Both pass only if both implementations build the same two commitment
// transactions (keys, obscured number, fee, outputs and their order): BOLT 3 interop, byte for
// byte. The funding transaction is never broadcast (LDK does not look at the chain before then).
// And the other way: LDK opens to our openingd (the accepter), and reports the channel pending
// only once our funding_signed verified.
import { p2wpkh, Transaction } from '@scure/btc-signer';
import { pubECDSA } from '@scure/btc-signer/utils.js';
import * as ldk from 'lightningdevkit';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { ourFeatures } from '../../src/core/features/index.ts';
import { CHANNEL_ID_OFFSET } from '../../src/core/daemons/connectd/routing.ts';
import type { OpeningdLinks } from '../../src/core/daemons/openingd/openingd.ts';
import type { Funded, OpeningdSpec } from '../../src/core/daemons/openingd/interface.ts';
import type { ChannelOwner } from '../../src/core/daemons/connectd/interface.ts';
import type { DaemonEnv } from '../../src/core/node/daemon.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { initOf, localOf, signerOf, startOpeningd, TYPE, type Who } from '../core/openingd-fixture.ts';
import { startLdkPeer, type LdkPeer } from './ldk/peer.ts';
import { RawClient, initMessage, messageType, parseInit } from './ldk/raw-client.ts';

describe('openingd opens a channel to LDK', () => {
  let peer: LdkPeer;
  let raw: RawClient;
  let raw2: RawClient | undefined;
  let port: number;
  const cm = () => peer.channelManager!;

  before(async () => {
    peer = await startLdkPeer({ tickIntervalMs: 0, name: 'ldk-openingd' });
    port = await peer.listen();
    peerRef = peer;
    raw = await RawClient.connect(peer.nodeId, port);
  });

  after(async () => {
    await raw?.close();
    await raw2?.close();
    await peer?.stop();
  });

  it('LDK accepts our open_channel and funding_created, and its funding_signed verifies over our commitment 0', async () => {
    const ours = ourFeatures('I').toBytes();
    raw.send(initMessage(ours, [chainHash('regtest')]));
    const init = parseInit((await raw.nextOfType(16))!);
    const theirs = init.features;

    const failures: string[] = [];
    const funded: Funded[] = [];
    const init0 = initOf('a', { fundingSatoshis: 200_000n, pushMsat: 0n, feeratePerKw: 253, type: TYPE.staticRemotekey });
    const started = startOpeningd(
      {
        ...init0,
        peerId: peer.nodeId,
        ourFeatures: toHex(ours),
        theirFeatures: toHex(theirs),
        local: localOf('a', { channelReserveSatoshis: 2_000n, maxAcceptedHtlcs: 30 }),
      },
      usesOver(raw, 'a', failures, funded),
      ENV,
    );
    pump(raw, started.serve('peer', []) as ChannelOwner);
    const out = await started.api.open().catch(e => {
      throw new Error(`open failed: ${String(e)} ${failures.join('; ')}`);
    });
    equal(out.amount, 200_000n);
    const txid = toHex(sha256(new TextEncoder().encode('a funding transaction never broadcast')));
    const f = await started.api.fund(txid, 0).catch(e => {
      throw new Error(`fund failed: ${String(e)} ${failures.join('; ')}`);
    });
    deepEqual(failures, []);
    equal(funded.length, 1);
    // LDK holds the same channel, by the same channel_id.
    const channels = peer.channelManager!.list_channels();
    equal(channels.length, 1);
    equal(toHex(channels[0]!.get_channel_id().get_a()), toHex(f.params.channelId));
  });

  it('LDK opens a channel to our openingd (the accepter): our funding_signed is valid for LDK, which reports the channel pending', async () => {
    raw2 = await RawClient.connect(peer.nodeId, port);
    {
      const ours = ourFeatures('I').toBytes();
      raw2.send(initMessage(ours, [chainHash('regtest')]));
      const init = parseInit((await raw2.nextOfType(16))!);
      const failures: string[] = [];
      const started = startOpeningd(
        {
          ...initOf('b', {}),
          peerId: peer.nodeId,
          ourFeatures: toHex(ours),
          theirFeatures: toHex(init.features),
          local: localOf('b', { channelReserveSatoshis: 2_000n, maxAcceptedHtlcs: 30 }),
        },
        usesOver(raw2, 'b', failures),
        ENV,
      );
      const owner = started.serve('peer', []) as ChannelOwner;
      pump(raw2, owner);
      const accepting = started.api.accept();
      // LDK's events: FundingGenerationReady (we build it a funding transaction) and ChannelPending.
      const events: ldk.Event[] = [];
      const handler = ldk.EventHandler.new_impl({
        handle_event: (e: ldk.Event) => {
          events.push(e);
          if (e instanceof ldk.Event_FundingGenerationReady) {
            const r = cm().funding_transaction_generated(
              e.temporary_channel_id,
              e.counterparty_node_id,
              fundingTx(e.output_script, e.channel_value_satoshis),
            );
            if (!(r instanceof ldk.Result_NoneAPIErrorZ_OK)) failures.push('LDK refused our funding transaction');
          }
          return ldk.Result_NoneReplayEventZ.constructor_ok();
        },
      } as ldk.EventHandlerInterface);
      const r = cm().create_channel(fromHex(raw2.nodeId), 200_000n, 10_000_000n, 42n, null, null);
      if (!(r instanceof ldk.Result_ChannelIdAPIErrorZ_OK)) throw new Error('LDK would not start the open');
      void accepting.catch(e => failures.push(String(e)));
      // This channel's, not the one the first test opened with LDK.
      const thisChannel = (e: ldk.Event): e is ldk.Event_ChannelPending =>
        e instanceof ldk.Event_ChannelPending && toHex(e.counterparty_node_id) === raw2!.nodeId;
      const pending = await until(() => {
        peer.processEvents();
        cm().as_EventsProvider().process_pending_events(handler);
        return failures.length > 0 || events.some(thisChannel);
      });
      deepEqual(failures, []);
      ok(pending, 'LDK reports the channel pending: it accepted our funding_signed');
      const funded = await accepting;
      const p = events.find(thisChannel)!;
      equal(toHex(p.channel_id.get_a()), toHex(funded.params.channelId));
      equal(funded.toLocalMsat, 10_000_000n);
    }
  });
});

const env: DaemonEnv = {
  clock: new FakeClock(),
  log: { debug() {}, info() {}, warn() {} },
  randomBytes: (n: number) => sha256(new TextEncoder().encode('ldk temp id')).subarray(0, n),
};
const ENV = env as OpeningdSpec['env'] & DaemonEnv;

/** openingd's links: the peer is LDK over `raw` (LDK answers when its peer manager runs), its signer keySigner. */
function usesOver(raw: RawClient, who: Who, failures: string[], funded: Funded[] = []): OpeningdLinks {
  return {
    peer: {
      send: async (msg: Uint8Array) => {
        raw.send(msg);
        setTimeout(() => peerRef?.processEvents(), 10);
      },
    },
    hsm: signerOf(who),
    events: {
      funded: async (f: Funded) => void funded.push(f),
      failed: async (e: { code: string; message: string }) => void failures.push(`${e.code}: ${e.message}`),
    },
  } as OpeningdLinks;
}

let peerRef: LdkPeer | undefined;

/** connectd's part, by hand: each channel message LDK sends goes to openingd. */
function pump(raw: RawClient, owner: ChannelOwner): void {
  void (async () => {
    for (;;) {
      const m = await raw.next();
      if (!m) return owner.peerGone?.('closed');
      // Only what connectd routes to a channel's daemon (routing.ts), and BOLT 1 error / warning.
      if (!CHANNEL_ID_OFFSET.has(messageType(m)) && messageType(m) !== 17 && messageType(m) !== 1) continue;
      await owner.deliver(m);
    }
  })();
}

/** Polls `done` (letting LDK and the sockets run between polls); a hang becomes a failure, nothing asserts on time. */
async function until(done: () => boolean, polls = 500): Promise<boolean> {
  for (let i = 0; i < polls; i++) {
    if (done()) return true;
    await new Promise(r => setTimeout(r, 20));
  }
  return false;
}

/** A segwit transaction paying `value` to `script` (LDK needs witness inputs; it never sees the chain here). */
function fundingTx(script: Uint8Array, value: bigint): Uint8Array {
  const key = sha256(new TextEncoder().encode('ldk funding input key'));
  const pay = p2wpkh(pubECDSA(key));
  const tx = new Transaction();
  tx.addInput({ txid: sha256(key), index: 0, witnessUtxo: { script: pay.script, amount: value + 1_000n } });
  tx.addOutput({ script, amount: value });
  tx.signIdx(key, 0);
  tx.finalize();
  return tx.extract();
}
