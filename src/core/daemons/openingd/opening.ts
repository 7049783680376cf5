// BOLT 2 "Channel Establishment v1", both roles, pure: open_channel → accept_channel →
// funding_created → funding_signed (channel_ready is ready.ts). Each step takes the state as
// data and returns the next one with the message to send; the first commitments are built with
// BOLT 3 (src/core/channel/commitment.ts) and signed by the channel's ChannelSigner. Any refusal is
// an OpeningError: openingd sends it to the peer (errors.ts) and forgets the channel.
import { equal, toHex } from '../../base/bytes.ts';
import { obscuringFactor, type Basepoints } from '../../bolt3/index.ts';
import { buildFor, checkRemoteSignatures, fundingInput, type BuiltCommitment } from '../../channel/commitment.ts';
import { ChannelError } from '../../channel/errors.ts';
import type { ChannelSigner } from '../../channel/signer.ts';
import type { ChannelSetup } from '../hsmd/interface.ts';
import {
  openedChannel,
  type ChannelParams,
  type ChannelPolicy,
  type ChannelState,
  type CommitSpec,
  type SideParams,
} from '../../channel/state.ts';
import type { Owner } from '../../channel/spec.ts';
import { FeatureVector, isNegotiated } from '../../features/index.ts';
import { isValidShutdownScript, shutdownFeatures } from '../../channel/shutdown.ts';
import type { MessageOf } from '../../wire/messages.ts';
import { checkChannelType, type ChannelType } from './channel-type.ts';
import { OpeningError } from './errors.ts';
import { channelIdOf, displayTxid, fundingOutputOf, internalTxid, type FundingOutput } from './funding.ts';
import { checkFirstCommitment, checkFunding, checkPoint, checkReserves, checkSide, type Amounts, type OpeningPolicy } from './rules.ts';

/** What lightningd decided for this channel, whichever side opens it. */
export interface OpeningContext {
  chainHash: Uint8Array;
  /** Our `init` features and the peer's (BOLT 1). */
  ourFeatures: Uint8Array;
  theirFeatures: Uint8Array;
  /** What we propose: our keys (hsmd's basepoints for this peer and dbid) and our limits on the peer. */
  local: SideParams;
  /** Our bounds on what the peer proposes. */
  policy: OpeningPolicy;
  /** Our normal-operation policy, carried into the channel (src/core/channel). */
  channelPolicy: ChannelPolicy;
  /** Where our side of a mutual close must go (fundchannel's close_to), committed in upfront_shutdown_script when negotiated. */
  upfrontShutdownScript?: Uint8Array;
}

/** The opener's choices (lightningd's fundchannel). */
export interface OpenRequest {
  /** BOLT 2: "MUST ensure `temporary_channel_id` is unique from any other channel ID with the same peer." */
  temporaryChannelId: Uint8Array;
  fundingSatoshis: bigint;
  pushMsat: bigint;
  feeratePerKw: number;
  channelType: Uint8Array;
  announce: boolean;
}

/** Both proposals, once accept_channel is in. */
export interface Deal extends Amounts {
  temporaryChannelId: Uint8Array;
  channelType: ChannelType;
  channelFlags: number;
  minimumDepth: number;
  opener: SideParams;
  accepter: SideParams;
  openerFirstPoint: Uint8Array;
  accepterFirstPoint: Uint8Array;
  /** Each side's non-empty upfront_shutdown_script, when both advertised option_upfront_shutdown_script. */
  localUpfront?: Uint8Array;
  remoteUpfront?: Uint8Array;
}

export type Opening =
  | { stage: 'awaiting_accept_channel'; ctx: OpeningContext; open: MessageOf<'open_channel'>; amounts: Amounts; channelType: ChannelType }
  | { stage: 'awaiting_funding_outpoint'; ctx: OpeningContext; deal: Deal }
  | { stage: 'awaiting_funding_signed'; ctx: OpeningContext; deal: Deal; params: ChannelParams }
  | { stage: 'awaiting_funding_created'; ctx: OpeningContext; deal: Deal };

/** A channel whose first commitments both sides hold signed: what lightningd persists, and channel_ready's start. */
export interface Funded {
  params: ChannelParams;
  channelType: Uint8Array;
  channelFlags: number;
  minimumDepth: number;
  /** Our balance on both first commitments. */
  toLocalMsat: bigint;
  feeratePerKw: number;
  /** The peer's signature on our commitment 0 (compact): what makes it broadcastable. */
  localCommitSignature: Uint8Array;
  localFirstPerCommitmentPoint: Uint8Array;
  remoteFirstPerCommitmentPoint: Uint8Array;
  /**
   * BOLT 2 option_upfront_shutdown_script: where our side of a mutual close must go, and the peer's,
   * each when committed (non-empty) with the feature negotiated (channeld enforces both at shutdown).
   */
  localUpfront?: Uint8Array;
  remoteUpfront?: Uint8Array;
}

function sideOf(m: MessageOf<'open_channel'> | MessageOf<'accept_channel'>): SideParams {
  return {
    fundingPubkey: m.funding_pubkey,
    basepoints: {
      revocationBasepoint: m.revocation_basepoint,
      paymentBasepoint: m.payment_basepoint,
      delayedPaymentBasepoint: m.delayed_payment_basepoint,
      htlcBasepoint: m.htlc_basepoint,
    },
    dustLimitSatoshis: m.dust_limit_satoshis,
    maxHtlcValueInFlightMsat: m.max_htlc_value_in_flight_msat,
    channelReserveSatoshis: m.channel_reserve_satoshis,
    htlcMinimumMsat: m.htlc_minimum_msat,
    toSelfDelay: m.to_self_delay,
    maxAcceptedHtlcs: m.max_accepted_htlcs,
  };
}

/** The fields open_channel and accept_channel share, from one side's proposal. */
function fieldsOf(p: SideParams, firstPoint: Uint8Array) {
  const b: Basepoints = p.basepoints;
  return {
    dust_limit_satoshis: p.dustLimitSatoshis,
    max_htlc_value_in_flight_msat: p.maxHtlcValueInFlightMsat,
    channel_reserve_satoshis: p.channelReserveSatoshis,
    htlc_minimum_msat: p.htlcMinimumMsat,
    to_self_delay: p.toSelfDelay,
    max_accepted_htlcs: p.maxAcceptedHtlcs,
    funding_pubkey: p.fundingPubkey,
    revocation_basepoint: b.revocationBasepoint,
    payment_basepoint: b.paymentBasepoint,
    delayed_payment_basepoint: b.delayedPaymentBasepoint,
    htlc_basepoint: b.htlcBasepoint,
    first_per_commitment_point: firstPoint,
  };
}

const upfrontNegotiated = (ctx: OpeningContext) =>
  isNegotiated(FeatureVector.fromBytes(ctx.ourFeatures), FeatureVector.fromBytes(ctx.theirFeatures), 'option_upfront_shutdown_script');

/** Our upfront script if we commit to one and both advertised option_upfront_shutdown_script (else none: the TLV is empty). */
function ourUpfront(ctx: OpeningContext): Uint8Array | undefined {
  const script = ctx.upfrontShutdownScript;
  if (!script || script.length === 0 || !upfrontNegotiated(ctx)) return undefined;
  // The sender: "a valid `shutdown_scriptpubkey` as required by `shutdown` `scriptpubkey`" (a
  // taproot close_to needs option_shutdown_anysegwit negotiated).
  checkUpfrontForm(ctx, script, 'our');
  return script;
}

function checkUpfrontForm(ctx: OpeningContext, script: Uint8Array, whose: string): void {
  const features = shutdownFeatures(FeatureVector.fromBytes(ctx.ourFeatures), FeatureVector.fromBytes(ctx.theirFeatures));
  if (!isValidShutdownScript(script, features)) {
    throw new OpeningError(
      'bad_upfront_shutdown_script',
      `${whose} upfront_shutdown_script ${toHex(script)} is not a valid shutdown scriptpubkey`,
    );
  }
}

/**
 * The peer's upfront_shutdown_script, kept when both advertised option_upfront_shutdown_script
 * and it is not empty. The sender "MUST include `upfront_shutdown_script` with either a valid
 * `shutdown_scriptpubkey` as required by `shutdown` `scriptpubkey`, or a zero-length
 * `shutdown_scriptpubkey`": another form fails the open.
 */
function theirUpfront(ctx: OpeningContext, m: MessageOf<'open_channel'> | MessageOf<'accept_channel'>): Uint8Array | undefined {
  const script = m.tlvs?.upfront_shutdown_script?.shutdown_scriptpubkey;
  if (!script || script.length === 0 || !upfrontNegotiated(ctx)) return undefined;
  checkUpfrontForm(ctx, script, `${m.name}'s`);
  return script;
}

/**
 * BOLT 2 open_channel, the sender: "if it includes `open_channel_tlvs`: MUST include
 * `upfront_shutdown_script`" (empty unless we commit to an address with the feature negotiated:
 * "MUST include `upfront_shutdown_script` with either a valid `shutdown_scriptpubkey` ... or a
 * zero-length `shutdown_scriptpubkey`") and "MUST set `channel_type`".
 */
function tlvsFor(channelType: ChannelType, ctx: OpeningContext) {
  const script = ourUpfront(ctx) ?? new Uint8Array(0);
  return { upfront_shutdown_script: { shutdown_scriptpubkey: script }, channel_type: { type: channelType.bytes } };
}

/** Each side's upfront script for the deal (see ourUpfront and theirUpfront). */
function upfrontsOf(ctx: OpeningContext, m: MessageOf<'open_channel'> | MessageOf<'accept_channel'>) {
  const local = ourUpfront(ctx);
  const remote = theirUpfront(ctx, m);
  return { ...(local ? { localUpfront: local } : {}), ...(remote ? { remoteUpfront: remote } : {}) };
}

function largeChannel(ctx: OpeningContext): boolean {
  return isNegotiated(FeatureVector.fromBytes(ctx.ourFeatures), FeatureVector.fromBytes(ctx.theirFeatures), 'option_support_large_channel');
}

function typeContext(ctx: OpeningContext, announce: boolean, trustZeroconf: boolean) {
  return { ours: FeatureVector.fromBytes(ctx.ourFeatures), theirs: FeatureVector.fromBytes(ctx.theirFeatures), announce, trustZeroconf };
}

// ---- The opener ----

/**
 * We open: lightningd's choices are checked as the receiver will check them (the sending node's
 * MUSTs), then open_channel carries them with our first per_commitment_point (BOLT 2: "MUST set
 * `first_per_commitment_point` to the per-commitment point to be used for the initial commitment
 * transaction").
 */
export function openChannel(
  ctx: OpeningContext,
  req: OpenRequest,
  firstPoint: Uint8Array,
): { state: Opening; message: MessageOf<'open_channel'> } {
  // The opener trusts its own zeroconf channel; the accepter decides whether it trusts us.
  const channelType = checkChannelType(req.channelType, typeContext(ctx, req.announce, true));
  const amounts: Amounts = {
    fundingSatoshis: req.fundingSatoshis,
    pushMsat: req.pushMsat,
    feeratePerKw: req.feeratePerKw,
    anchors: channelType.anchors,
    largeChannel: largeChannel(ctx),
  };
  checkFunding(amounts, ctx.policy);
  checkSide(ctx.local, ctx.policy, 'our');
  const message: MessageOf<'open_channel'> = {
    name: 'open_channel',
    chain_hash: ctx.chainHash,
    temporary_channel_id: req.temporaryChannelId,
    funding_satoshis: req.fundingSatoshis,
    push_msat: req.pushMsat,
    feerate_per_kw: req.feeratePerKw,
    ...fieldsOf(ctx.local, firstPoint),
    // "MUST set undefined bits in `channel_flags` to 0."
    channel_flags: req.announce ? 1 : 0,
    tlvs: tlvsFor(channelType, ctx),
  };
  return { state: { stage: 'awaiting_accept_channel', ctx, open: message, amounts, channelType }, message };
}

/** The peer accepts: its proposal checked against ours (BOLT 2 accept_channel, "The receiver"). */
export function receiveAcceptChannel(s: Opening, m: MessageOf<'accept_channel'>): { state: Opening; funding: FundingOutput } {
  if (s.stage !== 'awaiting_accept_channel') throw new OpeningError('unexpected_message', `accept_channel while ${s.stage}`);
  const { ctx, open } = s;
  // "The `temporary_channel_id` MUST be the same as the `temporary_channel_id` in the `open_channel` message."
  if (!equal(m.temporary_channel_id, open.temporary_channel_id)) {
    throw new OpeningError('temporary_channel_id', 'accept_channel names another temporary_channel_id');
  }
  // "if the message doesn't include a `channel_type`: MUST fail the channel."
  const type = m.tlvs?.channel_type?.type;
  if (!type) throw new OpeningError('channel_type_missing', 'accept_channel has no channel_type');
  // "if `channel_type` does not match the `channel_type` from `open_channel`: MUST fail the channel."
  if (!equal(type, s.channelType.bytes)) {
    throw new OpeningError(
      'channel_type_mismatch',
      `accept_channel channel_type ${toHex(type)} is not ours, ${toHex(s.channelType.bytes)}`,
    );
  }
  // "if `minimum_depth` is unreasonably large: MAY fail the channel."
  if (m.minimum_depth > ctx.policy.maxMinimumDepth) {
    throw new OpeningError('minimum_depth_too_large', `minimum_depth ${m.minimum_depth} is over ${ctx.policy.maxMinimumDepth}`);
  }
  const theirs = sideOf(m);
  // "Other fields have the same requirements as their counterparts in `open_channel`."
  checkSide(theirs, ctx.policy, 'accept_channel');
  checkPoint(m.first_per_commitment_point, 'accept_channel first_per_commitment_point');
  checkReserves(ctx.local, theirs);
  checkFirstCommitment(s.amounts, ctx.local, theirs);
  const deal: Deal = {
    ...s.amounts,
    temporaryChannelId: open.temporary_channel_id,
    channelType: s.channelType,
    channelFlags: open.channel_flags,
    minimumDepth: m.minimum_depth,
    opener: ctx.local,
    accepter: theirs,
    openerFirstPoint: open.first_per_commitment_point,
    accepterFirstPoint: m.first_per_commitment_point,
    ...upfrontsOf(ctx, m),
  };
  return { state: { stage: 'awaiting_funding_outpoint', ctx, deal }, funding: fundingOutputOf(deal) };
}

function paramsOf(ctx: OpeningContext, deal: Deal, localIsOpener: boolean, txid: Uint8Array, outputIndex: number): ChannelParams {
  return {
    channelId: channelIdOf(txid, outputIndex),
    fundingTxid: displayTxid(txid),
    fundingOutputIndex: outputIndex,
    fundingSatoshis: deal.fundingSatoshis,
    anchors: deal.channelType.anchors,
    localIsOpener,
    // BOLT 3: "SHA256(payment_basepoint from open_channel || payment_basepoint from accept_channel)".
    obscuringFactor: obscuringFactor(deal.opener.basepoints.paymentBasepoint, deal.accepter.basepoints.paymentBasepoint),
    local: localIsOpener ? deal.opener : deal.accepter,
    remote: localIsOpener ? deal.accepter : deal.opener,
    policy: ctx.channelPolicy,
  };
}

/**
 * What a validating signer (hsmd) is told of the channel before it signs anything for it (Core
 * Lightning's hsmd_setup_channel): known once the funding outpoint is, before commitment 0 is signed.
 */
export function signerSetupOf(params: ChannelParams): ChannelSetup {
  return {
    isOpener: params.localIsOpener,
    fundingTxid: params.fundingTxid,
    fundingOutputIndex: params.fundingOutputIndex,
    fundingSatoshis: params.fundingSatoshis,
    anchors: params.anchors,
    remoteFundingPubkey: params.remote.fundingPubkey,
    remoteBasepoints: params.remote.basepoints,
    // SideParams.toSelfDelay is what that side asks of the other's to-self outputs.
    holderToSelfDelay: params.remote.toSelfDelay,
    counterpartyToSelfDelay: params.local.toSelfDelay,
  };
}

/** Commitment 0 of `owner`: the opener keeps funding less push_msat, the accepter push_msat. */
function firstCommitment(params: ChannelParams, deal: Deal, owner: Owner, point: Uint8Array): BuiltCommitment {
  const openerMsat = deal.fundingSatoshis * 1000n - deal.pushMsat;
  const ownerIsOpener = (owner === 'local') === params.localIsOpener;
  const spec: CommitSpec = {
    htlcs: [],
    toLocalMsat: ownerIsOpener ? openerMsat : deal.pushMsat,
    toRemoteMsat: ownerIsOpener ? deal.pushMsat : openerMsat,
    feeratePerKw: deal.feeratePerKw,
  };
  return buildFor(params, owner, spec, 0n, point);
}

/** Our signature on the peer's commitment 0 (BOLT 2: "`signature` to the valid signature, using its `funding_pubkey` for the initial commitment transaction"). */
async function signTheirs(params: ChannelParams, deal: Deal, theirPoint: Uint8Array, signer: ChannelSigner): Promise<Uint8Array> {
  const built = firstCommitment(params, deal, 'remote', theirPoint);
  return signer.signRemoteCommitment({ ...fundingInput(params, built), commitmentNumber: 0n });
}

/**
 * funding_created and funding_signed, "The recipient: if `signature` is incorrect OR non-compliant
 * with LOW-S-standard rule: MUST send a `warning` and close the connection, or send an `error` and
 * fail the channel": we fail the channel, which does not exist for us yet.
 */
function checkTheirSignature(params: ChannelParams, deal: Deal, ourPoint: Uint8Array, signature: Uint8Array, what: string): void {
  try {
    checkRemoteSignatures(params, firstCommitment(params, deal, 'local', ourPoint), signature, []);
  } catch (e) {
    if (e instanceof ChannelError) throw new OpeningError('bad_funding_signature', `${what} signature does not sign our commitment 0`);
    throw e;
  }
}

/**
 * The funding transaction is built (not broadcast: funding_created "MUST NOT broadcast this
 * transaction") and pays `fundingOutputOf` at `outputIndex`: we sign the peer's commitment 0.
 */
export async function createFunding(
  s: Opening,
  outpoint: { txid: string; outputIndex: number },
  signer: ChannelSigner,
): Promise<{ state: Opening; message: MessageOf<'funding_created'> }> {
  if (s.stage !== 'awaiting_funding_outpoint') throw new OpeningError('unexpected_message', `funding outpoint while ${s.stage}`);
  // "The `funding_output_index` can only be 2 bytes."
  if (!Number.isInteger(outpoint.outputIndex) || outpoint.outputIndex < 0 || outpoint.outputIndex > 0xffff) {
    throw new OpeningError('bad_message', `funding output index ${outpoint.outputIndex} is not a u16`);
  }
  const txid = internalTxid(outpoint.txid);
  const params = paramsOf(s.ctx, s.deal, true, txid, outpoint.outputIndex);
  await signer.setupChannel?.(signerSetupOf(params));
  const signature = await signTheirs(params, s.deal, s.deal.accepterFirstPoint, signer);
  return {
    state: { stage: 'awaiting_funding_signed', ctx: s.ctx, deal: s.deal, params },
    message: {
      name: 'funding_created',
      temporary_channel_id: s.deal.temporaryChannelId,
      funding_txid: txid,
      funding_output_index: outpoint.outputIndex,
      signature,
    },
  };
}

function fundedOf(deal: Deal, params: ChannelParams, localCommitSignature: Uint8Array): Funded {
  const openerMsat = deal.fundingSatoshis * 1000n - deal.pushMsat;
  return {
    params,
    channelType: deal.channelType.bytes,
    channelFlags: deal.channelFlags,
    minimumDepth: deal.minimumDepth,
    toLocalMsat: params.localIsOpener ? openerMsat : deal.pushMsat,
    feeratePerKw: deal.feeratePerKw,
    localCommitSignature,
    localFirstPerCommitmentPoint: params.localIsOpener ? deal.openerFirstPoint : deal.accepterFirstPoint,
    remoteFirstPerCommitmentPoint: params.localIsOpener ? deal.accepterFirstPoint : deal.openerFirstPoint,
    ...(deal.localUpfront ? { localUpfront: deal.localUpfront } : {}),
    ...(deal.remoteUpfront ? { remoteUpfront: deal.remoteUpfront } : {}),
  };
}

/**
 * The peer signs our commitment 0. Only now may the funding transaction be broadcast (BOLT 2
 * funding_signed: "MUST NOT broadcast the funding transaction before receipt of a valid
 * `funding_signed`").
 */
export function receiveFundingSigned(s: Opening, m: MessageOf<'funding_signed'>): Funded {
  if (s.stage !== 'awaiting_funding_signed') throw new OpeningError('unexpected_message', `funding_signed while ${s.stage}`);
  // funding_signed, the sender: "MUST set `channel_id` by exclusive-OR of the `funding_txid` and
  // the `funding_output_index` from the `funding_created` message."
  if (!equal(m.channel_id, s.params.channelId)) {
    throw new OpeningError('channel_id', `funding_signed names channel ${toHex(m.channel_id)}, not ${toHex(s.params.channelId)}`);
  }
  checkTheirSignature(s.params, s.deal, s.deal.openerFirstPoint, m.signature, 'funding_signed');
  return fundedOf(s.deal, s.params, m.signature);
}

// ---- The accepter ----

/**
 * The peer opens (BOLT 2 open_channel, "The receiving node"): its proposal checked, ours answered
 * in accept_channel. `minimumDepth` is lightningd's; with option_zeroconf it is 0 (accept_channel,
 * the sender: "if `channel_type` includes `option_zeroconf`: MUST set `minimum_depth` to zero").
 */
export function receiveOpenChannel(
  ctx: OpeningContext,
  m: MessageOf<'open_channel'>,
  firstPoint: Uint8Array,
  minimumDepth: number,
): { state: Opening; message: MessageOf<'accept_channel'> } {
  // "the `chain_hash` value is set to a hash of a chain that is unknown to the receiver."
  if (!equal(m.chain_hash, ctx.chainHash)) throw new OpeningError('unknown_chain', `open_channel for chain ${toHex(m.chain_hash)}`);
  // "if the message doesn't include a `channel_type`: fail the channel."
  const type = m.tlvs?.channel_type?.type;
  if (!type) throw new OpeningError('channel_type_missing', 'open_channel has no channel_type');
  // "if `option_dual_fund` has been negotiated: fail the channel" (open_channel2 is the way then).
  if (isNegotiated(FeatureVector.fromBytes(ctx.ourFeatures), FeatureVector.fromBytes(ctx.theirFeatures), 'option_dual_fund')) {
    throw new OpeningError('dual_fund_negotiated', 'option_dual_fund was negotiated: open_channel2, not open_channel');
  }
  // "MUST ignore undefined bits in `channel_flags`": only announce_channel is read.
  const channelType = checkChannelType(type, typeContext(ctx, (m.channel_flags & 1) === 1, ctx.policy.trustZeroconf));
  const amounts: Amounts = {
    fundingSatoshis: m.funding_satoshis,
    pushMsat: m.push_msat,
    feeratePerKw: m.feerate_per_kw,
    anchors: channelType.anchors,
    largeChannel: largeChannel(ctx),
  };
  checkFunding(amounts, ctx.policy);
  const theirs = sideOf(m);
  checkSide(theirs, ctx.policy, 'open_channel');
  checkPoint(m.first_per_commitment_point, 'open_channel first_per_commitment_point');
  // accept_channel, the sender: "MUST set `channel_reserve_satoshis` greater than or equal to
  // `dust_limit_satoshis` from the `open_channel` message" (we raise ours to it).
  const ours: SideParams = {
    ...ctx.local,
    channelReserveSatoshis:
      ctx.local.channelReserveSatoshis < theirs.dustLimitSatoshis ? theirs.dustLimitSatoshis : ctx.local.channelReserveSatoshis,
  };
  checkSide(ours, ctx.policy, 'our');
  // "MUST set `dust_limit_satoshis` less than or equal to `channel_reserve_satoshis` from the
  // `open_channel` message": when it asks us to keep less than our dust limit, we cannot.
  checkReserves(theirs, ours);
  checkFirstCommitment(amounts, theirs, ours);
  const depth = channelType.zeroconf ? 0 : minimumDepth;
  const deal: Deal = {
    ...amounts,
    temporaryChannelId: m.temporary_channel_id,
    channelType,
    channelFlags: m.channel_flags,
    minimumDepth: depth,
    opener: theirs,
    accepter: ours,
    openerFirstPoint: m.first_per_commitment_point,
    accepterFirstPoint: firstPoint,
    ...upfrontsOf(ctx, m),
  };
  const message: MessageOf<'accept_channel'> = {
    name: 'accept_channel',
    temporary_channel_id: m.temporary_channel_id,
    minimum_depth: depth,
    ...fieldsOf(ours, firstPoint),
    // "MUST set `channel_type` to the `channel_type` from `open_channel`."
    tlvs: tlvsFor(channelType, ctx),
  };
  return { state: { stage: 'awaiting_funding_created', ctx, deal }, message };
}

/**
 * The opener signs our commitment 0: we check it before we sign theirs (funding_created, "The
 * recipient"), then answer funding_signed naming the channel by its channel_id. The caller persists
 * `funded` before it sends `message` (issue 13, "Persist before send").
 */
export async function receiveFundingCreated(
  s: Opening,
  m: MessageOf<'funding_created'>,
  signer: ChannelSigner,
): Promise<{ funded: Funded; message: MessageOf<'funding_signed'> }> {
  if (s.stage !== 'awaiting_funding_created') throw new OpeningError('unexpected_message', `funding_created while ${s.stage}`);
  // funding_created, the sender MUST set "`temporary_channel_id` the same as the `temporary_channel_id` in the `open_channel` message".
  if (!equal(m.temporary_channel_id, s.deal.temporaryChannelId)) {
    throw new OpeningError('temporary_channel_id', 'funding_created names another temporary_channel_id');
  }
  const params = paramsOf(s.ctx, s.deal, false, m.funding_txid, m.funding_output_index);
  checkTheirSignature(params, s.deal, s.deal.accepterFirstPoint, m.signature, 'funding_created');
  await signer.setupChannel?.(signerSetupOf(params));
  const signature = await signTheirs(params, s.deal, s.deal.openerFirstPoint, signer);
  return {
    funded: fundedOf(s.deal, params, m.signature),
    message: { name: 'funding_signed', channel_id: params.channelId, signature },
  };
}
