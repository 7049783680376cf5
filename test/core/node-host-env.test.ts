// envByKind (src/core/node/host.ts): what a runtime's host gives each kind, from the common env and
// the runtime's envs by kind (typed by each daemon's interface.ts).
import { equal, ok } from '../support/assert.ts';
import type { DaemonEnv } from '../../src/core/node/daemon.ts';
import { envByKind } from '../../src/core/node/host.ts';
import { FakeClock } from '../support/fake-clock.ts';

const quiet = { debug() {}, info() {}, warn() {} };

describe('envByKind: each kind its env, from the common one', () => {
  const seen: string[] = [];
  const base = (kind: string, ctx: { dir: string }): DaemonEnv => {
    seen.push(`${kind}@${ctx.dir}`);
    return { clock: new FakeClock(), log: quiet, randomBytes: n => new Uint8Array(n) };
  };
  const env = envByKind<{ dir: string }>(base, {
    hsmd: (b, ctx) => ({ ...b, loadOrCreateSecret: async () => ({ secretData: new TextEncoder().encode(ctx.dir) }) }),
  });

  it('a kind the runtime names gets its own env on top of the common one, with the context', async () => {
    const e = (await env('hsmd', { dir: 'd1' })) as DaemonEnv & { loadOrCreateSecret(): Promise<{ secretData: Uint8Array }> };
    ok(e.clock instanceof FakeClock, 'the common env is kept');
    equal(new TextDecoder().decode((await e.loadOrCreateSecret()).secretData), 'd1');
    equal(seen.at(-1), 'hsmd@d1', 'the common env is made for that kind');
  });

  it('a kind it does not name, in the table or not, gets the common env alone', async () => {
    for (const kind of ['connectd', 'echod', 'toString', '__proto__']) {
      const e = await env(kind, { dir: 'd2' });
      equal(Object.keys(e).sort().join(','), 'clock,log,randomBytes', kind);
    }
  });
});
