// A daemon host in a module Worker (core/node/platform.ts HostHandle), answering on the Worker's
// own port: lightningd's control and its main daemon's API.
import type { HostControl } from '../core/node/host.ts';
import type { HostHandle } from '../core/node/platform.ts';
import { WebNodeError } from './errors.ts';
import { wrapEndpoint } from '../links/comlink-links.ts';
import type { WebHostCtx } from './worker-api.ts';

/** The daemon kind a Worker is made for (core/node/daemons.ts), also its Worker's name. */
export type DaemonName = string;

/**
 * The literal `new Worker(new URL('./workers/host.worker.ts', import.meta.url), { type: 'module' })`
 * is what Vite (and other bundlers) recognise to bundle a worker entry; the test runner's dev
 * server serves the same URL as transformed TypeScript. Keep it literal.
 */
export function defaultWorker(name: DaemonName): Worker {
  return new Worker(new URL('./workers/host.worker.ts', import.meta.url), { type: 'module', name: `boltworker-${name}` });
}

export function spawnHost(
  name: DaemonName,
  create: (name: DaemonName) => Worker,
  onError: (message: string) => void,
): HostHandle<MessagePort, WebHostCtx> {
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
  return {
    control: wrapEndpoint<HostControl<MessagePort, WebHostCtx>>(worker),
    main: () => wrapEndpoint(worker),
    failed,
    async terminate() {
      worker.terminate();
    },
  };
}
