// BOLT 9 "Assigned Feature Flags", declared once as data. Transcribed from lightning/bolts
// 09-features.md at a377265 (2026-03-23, "Channel Splicing (feature 62/63)"); names and contexts
// cross-checked against Core Lightning common/features.c, LDK lightning-types/src/features.rs,
// LND feature/default_sets.go and Eclair Features.scala.
//
// BOLT 9: "Flags are numbered from the least-significant bit, at bit 0 (i.e. 0x1, an _even_ bit).
// They are generally assigned in pairs so that features can be introduced as optional (_odd_ bits)
// and later upgraded to be compulsory (_even_ bits)". Each row holds the even bit; bit + 1 is the
// optional one.

/**
 * BOLT 9's Context column: `I` init, `N` node_announcement, `C` channel_announcement (`C-` always
 * odd there, `C+` always even), `9` BOLT 11 invoices, `B` a blinded path's `allowed_features`,
 * `T` the `channel_type` field when opening channels.
 */
export type FeatureContext = 'I' | 'N' | 'C' | 'C-' | 'C+' | '9' | 'B' | 'T';

/** A field that carries a feature vector (`C` covers `C-` and `C+`). */
export type FeaturePlace = 'I' | 'N' | 'C' | '9' | 'B' | 'T';

export type FeatureSupport = 'required' | 'optional';

export interface FeatureSpec {
  /** The even (required) bit; the optional bit is `bit + 1`. */
  readonly bit: number;
  /** The name as BOLT 9 spells it. */
  readonly name: string;
  /** Older names still used by implementations (and by earlier BOLT revisions). */
  readonly aliases: readonly string[];
  readonly description: string;
  /** BOLT 9's Context column today. ASSUMED rows have an empty column there. */
  readonly contexts: readonly FeatureContext[];
  /**
   * BOLT 9: "Some features were introduced and became so widespread they are `ASSUMED` to be
   * present by all nodes, and can be safely ignored". A reader accepts an ASSUMED feature even as
   * required, and treats a dependency on one as met.
   */
  readonly assumed: boolean;
  /**
   * The contexts we use and accept: `contexts`, except for rows whose Context column is now empty
   * (the ASSUMED ones and `gossip_queries`). Every implementation still sets those, and several
   * refuse peers that don't (see ours.ts), so they keep the contexts they had before.
   */
  readonly presentedIn: readonly FeatureContext[];
  /** BOLT 9 Dependencies column (names of other rows). */
  readonly dependencies: readonly string[];
  /** The BOLT section the feature is specified in. */
  readonly link: string;
}

type Row = Omit<FeatureSpec, 'aliases' | 'assumed' | 'presentedIn' | 'dependencies'> &
  Partial<Pick<FeatureSpec, 'aliases' | 'assumed' | 'presentedIn' | 'dependencies'>>;

function row(r: Row): FeatureSpec {
  return Object.freeze({
    bit: r.bit,
    name: r.name,
    aliases: Object.freeze([...(r.aliases ?? [])]),
    description: r.description,
    contexts: Object.freeze([...r.contexts]),
    assumed: r.assumed ?? false,
    presentedIn: Object.freeze([...(r.presentedIn ?? r.contexts)]),
    dependencies: Object.freeze([...(r.dependencies ?? [])]),
    link: r.link,
  });
}

/** Every BOLT 9 feature pair, ascending by bit. Bits 2/3 (`initial_routing_sync`) and 20/21
 * (`option_anchor_outputs`) were removed from BOLT 9 and are unassigned again. */
export const FEATURES: readonly FeatureSpec[] = Object.freeze([
  // ASSUMED since bolts 91f4bd2 (2024); was `IN` (BOLT 2 channel_reestablish fields).
  row({
    bit: 0,
    name: 'option_data_loss_protect',
    description: 'ASSUMED',
    assumed: true,
    contexts: [],
    presentedIn: ['I', 'N'],
    link: 'BOLT #2',
  }),
  row({
    bit: 4,
    name: 'option_upfront_shutdown_script',
    description: 'Commits to a shutdown scriptpubkey when opening channel',
    contexts: ['I', 'N'],
    link: 'BOLT #2 open_channel',
  }),
  // Repurposed by bolts fce8bab (2024): "Not offering this feature means a node is not worth
  // querying for gossip" (BOLT 7 Query Messages). Its Context column has been empty since; it is
  // offered in `init` (that is where BOLT 7 reads it) and was `IN` before, so it keeps `IN`.
  row({
    bit: 6,
    name: 'gossip_queries',
    description: 'Peer has useful gossip to share',
    contexts: [],
    presentedIn: ['I', 'N'],
    link: 'BOLT #7 Query Messages',
  }),
  // ASSUMED since bolts e042c61 (2024); was `IN9`. BOLT 9: the origin "MUST support var_onion_optin".
  row({
    bit: 8,
    name: 'var_onion_optin',
    description: 'ASSUMED',
    assumed: true,
    contexts: [],
    presentedIn: ['I', 'N', '9'],
    link: 'BOLT #4',
  }),
  // Dependency on gossip_queries dropped by bolts fce8bab.
  row({
    bit: 10,
    name: 'gossip_queries_ex',
    description: 'Gossip queries can include additional information',
    contexts: ['I', 'N'],
    link: 'BOLT #7 Query Messages',
  }),
  // ASSUMED since bolts 91f4bd2 (2024); was `IN`. BOLT 2 "Defined Channel Types" still uses bit 12.
  row({
    bit: 12,
    name: 'option_static_remotekey',
    description: 'ASSUMED',
    assumed: true,
    contexts: [],
    presentedIn: ['I', 'N', 'T'],
    link: 'BOLT #3',
  }),
  // ASSUMED since bolts 872c6ec (2025); was `IN9`.
  row({
    bit: 14,
    name: 'payment_secret',
    description: 'ASSUMED',
    assumed: true,
    contexts: [],
    presentedIn: ['I', 'N', '9'],
    link: 'BOLT #4',
  }),
  row({
    bit: 16,
    name: 'basic_mpp',
    description: 'Node can receive basic multi-part payments',
    contexts: ['I', 'N', '9'],
    dependencies: ['payment_secret'],
    link: 'BOLT #4 Basic Multi-Part Payments',
  }),
  row({
    bit: 18,
    name: 'option_support_large_channel',
    description: 'Can create large channels',
    contexts: ['I', 'N'],
    link: 'BOLT #2 open_channel',
  }),
  // Renamed from option_anchors_zero_fee_htlc_tx by bolts c48b4e3.
  row({
    bit: 22,
    name: 'option_anchors',
    aliases: ['option_anchors_zero_fee_htlc_tx'],
    description: 'Anchor commitment type with zero fee HTLC transactions',
    contexts: ['I', 'N', 'T'],
    link: 'BOLT #3 HTLC-timeout and HTLC-success transactions',
  }),
  row({
    bit: 24,
    name: 'option_route_blinding',
    description: 'Node supports blinded paths',
    contexts: ['I', 'N', '9'],
    link: 'BOLT #4 Route Blinding',
  }),
  row({
    bit: 26,
    name: 'option_shutdown_anysegwit',
    description: 'Future segwit versions allowed in `shutdown`',
    contexts: ['I', 'N'],
    link: 'BOLT #2 shutdown',
  }),
  row({
    bit: 28,
    name: 'option_dual_fund',
    description: 'Use v2 of channel open, enables dual funding',
    contexts: ['I', 'N'],
    link: 'BOLT #2',
  }),
  row({
    bit: 34,
    name: 'option_quiesce',
    description: 'Support for `stfu` message',
    contexts: ['I', 'N'],
    link: 'BOLT #2 Channel Quiescence',
  }),
  row({
    bit: 36,
    name: 'option_attribution_data',
    description: 'Can generate/relay attribution data in `update_fail_htlc` and `update_fulfill_htlc`',
    contexts: ['I', 'N', '9'],
    link: 'BOLT #4 Returning Errors',
  }),
  row({
    bit: 38,
    name: 'option_onion_messages',
    description: 'Can forward onion messages',
    contexts: ['I', 'N'],
    link: 'BOLT #4 Onion Messages',
  }),
  row({
    bit: 42,
    name: 'option_provide_storage',
    description: "Can store other nodes' encrypted backup data",
    contexts: ['I', 'N'],
    link: 'BOLT #1 Peer Storage',
  }),
  // ASSUMED since bolts 9d456b1 (2025); was `IN`.
  row({
    bit: 44,
    name: 'option_channel_type',
    description: 'ASSUMED',
    assumed: true,
    contexts: [],
    presentedIn: ['I', 'N'],
    link: 'BOLT #2 open_channel',
  }),
  row({
    bit: 46,
    name: 'option_scid_alias',
    description: 'Supply channel aliases for routing',
    contexts: ['I', 'N', 'T'],
    link: 'BOLT #2 channel_ready',
  }),
  row({
    bit: 48,
    name: 'option_payment_metadata',
    description: 'Payment metadata in tlv record',
    contexts: ['9'],
    link: 'BOLT #11 Tagged Fields',
  }),
  row({
    bit: 50,
    name: 'option_zeroconf',
    description: 'Understands zeroconf channel types',
    contexts: ['I', 'N', 'T'],
    dependencies: ['option_scid_alias'],
    link: 'BOLT #2 channel_ready',
  }),
  row({
    bit: 60,
    name: 'option_simple_close',
    description: 'Simplified closing negotiation',
    contexts: ['I', 'N'],
    dependencies: ['option_shutdown_anysegwit'],
    link: 'BOLT #2 closing_complete and closing_sig',
  }),
  row({
    bit: 62,
    name: 'option_splice',
    description: 'Allows replacing the funding transaction with a new one',
    contexts: ['I', 'N'],
    link: 'BOLT #2 Channel Splicing',
  }),
]);

const byName = new Map<string, FeatureSpec>();
const byPair = new Map<number, FeatureSpec>();
for (const f of FEATURES) {
  byName.set(f.name, f);
  for (const a of f.aliases) byName.set(a, f);
  byPair.set(f.bit, f);
}

/** The row named `name` (BOLT 9 name or a listed alias), or undefined. */
export function featureByName(name: string): FeatureSpec | undefined {
  return byName.get(name);
}

/** The row whose pair holds `bit` (even or odd), or undefined if the pair is unassigned. */
export function featureByBit(bit: number): FeatureSpec | undefined {
  return Number.isInteger(bit) && bit >= 0 ? byPair.get(bit - (bit % 2)) : undefined;
}

/** Whether BOLT 9 assigns `f` to the field `place` (`C` matches `C`, `C-` and `C+`). */
export function assignedIn(f: FeatureSpec, place: FeaturePlace): boolean {
  const cs = f.presentedIn;
  return place === 'C' ? cs.includes('C') || cs.includes('C-') || cs.includes('C+') : cs.includes(place);
}
