// The LDK interop harness: an LDK node in the test process, reachable over loopback TCP.
export { startLdkPeer, LdkPeer, type LdkPeerOptions, type LdkPeerDetails, type LdkNetwork } from './peer.ts';
export { type LdkMessageEvent, type LdkLogLine, parseMessageLine } from './log.ts';
export {
  type LdkGraphSnapshot,
  type LdkChannel,
  type LdkNode,
  type LdkChannelUpdateInfo,
  scidString,
  CHANNEL_ANNOUNCEMENT,
  NODE_ANNOUNCEMENT,
  CHANNEL_UPDATE,
} from './graph.ts';
export { loadLdk } from './wasm.ts';
