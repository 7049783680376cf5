import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { FeatureError } from '../../src/core/base/errors.ts';
import {
  FEATURES,
  FeatureVector,
  MAX_FEATURE_BYTES,
  checkAnnouncedFeatures,
  checkFeatures,
  checkInitFeatures,
  checkOwnFeatures,
  featureByBit,
  featureByName,
  initFeatures,
  isNegotiated,
  ourFeatures,
  ourFeaturesMarkdown,
} from '../../src/core/features/index.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';

const bits = (...b: number[]): FeatureVector => FeatureVector.fromBits(b);

describe('BOLT 9 table', () => {
  it('has every feature BOLT 9 assigns, with its pair', () => {
    const expected: [string, number][] = [
      ['option_data_loss_protect', 0],
      ['option_upfront_shutdown_script', 4],
      ['gossip_queries', 6],
      ['var_onion_optin', 8],
      ['gossip_queries_ex', 10],
      ['option_static_remotekey', 12],
      ['payment_secret', 14],
      ['basic_mpp', 16],
      ['option_support_large_channel', 18],
      ['option_anchors', 22],
      ['option_route_blinding', 24],
      ['option_shutdown_anysegwit', 26],
      ['option_dual_fund', 28],
      ['option_quiesce', 34],
      ['option_attribution_data', 36],
      ['option_onion_messages', 38],
      ['option_provide_storage', 42],
      ['option_channel_type', 44],
      ['option_scid_alias', 46],
      ['option_payment_metadata', 48],
      ['option_zeroconf', 50],
      ['option_simple_close', 60],
      ['option_splice', 62],
    ];
    deepEqual(
      FEATURES.map(f => [f.name, f.bit]),
      expected,
    );
  });

  it('is well formed: even bits, ascending, dependencies name rows', () => {
    for (let i = 0; i < FEATURES.length; i++) {
      const f = FEATURES[i]!;
      equal(f.bit % 2, 0, f.name);
      if (i > 0) ok(f.bit > FEATURES[i - 1]!.bit, f.name);
      for (const d of f.dependencies) ok(featureByName(d), `${f.name} depends on ${d}`);
      ok(f.presentedIn.length > 0, `${f.name} has somewhere to be presented`);
    }
  });

  it('records the contexts and dependencies of the spec', () => {
    deepEqual(featureByName('basic_mpp')!.contexts, ['I', 'N', '9']);
    deepEqual(featureByName('basic_mpp')!.dependencies, ['payment_secret']);
    deepEqual(featureByName('option_zeroconf')!.contexts, ['I', 'N', 'T']);
    deepEqual(featureByName('option_zeroconf')!.dependencies, ['option_scid_alias']);
    deepEqual(featureByName('option_simple_close')!.dependencies, ['option_shutdown_anysegwit']);
    deepEqual(featureByName('option_payment_metadata')!.contexts, ['9']);
    const assumed = FEATURES.filter(f => f.assumed).map(f => f.name);
    deepEqual(assumed, ['option_data_loss_protect', 'var_onion_optin', 'option_static_remotekey', 'payment_secret', 'option_channel_type']);
    for (const f of FEATURES.filter(x => x.assumed)) deepEqual(f.contexts, [], `${f.name}: BOLT 9 column is empty`);
  });

  it('finds rows by either bit and by old names', () => {
    equal(featureByBit(22)!.name, 'option_anchors');
    equal(featureByBit(23)!.name, 'option_anchors');
    equal(featureByName('option_anchors_zero_fee_htlc_tx')!.bit, 22);
    equal(featureByBit(2), undefined, 'initial_routing_sync was removed');
    equal(featureByBit(20), undefined, 'option_anchor_outputs was removed');
    equal(featureByBit(-1), undefined);
    equal(featureByBit(1.5), undefined);
  });
});

describe('FeatureVector encoding (BOLT 1: bit 0 is the least significant bit of the last byte)', () => {
  const vectors: [number[], string][] = [
    [[], ''],
    [[0], '01'],
    [[1], '02'],
    [[9], '0200'],
    [[15], '8000'],
    [[0, 1], '03'],
    [[1, 9, 15], '8202'],
    [[0, 9, 15], '8201'],
    // BOLT 11 test vectors' `9` field `sgq` = b100000100000000: var_onion_optin and payment_secret required.
    [[8, 14], '4100'],
    [[1, 7, 9, 13, 15, 45], '20000000a282'],
    [[100], '10' + '00'.repeat(12)],
  ];
  for (const [b, hex] of vectors) {
    it(`bits [${b.join(',')}] <-> ${hex || '(empty)'}`, () => {
      const v = bits(...b);
      equal(v.toHex(), hex);
      deepEqual(v.bits(), b);
      ok(FeatureVector.fromBytes(fromHex(hex)).equals(v));
      for (const x of b) ok(v.isSet(x), `bit ${x}`);
    });
  }

  it('reads leading zero bytes and writes minimal bytes', () => {
    const v = FeatureVector.fromBytes(fromHex('0000008202'));
    equal(v.toHex(), '8202');
    deepEqual(v.bits(), [1, 9, 15]);
    ok(FeatureVector.fromBytes(fromHex('000000')).isEmpty);
    equal(FeatureVector.fromBytes(fromHex('000000')).toBytes().length, 0);
  });

  it('does not alias the bytes it was read from', () => {
    const b = fromHex('8202');
    const v = FeatureVector.fromBytes(b);
    b[0] = 0;
    equal(v.toHex(), '8202');
    const out = v.toBytes();
    out[0] = 0;
    equal(v.toHex(), '8202');
  });

  it('refuses vectors longer than a u16 length allows', () => {
    ok(FeatureVector.fromBytes(new Uint8Array(MAX_FEATURE_BYTES)).isEmpty);
    throws(() => FeatureVector.fromBytes(new Uint8Array(MAX_FEATURE_BYTES + 1)), FeatureError, 'feature_vector_too_long');
    throws(() => FeatureVector.fromBytes([1, 2] as unknown as Uint8Array), FeatureError, 'bad_feature_bytes');
  });

  it('sets, tests and clears features by name', () => {
    let v = FeatureVector.EMPTY.withFeature('var_onion_optin', 'optional');
    ok(v.has('var_onion_optin'));
    ok(v.has('var_onion_optin', 'optional'));
    ok(!v.has('var_onion_optin', 'required'));
    ok(!v.requires('var_onion_optin'));
    ok(v.has(8) && v.has(9), 'a bit number asks about its pair');
    v = v.withFeature('var_onion_optin', 'required');
    deepEqual(v.bits(), [8], 'required replaces optional');
    ok(v.requires('var_onion_optin'));
    v = v.withFeature('option_anchors_zero_fee_htlc_tx');
    deepEqual(v.bits(), [8, 23]);
    v = v.withoutFeature('var_onion_optin');
    deepEqual(v.bits(), [23]);
    equal(v.withoutBit(23).toHex(), '', 'clearing the top bit trims');
    ok(FeatureVector.EMPTY.withBit(0).withBit(1).requires('option_data_loss_protect'), 'both set counts as required');
    ok(!v.isSet(-1) && !v.isSet(0.5) && !v.has(-2) && !v.has(2.5));
  });

  it('refuses bad bits and unknown names with FeatureError', () => {
    throws(() => FeatureVector.EMPTY.withBit(-1), FeatureError, 'bad_feature_bit');
    throws(() => FeatureVector.EMPTY.withBit(1.5), FeatureError, 'bad_feature_bit');
    throws(() => FeatureVector.EMPTY.withBit(MAX_FEATURE_BYTES * 8), FeatureError, 'bad_feature_bit');
    throws(() => FeatureVector.EMPTY.withFeature('option_nonsense'), FeatureError, 'unknown_feature_name');
    throws(() => FeatureVector.EMPTY.has('option_nonsense'), FeatureError, 'unknown_feature_name');
  });

  it('lists names', () => {
    const v = bits(0, 1, 9, 23, 101);
    deepEqual(v.names(), ['option_data_loss_protect', 'var_onion_optin', 'option_anchors', 'unknown_100']);
    deepEqual(v.list()[0], { bit: 0, name: 'option_data_loss_protect', support: 'required' });
    equal(
      v.toString(),
      'option_data_loss_protect/even,option_data_loss_protect/odd,var_onion_optin/odd,option_anchors/odd,unknown_100/odd',
    );
  });

  it('ORs vectors of different lengths (BOLT 1: init features = globalfeatures | features)', () => {
    const merged = initFeatures(fromHex('2202'), fromHex('8000000080'));
    equal(merged.toHex(), '8000002282');
    deepEqual(merged.bits(), [1, 7, 9, 13, 39]);
    ok(initFeatures(new Uint8Array(0), new Uint8Array(0)).isEmpty);
    ok(bits(1).or(bits(45)).equals(bits(1, 45)));
    ok(bits(45).or(bits(1)).equals(bits(1, 45)));
    ok(bits(3).or(bits(3)).equals(bits(3)));
  });
});

describe('init features (BOLT 1 receiving node)', () => {
  const ours = ourFeatures('I');

  it('closes on an unknown even bit and ignores an unknown odd bit', () => {
    throws(() => checkInitFeatures(bits(1, 100), ours), FeatureError, 'unknown_required_feature');
    const r = checkInitFeatures(bits(1, 101, 255), ours);
    deepEqual(r.report.unknownOptional, [101, 255]);
    deepEqual(r.report.unknownRequired, []);
    // bit 2 was initial_routing_sync: unassigned now, so requiring it is requiring the unknown.
    throws(() => checkInitFeatures(bits(2), ours), FeatureError, 'unknown_required_feature');
    checkInitFeatures(bits(3), ours);
  });

  it('treats a feature assigned only to other contexts as unknown', () => {
    // option_payment_metadata is `9` only.
    const e = throws<FeatureError>(() => checkInitFeatures(bits(48), ours), FeatureError, 'unknown_required_feature');
    ok(e.message.includes('option_payment_metadata'), e.message);
    const r = checkInitFeatures(bits(49), ours);
    deepEqual(r.report.wrongContext, [49]);
    deepEqual(r.report.unknownOptional, [49]);
  });

  it('refuses a peer requiring a feature we do not offer', () => {
    throws(() => checkInitFeatures(bits(28), ours), FeatureError, 'unsupported_required_feature');
    throws(() => checkInitFeatures(bits(38), ours), FeatureError, 'unsupported_required_feature');
    checkInitFeatures(bits(29), ours);
    checkInitFeatures(bits(28), ours.withFeature('option_dual_fund'));
    checkInitFeatures(bits(22), ours); // we offer option_anchors
    checkInitFeatures(bits(6), ours); // we offer gossip_queries
  });

  it('accepts ASSUMED features required, even ones we would not offer', () => {
    checkInitFeatures(bits(0, 8, 12, 14, 44), ours);
    checkInitFeatures(bits(0, 8, 12, 14, 44), FeatureVector.EMPTY);
  });

  it('treats both bits of a pair as required, not as an error', () => {
    const r = checkInitFeatures(bits(0, 1, 6, 7), ours);
    deepEqual(r.report.bothBitsSet, ['option_data_loss_protect', 'gossip_queries']);
    ok(bits(0, 1).requires('option_data_loss_protect'));
  });

  it('closes when a dependency is missing', () => {
    throws(() => checkInitFeatures(bits(51), ours), FeatureError, 'missing_feature_dependency');
    checkInitFeatures(bits(47, 51), ours);
    const e = throws<FeatureError>(() => checkInitFeatures(bits(61), ours), FeatureError, 'missing_feature_dependency');
    ok(e.message.includes('option_shutdown_anysegwit'), e.message);
    checkInitFeatures(bits(27, 61), ours);
  });

  it('takes a missing ASSUMED dependency as met', () => {
    const r = checkInitFeatures(bits(17), ours);
    deepEqual(r.report.missingDependencies, [{ feature: 'basic_mpp', missing: 'payment_secret', assumed: true }]);
  });

  it('closes when the peer does not offer a feature we require', () => {
    const strict = ours.withFeature('option_support_large_channel', 'required');
    throws(() => checkInitFeatures(bits(1), strict), FeatureError, 'peer_lacks_required_feature');
    checkInitFeatures(bits(19), strict);
    checkInitFeatures(bits(18), strict);
  });

  it('checks unknown even bits before dependencies', () => {
    throws(() => checkInitFeatures(bits(51, 200), ours), FeatureError, 'unknown_required_feature');
  });

  it('reports negotiated features (BOLT 1 definition; ASSUMED always)', () => {
    const r = checkInitFeatures(bits(7, 23, 29), ours);
    ok(r.negotiated.includes('gossip_queries'));
    ok(r.negotiated.includes('option_static_remotekey'));
    ok(r.negotiated.includes('option_anchors'), 'both offered it');
    ok(!r.negotiated.includes('option_dual_fund'), 'we did not offer it');
    ok(!checkInitFeatures(bits(23), ours).negotiated.includes('gossip_queries'), 'they did not offer it');
    ok(isNegotiated(bits(18), bits(), 'option_support_large_channel'), 'we offered it as even');
    ok(!isNegotiated(bits(19), bits(), 'option_support_large_channel'));
    ok(!isNegotiated(bits(19), bits(19), 'no_such_feature'));
  });
});

describe('our own vectors (BOLT 9 origin node)', () => {
  it('refuses both bits of a pair', () => {
    throws(() => checkOwnFeatures(bits(0, 1), 'I'), FeatureError, 'both_feature_bits_set');
  });

  it('refuses bits BOLT 9 does not assign', () => {
    throws(() => checkOwnFeatures(bits(3), 'I'), FeatureError, 'undefined_feature_bit');
    throws(() => checkOwnFeatures(bits(1, 101), 'N'), FeatureError, 'undefined_feature_bit');
  });

  it('refuses a feature in a context it does not belong to', () => {
    throws(() => checkOwnFeatures(bits(49), 'I'), FeatureError, 'feature_wrong_context');
    throws(() => checkOwnFeatures(bits(49), 'N'), FeatureError, 'feature_wrong_context');
    checkOwnFeatures(bits(49), '9');
    throws(() => checkOwnFeatures(bits(23), '9'), FeatureError, 'feature_wrong_context');
    checkOwnFeatures(bits(22, 12), 'T');
    throws(() => checkOwnFeatures(bits(26), 'T'), FeatureError, 'feature_wrong_context');
    // No BOLT 9 feature is assigned to channel_announcement or blinded paths today.
    throws(() => checkOwnFeatures(bits(19), 'C'), FeatureError, 'feature_wrong_context');
    throws(() => checkOwnFeatures(bits(25), 'B'), FeatureError, 'feature_wrong_context');
    checkOwnFeatures(FeatureVector.EMPTY, 'C');
  });

  it('requires every transitive dependency, ASSUMED ones included', () => {
    throws(() => checkOwnFeatures(bits(17), '9'), FeatureError, 'missing_feature_dependency');
    checkOwnFeatures(bits(15, 17), '9');
    throws(() => checkOwnFeatures(bits(51), 'I'), FeatureError, 'missing_feature_dependency');
    checkOwnFeatures(bits(47, 51), 'I');
    checkOwnFeatures(bits(46, 50), 'T');
  });
});

describe('announced features (BOLT 7 receiving node)', () => {
  it('marks a node with unknown even bits unusable, without refusing the announcement', () => {
    equal(checkAnnouncedFeatures(bits(1, 7, 100), 'N').usable, false);
    equal(checkAnnouncedFeatures(bits(1, 7, 101), 'N').usable, true);
    equal(checkAnnouncedFeatures(bits(0, 8, 12, 14, 44), 'N').usable, true);
  });

  it('treats a bit assigned elsewhere as unknown (an invoice-only bit in a node_announcement)', () => {
    const even = checkAnnouncedFeatures(bits(48), 'N');
    equal(even.usable, false);
    deepEqual(even.report.wrongContext, [48]);
    const odd = checkAnnouncedFeatures(bits(49), 'N');
    equal(odd.usable, true);
    deepEqual(odd.report.wrongContext, [49]);
  });

  it('only reports missing dependencies (no reader rule in BOLT 7)', () => {
    const r = checkAnnouncedFeatures(bits(51), 'N');
    equal(r.usable, true);
    deepEqual(r.report.missingDependencies, [{ feature: 'option_zeroconf', missing: 'option_scid_alias', assumed: false }]);
  });

  it('channel_announcement: any even bit is unknown today', () => {
    equal(checkAnnouncedFeatures(bits(18), 'C').usable, false);
    equal(checkAnnouncedFeatures(bits(19), 'C').usable, true);
    equal(checkAnnouncedFeatures(FeatureVector.EMPTY, 'C').usable, true);
  });

  it('caps the bits a report lists', () => {
    const r = checkFeatures(FeatureVector.fromBytes(new Uint8Array(1000).fill(0xff)), 'N');
    equal(r.unknownRequired.length, 64);
    equal(r.unknownOptional.length, 64);
  });
});

describe('ourFeatures', () => {
  // Init features of real implementations, from their sources' defaults (even = they require it):
  // LDK 0.1 provided_init_features + gossip_queries (P2PGossipSync) + onion messages;
  // Core Lightning lightningd.c; LND feature/default_sets.go (SetInit); Eclair reference.conf.
  const peers: Record<string, number[]> = {
    'LDK 0.1': [0, 5, 7, 8, 12, 14, 17, 19, 25, 27, 39, 45, 47, 51],
    'LDK 0.2': [0, 5, 7, 8, 12, 14, 17, 19, 25, 27, 35, 39, 43, 44, 47, 51, 61, 63],
    'Core Lightning': [0, 5, 7, 8, 11, 12, 14, 17, 19, 23, 25, 27, 35, 39, 43, 44, 47, 51, 63],
    LND: [0, 5, 7, 8, 12, 14, 17, 19, 23, 25, 27, 31, 35, 39, 44, 47, 51, 61, 81, 161, 181, 2023, 2025],
    Eclair: [0, 7, 8, 11, 12, 14, 17, 19, 23, 25, 27, 29, 35, 37, 39, 44, 47, 61, 63, 81],
  };

  it('is exactly bits 1, 5, 7, 9, 11, 13, 15, 23, 37, 43, 45 in init and node_announcement', () => {
    equal(ourFeatures('I').toHex(), '28200080aaa2');
    deepEqual(ourFeatures('I').bits(), [1, 5, 7, 9, 11, 13, 15, 23, 37, 43, 45]);
    ok(ourFeatures('N').equals(ourFeatures('I')));
  });

  it('is all optional and obeys the origin rules', () => {
    for (const b of ourFeatures('I').bits()) equal(b % 2, 1, `bit ${b}`);
    checkOwnFeatures(ourFeatures('I'), 'I');
    checkOwnFeatures(ourFeatures('N'), 'N');
  });

  it('offers what LDK 0.1 demands: bits 0, 8, 12 and 14 (optional or required)', () => {
    const ours = ourFeatures('I');
    for (const b of [0, 8, 12, 14]) ok(ours.has(b), `bit ${b}`);
    ok(ours.has('option_static_remotekey'), 'ChannelManager::peer_connected checks it');
  });

  for (const [peer, peerBits] of Object.entries(peers)) {
    it(`interoperates with ${peer}`, () => {
      const theirs = bits(...peerBits);
      const ours = ourFeatures('I');
      // We accept them (BOLT 1 reader rules).
      checkInitFeatures(theirs, ours);
      // They accept us: LDK and Eclair refuse a peer not offering any pair they set even; LND
      // refuses one without data_loss_protect.
      for (const b of peerBits) if (b % 2 === 0) ok(ours.has(b), `${peer} requires bit ${b}`);
      ok(ours.has('option_data_loss_protect'));
    });
  }

  it('renders a markdown table for the README', () => {
    const md = ourFeaturesMarkdown();
    const lines = md.trim().split('\n');
    equal(lines[0], '| bit | name | required/optional | why |');
    equal(lines.length, 2 + 11);
    ok(lines[2]!.startsWith('| 1 | `option_data_loss_protect` | optional |'), lines[2]);
    ok(lines[3]!.startsWith('| 5 | `option_upfront_shutdown_script` | optional |'), lines[3]);
    ok(lines[9]!.startsWith('| 23 | `option_anchors` | optional |'), lines[9]);
    ok(lines[10]!.startsWith('| 37 | `option_attribution_data` | optional |'), lines[10]);
    ok(lines[11]!.startsWith('| 43 | `option_provide_storage` | optional |'), lines[11]);
    ok(lines[12]!.startsWith('| 45 | `option_channel_type` | optional |'), lines[12]);
  });

  it('is the same vector every call (immutable)', () => {
    const a = ourFeatures('I');
    a.withFeature('option_dual_fund');
    equal(toHex(ourFeatures('I').toBytes()), '28200080aaa2');
  });
});
