// The commitments a check or a signature is about, as the updates so far would make them.
import { reduce } from './spec.ts';
import type { ChannelState, CommitSpec, RemoteCommit, Update } from './state.ts';

/** The latest remote commitment we signed (awaiting its revoke_and_ack) or else the current one. */
export function latestRemoteCommit(s: ChannelState): RemoteCommit {
  return s.nextRemoteCommit ?? s.remoteCommit;
}

/**
 * Our next commitment, as the remote's commitment_signed will build it: our updates it has acked
 * and its proposed ones (with `extra` of its own not yet applied).
 */
export function nextLocalSpec(s: ChannelState, extra: readonly Update[] = []): CommitSpec {
  return reduce(s.localCommit.spec, s.localChanges.acked, [...s.remoteChanges.proposed, ...extra]);
}

/** The remote's next commitment, as our commitment_signed will build it (with `extra` of ours). */
export function nextRemoteSpec(s: ChannelState, extra: readonly Update[] = []): CommitSpec {
  return reduce(latestRemoteCommit(s).spec, s.remoteChanges.acked, [...s.localChanges.proposed, ...extra]);
}

/** Our commitment once every update of ours (signed, acked or not) and the remote's proposed ones are in. */
export function fullLocalSpec(s: ChannelState, extra: readonly Update[] = []): CommitSpec {
  const ours = [...s.localChanges.signed, ...s.localChanges.acked, ...s.localChanges.proposed, ...extra];
  return reduce(s.localCommit.spec, ours, s.remoteChanges.proposed);
}
