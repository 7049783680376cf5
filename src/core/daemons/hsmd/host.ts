// hsmd as the node assembly starts it: it loads (or creates) the node secret from the runtime's
// storage in its own realm, so the secret never crosses a port; lightningd may ask for the node id,
// and each link it answers is limited to the capabilities the node table gives that link.
import { fromHex, toHex } from '../../base/bytes.ts';
import type { DaemonDefinition } from '../../node/daemon.ts';
import { Hsmd } from './hsmd.ts';
import {
  CHANNEL_CAPABILITIES,
  CHANNEL_LINK,
  HSM_CAPABILITIES,
  type ChannelLinkArgs,
  type HsmCapability,
  type HsmdSpec,
} from './interface.ts';
import { HsmError } from './secret.ts';
import { PeerBackupCipher } from './peer-backup.ts';

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
    const backups = new PeerBackupCipher(root.secretData, n => env.randomBytes(n));
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
        signMessage: message => hsmd.signMessage(message),
        signInvoice: (hrp, data) => hsmd.signInvoice(hrp, data),
        ecdh: pub => hsmd.ecdh(pub),
        signChannelUpdate: msg => hsmd.signChannelUpdate(msg),
        signNodeAnnouncement: msg => hsmd.signNodeAnnouncement(msg),
        channelBasepoints: (peerId, dbid) => hsmd.channelBasepoints(fromHex(peerId), dbid),
        getPerCommitmentPoint: (peerId, dbid, n) => hsmd.getPerCommitmentPoint(fromHex(peerId), dbid, n),
        signLocalCommitment: (peerId, dbid, tx) => hsmd.signLocalCommitment(fromHex(peerId), dbid, tx),
        signAnchorSpend: async (peerId, dbid, req) => (await hsmd.signSweep(fromHex(peerId), dbid, { ...req, kind: 'anchor' })).signature,
        sealPeerBackup: plaintext => backups.seal(plaintext),
        openPeerBackup: blob => backups.open(blob),
        signRecoveredToRemote: (peerId, dbid, req) => hsmd.signRecoveredToRemote(fromHex(peerId), dbid, req),
      },
      serve(name, caps) {
        const granted = caps.filter(isCapability);
        if (granted.length !== caps.length) throw new HsmError('unknown_capability', `hsmd has no such capability (link '${name}')`);
        return hsmd.linkFor(granted);
      },
      // lightningd's request for one channel's signer (Core Lightning's hsmd client per channel
      // daemon): this channel only, the channel capabilities only; `caps` can only narrow them.
      attach(name, _key, args, _link) {
        if (name !== CHANNEL_LINK) throw new HsmError('bad_request', `hsmd takes no link '${name}' after start`);
        const a = args as ChannelLinkArgs;
        if (!a || typeof a.peerId !== 'string' || !/^[0-9a-f]{66}$/.test(a.peerId))
          throw new HsmError('bad_request', 'a channel link needs peerId');
        return hsmd.linkForChannel(fromHex(a.peerId), a.dbid, a.caps ?? CHANNEL_CAPABILITIES);
      },
      stop() {},
    };
  },
};
