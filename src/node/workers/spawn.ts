// Starts one daemon in a worker thread and links it to lightningd with Comlink over the worker's
// own port (design.md: "lightningd ↔ each daemon: Comlink over the worker's own port").
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { logConfig } from '../log.ts';

const BOOT = new URL('./boot.mjs', import.meta.url);

export interface DaemonWorker<T> {
  api: Comlink.Remote<T>;
  worker: Worker;
  /** Resolves with the reason when the worker exits for any reason. */
  exited: Promise<string>;
  terminate(): Promise<void>;
}

export function spawnDaemon<T>(name: string, entry: URL): DaemonWorker<T> {
  const worker = new Worker(BOOT, { workerData: { entry: entry.href, log: logConfig() }, name });
  const exited = new Promise<string>(resolve => {
    worker.once('error', e => resolve(`${name} crashed: ${e.message}`));
    worker.once('exit', code => resolve(`${name} exited with code ${code}`));
  });
  const api = Comlink.wrap<T>(nodeEndpoint(worker));
  return {
    api,
    worker,
    exited,
    async terminate() {
      api[Comlink.releaseProxy]();
      await worker.terminate();
    },
  };
}
