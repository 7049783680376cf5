// BOLT 2 "The channel_ready Message", both roles: once the funding is deep enough (or at once with
// option_zeroconf), each side sends its second per_commitment_point; with the peer's, the channel
// enters normal operation (src/core/channel).
import { equal, toHex } from '../../base/bytes.ts';
import { buildFor, type BuiltCommitment } from '../../channel/commitment.ts';
import type { ChannelSigner } from '../../channel/signer.ts';
import { openedChannel, type ChannelState, type CommitSpec } from '../../channel/state.ts';
import { FeatureVector } from '../../features/index.ts';
import type { MessageOf } from '../../wire/messages.ts';
import { SCID_ALIAS } from './channel-type.ts';
import { OpeningError } from './errors.ts';
import type { Funded } from './opening.ts';
import { checkPoint } from './rules.ts';

/** Whether channel_ready must carry an alias: option_scid_alias is in the channel_type. */
export function needsAlias(f: Funded): boolean {
  return FeatureVector.fromBytes(f.channelType).isSet(SCID_ALIAS);
}

/**
 * BOLT 2 channel_ready, the sender: "MUST set `second_per_commitment_point` to the per-commitment
 * point to be used for commitment transaction #1"; "if `option_scid_alias` was negotiated: MUST
 * set `short_channel_id` `alias`" (lightningd picks it).
 */
export async function channelReady(f: Funded, signer: ChannelSigner, alias?: bigint): Promise<MessageOf<'channel_ready'>> {
  if (needsAlias(f) && alias === undefined) throw new Error('option_scid_alias needs an alias in channel_ready');
  return {
    name: 'channel_ready',
    channel_id: f.params.channelId,
    second_per_commitment_point: await signer.perCommitmentPoint(1n),
    ...(alias !== undefined ? { tlvs: { short_channel_id: { alias } } } : {}),
  };
}

/** The peer's channel_ready: the channel in normal operation (src/core/channel), commitment 0 on both sides. */
export function receiveChannelReady(f: Funded, m: MessageOf<'channel_ready'>): ChannelState {
  if (!equal(m.channel_id, f.params.channelId)) {
    throw new OpeningError('channel_id', `channel_ready names channel ${toHex(m.channel_id)}, not ${toHex(f.params.channelId)}`);
  }
  checkPoint(m.second_per_commitment_point, 'channel_ready second_per_commitment_point');
  return openedChannel({
    params: f.params,
    toLocalMsat: f.toLocalMsat,
    feeratePerKw: f.feeratePerKw,
    localCommitSignature: f.localCommitSignature,
    remoteFirstPerCommitmentPoint: f.remoteFirstPerCommitmentPoint,
    remoteSecondPerCommitmentPoint: m.second_per_commitment_point,
  });
}

/** Our commitment 0, unsigned, as both first commitments were built (for the funded channel's first broadcastable state). */
export function localFirstCommitment(f: Funded): BuiltCommitment {
  const spec: CommitSpec = {
    htlcs: [],
    toLocalMsat: f.toLocalMsat,
    toRemoteMsat: f.params.fundingSatoshis * 1000n - f.toLocalMsat,
    feeratePerKw: f.feeratePerKw,
  };
  return buildFor(f.params, 'local', spec, 0n, f.localFirstPerCommitmentPoint);
}

/**
 * Our commitment 0 as the peer signed it (funding_signed, or funding_created for the accepter) goes
 * to a validating signer before anything depends on it: hsmd then knows the first state it may sign
 * for broadcast, and will reveal its secret only once commitment 1 replaced it.
 */
export async function validateFirstCommitment(f: Funded, signer: ChannelSigner): Promise<void> {
  if (!signer.validateCommitment) return;
  const built = localFirstCommitment(f);
  await signer.validateCommitment({
    commitmentNumber: 0n,
    tx: built.commitment.tx,
    signature: f.localCommitSignature,
    htlcs: [],
    htlcSignatures: [],
  });
}
