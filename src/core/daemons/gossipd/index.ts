// gossipd: import from here.
export { Gossipd } from './gossipd.ts';
export { parseMsat, gossipRpc, type GossipRpcMethod } from './rpc.ts';
export {
  DEFAULT_GOSSIPD_CONFIG,
  type ChainLink,
  type Txout,
  type GossipdConfig,
  type GossipdOptions,
  type GossipdStats,
  type PeerLink,
  type SyncProgress,
} from './types.ts';
