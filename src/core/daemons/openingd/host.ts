// openingd as lightningd starts it, one instance per channel being opened (the node table's
// `many`): it calls the peer (connectd), the channel's signer (hsmd, through hsmdSigner) and lightningd's events, and
// answers connectd on its `peer` link with this channel's messages.
import type { DaemonDefinition } from '../../node/daemon.ts';
import { PEER_LINK, type OpeningdSpec } from './interface.ts';
import { Openingd } from './openingd.ts';
import { hsmdSigner } from '../../channel/signer.ts';

export const daemon: DaemonDefinition<OpeningdSpec> = {
  kind: 'openingd',
  start(init, uses, env) {
    // hsmd's link for this channel only (lightningd asked hsmd for it): plain data crosses the port.
    const o = new Openingd(init, { ...uses, hsm: hsmdSigner(uses.hsm) }, env);
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
