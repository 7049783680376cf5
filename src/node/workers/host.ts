// Node's one daemon host: a worker thread that runs the daemons lightningd starts in it
// (core/node/host.ts), each with what Node gives it here: hsmd the node secret from the network
// directory (it loads it itself, so the secret never crosses a port), connectd TCP and `ws`
// (dialing and --bind-addr listeners), gossipd its file store, a pool of signature-check threads
// (lightningd owns the chain: it runs in the main thread, src/node/node.ts).
import { parentPort } from 'node:worker_threads';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { envByKind, ownPortAnswers, type RuntimeEnvs } from '../../core/node/host.ts';
import { installErrorTransfer } from '../../links/comlink-errors.ts';
import { randomBytes, systemClock } from '../../platform/system.ts';
import { combineDialers } from '../../transports/dialer.ts';
import { TcpDialer, listenTcp } from '../../transports/tcp-node.ts';
import { listenWebSocket } from '../../transports/ws-listener-node.ts';
import { WsDialer } from '../../transports/ws-node.ts';
import { FileGossipStore } from '../gossip-store-file.ts';
import { FileHsmChannelStore } from '../hsm-channels.ts';
import { loadOrCreateSecret } from '../hsm-secret.ts';
import { nodeLog } from '../log.ts';
import { createNodeVerifyPool } from '../verify-pool.ts';
import { nodeLinks, type NodeHostCtx } from './links.ts';
import { nodeTransportAead } from '../aead.ts';
import { installNodeEcEngine } from '../ec-engine.ts';

installErrorTransfer();
// libsecp256k1 for this thread's channels, payments and onions before any daemon starts here.
await installNodeEcEngine();

/** What each daemon gets in this thread beyond the common env (clock, log, random source). */
const envs: RuntimeEnvs<NodeHostCtx> = {
  hsmd: (base, ctx) => ({
    ...base,
    async loadOrCreateSecret(recover) {
      const root = await loadOrCreateSecret(ctx.networkDir, recover);
      // Where to read the mnemonic, never the mnemonic itself.
      if (root.made === 'created')
        base.log.info(
          `created a new node seed in ${root.path}: its BIP39 mnemonic is the text after the first 32 bytes (tail -c +33 ${root.path}); write it down and keep it offline, it restores the node (--recover)`,
        );
      if (root.made === 'recovered') base.log.info(`restored the node seed into ${root.path}`);
      return { secretData: root.secretData };
    },
    // hsm_channels.json beside hsm_secret (src/node/hsm-channels.ts).
    openChannelStore: async () => new FileHsmChannelStore(ctx.networkDir),
  }),
  connectd: base => ({
    ...base,
    dialer: combineDialers({ tcp: new TcpDialer(), websocket: new WsDialer() }),
    // `--bind-addr HOST:PORT` (TCP) or `--bind-addr ws:HOST:PORT` (WebSocket).
    listen: (kind, host, port, accept) => (kind === 'tcp' ? listenTcp(host, port, accept) : listenWebSocket(host, port, accept)),
    // BOLT 8 with Node's built-in ChaCha20-Poly1305 for large messages (src/node/aead.ts).
    aead: nodeTransportAead,
  }),
  gossipd: (base, ctx) => ({
    ...base,
    openStore: () => FileGossipStore.open(join(ctx.networkDir, 'gossip_store')),
    verifier: () => createNodeVerifyPool(ctx.verifyWorkers ? { size: ctx.verifyWorkers } : {}),
    inflate: (b, max) => new Uint8Array(inflateSync(b, { maxOutputLength: max })),
  }),
};

const env = envByKind<NodeHostCtx>(kind => ({ clock: systemClock, log: nodeLog(kind), randomBytes }), envs);

Comlink.expose(ownPortAnswers({ links: nodeLinks, env }), nodeEndpoint(parentPort!));
