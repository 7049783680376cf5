// openingd as lightningd starts it, one instance per channel being opened (the node table's
// `many`): it calls the peer (connectd), the channel's signer (hsmd) and lightningd's events, and
// answers connectd on its `peer` link with this channel's messages.
import type { DaemonDefinition } from '../../node/daemon.ts';
import { PEER_LINK, type OpeningdSpec } from './interface.ts';
import { Openingd } from './openingd.ts';

export const daemon: DaemonDefinition<OpeningdSpec> = {
  kind: 'openingd',
  start(init, uses, env) {
    const o = new Openingd(init, uses, env);
    return {
      api: o.api,
      serve(name) {
        if (name !== PEER_LINK) throw new Error(`openingd answers no link '${name}'`);
        return o.owner;
      },
      stop() {},
    };
  },
};
