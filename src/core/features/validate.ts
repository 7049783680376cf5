// Checking feature vectors against BOLT 9's table, as an origin (our own vectors) and as a reader
// (`init` per BOLT 1, announcements per BOLT 7). Every refusal is a FeatureError with a stable code.
import { FeatureError } from '../base/errors.ts';
import { assignedIn, FEATURES, featureByBit, featureByName, type FeaturePlace, type FeatureSpec } from './table.ts';
import type { FeatureBit, FeatureVector } from './vector.ts';

/** Lists in a report keep at most this many bits (a hostile vector can set 500,000). */
export const MAX_LISTED_BITS = 64;

export interface MissingDependency {
  readonly feature: string;
  readonly missing: string;
  /** The missing feature is ASSUMED (BOLT 9), so a reader treats it as present. */
  readonly assumed: boolean;
}

/** What a vector holds, judged for one field. Reading it never throws. */
export interface FeatureReport {
  readonly place: FeaturePlace;
  /** Set bits of features BOLT 9 assigns to this field. */
  readonly known: readonly FeatureBit[];
  /** Set even bits BOLT 9 does not assign to this field (unassigned, or assigned elsewhere). */
  readonly unknownRequired: readonly number[];
  /** Set odd bits BOLT 9 does not assign to this field. */
  readonly unknownOptional: readonly number[];
  /** Of the unknown bits, those of features BOLT 9 assigns only to other fields. */
  readonly wrongContext: readonly number[];
  /** Features with both bits set. */
  readonly bothBitsSet: readonly string[];
  /** BOLT 9 Dependencies (transitive) of offered features that are not offered. */
  readonly missingDependencies: readonly MissingDependency[];
  /** `C-` features set even or `C+` features set odd in a channel_announcement. */
  readonly wrongParity: readonly number[];
}

function pushCapped(list: number[], bit: number): void {
  if (list.length < MAX_LISTED_BITS) list.push(bit);
}

function describeBits(bits: readonly number[]): string {
  return bits
    .map(b => {
      const f = featureByBit(b);
      return f ? `${b} (${f.name})` : String(b);
    })
    .join(', ');
}

/** Transitive BOLT 9 dependencies of `f`. */
function dependencyClosure(f: FeatureSpec): FeatureSpec[] {
  const out: FeatureSpec[] = [];
  const todo = [...f.dependencies];
  while (todo.length > 0) {
    const d = featureByName(todo.pop()!);
    if (!d || out.includes(d)) continue;
    out.push(d);
    todo.push(...d.dependencies);
  }
  return out;
}

/** Sorts the vector's bits into what BOLT 9 assigns to `place` and what it does not. */
export function checkFeatures(fv: FeatureVector, place: FeaturePlace): FeatureReport {
  const known: FeatureBit[] = [];
  const unknownRequired: number[] = [];
  const unknownOptional: number[] = [];
  const wrongContext: number[] = [];
  const wrongParity: number[] = [];
  for (const bit of fv.bits()) {
    const f = featureByBit(bit);
    const even = bit % 2 === 0;
    if (f && assignedIn(f, place)) {
      known.push({ bit, name: f.name, support: even ? 'required' : 'optional' });
      // BOLT 9 Context: `C-` "always odd (optional)", `C+` "always even (required)".
      if (place === 'C' && ((even && f.presentedIn.includes('C-')) || (!even && f.presentedIn.includes('C+')))) {
        wrongParity.push(bit);
      }
      continue;
    }
    if (f) pushCapped(wrongContext, bit);
    pushCapped(even ? unknownRequired : unknownOptional, bit);
  }
  const bothBitsSet: string[] = [];
  const missingDependencies: MissingDependency[] = [];
  for (const f of FEATURES) {
    if (!assignedIn(f, place) || !fv.has(f.bit)) continue;
    if (fv.isSet(f.bit) && fv.isSet(f.bit + 1)) bothBitsSet.push(f.name);
    for (const d of dependencyClosure(f)) {
      if (!fv.has(d.bit)) missingDependencies.push({ feature: f.name, missing: d.name, assumed: d.assumed });
    }
  }
  return { place, known, unknownRequired, unknownOptional, wrongContext, bothBitsSet, missingDependencies, wrongParity };
}

/**
 * The origin rules, for vectors we send (BOLT 9 Requirements, "The origin node"; BOLT 1 `init`
 * sender). Throws FeatureError on the first rule broken; returns the report otherwise.
 */
export function checkOwnFeatures(fv: FeatureVector, place: FeaturePlace): FeatureReport {
  const r = checkFeatures(fv, place);
  // BOLT 9: "MUST NOT set feature bits in fields not specified by the table above."
  if (r.wrongContext.length > 0) {
    throw new FeatureError('feature_wrong_context', `bits ${describeBits(r.wrongContext)} do not belong in context ${place}`);
  }
  // BOLT 1: "MUST set any undefined feature bits to 0"; BOLT 9: "MUST NOT set feature bits it does not support."
  const undefinedBits = [...r.unknownRequired, ...r.unknownOptional];
  if (undefinedBits.length > 0) {
    throw new FeatureError('undefined_feature_bit', `bits ${undefinedBits.join(', ')} are not assigned by BOLT 9`);
  }
  // BOLT 9: "MUST NOT set both the optional and mandatory bits."
  if (r.bothBitsSet.length > 0) {
    throw new FeatureError('both_feature_bits_set', `both bits set for ${r.bothBitsSet.join(', ')}`);
  }
  // BOLT 9: "MUST set all transitive feature dependencies." (ASSUMED ones too: we are the origin.)
  const dep = r.missingDependencies[0];
  if (dep) throw new FeatureError('missing_feature_dependency', `${dep.feature} requires ${dep.missing}`);
  if (r.wrongParity.length > 0) {
    throw new FeatureError('feature_wrong_parity', `bits ${describeBits(r.wrongParity)} have the wrong parity for a channel_announcement`);
  }
  return r;
}

export interface InitFeatureResult {
  readonly report: FeatureReport;
  /** BOLT 1: a feature is *negotiated* "if either both peers offered it, or the local node offered
   * it as even". ASSUMED features count as offered by both. */
  readonly negotiated: readonly string[];
}

/** BOLT 1 *negotiated*; an ASSUMED feature is always negotiated (BOLT 9: "present by all nodes"). */
export function isNegotiated(ours: FeatureVector, theirs: FeatureVector, feature: string): boolean {
  const f = featureByName(feature);
  if (!f) return false;
  return f.assumed || ours.requires(f.bit) || (ours.has(f.bit) && theirs.has(f.bit));
}

/**
 * The reader rules for a peer's `init` features (BOLT 1 "The receiving node"), `theirs` being the
 * OR of `globalfeatures` and `features` (see `initFeatures`). Every FeatureError thrown here means:
 * close the connection.
 */
export function checkInitFeatures(theirs: FeatureVector, ours: FeatureVector): InitFeatureResult {
  const report = checkFeatures(theirs, 'I');
  // BOLT 1: "upon receiving unknown _even_ feature bits that are non-zero: MUST close the
  // connection" ("upon receiving unknown _odd_ feature bits that are non-zero: MUST ignore the
  // bit"). A bit BOLT 9 assigns only to other contexts is not an init feature, so it is unknown
  // here: the same reading as Core Lightning's features_unsupported(..., INIT_FEATURE) and LDK's
  // InitContext mask.
  if (report.unknownRequired.length > 0) {
    const wrong = report.unknownRequired.filter(b => report.wrongContext.includes(b));
    throw new FeatureError(
      'unknown_required_feature',
      `peer requires unknown feature bits ${describeBits(report.unknownRequired)}` +
        (wrong.length > 0 ? ` (${wrong.join(', ')} not assigned to init)` : ''),
    );
  }
  // BOLT 1: the local node can assume a peer supports what it "offered as even", "as it did not
  // disconnect as it would be required to do". So a peer requiring a feature we do not offer is
  // refused, as Core Lightning (features_unsupported), LDK (requires_unknown_bits_from) and Eclair
  // (testSupported) do. ASSUMED features are exempt: BOLT 9 says they "can be safely ignored".
  const unsupported = report.known.filter(k => k.support === 'required' && !featureByName(k.name)!.assumed && !ours.has(k.bit));
  if (unsupported.length > 0) {
    throw new FeatureError(
      'unsupported_required_feature',
      `peer requires ${unsupported.map(k => k.name).join(', ')}, which we do not support`,
    );
  }
  // BOLT 1: "if the feature vector does not set all known, transitive dependencies: MUST close the
  // connection." We fail, not warn. A missing ASSUMED dependency (e.g. basic_mpp without
  // payment_secret) is met by assumption: BOLT 9 assumes it "present by all nodes".
  const dep = report.missingDependencies.find(d => !d.assumed);
  if (dep) throw new FeatureError('missing_feature_dependency', `peer offers ${dep.feature} without ${dep.missing}`);
  // The converse of the rule above: a feature we require that they do not offer (LDK and Eclair
  // refuse such peers the same way).
  const lacking = FEATURES.filter(f => assignedIn(f, 'I') && ours.requires(f.bit) && !theirs.has(f.bit));
  if (lacking.length > 0) {
    throw new FeatureError('peer_lacks_required_feature', `peer does not offer ${lacking.map(f => f.name).join(', ')}, which we require`);
  }
  // BOLT 9 (receiving node): "if both the optional and the mandatory feature bits in a pair are
  // set, the feature should be treated as mandatory": not an error (FeatureVector.requires is true).
  const negotiated = FEATURES.filter(f => assignedIn(f, 'I') && isNegotiated(ours, theirs, f.name)).map(f => f.name);
  return { report, negotiated };
}

export interface AnnouncedFeatureResult {
  readonly report: FeatureReport;
  /**
   * False when the vector sets unknown even bits. BOLT 7 node_announcement: the reader "SHOULD NOT
   * connect to the node", "MUST NOT route a payment _through_ the node" (and may pay it only for an
   * invoice without those bits); channel_announcement: "MUST NOT attempt to route messages through
   * the channel". The announcement itself stays valid: "These will be propagated normally".
   */
  readonly usable: boolean;
}

/**
 * The reader rules for features in a node_announcement (`N`) or channel_announcement (`C`).
 * Never throws for the bits themselves. A bit BOLT 9 assigns only to other contexts counts as
 * unknown (odd: ignored; even: unusable), as in `init`. Missing dependencies are only reported:
 * BOLT 7 gives readers no rule for them (BOLT 9 binds the origin), so they warn, not fail.
 */
export function checkAnnouncedFeatures(fv: FeatureVector, place: 'N' | 'C'): AnnouncedFeatureResult {
  const report = checkFeatures(fv, place);
  return { report, usable: report.unknownRequired.length === 0 };
}
