// gossipd's signature-check worker in Node (started through boot.mjs by src/node/verify-pool.ts):
// raw postMessage rather than Comlink, since each message is one packed batch on the hot path.
import { parentPort } from 'node:worker_threads';
import { randomInt } from 'node:crypto';
import { serveVerifyWorker, type FromVerifyWorker, type ToVerifyWorker } from '../../core/gossip/verify-pool.ts';

const port = parentPort;
if (!port) throw new Error('verify-worker.ts must run in a worker thread');

const handle = serveVerifyWorker(
  (msg: FromVerifyWorker, transfer: ArrayBuffer[]) => port.postMessage(msg, transfer),
  () => randomInt(-0x80000000, 0x7fffffff),
);

port.on('message', (msg: ToVerifyWorker) => {
  if (msg?.t === 'crash') {
    // Test hook: an uncaught exception ends a worker thread ('error', then 'exit').
    throw new Error('verify worker crash requested');
  }
  handle(msg);
});
