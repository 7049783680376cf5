// `boltworker/node`: the Node runtime (every daemon in a worker thread) and the bridge.
export { startNode, type NodeOptions, type RunningNode } from './node.ts';
export { startBridge, type BridgeOptions } from '../transports/bridge-server.ts';
export { RpcError } from '../core/daemons/lightningd/jsonrpc.ts';
