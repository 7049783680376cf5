// gossipd's signature-check worker in the browser (a module Worker started by src/web/verify-pool.ts):
// raw postMessage rather than Comlink, since each message is one packed batch on the hot path.
import { serveVerifyWorker, type ToVerifyWorker } from '../../core/gossip/verify-pool.ts';
import { randomInt32 } from '../../platform/system.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

const handle = serveVerifyWorker((msg, transfer) => scope.postMessage(msg, transfer), randomInt32);

let crashed = false;

scope.onmessage = (ev: MessageEvent<ToVerifyWorker>) => {
  if (crashed) return;
  if (ev.data?.t === 'crash') {
    // Test hook: the uncaught exception reaches the page as the Worker's 'error' event. A browser
    // worker outlives its uncaught errors, so it also stops answering, as a dead one would.
    crashed = true;
    throw new Error('verify worker crash requested');
  }
  handle(ev.data);
};
