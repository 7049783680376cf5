// connectd: every peer connection, its BOLT 8 transport, `init`, ping/pong and message routing.
export { Connectd } from './connectd.ts';
export { printableData } from './control.ts';
export { ConnectError, CONNECT_RPC_CODES, type AttemptFailure, type ConnectErrorCode } from './errors.ts';
export { CHANNEL_ID_OFFSET, GOSSIP_TYPES, NOT_OFFERED_TYPES, routeMessage, type Route } from './routing.ts';
export { decodeAddressDescriptor, encodeAddressDescriptor, formatNetAddress, isPublicIp, targetAddress } from './netaddr.ts';
export {
  DEFAULT_CONFIG,
  type ChannelOwner,
  type Clock,
  type ConnectdConfig,
  type ConnectdEvents,
  type ConnectdOptions,
  type ConnectResult,
  type Direction,
  type GossipLink,
  type Log,
  type PeerConnectedEvent,
  type PeerDisconnectedEvent,
  type PeerInfo,
  type PingResult,
} from './types.ts';
