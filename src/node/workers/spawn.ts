// A daemon host in a worker thread (core/node/platform.ts HostHandle), answering on the worker's
// own port (design.md: "lightningd ↔ each daemon: Comlink over the worker's own port").
import { Worker, type MessagePort } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { HostControl } from '../../core/node/host.ts';
import type { HostHandle } from '../../core/node/platform.ts';
import { wrapEndpoint } from '../../links/comlink-links.ts';
import { logConfig } from '../log.ts';
import type { NodeHostCtx } from './links.ts';

const BOOT = new URL('./boot.mjs', import.meta.url);
const HOST = new URL('./host.ts', import.meta.url);

export function spawnHost(name: string): HostHandle<MessagePort, NodeHostCtx> {
  const worker = new Worker(BOOT, { workerData: { entry: HOST.href, log: logConfig() }, name });
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', e => reject(new Error(`${name} crashed: ${e.message}`)));
    worker.once('exit', code => reject(new Error(`${name} exited with code ${code}`)));
  });
  failed.catch(() => undefined);
  const endpoint = nodeEndpoint(worker);
  return {
    control: wrapEndpoint<HostControl<MessagePort, NodeHostCtx>>(endpoint),
    main: () => wrapEndpoint(endpoint),
    failed,
    async terminate() {
      await worker.terminate();
    },
  };
}
