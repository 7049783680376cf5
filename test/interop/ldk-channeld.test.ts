// Our channeld against LDK (npm lightningdevkit, WASM) over a real BOLT 8 connection: openingd
// opens a channel to LDK, LDK is shown the funding transaction confirmed (its Confirm interface:
// no chain here), both send channel_ready, and openingd hands the channel state to channeld. We
// offer LDK an HTLC whose onion it cannot read: LDK must sign and revoke through the whole
// commitment dance (each of its signatures verified over OUR commitment as we build it, each of
// ours over ITS commitment as LDK builds it), then fail the HTLC back, and the dance again. Then
// the connection drops, a new connection and a new channeld reestablish with LDK, and another
// HTLC goes through the same way.
import { Transaction } from '@scure/btc-signer';
import { pubECDSA } from '@scure/btc-signer/utils.js';
import * as ldk from 'lightningdevkit';
import { toHex } from '../../src/core/base/bytes.ts';
import { randomSecretKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { serializeChannel } from '../../src/core/channel/index.ts';
import { ourFeatures } from '../../src/core/features/index.ts';
import { CHANNEL_ID_OFFSET } from '../../src/core/daemons/connectd/routing.ts';
import { daemon as channeld } from '../../src/core/daemons/channeld/host.ts';
import type { ChannelOwner } from '../../src/core/daemons/connectd/interface.ts';
import type { ChannelFailure, ChanneldDaemonApi, HtlcChange, Persist } from '../../src/core/daemons/channeld/interface.ts';
import type { DaemonEnv } from '../../src/core/node/daemon.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { initOf, localOf, signerOf, startOpeningd, TYPE } from '../core/openingd-fixture.ts';
import { fundingTx } from './ldk/funding-tx.ts';
import { startLdkPeer, type LdkPeer } from './ldk/peer.ts';
import { RawClient, initMessage, messageType, parseInit } from './ldk/raw-client.ts';

const env = {
  clock: new FakeClock(),
  log: { debug() {}, info() {}, warn() {} },
  randomBytes: (n: number) => sha256(new TextEncoder().encode('ldk channeld temp id')).subarray(0, n),
} as DaemonEnv;

/** connectd's part, by hand: each channel message (and error/warning) LDK sends goes to the current owner. */
function pump(raw: RawClient, target: { owner?: ChannelOwner }): void {
  void (async () => {
    for (;;) {
      const m = await raw.next();
      if (!m) return target.owner?.peerGone?.('closed');
      const t = messageType(m);
      if (!CHANNEL_ID_OFFSET.has(t) && t !== 17 && t !== 1) continue;
      await target.owner?.deliver(m);
    }
  })();
}

async function until(done: () => boolean, peer: LdkPeer, polls = 500): Promise<boolean> {
  for (let i = 0; i < polls; i++) {
    peer.channelManager!.process_pending_htlc_forwards();
    peer.processEvents();
    if (done()) return true;
    await new Promise(r => setTimeout(r, 20));
  }
  return false;
}

/** An 80-byte block header at `height` (LDK's Confirm takes headers as given: no proof of work here). */
function header(height: number): Uint8Array {
  const h = new Uint8Array(80);
  h[0] = 2;
  h.set(sha256(new TextEncoder().encode(`block ${height - 1}`)), 4);
  const view = new DataView(h.buffer);
  view.setUint32(68, Math.floor(Date.now() / 1000) - 3600 + height * 60, true);
  view.setUint32(72, 0x207fffff, true);
  return h;
}

describe('channeld with LDK', () => {
  let peer: LdkPeer;
  let port: number;
  const secret = randomSecretKey();
  const ours = ourFeatures('I').toBytes();
  const target: { owner?: ChannelOwner } = {};
  let raw: RawClient;
  let durable = '';
  const ledger: HtlcChange[] = [];
  const failures: ChannelFailure[] = [];
  /** The types the latest channeld sent LDK, in order. */
  let sentTypes: number[] = [];

  async function connect(): Promise<Uint8Array> {
    raw = await RawClient.connect(peer.nodeId, port, secret);
    raw.send(initMessage(ours, [chainHash('regtest')]));
    const init = parseInit((await raw.nextOfType(16))!);
    return init.features;
  }

  async function startChanneld(
    theirs: Uint8Array,
    reestablish: boolean,
    drop: (type: number) => boolean = () => false,
  ): Promise<ChanneldDaemonApi> {
    const link = raw;
    const sent: number[] = (sentTypes = []);
    const started = await channeld.start(
      { peerId: peer.nodeId, dbid: 1n, state: durable, ourFeatures: toHex(ours), theirFeatures: toHex(theirs), reestablish },
      {
        peer: {
          send: async (msg: Uint8Array) => {
            if (drop(messageType(msg))) return;
            sent.push(messageType(msg));
            link.send(msg);
            setTimeout(() => peer.processEvents(), 5);
          },
        },
        hsm: signerOf('a'),
        events: {
          persist: async (p: Persist) => {
            durable = p.state;
            ledger.push(...p.changes);
          },
          failed: async (f: ChannelFailure) => void failures.push(f),
        },
      } as unknown as Parameters<typeof channeld.start>[1],
      env as Parameters<typeof channeld.start>[2],
    );
    target.owner = started.serve('peer', []) as ChannelOwner;
    // LDK's channel_reestablish may already wait on the socket: read only once the owner is there.
    if (reestablish) pump(raw, target);
    return started.api;
  }

  /** Offers LDK an HTLC it cannot decode; resolves with the change that came back. */
  async function unreadableHtlc(api: ChanneldDaemonApi, n: number): Promise<HtlcChange> {
    const before = ledger.length;
    const offered = api.addHtlc({
      amountMsat: 1_000_000n,
      paymentHash: sha256(new TextEncoder().encode(`unknown ${n}`)),
      cltvExpiry: 500,
      onion: new Uint8Array(1366),
    });
    offered.catch(() => undefined);
    const back = () => ledger.slice(before).find(c => c.kind === 'failed');
    const done = await until(() => failures.length > 0 || back() !== undefined, peer);
    deepEqual(failures, [], 'no failure on either side');
    ok(done, 'LDK failed the HTLC back');
    ok(api.status().htlcs.length === 0);
    return back()!;
  }

  before(async () => {
    peer = await startLdkPeer({ tickIntervalMs: 0, name: 'ldk-channeld' });
    port = await peer.listen();
  });

  after(async () => {
    await raw?.close();
    await peer?.stop();
  });

  it('opens to LDK, offers an HTLC LDK cannot read: LDK fails it back after the commitment dance, both commitments agree', async () => {
    const theirs = await connect();
    const openFailures: string[] = [];
    const opening = startOpeningd(
      {
        ...initOf('a', { fundingSatoshis: 200_000n, pushMsat: 0n, feeratePerKw: 253, type: TYPE.staticRemotekey }),
        peerId: peer.nodeId,
        ourFeatures: toHex(ours),
        theirFeatures: toHex(theirs),
        local: localOf('a', { channelReserveSatoshis: 2_000n, maxAcceptedHtlcs: 30 }),
      },
      {
        peer: {
          send: async (msg: Uint8Array) => {
            raw.send(msg);
            setTimeout(() => peer.processEvents(), 5);
          },
        },
        hsm: signerOf('a'),
        events: { funded: async () => undefined, failed: async (e: { code: string }) => void openFailures.push(e.code) },
      } as unknown as Parameters<typeof startOpeningd>[1],
      env as Parameters<typeof startOpeningd>[2],
    );
    target.owner = opening.serve('peer', []) as ChannelOwner;
    pump(raw, target);
    const out = await opening.api.open();
    const tx = fundingTx(out.script, out.amount);
    const parsed = Transaction.fromRaw(tx);
    const funded = await opening.api.fund(parsed.id, 0);
    // The funding transaction confirmed, then deep enough, as LDK's chain interface is told.
    const confirm = peer.channelManager!.as_Confirm();
    confirm.transactions_confirmed(header(1), [ldk.TwoTuple_usizeTransactionZ.constructor_new(1, tx)], 1);
    for (let h = 1; h <= funded.minimumDepth + 1; h++) confirm.best_block_updated(header(h), h);
    peer.processEvents();
    const state = await opening.api.ready();
    deepEqual(openFailures, []);
    durable = serializeChannel(state);

    const api = await startChanneld(theirs, false);
    const back = await unreadableHtlc(api, 1);
    // BOLT 4: an onion LDK cannot parse comes back as update_fail_malformed_htlc, with BADONION.
    ok(
      back.kind === 'failed' && (back.failureCode ?? 0) & 0x8000,
      `LDK answered ${JSON.stringify(back, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
    );
    deepEqual(
      ledger.map(c => c.kind),
      ['offered', 'committed', 'failed'],
    );
    const status = api.status();
    equal(status.pendingUpdates, 0);
    equal(status.localCommitmentNumber, 2n);
    equal(status.remoteCommitmentNumber, 2n);
    // LDK's view of the same channel: usable, our whole balance back (less our commitment's fee, which it does not count).
    const details = peer.channelManager!.list_channels().find(c => toHex(c.get_channel_id().get_a()) === toHex(state.params.channelId))!;
    ok(details.get_is_usable(), 'LDK holds the channel usable');
    equal(status.toUsMsat, 200_000_000n);
    equal(details.get_inbound_capacity_msat() + 2_000_000n, 200_000_000n, 'LDK owes us everything but its reserve asks');
  });

  it('after a disconnect, a new channeld reestablishes with LDK and the next HTLC goes through the dance', async () => {
    const gone = target.owner;
    await raw.close();
    await peer.waitForPeerGone(toHex(pubECDSA(secret)));
    ok(gone);
    // The instance of the old connection ended with it; the channel did not.
    deepEqual(
      failures.splice(0).map(f => [f.code, f.action]),
      [['peer_gone', 'disconnect']],
    );
    const theirs = await connect();
    const api = await startChanneld(theirs, true);
    ok(await until(() => api.status().phase !== 'reestablishing', peer), 'channel_reestablish answered');
    equal(api.status().phase, 'normal');
    const back = await unreadableHtlc(api, 2);
    equal(back.kind, 'failed');
    equal(api.status().localCommitmentNumber, 4n);
  });

  it('our commitment_signed lost mid-dance: after reconnecting, channeld retransmits the update and commitment_signed, LDK takes them', async () => {
    await raw.close();
    await peer.waitForPeerGone(toHex(pubECDSA(secret)));
    failures.splice(0);
    const theirs = await connect();
    // commitment_signed (132) never reaches LDK on this connection.
    const api = await startChanneld(theirs, true, type => type === 132);
    ok(await until(() => api.status().phase === 'normal', peer), 'reestablished');
    const before = ledger.length;
    void api
      .addHtlc({ amountMsat: 2_000_000n, paymentHash: sha256(new Uint8Array(1)), cltvExpiry: 500, onion: new Uint8Array(1366) })
      .catch(() => undefined);
    ok(await until(() => durable.includes('nextRemoteCommit'), peer), 'we signed (and persisted) LDK’s next commitment');
    ok(ledger.slice(before).some(c => c.kind === 'offered'));
    await raw.close();
    await peer.waitForPeerGone(toHex(pubECDSA(secret)));
    failures.splice(0);
    const again = await startChanneld(await connect(), true);
    const back = () => ledger.slice(before).find(c => c.kind === 'failed');
    ok(await until(() => failures.length > 0 || back() !== undefined, peer), 'LDK failed the retransmitted HTLC back');
    deepEqual(failures, []);
    // BOLT 2: channel_reestablish, then the update LDK reversed and our commitment_signed again.
    deepEqual(sentTypes.slice(0, 3), [136, 128, 132]);
    equal(again.status().pendingUpdates, 0);
    equal(again.status().htlcs.length, 0);
  });
});
