// closingd as lightningd starts it, one instance per channel being closed (the node table's
// `many`): it calls the peer (connectd), the channel's signer (hsmd) and lightningd's events, and
// answers connectd on its `peer` link with this channel's messages.
import type { DaemonDefinition } from '../../node/daemon.ts';
import { Closingd } from './closingd.ts';
import { PEER_LINK, type ClosingdSpec } from './interface.ts';

export const daemon: DaemonDefinition<ClosingdSpec> = {
  kind: 'closingd',
  start(init, uses, env) {
    const c = new Closingd(init, uses, env);
    return {
      api: c.api,
      serve(name) {
        if (name !== PEER_LINK) throw new Error(`closingd answers no link '${name}'`);
        return c.owner;
      },
      stop() {},
    };
  },
};
