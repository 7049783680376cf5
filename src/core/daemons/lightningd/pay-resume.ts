// A payment the node was making when it stopped, made again from the store (pay-store.ts): its
// request and its parts as recorded become a PaySession as it stood, `retry_for` still counting
// from the first start. Parts in flight stay in flight (their channel, or onchaind, says how they
// end: never sent again); the failures recorded are acted on again, so that what they taught the
// session (channels excluded, channel_updates, a destination that said no) holds after the restart.
import { fromHex } from '../../base/bytes.ts';
import { PaySession, type PayEnv, type PayRequest, type PaySnapshot } from '../../pay/index.ts';
import type { SendpayRecord } from './pay-store.ts';

type Held = PaySnapshot['parts'][number];

/** The part as the session holds it (failed ones pending: replayFailures() settles them). */
function heldOf(s: SendpayRecord): Held {
  return {
    partid: s.partid,
    route: s.route.map(h => ({ id: h.id, channel: h.channel, direction: h.direction, amount_msat: BigInt(h.amount_msat), delay: h.delay })),
    delivers_msat: BigInt(s.amount_msat),
    sent_msat: BigInt(s.amount_sent_msat),
    status: s.status === 'complete' ? 'complete' : 'pending',
    sharedSecrets: s.shared_secrets.map(fromHex),
    blockheight: s.blockheight,
  };
}

/** The session of an attempt whose parts are `parts` (its group, any order). */
export function resumeSession(req: PayRequest, startedAtMs: number, parts: readonly SendpayRecord[], env: PayEnv): PaySession {
  const sorted = [...parts].sort((a, b) => a.partid - b.partid);
  const preimage = sorted.find(p => p.status === 'complete' && p.payment_preimage)?.payment_preimage;
  const snapshot: PaySnapshot = {
    req,
    startedAt: startedAtMs,
    nextPartid: Math.max(0, ...sorted.map(p => p.partid)) + 1,
    parts: sorted.map(heldOf),
    ...(preimage ? { preimage: fromHex(preimage) } : {}),
    lastReason: 'no attempt made',
    overlay: { updates: [], bounds: [], excluded: [] },
  };
  const session = PaySession.restore(snapshot, env);
  for (const p of sorted) {
    if (p.status !== 'failed') continue;
    // As when it came back: the error onion decoded and acted on, the peer's malformed code, or
    // (refused by channeld, never sent) nothing learnt but the reason.
    try {
      if (p.erroronion !== undefined)
        session.failed(p.partid, fromHex(p.erroronion), p.attribution !== undefined ? fromHex(p.attribution) : undefined);
      else if (p.failcode !== undefined) session.failedMalformed(p.partid, p.failcode);
      else session.unsent(p.partid, p.failure ?? 'failed before the restart');
    } catch {
      session.unsent(p.partid, p.failure ?? 'failed before the restart');
    }
  }
  return session;
}
