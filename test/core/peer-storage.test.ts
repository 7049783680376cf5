// BOLT 1 "Peer Storage": hsmd's backup key (hsmd/peer-backup.ts), the backup's plaintext
// (lightningd/peer-storage-backup.ts) and lightningd's side both ways (lightningd/peer-storage.ts).
import { deepEqual, equal, ok, throws } from '../support/assert.ts';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { PeerBackupCipher, MAX_PEER_BACKUP_PLAINTEXT, PEER_BACKUP_OVERHEAD } from '../../src/core/daemons/hsmd/peer-backup.ts';
import { HsmError } from '../../src/core/daemons/hsmd/secret.ts';
import { LightningdDb, MemoryLightningdStorage, type ChannelRecord } from '../../src/core/daemons/lightningd/db.ts';
import { decodeBackup, encodeBackup, type BackupChannel } from '../../src/core/daemons/lightningd/peer-storage-backup.ts';
import {
  KEEP_BLOB_AFTER_CLOSE_BLOCKS,
  PEER_BACKUP_RECOVERED,
  PEER_STORAGE,
  PeerStorage,
  type RecoveredChannel,
} from '../../src/core/daemons/lightningd/peer-storage.ts';
import { decodeMessage, encodeMessage } from '../../src/core/wire/messages.ts';
import { ourFeatures } from '../../src/core/features/index.ts';
import { routeMessage } from '../../src/core/daemons/connectd/routing.ts';

let counter = 0;
const rng = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (counter++ * 131 + 7) & 0xff;
  return b;
};
const seedA = new Uint8Array(64).fill(1);
const seedB = new Uint8Array(64).fill(2);

const PEER = '02' + '11'.repeat(32);
const OTHER = '03' + '22'.repeat(32);
const STRANGER = '02' + '33'.repeat(32);

function channel(dbid: string, peer: string, over: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    dbid,
    peer_id: peer,
    state: 'CHANNELD_NORMAL',
    opener: 'local',
    channel_id: dbid.padStart(64, 'c'),
    funding_txid: dbid.padStart(64, 'f'),
    funding_outnum: 1,
    funding_sat: '1000000',
    push_msat: '0',
    channel_type: '1010',
    announce: false,
    minimum_depth: 1,
    funded: '{}',
    ...over,
  };
}

const logs = { debug() {}, info() {}, warn() {} };

interface Harness {
  db: LightningdDb;
  storage: MemoryLightningdStorage;
  sent: { id: string; msg: ReturnType<typeof decodeMessage> }[];
  ps: PeerStorage;
  recovered: RecoveredChannel[][];
  peers: { id: string; features: string; connected: boolean }[];
}

async function harness(
  seed: Uint8Array,
  channels: ChannelRecord[],
  maxStoredPeers?: number,
  storage = new MemoryLightningdStorage(),
): Promise<Harness> {
  const db = new LightningdDb(storage);
  await db.load();
  for (const c of channels) await db.saveChannel(c);
  const cipher = new PeerBackupCipher(seed, rng);
  const h: Harness = { db, storage, sent: [], recovered: [], peers: [], ps: undefined as unknown as PeerStorage };
  h.ps = new PeerStorage({
    db,
    hsm: { sealPeerBackup: p => cipher.seal(p), openPeerBackup: b => cipher.open(b) },
    sendToPeer: async (id, msg) => void h.sent.push({ id, msg: decodeMessage(msg) }),
    connectedPeers: async () => h.peers,
    log: logs,
    ...(maxStoredPeers !== undefined ? { maxStoredPeers } : {}),
    onRecovered: c => void h.recovered.push([...c]),
  });
  return h;
}

const withStorage = ourFeatures('I').toHex();
const withoutStorage = ourFeatures('I').withoutFeature('option_provide_storage').toHex();
const connected = (id: string, features = withStorage) => ({ id, counter: 1, features, direction: 'in' as const });
const storageMsg = (blob: Uint8Array) => encodeMessage({ name: 'peer_storage', blob });
const blobOf = (m: ReturnType<typeof decodeMessage>): Uint8Array => (m as { blob: Uint8Array }).blob;

describe('peer storage: our init offers option_provide_storage, and connectd hands both messages to lightningd', () => {
  it('sets bit 43 (optional) in init and node_announcement', () => {
    ok(ourFeatures('I').has('option_provide_storage', 'optional'));
    ok(ourFeatures('N').has('option_provide_storage', 'optional'));
    ok(!ourFeatures('I').requires('option_provide_storage'));
  });
  it('routes peer_storage and peer_storage_retrieval to lightningd, onion_message still dropped', () => {
    deepEqual(routeMessage(storageMsg(new Uint8Array(3))), { to: 'lightningd' });
    deepEqual(routeMessage(encodeMessage({ name: 'peer_storage_retrieval', blob: new Uint8Array(0) })), { to: 'lightningd' });
    equal(routeMessage(fromHex('0201')).to, 'drop');
  });
});

describe("peer storage: hsmd's backup key", () => {
  it('opens what it sealed, with a fresh nonce each time; another seed opens nothing', () => {
    const a = new PeerBackupCipher(seedA, rng);
    const plain = new TextEncoder().encode('our channels');
    const s1 = a.seal(plain);
    const s2 = a.seal(plain);
    equal(s1.length, plain.length + PEER_BACKUP_OVERHEAD);
    ok(toHex(s1) !== toHex(s2), 'a random nonce per blob');
    deepEqual(a.open(s1), plain);
    // The same seed restored (a new hsmd) opens it: the key derives from the seed alone.
    deepEqual(new PeerBackupCipher(seedA, rng).open(s2), plain);
    equal(new PeerBackupCipher(seedB, rng).open(s1), undefined);
  });
  it('opens nothing altered, truncated or oversized, and refuses to seal what would not fit in a peer_storage', () => {
    const a = new PeerBackupCipher(seedA, rng);
    const s = a.seal(new Uint8Array(40).fill(9));
    for (const i of [0, 12, s.length - 1]) {
      const t = s.slice();
      t[i]! ^= 1;
      equal(a.open(t), undefined, `byte ${i} flipped`);
    }
    equal(a.open(s.subarray(0, 20)), undefined);
    equal(a.open(new Uint8Array(65532)), undefined);
    equal(a.seal(new Uint8Array(MAX_PEER_BACKUP_PLAINTEXT)).length, 65531);
    throws(() => a.seal(new Uint8Array(MAX_PEER_BACKUP_PLAINTEXT + 1)), HsmError, 'bad_request');
  });
});

describe("peer storage: the backup's plaintext", () => {
  const c = (n: number, peer: string): BackupChannel => ({
    channel_id: n.toString(16).padStart(64, '0'),
    peer_id: peer,
    dbid: String(n),
    funding_txid: 'ab'.repeat(32),
    funding_outnum: n % 3,
    funding_sat: '500000',
    channel_type: '101000',
    opener: n % 2 ? 'local' : 'remote',
  });
  it('reads back what it wrote, the receiving peer first', () => {
    const list = [c(1, OTHER), c(2, PEER), c(3, OTHER)];
    const { plaintext, omitted } = encodeBackup(list, PEER);
    equal(omitted, 0);
    deepEqual(decodeBackup(plaintext), [c(2, PEER), c(1, OTHER), c(3, OTHER)]);
  });
  it('leaves out what does not fit in one peer_storage, never the receiving peer first', () => {
    const list = Array.from({ length: 400 }, (_, i) => c(i + 1, OTHER)).concat([c(1000, PEER)]);
    const { plaintext, omitted } = encodeBackup(list, PEER);
    ok(plaintext.length <= MAX_PEER_BACKUP_PLAINTEXT);
    ok(omitted > 0);
    const back = decodeBackup(plaintext)!;
    equal(back[0]!.peer_id, PEER);
    equal(back.length + omitted, 401);
  });
  it('rejects anything that is not a backup of ours', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    equal(decodeBackup(enc('not json')), undefined);
    equal(decodeBackup(enc('{"v":2,"channels":[]}')), undefined);
    const row = JSON.stringify(['zz', PEER, '1', 'ab'.repeat(32), 0, '1', '', 'local']);
    equal(decodeBackup(enc(`{"v":1,"channels":[${row}]}`)), undefined);
    equal(decodeBackup(new Uint8Array([0xff, 0xfe])), undefined);
  });
});

describe("peer storage: peers' blobs (BOLT 1 the receiver of peer_storage)", () => {
  it('stores the blob of a peer we have a channel with, durably, replacing the last, and sends it back after each init', async () => {
    const storage = new MemoryLightningdStorage();
    const h = await harness(seedA, [channel('1', PEER)], undefined, storage);
    await h.ps.peerSpoke(PEER, storageMsg(fromHex('aa01')));
    await h.ps.peerSpoke(PEER, storageMsg(fromHex('bb02')));
    // Durable: a new database on the same storage has the latest blob.
    const again = new LightningdDb(storage);
    await again.load();
    deepEqual(again.record(PEER_STORAGE, PEER), { blob: 'bb02' });
    await h.ps.peerConnected(connected(PEER, withoutStorage));
    deepEqual(
      h.sent.map(s => [s.id, s.msg.name, toHex(blobOf(s.msg))]),
      [[PEER, 'peer_storage_retrieval', 'bb02']],
    );
  });
  it('ignores the blob of a peer without a channel, and a peer past the count bound', async () => {
    const h = await harness(seedA, [channel('1', PEER), channel('2', OTHER)], 1);
    await h.ps.peerSpoke(STRANGER, storageMsg(fromHex('01')));
    await h.ps.peerSpoke(PEER, storageMsg(fromHex('02')));
    await h.ps.peerSpoke(OTHER, storageMsg(fromHex('03')));
    deepEqual(h.db.table(PEER_STORAGE), { [PEER]: { blob: '02' } });
    // A stored peer still replaces its own.
    await h.ps.peerSpoke(PEER, storageMsg(fromHex('04')));
    deepEqual(h.db.table(PEER_STORAGE), { [PEER]: { blob: '04' } });
    await h.ps.peerConnected(connected(STRANGER, withoutStorage));
    deepEqual(h.sent, []);
  });
  it("deletes a peer's blob 2016 blocks after its last channel with us closed (BOLT 1), never while one is open", async () => {
    const spend = (height: number) => ({ spend: { tx: '00', txid: 'aa'.repeat(32), height } });
    const h = await harness(seedA, [channel('1', PEER), channel('2', OTHER)]);
    await h.ps.peerSpoke(PEER, storageMsg(fromHex('01')));
    await h.ps.peerSpoke(OTHER, storageMsg(fromHex('02')));
    // PEER's channel closes at 100 and is resolved and forgotten; OTHER's stays open.
    await h.db.saveChannel(channel('1', PEER, { state: 'ONCHAIN', onchain: spend(100) }));
    await h.ps.blockConnected({ height: 100 + KEEP_BLOB_AFTER_CLOSE_BLOCKS });
    equal(Object.keys(h.db.table(PEER_STORAGE)).length, 2); // on chain, not yet resolved: still a channel
    await h.db.saveChannel(channel('1', PEER, { state: 'ONCHAIN', onchain: { ...spend(100), resolved_height: 200 } }));
    await h.db.forgetChannel('1');
    await h.ps.blockConnected({ height: 100 + KEEP_BLOB_AFTER_CLOSE_BLOCKS - 1 });
    equal(Object.keys(h.db.table(PEER_STORAGE)).length, 2);
    await h.ps.blockConnected({ height: 100 + KEEP_BLOB_AFTER_CLOSE_BLOCKS });
    deepEqual(h.db.table(PEER_STORAGE), { [OTHER]: { blob: '02' } });
    // Durable, and no longer sent back.
    const again = new LightningdDb(h.storage);
    await again.load();
    deepEqual(again.table(PEER_STORAGE), { [OTHER]: { blob: '02' } });
    await h.ps.peerConnected(connected(PEER, withoutStorage));
    deepEqual(h.sent, []);
    await h.ps.blockConnected({ height: 100_000 });
    deepEqual(h.db.table(PEER_STORAGE), { [OTHER]: { blob: '02' } });
  });
  it('survives garbage: a truncated message, a length past the end', async () => {
    const h = await harness(seedA, [channel('1', PEER)]);
    await h.ps.peerSpoke(PEER, fromHex('0007ffff00'));
    await h.ps.peerSpoke(PEER, fromHex('00'));
    deepEqual(h.db.table(PEER_STORAGE), {});
  });
});

describe('peer storage: our backup with peers', () => {
  it('sends a channel peer that offers storage our sealed backup, once per connection until the channels change', async () => {
    const h = await harness(seedA, [channel('1', PEER), channel('2', OTHER)]);
    await h.ps.peerConnected(connected(PEER));
    await h.ps.peerConnected(connected(OTHER, withoutStorage));
    equal(h.sent.length, 1);
    equal(h.sent[0]!.id, PEER);
    equal(h.sent[0]!.msg.name, 'peer_storage');
    const opened = new PeerBackupCipher(seedA, rng).open(blobOf(h.sent[0]!.msg));
    deepEqual(
      decodeBackup(opened!)!.map(c => [c.peer_id, c.dbid, c.funding_txid]),
      [
        [PEER, '1', '1'.padStart(64, 'f')],
        [OTHER, '2', '2'.padStart(64, 'f')],
      ],
    );
    // Nothing changed: nothing resent.
    h.peers = [
      { id: PEER, features: withStorage, connected: true },
      { id: OTHER, features: withoutStorage, connected: true },
    ];
    await h.ps.channelsChanged();
    equal(h.sent.length, 1);
    await h.db.saveChannel(channel('3', OTHER));
    await h.ps.channelsChanged();
    equal(h.sent.length, 2);
    equal(decodeBackup(new PeerBackupCipher(seedA, rng).open(blobOf(h.sent[1]!.msg))!)!.length, 3);
  });
  it('sends it when a channel is funded, again at channel_ready, and when one closes; not for other changes', async () => {
    const h = await harness(seedA, [channel('1', PEER)]);
    h.peers = [{ id: PEER, features: withStorage, connected: true }];
    await h.ps.peerConnected(connected(PEER));
    const dbidsSent = () =>
      h.sent.map(x =>
        decodeBackup(new PeerBackupCipher(seedA, rng).open(blobOf(x.msg))!)!
          .map(c => `${c.dbid}`)
          .join(','),
      );
    deepEqual(dbidsSent(), ['1']);
    // Funded: the record is written (BOLT 2: after funding_signed).
    await h.db.saveChannel(channel('2', PEER, { state: 'CHANNELD_AWAITING_LOCKIN' }));
    await h.ps.idle();
    deepEqual(dbidsSent(), ['1', '1,2']);
    // channel_ready: the same list once more (the acceptor's first copy may have reached the opener too early).
    await h.db.saveChannel(channel('2', PEER));
    await h.ps.idle();
    deepEqual(dbidsSent(), ['1', '1,2', '1,2']);
    // Another change of a channel (not its state): nothing.
    await h.db.saveChannel(channel('2', PEER, { minimum_depth: 3 }));
    await h.ps.idle();
    equal(h.sent.length, 3);
    // Closed: its funding output spent.
    await h.db.saveChannel(channel('1', PEER, { state: 'ONCHAIN', onchain: { spend: { tx: '00', txid: 'aa'.repeat(32), height: 7 } } }));
    await h.ps.idle();
    deepEqual(dbidsSent(), ['1', '1,2', '1,2', '2']);
  });
  it('sends nothing to a peer without a channel, nor an empty backup', async () => {
    const h = await harness(seedA, [channel('1', PEER)]);
    await h.ps.peerConnected(connected(STRANGER));
    const empty = await harness(seedA, []);
    await empty.ps.peerConnected(connected(PEER));
    deepEqual([h.sent, empty.sent], [[], []]);
  });
});

describe('peer storage: a node restored from its seed onto an empty store', () => {
  it('learns from the retrieval the channels it no longer holds, durably, and keeps them in its next backup', async () => {
    const before = await harness(seedA, [channel('1', PEER), channel('2', OTHER)]);
    await before.ps.peerConnected(connected(PEER));
    const blob = blobOf(before.sent[0]!.msg);
    // The same seed, an empty database.
    const storage = new MemoryLightningdStorage();
    const after = await harness(seedA, [], undefined, storage);
    await after.ps.peerSpoke(PEER, encodeMessage({ name: 'peer_storage_retrieval', blob }));
    deepEqual(
      after.recovered.map(l => l.map(c => [c.channel_id, c.peer_id, c.dbid, c.from])),
      [
        [
          ['1'.padStart(64, 'c'), PEER, '1', PEER],
          ['2'.padStart(64, 'c'), OTHER, '2', PEER],
        ],
      ],
    );
    const reloaded = new LightningdDb(storage);
    await reloaded.load();
    deepEqual(Object.keys(reloaded.table(PEER_BACKUP_RECOVERED)).sort(), ['1'.padStart(64, 'c'), '2'.padStart(64, 'c')]);
    // The keys of those channels are never used again: the next channel gets a dbid past theirs, durably.
    equal(await reloaded.newDbid(), 3n);
    // Told once: the same retrieval again reports nothing new.
    await after.ps.peerSpoke(PEER, encodeMessage({ name: 'peer_storage_retrieval', blob }));
    equal(after.recovered.length, 1);
    deepEqual(
      after.ps.backupChannels().map(c => c.dbid),
      ['1', '2'],
    );
  });
  it('ignores a retrieval it cannot open (another seed, altered), and one of channels it still holds', async () => {
    const other = await harness(seedB, [channel('1', PEER)]);
    await other.ps.peerConnected(connected(PEER));
    const foreign = blobOf(other.sent[0]!.msg);
    const h = await harness(seedA, [channel('1', PEER)]);
    await h.ps.peerSpoke(PEER, encodeMessage({ name: 'peer_storage_retrieval', blob: foreign }));
    await h.ps.peerSpoke(PEER, encodeMessage({ name: 'peer_storage_retrieval', blob: new Uint8Array(0) }));
    await h.ps.peerConnected(connected(PEER));
    const ours = blobOf(h.sent[0]!.msg);
    await h.ps.peerSpoke(PEER, encodeMessage({ name: 'peer_storage_retrieval', blob: ours }));
    deepEqual(h.recovered, []);
    deepEqual(h.db.table(PEER_BACKUP_RECOVERED), {});
  });
});
