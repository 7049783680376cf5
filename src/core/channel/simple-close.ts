// BOLT 2 "Closing Negotiation: closing_complete and closing_sig" (option_simple_close) and BOLT 3
// "Closing Transaction", pure: the closer proposes the fee it pays alone, signs each variant of
// its closing transaction the spec asks for, and the closee signs back the one variant it picks.
// No fee is negotiated; either side may send closing_complete again (RBF, a new script).
import { equal } from '../base/bytes.ts';
import type { MessageOf } from '../wire/messages.ts';
import { ClosingError } from './closing-errors.ts';
import { assembleClose, dustThreshold, signsClosing, type ClosingSides, type ClosingTx } from './closing-tx.ts';
import { checkShutdownScript, scriptForm, type ShutdownFeatures } from './shutdown.ts';

/** The `closing_tlvs` signature fields, each naming the outputs of the variant it signs. */
export type SigField = 'closer_output_only' | 'closee_output_only' | 'closer_and_closee_outputs';
const FIELDS: readonly SigField[] = ['closer_output_only', 'closee_output_only', 'closer_and_closee_outputs'];

export type Side = 'local' | 'remote';
const otherSide = (s: Side): Side => (s === 'local' ? 'remote' : 'local');

/** One closing_complete's terms: who closes (and pays the fee), both scripts, the fee and the locktime. */
export interface SimpleTerms {
  closer: Side;
  closerScript: Uint8Array;
  closeeScript: Uint8Array;
  feeSatoshis: bigint;
  lockTime: number;
}

const isOpReturn = (s: Uint8Array) => scriptForm(s) === 'op_return';

/** Each side's output amount: "0 if the `scriptpubkey` starts with `OP_RETURN`", the closer's less the fee, rounded down. */
function amounts(c: ClosingSides, t: SimpleTerms): Record<'closer' | 'closee', bigint> {
  const balance = (s: Side) => (s === 'local' ? c.toLocalMsat : c.toRemoteMsat) / 1000n;
  const closerBalance = balance(t.closer);
  if (t.feeSatoshis < 0n || t.feeSatoshis > closerBalance) {
    // The closee: "If `fee_satoshis` is greater than the closer's outstanding balance: MUST either send a `warning` ..."
    throw new ClosingError('funder_cannot_afford_fee', `the closer's ${closerBalance} sat cannot pay a fee of ${t.feeSatoshis} sat`);
  }
  return {
    closer: isOpReturn(t.closerScript) ? 0n : closerBalance - t.feeSatoshis,
    closee: isOpReturn(t.closeeScript) ? 0n : balance(otherSide(t.closer)),
  };
}

/** BOLT 3 "Closing Transaction": version 2, the message's locktime, sequence 0xFFFFFFFD, the outputs `field` keeps. */
export function simpleClosingTx(c: ClosingSides, t: SimpleTerms, field: SigField): ClosingTx {
  const a = amounts(c, t);
  const closee = otherSide(t.closer);
  const sides: ClosingSides = {
    ...c,
    localScript: t.closer === 'local' ? t.closerScript : t.closeeScript,
    remoteScript: t.closer === 'local' ? t.closeeScript : t.closerScript,
  };
  const outputs = [
    ...(field !== 'closee_output_only' ? [{ side: t.closer, amount: a.closer }] : []),
    ...(field !== 'closer_output_only' ? [{ side: closee, amount: a.closee }] : []),
  ];
  return assembleClose(sides, outputs, t.lockTime, 0xfffffffd);
}

const isDust = (amount: bigint, script: Uint8Array) => amount < dustThreshold(script);

/**
 * The closer's fields: "If the local outstanding balance is less than the remote outstanding
 * balance: MUST NOT set `closer_output_only`. MUST set `closee_output_only` if the local output
 * amount is dust." (both outputs otherwise); "Otherwise: MUST NOT set `closee_output_only`. If
 * the closee's output amount is dust: MUST set `closer_output_only`. MUST NOT set
 * `closer_and_closee_outputs`. Otherwise: MUST set both `closer_output_only` and
 * `closer_and_closee_outputs`." And "MUST set `fee_satoshis` so that at least one output is not dust".
 */
export function closerFields(c: ClosingSides, t: SimpleTerms): SigField[] {
  const a = amounts(c, t);
  const closerDust = isDust(a.closer, t.closerScript);
  const closeeDust = isDust(a.closee, t.closeeScript);
  if (closerDust && closeeDust) throw new ClosingError('no_outputs', `at a fee of ${t.feeSatoshis} sat both outputs are dust`);
  const [mine, theirs] = t.closer === 'local' ? [c.toLocalMsat, c.toRemoteMsat] : [c.toRemoteMsat, c.toLocalMsat];
  // (We never find our own output uneconomical: hsmd would not sign a close that drops it.)
  if (mine < theirs) return closerDust ? ['closee_output_only'] : ['closer_and_closee_outputs'];
  return closeeDust ? ['closer_output_only'] : ['closer_output_only', 'closer_and_closee_outputs'];
}

/** Our closing_complete (we are the closer), with our signature on each variant `closerFields` names. */
export async function closingComplete(
  c: ClosingSides,
  channelId: Uint8Array,
  t: Omit<SimpleTerms, 'closer'>,
  sign: (tx: ClosingTx) => Promise<Uint8Array>,
): Promise<MessageOf<'closing_complete'>> {
  const terms: SimpleTerms = { ...t, closer: 'local' };
  const tlvs: Partial<Record<SigField, { sig: Uint8Array }>> = {};
  for (const f of closerFields(c, terms)) tlvs[f] = { sig: await sign(simpleClosingTx(c, terms, f)) };
  return {
    name: 'closing_complete',
    channel_id: channelId,
    closer_scriptpubkey: t.closerScript,
    closee_scriptpubkey: t.closeeScript,
    fee_satoshis: t.feeSatoshis,
    locktime: t.lockTime,
    tlvs,
  };
}

function fieldsIn(tlvs: MessageOf<'closing_complete'>['tlvs']): SigField[] {
  return FIELDS.filter(f => tlvs?.[f] !== undefined);
}

/**
 * The peer's closing_complete (we are the closee), checked: the script we last sent, a valid
 * closer script, a fee it can pay; the variant the closee must pick and the peer's signature on
 * it. Returns the transaction to sign back (in closing_sig, the same field) and broadcast.
 */
export function receiveClosingComplete(
  c: ClosingSides,
  m: MessageOf<'closing_complete'>,
  ourLastScript: Uint8Array,
  features: ShutdownFeatures,
): { field: SigField; tx: ClosingTx; signature: Uint8Array; terms: SimpleTerms } {
  // "If `closee_scriptpubkey` does not match the last script it sent ...: SHOULD ignore ..., SHOULD send a `warning`".
  if (!equal(m.closee_scriptpubkey, ourLastScript)) {
    throw new ClosingError('bad_shutdown_script', 'closing_complete names a closee_scriptpubkey we did not send');
  }
  checkShutdownScript(m.closer_scriptpubkey, features);
  const terms: SimpleTerms = {
    closer: 'remote',
    closerScript: m.closer_scriptpubkey,
    closeeScript: m.closee_scriptpubkey,
    feeSatoshis: m.fee_satoshis,
    lockTime: m.locktime,
  };
  const a = amounts(c, terms);
  // "If the local output amount is dust: MUST use `closer_output_only`. ... Otherwise, if
  // `closer_and_closee_outputs` is present: MUST use it. Otherwise: MUST use `closee_output_only`."
  const present = fieldsIn(m.tlvs);
  const field: SigField = isDust(a.closee, terms.closeeScript)
    ? 'closer_output_only'
    : present.includes('closer_and_closee_outputs')
      ? 'closer_and_closee_outputs'
      : 'closee_output_only';
  const signature = m.tlvs?.[field]?.sig;
  if (!signature) throw new ClosingError('bad_closing_signature', `closing_complete lacks ${field}, the variant we must sign`);
  const tx = simpleClosingTx(c, terms, field);
  if (!signsClosing(tx, c.fundingSatoshis, c.remoteFundingPubkey, signature)) {
    throw new ClosingError('bad_closing_signature', `closing_complete's ${field} does not sign its closing transaction`);
  }
  return { field, tx, signature, terms };
}

/** Our closing_sig for `m`: our signature in the field we picked. */
export function closingSig(m: MessageOf<'closing_complete'>, field: SigField, signature: Uint8Array): MessageOf<'closing_sig'> {
  return { ...m, name: 'closing_sig', tlvs: { [field]: { sig: signature } } };
}

/**
 * The peer's closing_sig for our closing_complete `sent`: "If `closer_scriptpubkey`,
 * `closee_scriptpubkey`, `fee_satoshis` or `locktime` don't match what was sent", "If `tlvs` does
 * not contain exactly one signature", "one of the TLV fields sent", "If the signature field is not
 * valid": a `warning`. Returns the transaction to broadcast and the peer's signature.
 */
export function receiveClosingSig(
  c: ClosingSides,
  sent: MessageOf<'closing_complete'>,
  m: MessageOf<'closing_sig'>,
): { field: SigField; tx: ClosingTx; signature: Uint8Array } {
  const same =
    equal(m.closer_scriptpubkey, sent.closer_scriptpubkey) &&
    equal(m.closee_scriptpubkey, sent.closee_scriptpubkey) &&
    m.fee_satoshis === sent.fee_satoshis &&
    m.locktime === sent.locktime;
  if (!same) throw new ClosingError('unexpected_message', 'closing_sig does not answer our closing_complete');
  const fields = fieldsIn(m.tlvs);
  if (fields.length !== 1) throw new ClosingError('bad_closing_signature', `closing_sig carries ${fields.length} signatures, not one`);
  const field = fields[0]!;
  if (!fieldsIn(sent.tlvs).includes(field))
    throw new ClosingError('bad_closing_signature', `closing_sig signs ${field}, which we did not send`);
  const terms: SimpleTerms = {
    closer: 'local',
    closerScript: sent.closer_scriptpubkey,
    closeeScript: sent.closee_scriptpubkey,
    feeSatoshis: sent.fee_satoshis,
    lockTime: sent.locktime,
  };
  const tx = simpleClosingTx(c, terms, field);
  const signature = m.tlvs![field]!.sig;
  if (!signsClosing(tx, c.fundingSatoshis, c.remoteFundingPubkey, signature)) {
    throw new ClosingError('bad_closing_signature', `closing_sig's ${field} does not sign our closing transaction`);
  }
  return { field, tx, signature };
}
