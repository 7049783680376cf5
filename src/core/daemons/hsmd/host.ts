// hsmd as the node assembly starts it: it loads (or creates) the node secret from the runtime's
// storage in its own realm, so the secret never crosses a port; lightningd may ask for the node id,
// and each link it answers is limited to the capabilities the node table gives that link.
import { toHex } from '../../base/bytes.ts';
import type { DaemonDefinition } from '../../node/daemon.ts';
import { Hsmd } from './hsmd.ts';
import { HSM_CAPABILITIES, type HsmCapability, type HsmdSpec } from './interface.ts';
import { HsmError } from './secret.ts';

function isCapability(c: string): c is HsmCapability {
  return HSM_CAPABILITIES.some(k => k === c);
}

export const daemon: DaemonDefinition<HsmdSpec> = {
  kind: 'hsmd',
  async start(init, _uses, env) {
    const root = await env.loadOrCreateSecret(init.recover);
    // The channels' signer state: opened (and read) before hsmd answers anything.
    const channels = await env.openChannelStore?.();
    const hsmd = new Hsmd(root.secretData, channels);
    root.secretData.fill(0); // Hsmd keeps what it derived
    const nodeId = toHex(hsmd.nodeId());
    let mnemonic = root.mnemonic;
    return {
      api: {
        nodeId: () => nodeId,
        takeMnemonic() {
          const m = mnemonic;
          mnemonic = undefined;
          return m;
        },
        walletXpub: type => hsmd.walletXpub(type),
        signWithdrawal: (psbt, inputs) => hsmd.signWithdrawal(psbt, inputs),
      },
      serve(name, caps) {
        const granted = caps.filter(isCapability);
        if (granted.length !== caps.length) throw new HsmError('unknown_capability', `hsmd has no such capability (link '${name}')`);
        return hsmd.linkFor(granted);
      },
      stop() {},
    };
  },
};
