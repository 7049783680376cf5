// channeld as lightningd starts it, one instance per open channel and connection (the node
// table's `many`): it calls the peer (connectd), the channel's signer (hsmd) and lightningd's
// events, and answers connectd on its `peer` link with this channel's messages.
import { hsmdSigner, type ChannelSigner, type HsmdChannelLink } from '../../channel/signer.ts';
import type { DaemonDefinition, Remote } from '../../node/daemon.ts';
import { Channeld } from './channeld.ts';
import { PEER_LINK, type ChanneldSpec } from './interface.ts';

export const daemon: DaemonDefinition<ChanneldSpec> = {
  kind: 'channeld',
  start(init, uses, env) {
    const hsm = init.signer === 'hsmd' ? hsmdSigner(uses.hsm as Remote<HsmdChannelLink>) : (uses.hsm as Remote<ChannelSigner>);
    const c = new Channeld(init, { ...uses, hsm }, env);
    return {
      api: c.api,
      serve(name) {
        if (name !== PEER_LINK) throw new Error(`channeld answers no link '${name}'`);
        return c.owner;
      },
      stop() {},
    };
  },
};
