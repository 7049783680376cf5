// onchaind as lightningd starts it, one instance per channel whose funding output is spent (the
// node table's `many`): it calls hsmd (this channel's onchain signing) and lightningd's events, and
// answers no link of its own.
import type { DaemonDefinition } from '../../node/daemon.ts';
import type { OnchaindSpec } from './interface.ts';
import { Onchaind } from './onchaind.ts';

export const daemon: DaemonDefinition<OnchaindSpec> = {
  kind: 'onchaind',
  async start(init, uses, env) {
    const o = await Onchaind.start(init, uses, env);
    return {
      api: o.api,
      serve(name) {
        throw new Error(`onchaind answers no link '${name}'`);
      },
      stop() {},
    };
  },
};
