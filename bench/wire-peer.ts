// The wire bench's peer, in a process of its own: our connectd (BOLT 8, init, ping) listening on
// 127.0.0.1 over TCP and WebSocket, and a small query answerer in place of gossipd that serves the
// signed set (bench/wire-slice.ts) as a peer at full speed would: reply_channel_range with every
// channel (timestamps and checksums when asked), and per query_short_channel_ids each channel's
// gossip, then reply_short_channel_ids_end; each send waits for the transport (backpressure).
// gossip_timestamp_filter gets nothing (a quiet peer). Usage:
//   node --import tsx bench/wire-peer.ts '{"channels":2000,"adversarial":true,"now":...}'
// Prints one JSON line when listening: { nodeId, tcp, ws, expected, bad, ... }; exits when stdin closes.
import { randomBytes } from 'node:crypto';
import { toHex } from '../src/core/base/bytes.ts';
import { chainHash } from '../src/core/chain/chains.ts';
import { ecdh, getPublicKey, randomSecretKey } from '../src/core/crypto/primitives.ts';
import { Connectd } from '../src/core/daemons/connectd/connectd.ts';
import type { GossipLink } from '../src/core/daemons/connectd/types.ts';
import { unpackGossipBatch } from '../src/core/daemons/connectd/batch.ts';
import { channelRangeReplies } from '../src/core/daemons/gossipd/answer.ts';
import { peekGossip } from '../src/core/gossip/peek.ts';
import type { UpdateInfo } from '../src/core/daemons/gossipd/raw.ts';
import { channelUpdateChecksum } from '../src/core/gossip/checksum.ts';
import { ourFeatures } from '../src/core/features/index.ts';
import { decodeQueryFlags, decodeShortChannelIds } from '../src/core/gossip/encoding.ts';
import { decodeMessage, encodeMessage } from '../src/core/wire/messages.ts';
import { nodeClock } from '../src/node/clock.ts';
import { nodeTransportAead } from '../src/node/aead.ts';
import { listenTcp } from '../src/transports/tcp-node.ts';
import { listenWebSocket } from '../src/transports/ws-listener-node.ts';
import { combineDialers } from '../src/transports/dialer.ts';
import { TcpDialer } from '../src/transports/tcp-node.ts';
import { fastSigner, loadSignedGossip } from './fixtures/signed-gossip-cache.ts';
import { loadFixtureKeys } from './fixtures/load.ts';
import { generateTopology } from './fixtures/topology.ts';
import { addBadSlice, answerMessages, expectedGraph, groupByScid } from './wire-slice.ts';

export interface PeerArgs {
  /** Serve the first this many channels of the set (all when absent). */
  channels?: number;
  adversarial?: boolean;
  /** The set's `now` and cache file (the bench built it first). */
  now: number;
  file: string;
  /** A small generated topology instead of the mainnet one, built here (test/node/wire-path.test.ts). */
  generated?: { nodes: number; channels: number; seed: number };
  /** Where the signed set (and its keys) are cached; default bench/out. */
  cacheDir?: string;
  /** Bad messages on one channel in this many (wire-slice.ts SliceOptions.stride; default 30). */
  stride?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as PeerArgs;
const fx = await loadSignedGossip({
  now: args.now,
  file: args.file,
  ...(args.generated ? { topology: generateTopology(args.generated) } : {}),
  ...(args.cacheDir ? { cacheDir: args.cacheDir } : {}),
});
const chain = fx.chainHash;
const served = groupByScid(fx.gossip, args.channels);
if (args.adversarial) {
  const sign = await fastSigner();
  addBadSlice(served, {
    topology: fx.topology,
    keys: loadFixtureKeys(fx.topology.nodes.length, args.cacheDir),
    chainHash: chain,
    otherChainHash: chainHash('testnet'),
    now: fx.now,
    sign: sign ?? (await import('../src/core/crypto/primitives.ts')).signDigest,
    ...(args.stride ? { stride: args.stride } : {}),
  });
}
const expected = expectedGraph(fx.gossip, served);
/**
 * Each served channel_update's timestamp and checksum, for range replies that ask for them: worked
 * out before the peer listens (a peer keeps them with its gossip), not while the node syncs.
 */
const infos = new Map<bigint, (UpdateInfo | undefined)[]>();
for (const [scid, a] of served.answers)
  infos.set(
    scid,
    a.updates.map(u =>
      u ? { timestamp: (peekGossip(u) as { timestamp: number }).timestamp, checksum: channelUpdateChecksum(u) } : undefined,
    ),
  );
const updateInfo = (scid: bigint, direction: 0 | 1): UpdateInfo | undefined => infos.get(scid)?.[direction];
/** The served scids in order, as range replies take them (the bad slice adds none: it is read once here). */
const scidArray = BigUint64Array.from(served.scids);
/** Channels whose bad messages went out already (they go with the first answer only). */
const answered = new Set<bigint>();

const secret = randomSecretKey();
const nodeId = getPublicKey(secret);
let connectd: Connectd;
const quiet = { debug() {}, info() {}, warn: (m: string) => process.stderr.write(`wire-peer: ${m}\n`) };
/** Queries are answered one after another per peer, each send waiting for the transport. */
const chains = new Map<string, Promise<void>>();
const send = (id: string, m: Uint8Array) => connectd.sendToPeer(id, m);

async function answer(id: string, msg: Uint8Array): Promise<void> {
  const m = decodeMessage(msg);
  if (m.name === 'query_channel_range') {
    const options = m.tlvs?.query_option?.query_option_flags ?? 0n;
    for (const r of channelRangeReplies(
      chain,
      { first_blocknum: m.first_blocknum, number_of_blocks: m.number_of_blocks, options },
      scidArray,
      updateInfo,
    )) {
      await send(id, encodeMessage(r));
    }
  } else if (m.name === 'query_short_channel_ids') {
    const scids = decodeShortChannelIds(m.encoded_short_ids);
    const flags = m.tlvs?.query_flags ? decodeQueryFlags(m.tlvs.query_flags) : undefined;
    const sent = new Set<string>();
    for (const [i, s] of scids.entries()) {
      const a = served.answers.get(s);
      if (!a) continue;
      const first = !answered.has(s);
      answered.add(s);
      for (const out of answerMessages(served, a, flags ? Number(flags[i]!) : 31, first, sent)) await send(id, out);
    }
    await send(id, encodeMessage({ name: 'reply_short_channel_ids_end', chain_hash: chain, full_information: 1 }));
  }
}

const link: GossipLink = {
  newPeer() {},
  gossipBatch(id, batch) {
    unpackGossipBatch(batch, msg => {
      const prev = chains.get(id) ?? Promise.resolve();
      chains.set(
        id,
        prev.then(() => answer(id, msg)).catch(e => void quiet.warn(`answering: ${(e as Error).message}`)),
      );
    });
  },
  peerGone(id) {
    chains.delete(id);
  },
};

connectd = new Connectd({
  chainHash: chain,
  ourFeatures: ourFeatures('I'),
  nodeId,
  ecdhLink: { ecdh: pub => ecdh(secret, pub) },
  dialer: combineDialers({ tcp: new TcpDialer() }),
  randomBytes: n => new Uint8Array(randomBytes(n)),
  clock: nodeClock,
  log: quiet,
  events: { peerConnected() {}, peerDisconnected() {}, peerSpoke() {} },
  gossipLink: link,
  aead: nodeTransportAead,
});
const tcp = await listenTcp('127.0.0.1', 0, s => connectd.acceptStream(s));
const ws = await listenWebSocket('127.0.0.1', 0, s => connectd.acceptStream(s));
process.stdout.write(
  `${JSON.stringify({
    nodeId: toHex(nodeId),
    tcp: tcp.port,
    ws: ws.port,
    expected,
    bad: served.bad,
    badTotal: served.badTotal,
    reordered: served.reordered,
    goodMessages: served.goodMessages,
    channels: served.answers.size,
  })}\n`,
);
process.stdin.resume();
process.stdin.on('end', async () => {
  connectd.stop();
  await Promise.all([tcp.close(), ws.close()]);
  process.exit(0);
});
