// Our openingd (the opener) against LDK (the accepter) over a real BOLT 8 connection: LDK checks
// our open_channel and answers accept_channel, checks our funding_created signature over ITS
// commitment 0 as LDK builds it, and answers funding_signed, whose signature must verify over OUR
// commitment 0. Both pass only if both implementations build the same two commitment
// transactions (keys, obscured number, fee, outputs and their order): BOLT 3 interop, byte for
// byte. The funding transaction is never broadcast (LDK does not look at the chain before then).
import { toHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { ourFeatures } from '../../src/core/features/index.ts';
import { daemon } from '../../src/core/daemons/openingd/host.ts';
import type { Funded, OpeningdSpec } from '../../src/core/daemons/openingd/interface.ts';
import type { ChannelOwner } from '../../src/core/daemons/connectd/interface.ts';
import type { DaemonEnv } from '../../src/core/node/daemon.ts';
import { deepEqual, equal } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { CHANNEL_POLICY, initOf, localOf, POLICY, signerOf, TYPE } from '../core/openingd-fixture.ts';
import { startLdkPeer, type LdkPeer } from './ldk/peer.ts';
import { RawClient, initMessage, messageType, parseInit } from './ldk/raw-client.ts';

describe('openingd opens a channel to LDK', () => {
  let peer: LdkPeer;
  let raw: RawClient;

  before(async () => {
    peer = await startLdkPeer({ tickIntervalMs: 0, name: 'ldk-openingd' });
    const port = await peer.listen();
    raw = await RawClient.connect(peer.nodeId, port);
  });

  after(async () => {
    await raw?.close();
    await peer?.stop();
  });

  it('LDK accepts our open_channel and funding_created, and its funding_signed verifies over our commitment 0', async () => {
    const ours = ourFeatures('I').toBytes();
    raw.send(initMessage(ours, [chainHash('regtest')]));
    const init = parseInit((await raw.nextOfType(16))!);
    const theirs = init.features;

    let owner: ChannelOwner | undefined;
    const failures: string[] = [];
    const funded: Funded[] = [];
    // connectd's part, by hand: LDK's messages to openingd, openingd's to LDK.
    void (async () => {
      for (;;) {
        const m = await raw.next();
        if (!m) return owner?.peerGone?.('closed');
        if (messageType(m) === 18 || messageType(m) === 19) continue; // ping / pong
        peer.processEvents();
        await owner?.deliver(m);
      }
    })();
    const env: DaemonEnv = {
      clock: new FakeClock(),
      log: { debug() {}, info() {}, warn() {} },
      randomBytes: n => sha256(new TextEncoder().encode('ldk temp id')).subarray(0, n),
    };
    const init0 = initOf('a', { fundingSatoshis: 200_000n, pushMsat: 0n, feeratePerKw: 253, type: TYPE.staticRemotekey });
    const started = await daemon.start(
      {
        ...init0,
        peerId: peer.nodeId,
        ourFeatures: toHex(ours),
        theirFeatures: toHex(theirs),
        local: localOf('a', { channelReserveSatoshis: 2_000n, maxAcceptedHtlcs: 30 }),
        policy: POLICY,
        channelPolicy: CHANNEL_POLICY,
      },
      {
        peer: {
          send: async (msg: Uint8Array) => {
            raw.send(msg);
            // LDK answers when its peer manager processes the bytes.
            setTimeout(() => peer.processEvents(), 10);
          },
        },
        hsm: signerOf('a'),
        events: {
          funded: async (f: Funded) => void funded.push(f),
          failed: async (e: { code: string; message: string }) => void failures.push(`${e.code}: ${e.message}`),
        },
      } as Parameters<typeof daemon.start>[1],
      env as OpeningdSpec['env'] & DaemonEnv,
    );
    owner = started.serve('peer', []) as ChannelOwner;
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
});
