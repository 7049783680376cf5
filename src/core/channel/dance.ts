// BOLT 2 "Committing Updates So Far: commitment_signed" and "Completing the Transition to the
// Updated State: revoke_and_ack": the commitment dance that carries proposed updates into both
// sides' commitments.
import { Bolt3Error, FIRST_SECRET_INDEX, htlcSighashType, perCommitmentPoint, Shachain } from '../bolt3/index.ts';
import { point } from '../bolt3/ec.ts';
import { equal } from '../base/bytes.ts';
import type { MessageOf } from '../wire/messages.ts';
import { buildFor, checkRemoteSignatures, fundingInput, htlcInputs } from './commitment.ts';
import { ChannelError } from './errors.ts';
import type { ChannelSigner } from './signer.ts';
import type { ChannelState, RemoteCommit, Step, Update } from './state.ts';
import { nextLocalSpec, nextRemoteSpec } from './views.ts';

/** Whether our commitment_signed would carry updates: ours proposed, or theirs we acked. */
export function canSendCommit(s: ChannelState): boolean {
  return !s.nextRemoteCommit && (s.localChanges.proposed.length > 0 || s.remoteChanges.acked.length > 0);
}

/**
 * BOLT 2: "A sending node: MUST NOT send a `commitment_signed` message that does not include any
 * updates", and it signs the remote's next commitment only once the previous one is revoked (the
 * next per_commitment_point comes with revoke_and_ack). Signs the remote's next commitment and
 * "MUST include one `htlc_signature` for every HTLC transaction corresponding to the ordering of
 * the commitment transaction".
 */
export async function sendCommit(s: ChannelState, signer: ChannelSigner): Promise<Step<MessageOf<'commitment_signed'>>> {
  if (s.nextRemoteCommit || !s.remoteNextPerCommitmentPoint) {
    throw new ChannelError('awaiting_revoke_and_ack', 'the remote has not revoked its previous commitment yet');
  }
  if (!canSendCommit(s)) throw new ChannelError('commitment_without_updates', 'no updates to commit');
  const next: RemoteCommit = {
    index: s.remoteCommit.index + 1n,
    spec: nextRemoteSpec(s),
    perCommitmentPoint: s.remoteNextPerCommitmentPoint,
  };
  const message = await signRemoteCommit(s, next, signer);
  const state: ChannelState = {
    ...s,
    nextRemoteCommit: next,
    remoteNextPerCommitmentPoint: undefined,
    localChanges: { ...s.localChanges, proposed: [], signed: s.localChanges.proposed },
    remoteChanges: { ...s.remoteChanges, acked: [], signed: s.remoteChanges.acked },
    lastSent: 'commitment_signed',
  };
  delete state.remoteNextPerCommitmentPoint;
  return { state, messages: [message] };
}

/**
 * Our commitment_signed for the remote commitment `c`: sendCommit's, and the same again when
 * channel_reestablish asks for it (BOLT 2: "MUST reuse the same commitment number for its next
 * `commitment_signed`").
 */
export async function signRemoteCommit(s: ChannelState, c: RemoteCommit, signer: ChannelSigner): Promise<MessageOf<'commitment_signed'>> {
  const built = buildFor(s.params, 'remote', c.spec, c.index, c.perCommitmentPoint);
  const signature = await signer.signRemoteCommitment({ ...fundingInput(s.params, built), commitmentNumber: c.index });
  const htlcSignatures = await signer.signRemoteHtlcs({
    htlcs: htlcInputs(built),
    perCommitmentPoint: c.perCommitmentPoint,
    sighashType: htlcSighashType(s.params.anchors, true),
  });
  return { name: 'commitment_signed', channel_id: s.params.channelId, signature, htlc_signature: htlcSignatures };
}

/**
 * The remote signs our next commitment: BOLT 2 "A receiving node: once all pending updates are
 * applied" checks the signatures (commitment.ts) and "MUST respond with a `revoke_and_ack`
 * message", which reveals the secret of the commitment it replaces: "MUST set
 * `per_commitment_secret` to the secret used to generate keys for the previous commitment
 * transaction" and "`next_per_commitment_point` to the values for its next commitment transaction".
 */
export async function receiveCommit(
  s: ChannelState,
  m: MessageOf<'commitment_signed'>,
  signer: ChannelSigner,
): Promise<Step<MessageOf<'revoke_and_ack'>>> {
  if (s.remoteChanges.proposed.length === 0 && s.localChanges.acked.length === 0) {
    throw new ChannelError('commitment_without_updates', 'commitment_signed without any update');
  }
  const spec = nextLocalSpec(s);
  const index = s.localCommit.index + 1n;
  const built = buildFor(s.params, 'local', spec, index, await signer.perCommitmentPoint(index));
  checkRemoteSignatures(s.params, built, m.signature, m.htlc_signature);
  // A validating signer (hsmd) checks the signatures itself and reveals the old secret only after.
  await signer.validateCommitment({
    commitmentNumber: index,
    tx: built.commitment.tx,
    signature: m.signature,
    htlcs: htlcInputs(built),
    htlcSignatures: m.htlc_signature,
  });
  const state: ChannelState = {
    ...s,
    localCommit: { index, spec, signature: m.signature, htlcSignatures: m.htlc_signature },
    localChanges: { ...s.localChanges, acked: [] },
    remoteChanges: { ...s.remoteChanges, proposed: [], acked: [...s.remoteChanges.acked, ...s.remoteChanges.proposed] },
    lastSent: 'revoke_and_ack',
  };
  return { state, messages: [await revokeCurrent(state, signer)] };
}

/**
 * The revoke_and_ack for our commitment before the current one (receiveCommit's, and the same
 * again when channel_reestablish asks for it): the secret of commitment n - 1 and the point of n + 1.
 */
export async function revokeCurrent(s: ChannelState, signer: ChannelSigner): Promise<MessageOf<'revoke_and_ack'>> {
  const n = s.localCommit.index;
  return {
    name: 'revoke_and_ack',
    channel_id: s.params.channelId,
    per_commitment_secret: await signer.revealSecret(n - 1n),
    next_per_commitment_point: await signer.perCommitmentPoint(n + 1n),
  };
}

/**
 * The remote revokes its previous commitment. BOLT 2 "A receiving node: if `per_commitment_secret`
 * is not a valid secret key or does not generate the previous `per_commitment_point`: MUST send an
 * `error` and fail the channel"; "if the `per_commitment_secret` was not generated by the protocol
 * in BOLT #3: MAY send a `warning` and close the connection, or send an `error`" (the shachain
 * refuses it). `settled`: the remote's updates now irrevocably committed on both sides.
 */
export function receiveRevoke(s: ChannelState, m: MessageOf<'revoke_and_ack'>): { state: ChannelState; settled: Update[] } {
  const next = s.nextRemoteCommit;
  if (!next) throw new ChannelError('unexpected_revoke_and_ack', 'revoke_and_ack without a commitment_signed to answer', 'error');
  let revealed: Uint8Array;
  try {
    revealed = perCommitmentPoint(m.per_commitment_secret);
    point(m.next_per_commitment_point);
  } catch (e) {
    if (e instanceof Bolt3Error) throw new ChannelError('bad_per_commitment_secret', e.message, 'error');
    throw e;
  }
  if (!equal(revealed, s.remoteCommit.perCommitmentPoint)) {
    throw new ChannelError(
      'bad_per_commitment_secret',
      `per_commitment_secret does not generate the point of commitment ${s.remoteCommit.index}`,
      'error',
    );
  }
  const chain = Shachain.from(s.remoteSecrets);
  try {
    chain.insert(FIRST_SECRET_INDEX - s.remoteCommit.index, m.per_commitment_secret);
  } catch (e) {
    if (e instanceof Bolt3Error) throw new ChannelError('secret_not_from_shachain', e.message, 'error');
    throw e;
  }
  const state: ChannelState = {
    ...s,
    remoteCommit: next,
    remoteNextPerCommitmentPoint: m.next_per_commitment_point,
    localChanges: { ...s.localChanges, signed: [], acked: [...s.localChanges.acked, ...s.localChanges.signed] },
    remoteChanges: { ...s.remoteChanges, signed: [] },
    remoteSecrets: chain.entries(),
  };
  delete state.nextRemoteCommit;
  return { state, settled: s.remoteChanges.signed };
}
