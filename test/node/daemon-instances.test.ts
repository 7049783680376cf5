// Per-instance daemons through the Node platform: worker threads started by src/node/workers/spawn.ts
// running the one generic host (src/node/workers/host.ts).
import { describe, it } from 'node:test';
import { installErrorTransfer } from '../../src/links/comlink-errors.ts';
import { nodeLinks } from '../../src/node/workers/links.ts';
import { spawnHost } from '../../src/node/workers/spawn.ts';
import { checkInstances } from '../support/daemon-instances.ts';

describe('daemon instances in worker threads', () => {
  it('two instances share one thread, are linked, and stop one at a time', async () => {
    installErrorTransfer();
    await checkInstances(
      { links: nodeLinks, spawnHost, ctx: { networkDir: '/nonexistent' } },
      new URL('../support/echod.ts', import.meta.url).href,
    );
  });
});
