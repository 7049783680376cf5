// The features boltworker offers today: connection handling and gossip, no channels yet. Only
// what a node without channels can honestly claim, and nothing whose absence real peers tolerate.
// All optional (odd): requiring anything would only make peers that lack it drop us.
//
// What real peers refuse us without (checked in their sources):
// - LDK 0.1 (ln/peer_handler.rs: `our_features.requires_unknown_bits_from(&msg.features)`) sets
//   bits 0, 8, 12, 14 required and drops a peer that offers none of a pair; its ChannelManager
//   also drops a peer without static_remotekey. LDK 0.2 adds 44 (option_channel_type) required.
// - Eclair (Features.testCompatible, symmetric) drops a peer lacking any of its mandatory
//   features: 0, 8, 12, 14, 44 by default.
// - LND (peer/brontide.go handleInitMsg) drops a peer without data_loss_protect (0/1).
// - Core Lightning (connectd) refuses only unknown required bits and missing dependencies; its
//   own compulsory bits are 0, 8, 12, 14, 44.
import { checkOwnFeatures } from './validate.ts';
import { featureByName, type FeatureSupport } from './table.ts';
import { FeatureVector } from './vector.ts';

export interface OurFeature {
  readonly name: string;
  readonly support: FeatureSupport;
  /** The fields we set it in: `init` and `node_announcement`. */
  readonly places: readonly ('I' | 'N')[];
  readonly why: string;
}

export const OUR_FEATURES: readonly OurFeature[] = Object.freeze([
  {
    name: 'option_data_loss_protect',
    support: 'optional',
    places: ['I', 'N'],
    why: 'ASSUMED by BOLT 9. LND, LDK and Eclair drop peers that do not offer it. Our `channel_reestablish` always carries `your_last_per_commitment_secret` and `my_current_per_commitment_point`, and a node that finds itself behind never broadcasts its stale commitment (channeld/reestablish.ts).',
  },
  {
    name: 'option_upfront_shutdown_script',
    support: 'optional',
    places: ['I', 'N'],
    why: "BOLT 2: open_channel and accept_channel carry `upfront_shutdown_script` (ours: fundchannel's close_to, else empty); channeld fails the connection when the peer's shutdown is not the script it committed to, and our shutdown is the one we committed to.",
  },
  {
    name: 'gossip_queries',
    support: 'optional',
    places: ['I', 'N'],
    why: 'BOLT 7: offering it says we have useful gossip to share. gossipd keeps the whole graph and must answer `query_channel_range` and `query_short_channel_ids` for as long as this bit is set.',
  },
  {
    name: 'gossip_queries_ex',
    support: 'optional',
    places: ['I', 'N'],
    why: 'BOLT 7 "Nodes can signal that they support extended gossip queries with the gossip_queries_ex feature bit" (still its own bit in BOLT 9, context IN). gossipd answers `query_option` with timestamps and checksums and follows `query_flags`, and its own sync uses both.',
  },
  {
    name: 'var_onion_optin',
    support: 'optional',
    places: ['I', 'N'],
    why: 'ASSUMED by BOLT 9, and the origin "MUST support var_onion_optin". LDK and Eclair drop peers that do not offer it. Every onion we build, peel or forward carries TLV payloads; a legacy payload is refused as BOLT 4 says.',
  },
  {
    name: 'option_static_remotekey',
    support: 'optional',
    places: ['I', 'N'],
    why: 'ASSUMED by BOLT 9. LDK (which checks it explicitly) and Eclair drop peers that do not offer it. Every channel type BOLT 2 still defines includes it.',
  },
  {
    name: 'option_anchors',
    support: 'optional',
    places: ['I', 'N'],
    why: 'BOLT 2 channel_type `option_anchors` (with static_remotekey) is what we open with when the peer offers it too, as Core Lightning does: zero-fee HTLC transactions funded by the wallet (onchaind), and our anchor spent with wallet coins (lightningd/anchor-boost.ts) when our commitment pays too little for the chain now (BOLT 3 anchors, BOLT 5).',
  },
  {
    name: 'payment_secret',
    support: 'optional',
    places: ['I', 'N'],
    why: 'ASSUMED by BOLT 9. LDK and Eclair drop peers that do not offer it. Our invoices always carry a payment secret and our final-node checks require it; our payments carry the one in the invoice.',
  },
  {
    name: 'option_attribution_data',
    support: 'optional',
    places: ['I', 'N'],
    why: 'BOLT 4 "Returning Errors": each fulfil and failure of an HTLC we received carries `attribution_data` with our hold time (lightningd/htlc-resolution.ts, over what the downstream sent when we forward; none when the HTLC came with `path_key`), channeld keeps it with the removal for retransmission, and as payer we read the hold times and blame the pair of hops whose HMAC fails for an error onion no hop\'s HMAC matches.',
  },
  {
    name: 'option_provide_storage',
    support: 'optional',
    places: ['I', 'N'],
    why: 'BOLT 1 "Peer Storage": we store the last `peer_storage` blob of each peer we have a channel with (lightningd/peer-storage.ts, within a quota) and send it back in `peer_storage_retrieval` after each `init`.',
  },
  {
    name: 'option_channel_type',
    support: 'optional',
    places: ['I', 'N'],
    why: 'ASSUMED by BOLT 9. Eclair and LDK 0.2+ drop peers that do not offer it. openingd always sends an explicit `channel_type` and refuses an open whose type we do not support.',
  },
] satisfies OurFeature[]);

function build(place: 'I' | 'N'): FeatureVector {
  let v = FeatureVector.EMPTY;
  for (const f of OUR_FEATURES) if (f.places.includes(place)) v = v.withFeature(f.name, f.support);
  checkOwnFeatures(v, place); // our own vector obeys the origin rules, or we fail at load
  return v;
}

const OURS = { I: build('I'), N: build('N') };

/** Our feature vector for `init` (`I`) or our `node_announcement` (`N`). */
export function ourFeatures(place: 'I' | 'N'): FeatureVector {
  return OURS[place];
}

/** Our features as a markdown table (bit, name, required/optional, why), for the README. */
export function ourFeaturesMarkdown(): string {
  const rows = OUR_FEATURES.map(f => {
    const even = featureByName(f.name)!.bit;
    const bit = f.support === 'required' ? even : even + 1;
    return { bit, line: `| ${bit} | \`${f.name}\` | ${f.support} | ${f.why.replace(/\|/g, '\\|')} |` };
  }).sort((a, b) => a.bit - b.bit);
  return ['| bit | name | required/optional | why |', '| --- | --- | --- | --- |', ...rows.map(r => r.line)].join('\n') + '\n';
}
