// One daemon's module Worker, linked to lightningd with Comlink over the Worker's own port.
import * as Comlink from 'comlink';
import { WebNodeError } from './errors.ts';

export type DaemonName = 'hsmd' | 'connectd' | 'gossipd';

export interface DaemonWorker<T> {
  name: DaemonName;
  worker: Worker;
  api: Comlink.Remote<T>;
  /** Rejects (WebNodeError 'worker_failed') on the Worker's first `error` event: a module that did not load, an uncaught error. */
  failed: Promise<never>;
  /** `p`, unless the Worker fails first. */
  guard<R>(p: Promise<R>): Promise<R>;
  terminate(): void;
}

/**
 * Each literal `new Worker(new URL('./workers/….ts', import.meta.url), { type: 'module' })` is what
 * Vite (and other bundlers) recognise to bundle a worker entry; the test runner's dev server serves
 * the same URL as transformed TypeScript. Keep them literal.
 */
export function defaultWorker(name: DaemonName): Worker {
  switch (name) {
    case 'hsmd':
      return new Worker(new URL('./workers/hsmd.worker.ts', import.meta.url), { type: 'module', name: 'boltworker-hsmd' });
    case 'connectd':
      return new Worker(new URL('./workers/connectd.worker.ts', import.meta.url), { type: 'module', name: 'boltworker-connectd' });
    case 'gossipd':
      return new Worker(new URL('./workers/gossipd.worker.ts', import.meta.url), { type: 'module', name: 'boltworker-gossipd' });
  }
}

export function spawnDaemon<T>(
  name: DaemonName,
  create: (name: DaemonName) => Worker,
  onError: (message: string) => void,
): DaemonWorker<T> {
  const worker = create(name);
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (ev: ErrorEvent) => {
      // A module that fails to load gives an ErrorEvent without a message.
      const message = `${name} Worker failed: ${ev.message || 'its module did not load (see the console)'}`;
      // Handled here (startNode rejects, or a 'daemon_error' event): not also an uncaught page error.
      ev.preventDefault();
      console.error(`boltworker: ${message}`);
      onError(message);
      reject(new WebNodeError('worker_failed', message));
    });
  });
  failed.catch(() => undefined);
  const api = Comlink.wrap<T>(worker);
  return {
    name,
    worker,
    api,
    failed,
    guard: p => Promise.race([p, failed]),
    terminate() {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
