// gossipd over the real file store: after a restart its raw index holds views into the loaded file,
// and what it sends a peer (which crosses to connectd's realm, where posting a view clones its whole
// buffer) must be each message in a buffer of its own, byte for byte what was stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/core/base/bytes.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { Gossipd } from '../../src/core/daemons/gossipd/gossipd.ts';
import { signChannelAnnouncement, signChannelUpdate, type ChannelParty } from '../../src/core/gossip/sign.ts';
import { InlineVerifier } from '../../src/core/gossip/verify-pool.ts';
import { encodeMessage } from '../../src/core/wire/messages.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { FileGossipStore } from '../../src/node/gossip-store-file.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';

const CHAIN = chainHash('regtest');
const NOW = 1_700_000_000;
const enc = new TextEncoder();
const party = (i: number): ChannelParty => ({
  nodeSecret: sha256(enc.encode(`file node ${i}`)),
  bitcoinSecret: sha256(enc.encode(`file funding ${i}`)),
});
const quiet = { debug() {}, info() {}, warn() {} };

function gossipd(clock: FakeClock, store: FileGossipStore, send: (raw: Uint8Array) => void): Gossipd {
  return new Gossipd({
    chainHash: CHAIN,
    store,
    verifier: new InlineVerifier(),
    clock,
    log: quiet,
    now: () => NOW,
    peers: { send: (_id, raw) => send(raw), warn() {} },
    config: { maintenanceIntervalMs: 0, verifyBatchDelayMs: 1 },
  });
}

describe('gossipd over the file store', () => {
  it('sends gossip loaded from the store each in a buffer of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gossipd-file-'));
    try {
      const path = join(dir, 'gossip_store');
      const clock = new FakeClock();
      const [a, b] = [party(0), party(1)];
      const scid = scidFromParts({ block: 900, txindex: 2, outnum: 1 });
      const ann = signChannelAnnouncement({ chainHash: CHAIN, short_channel_id: scid, parties: [a, b] });
      const updates = [a, b].map((x, i) =>
        signChannelUpdate({
          secret: x.nodeSecret,
          chainHash: CHAIN,
          short_channel_id: scid,
          timestamp: NOW - 60,
          peer: getPublicKey((i === 0 ? b : a).nodeSecret),
          htlc_maximum_msat: 5_000_000n,
        }),
      );
      let store = await FileGossipStore.open(path);
      let g = gossipd(clock, store, () => {});
      await g.load();
      g.newPeer('source', '');
      for (const m of [ann, ...updates]) g.gossip('source', m);
      await clock.tick(10);
      await g.flush();
      await g.close();
      await store.close();

      store = await FileGossipStore.open(path);
      const sent: Uint8Array[] = [];
      g = gossipd(clock, store, raw => sent.push(raw));
      equal((await g.load()).channels, 1);
      g.newPeer('asker', '');
      g.gossip(
        'asker',
        encodeMessage({ name: 'gossip_timestamp_filter', chain_hash: CHAIN, first_timestamp: 0, timestamp_range: 0xffffffff }),
      );
      // The backfill reads the store file (real I/O, which a fake tick does not wait for): tick until
      // the three messages are out, with real turns between (bounded; a missing message still fails).
      const isGossip = (r: Uint8Array) => r[0] === 1 && r[1]! <= 2;
      for (let i = 0; i < 300 && sent.filter(isGossip).length < 3; i++) {
        await clock.tick(100);
        await new Promise(r => setTimeout(r, 10));
      }
      const gossip = sent.filter(isGossip);
      deepEqual(gossip.map(toHex).sort(), [ann, ...updates].map(toHex).sort());
      for (const r of gossip)
        ok(
          r.byteOffset === 0 && r.byteLength === r.buffer.byteLength,
          `a ${r.byteLength}-byte message sent in a ${r.buffer.byteLength}-byte buffer`,
        );
      await g.close();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
