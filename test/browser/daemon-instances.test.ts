// Per-instance daemons through the browser platform: module Workers started by src/web/spawn.ts
// running the one generic host (src/web/workers/host.worker.ts).
import { installErrorTransfer } from '../../src/links/comlink-errors.ts';
import { defaultWorker, spawnHost } from '../../src/web/spawn.ts';
import { webLinks } from '../../src/web/worker-api.ts';
import { checkInstances } from '../support/daemon-instances.ts';

describe('daemon instances in module Workers', () => {
  it('two instances share one Worker, are linked, and stop one at a time', async () => {
    installErrorTransfer();
    const errors: string[] = [];
    await checkInstances(
      {
        links: webLinks,
        spawnHost: kind => spawnHost(kind, defaultWorker, m => errors.push(m)),
        ctx: { dataName: `instances-${crypto.randomUUID()}`, log: 'silent' },
      },
      new URL('../support/echod.ts', import.meta.url).href,
    );
    if (errors.length) throw new Error(errors.join('; '));
  });
});
