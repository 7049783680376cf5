// Payments, the pure part: the final node's checks and HTLC sets (receive), a forwarding node's
// checks (forward), and the payer's session (send). BOLT 4, BOLT 7 "HTLC Fees", BOLT 11.
export {
  checkFinalHtlc,
  checkKeysendHtlc,
  finalPayload,
  type FinalContext,
  type FinalPayload,
  type FinalVerdict,
  type IncomingHtlc,
  type InvoiceTerms,
} from './final.ts';
export {
  HtlcSets,
  MAX_PARTS_HELD,
  MAX_PARTS_PER_SET,
  MPP_TIMEOUT_MS,
  type AddResult,
  type HeldPart,
  type HtlcSetOptions,
  type PartFailure,
} from './mpp.ts';
export {
  EXPIRY_GRACE_BLOCKS,
  MAX_HTLC_CLTV,
  checkForward,
  forwardFee,
  forwardPayload,
  type ForwardOptions,
  type ForwardPayload,
  type ForwardVerdict,
  type OutgoingChannel,
} from './forward.ts';
export { checkFailureUpdate, readFailureUpdate, type ExpectedUpdate, type UpdateVerdict } from './failure-update.ts';
export { failureAction, unattributableAction, type FailureAction } from './failure-action.ts';
export { RouteOverlay, halfKey, type OverlaySnapshot } from './overlay.ts';
export { planRoute, priceRoute, type PartRequest, type PathHop, type PayGraph, type PricedHop } from './route.ts';
export { buildPartOnion, hopPayloads, type FinalHopData, type PartOnion } from './onion-build.ts';
export { KEYSEND_TLV, keysendPreimage, keysendFinal } from './keysend.ts';
export { graphForPayments, PAY_RISKFACTOR } from './graph.ts';
export {
  DEFAULT_MAXDELAY,
  DEFAULT_RETRY_FOR_S,
  FINAL_CLTV_SLACK,
  MAX_PARTS_IN_FLIGHT,
  MIN_PART_MSAT,
  PAY_DESTINATION_PERM_FAIL,
  PAY_ROUTE_NOT_FOUND,
  PAY_STOPPED_RETRYING,
  PaySession,
  type LocalChannel,
  type OutgoingPart,
  type PartRecord,
  type PayEnv,
  type PayRequest,
  type PayResult,
  type PaySnapshot,
} from './session.ts';
export { withHints, type PrivateChannel } from './hints.ts';
export {
  aggregateRelays,
  blindedFee,
  blindedFinal,
  blindedRelay,
  pathIdFor,
  receivePath,
  type BlindedPayInfo,
  type BlindedRelayed,
  type PaymentRelay,
  type ReceivePathRequest,
  type RelayHop,
} from './blinded.ts';
