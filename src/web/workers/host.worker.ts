// The browser's one daemon host: a module Worker that runs the daemons lightningd starts in it
// (core/node/host.ts), each with what a browser gives it here. hsmd loads the node secret of this
// node's data name from IndexedDB itself, so the secret never crosses a port; connectd keeps every
// peer WebSocket (a WebSocket cannot move between realms, a MessagePort can) and, with no TCP and no
// listening in a browser, dials WebSockets only (a peer's own, or a bridge lightningd's dial plan
// put in the target's URL); gossipd keeps its IndexedDB store and a pool of signature-check Workers
// nested in this one. The store is trusted on load: a restart checks no signature.
import * as Comlink from 'comlink';
import { smallMessageAead } from '../../core/crypto/aead.ts';
import { envByKind, ownPortAnswers, type RuntimeEnvs } from '../../core/node/host.ts';
import { installErrorTransfer } from '../../links/comlink-errors.ts';
import { consoleLog, randomBytes, systemClock } from '../../platform/system.ts';
import { BrowserWebSocketDialer } from '../../transports/browser-websocket.ts';
import { combineDialers } from '../../transports/dialer.ts';
import { IdbHsmChannelStore } from '../hsm-channels-idb.ts';
import { loadOrCreateSecretIdb } from '../hsm-secret-idb.ts';
import { webLinks, type WebHostCtx } from '../worker-api.ts';
import { installWebEcEngine } from '../ec-engine.ts';

installErrorTransfer();

/** What each daemon gets in this Worker beyond the common env (clock, log, random source). */
const envs: RuntimeEnvs<WebHostCtx> = {
  hsmd: (base, ctx) => ({
    ...base,
    loadOrCreateSecret: recover => {
      if (typeof ctx.dataName !== 'string' || ctx.dataName === '') throw new Error('hsmd: a data name is needed');
      return loadOrCreateSecretIdb(ctx.dataName, randomBytes, recover);
    },
    // Beside the seed, in hsmd's own database (src/web/hsm-channels-idb.ts).
    openChannelStore: async () => new IdbHsmChannelStore(ctx.dataName),
  }),
  connectd: base => ({
    ...base,
    dialer: combineDialers({ websocket: new BrowserWebSocketDialer() }),
    // BOLT 8 with reused cipher state for small messages (src/core/crypto/aead.ts).
    aead: smallMessageAead(),
  }),
  // Its store and verifier pool (with the libsecp256k1 wasm) load only in gossipd's Worker.
  gossipd: (base, ctx) => import('./gossipd-env.ts').then(m => m.gossipdEnv(base, ctx)),
};

const env = envByKind<WebHostCtx>((kind, ctx) => ({ clock: systemClock, log: consoleLog(kind, ctx.log), randomBytes }), envs);
// libsecp256k1 for this Worker's channels, payments and onions, loaded while the host answers
// (a top-level await here could lose the first messages); each daemon starts once it is in.
const ecReady = installWebEcEngine();

Comlink.expose(
  ownPortAnswers<MessagePort, WebHostCtx>({
    links: webLinks,
    env: async (kind, ctx) => {
      await ecReady;
      return env(kind, ctx);
    },
  }),
);
