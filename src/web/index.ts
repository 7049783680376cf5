// 'boltworker/web': a Lightning node in a browser tab (lightningd in the page, each daemon in a
// module Worker).
export { startNode, BOLTWORKER_VERSION, type WebNode, type WebNodeOptions } from './node.ts';
export type { WebNodeEvents, WebNodeEventName, Listener } from './events.ts';
export { WebNodeError } from './errors.ts';
export type { DaemonName } from './spawn.ts';
export type { LogLevel } from './worker-api.ts';
export { RpcError } from '../core/daemons/lightningd/jsonrpc.ts';
export {
  webln,
  enableWebLN,
  WebLNError,
  type WebLNProvider,
  type WebLNOptions,
  type WebLNNode,
  type GetInfoResponse,
  type SendPaymentResponse,
  type RequestInvoiceArgs,
  type RequestInvoiceResponse,
  type KeysendArgs,
  type SignMessageResponse,
  type VerifyMessageResponse,
} from './webln.ts';
