// BOLT 11: every example and every invalid example of 11-payment-encoding.md (bolt11-vectors.ts),
// decoded to the fields the spec lists, re-encoded and re-signed with the spec's key, refused
// with the reason the spec names; plus the writer rules and Core Lightning's `decode` shape.
import { bech32 } from '@scure/base';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { FeatureVector } from '../../src/core/features/index.ts';
import { formatScid } from '../../src/core/wire/scid.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import {
  Bolt11Error,
  buildInvoiceFields,
  decodeBolt11,
  decodeInvoice,
  encodeInvoice,
  fallbackAddress,
  fallbackType,
  formatHrp,
  parseHrp,
  signingData,
  type Invoice,
} from '../../src/core/bolt11/index.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';
import { INVALID_EXAMPLES, SPEC_PAYEE, SPEC_PRIV_KEY, VALID_EXAMPLES, type ValidExample } from './bolt11-vectors.ts';

const KEY = fromHex(SPEC_PRIV_KEY);
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

function fieldsOf(inv: Invoice, ex: ValidExample): Record<string, unknown> {
  return {
    currency: inv.currency,
    amountMsat: inv.amountMsat?.toString(),
    timestamp: inv.timestamp,
    paymentHash: toHex(inv.paymentHash),
    paymentSecret: toHex(inv.paymentSecret),
    description: inv.description,
    descriptionHash: inv.descriptionHash && toHex(inv.descriptionHash),
    metadata: inv.metadata && toHex(inv.metadata),
    expiry: inv.expiry,
    minFinalCltvExpiry: inv.minFinalCltvExpiry,
    featureBits: inv.features?.bits() ?? [],
    fallbacks: inv.fallbacks.length ? inv.fallbacks.map(f => [fallbackType(f), fallbackAddress(f, inv.currency)]) : undefined,
    routes: inv.routes.length
      ? inv.routes.map(r => r.map(h => ({ ...h, pubkey: toHex(h.pubkey), shortChannelId: formatScid(h.shortChannelId) })))
      : undefined,
    ignored: ex.ignored ? inv.unknown.map(u => [CHARSET[u.type], u.words.length]) : undefined,
  };
}

function expectedOf(ex: ValidExample): Record<string, unknown> {
  const { title, bolt11, highS, signature, recoveryId, signingData: sd, signingHash, ...fields } = ex;
  (void title, bolt11, highS, signature, recoveryId, sd, signingHash);
  return fields;
}

describe('BOLT 11 examples', () => {
  it('has all 16 valid and 10 invalid examples of the spec', () => {
    equal(VALID_EXAMPLES.length, 16);
    equal(INVALID_EXAMPLES.length, 10);
  });

  for (const ex of VALID_EXAMPLES) {
    describe(ex.title, () => {
      it('decodes to the fields of its breakdown', () => {
        const inv = decodeInvoice(ex.bolt11);
        deepEqual(fieldsOf(inv, ex), expectedOf(ex));
      });

      if (ex.signature) {
        it('has the signature, recovery id and signed data of its signature breakdown', () => {
          const inv = decodeInvoice(ex.bolt11);
          equal(toHex(inv.signature), ex.signature);
          equal(inv.recoveryId, ex.recoveryId);
          const { prefix, words } = bech32.decode(ex.bolt11.toLowerCase() as `${string}1${string}`, false);
          const data = signingData(prefix, words.slice(0, -104));
          equal(toHex(data), ex.signingData);
          equal(toHex(sha256(data)), ex.signingHash);
        });
      }

      if (!ex.highS) {
        it('names the spec key as payee and re-signs to the identical string', () => {
          const inv = decodeInvoice(ex.bolt11);
          equal(toHex(inv.payee), SPEC_PAYEE);
          equal(encodeInvoice(inv, KEY), ex.bolt11.toLowerCase());
        });
      }
    });
  }

  it('accepts the high-S example by public-key recovery (no n field), and re-signing it low-S gives the first example', () => {
    const high = VALID_EXAMPLES.find(e => e.highS)!;
    const inv = decodeInvoice(high.bolt11);
    ok(BigInt('0x' + toHex(inv.signature.subarray(32))) > 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n, 'S is high');
    // SEC 1 4.1.6 recovery (as libsecp256k1's secp256k1_ecdsa_recover) with the transmitted
    // recovery id 1 and the high S: the key whose R has odd y. The spec key needs id 0 with this S.
    equal(toHex(inv.payee), '02d0139ce7427d6dfffd26a326c18be754ef1e64672b42694ba5b23ef6e6e7803d');
    equal(encodeInvoice(inv, KEY), VALID_EXAMPLES[0]!.bolt11);
  });

  for (const ex of INVALID_EXAMPLES) {
    it(`refuses: ${ex.title} (${ex.code})`, () => {
      throws(() => decodeInvoice(ex.bolt11), Bolt11Error, ex.code);
    });
  }
});

describe('BOLT 11 human-readable part', () => {
  it('reads every multiplier and prefix', () => {
    deepEqual(parseHrp('lnbc'), { currency: 'bc' });
    deepEqual(parseHrp('lnbc2'), { currency: 'bc', amountMsat: 200_000_000_000n });
    deepEqual(parseHrp('lntb20m'), { currency: 'tb', amountMsat: 2_000_000_000n });
    deepEqual(parseHrp('lntbs3u'), { currency: 'tbs', amountMsat: 300_000n });
    deepEqual(parseHrp('lnbcrt7n'), { currency: 'bcrt', amountMsat: 700n });
    deepEqual(parseHrp('lnbcrt10p'), { currency: 'bcrt', amountMsat: 1n });
  });

  it('refuses an unknown prefix, a bad amount, a zero amount and sub-millisatoshi', () => {
    throws(() => parseHrp('lnxy1m'), Bolt11Error, 'unknown_prefix');
    throws(() => parseHrp('bc1m'), Bolt11Error, 'unknown_prefix');
    throws(() => parseHrp('lnbc1mm'), Bolt11Error, 'bad_amount');
    throws(() => parseHrp('lnbc1.5m'), Bolt11Error, 'bad_amount');
    throws(() => parseHrp('lnbc0'), Bolt11Error, 'bad_amount');
    equal(parseHrp('lnbc184467440737095516150p').amountMsat, (1n << 64n) - 1n);
    throws(() => parseHrp('lnbc184467440737095516160p'), Bolt11Error, 'bad_amount');
    throws(() => parseHrp('lnbc15p'), Bolt11Error, 'sub_msat_amount');
  });

  it('writes the shortest amount, largest multiplier first', () => {
    equal(formatHrp({ currency: 'bc', amountMsat: 100_000_000_000n }), 'lnbc1');
    equal(formatHrp({ currency: 'bc', amountMsat: 250_000_000n }), 'lnbc2500u');
    equal(formatHrp({ currency: 'bc', amountMsat: 2_000_000_000n }), 'lnbc20m');
    equal(formatHrp({ currency: 'tb', amountMsat: 1_000n }), 'lntb10n');
    equal(formatHrp({ currency: 'bcrt', amountMsat: 967_878_534n }), 'lnbcrt9678785340p');
    equal(formatHrp({ currency: 'tbs' }), 'lntbs');
    for (const msat of [1n, 99n, 100n, 101n, 100_000n, 123_456_789_012n]) {
      equal(parseHrp(formatHrp({ currency: 'bc', amountMsat: msat })).amountMsat, msat);
    }
  });
});

describe('BOLT 11 writer and reader rules', () => {
  const hash = sha256(new Uint8Array([1]));
  const secret = new Uint8Array(32).fill(0x22);
  const payee = fromHex(SPEC_PAYEE);
  const base = { currency: 'bcrt' as const, timestamp: 1_700_000_000 };

  it('round-trips every tagged field, with an n field checked instead of recovery', () => {
    const fields = buildInvoiceFields({
      paymentHash: hash,
      paymentSecret: secret,
      description: 'x'.repeat(600),
      metadata: fromHex('01fafaf0'),
      expiry: 86_400,
      minFinalCltvExpiry: 144,
      fallbacks: [{ version: 0, program: new Uint8Array(20).fill(7) }],
      routes: [[{ pubkey: payee, shortChannelId: 123n << 40n, feeBaseMsat: 1000, feeProportionalMillionths: 1, cltvExpiryDelta: 40 }]],
      features: FeatureVector.fromBits([9, 15, 17]),
      payee,
    });
    const s = encodeInvoice({ ...base, amountMsat: 1234n, fields }, KEY);
    ok(s.length > 1023, 'longer than bech32 limits');
    const inv = decodeInvoice(s);
    equal(inv.description, 'x'.repeat(600));
    equal(inv.expiry, 86_400);
    equal(inv.minFinalCltvExpiry, 144);
    deepEqual(inv.features?.bits(), [9, 15, 17]);
    deepEqual(inv.payee, payee);
    deepEqual(inv.fields, fields);
    equal(encodeInvoice(inv, KEY), s);
  });

  it('refuses an n field that did not sign, and recovers another key without it', () => {
    const other = fromHex('1111111111111111111111111111111111111111111111111111111111111111');
    const withN = encodeInvoice(
      { ...base, fields: buildInvoiceFields({ paymentHash: hash, paymentSecret: secret, description: 'd', payee }) },
      other,
    );
    throws(() => decodeInvoice(withN), Bolt11Error, 'bad_signature');
    const noN = decodeInvoice(
      encodeInvoice({ ...base, fields: buildInvoiceFields({ paymentHash: hash, paymentSecret: secret, description: 'd' }) }, other),
    );
    ok(toHex(noN.payee) !== SPEC_PAYEE);
  });

  it('refuses missing p, missing or double descriptions, a wrong h, a non-minimal x, and an unknown even feature', () => {
    const enc = (fields: Parameters<typeof encodeInvoice>[0]['fields']) => encodeInvoice({ ...base, fields }, KEY);
    throws(
      () =>
        decodeInvoice(
          enc([
            { tag: 's', value: secret },
            { tag: 'd', value: 'd' },
          ]),
        ),
      Bolt11Error,
      'missing_payment_hash',
    );
    throws(
      () =>
        decodeInvoice(
          enc([
            { tag: 'p', value: hash },
            { tag: 's', value: secret },
          ]),
        ),
      Bolt11Error,
      'missing_description',
    );
    const both = enc([
      { tag: 'p', value: hash },
      { tag: 's', value: secret },
      { tag: 'd', value: 'd' },
      { tag: 'h', value: hash },
    ]);
    throws(() => decodeInvoice(both), Bolt11Error, 'both_descriptions');
    const h = enc(
      buildInvoiceFields({ paymentHash: hash, paymentSecret: secret, descriptionHash: sha256(new TextEncoder().encode('cake')) }),
    );
    equal(decodeInvoice(h, { description: 'cake' }).description, undefined);
    throws(() => decodeInvoice(h, { description: 'pie' }), Bolt11Error, 'description_mismatch');
    const padded = enc([
      ...buildInvoiceFields({ paymentHash: hash, paymentSecret: secret, description: 'd' }),
      { tag: 'unknown', type: 6, words: [0, 1, 28] },
    ]);
    throws(() => decodeInvoice(padded), Bolt11Error, 'not_minimal');
    // a `d` (type 13) whose bytes are not UTF-8 (0xff 0xfe)
    const notUtf8 = enc([
      { tag: 'p', value: hash },
      { tag: 's', value: secret },
      { tag: 'unknown', type: 13, words: [31, 31, 30, 0] },
    ]);
    throws(() => decodeInvoice(notUtf8), Bolt11Error, 'bad_utf8');
    // basic_mpp (17) depends on payment_secret, which BOLT 9 now marks ASSUMED: accepted without it.
    const dep = enc(
      buildInvoiceFields({ paymentHash: hash, paymentSecret: secret, description: 'd', features: FeatureVector.fromBits([17]) }),
    );
    deepEqual(decodeInvoice(dep).features?.bits(), [17]);
    // an unknown even bit fails the payment, an unknown odd bit is ignored
    const even = enc(
      buildInvoiceFields({ paymentHash: hash, paymentSecret: secret, description: 'd', features: FeatureVector.fromBits([1000]) }),
    );
    throws(() => decodeInvoice(even), Bolt11Error, 'unknown_required_feature');
    const odd = enc(
      buildInvoiceFields({ paymentHash: hash, paymentSecret: secret, description: 'd', features: FeatureVector.fromBits([1001]) }),
    );
    deepEqual(decodeInvoice(odd).features?.bits(), [1001]);
  });

  it('builds only invoices with exactly one description', () => {
    throws(() => buildInvoiceFields({ paymentHash: hash, paymentSecret: secret }), Bolt11Error, 'bad_invoice');
    throws(
      () => buildInvoiceFields({ paymentHash: hash, paymentSecret: secret, description: 'a', descriptionHash: hash }),
      Bolt11Error,
      'bad_invoice',
    );
  });
});

describe("Core Lightning's decode result for bolt11", () => {
  it('has the fields of the route-hint example', () => {
    const ex = VALID_EXAMPLES[5]!;
    const r = decodeBolt11(ex.bolt11);
    equal(r.type, 'bolt11 invoice');
    equal(r.valid, true);
    equal(r.currency, 'bc');
    equal(r.created_at, 1496314658);
    equal(r.expiry, 3600);
    equal(r.payee, SPEC_PAYEE);
    equal(r.amount_msat, 2_000_000_000);
    equal(r.payment_hash, ex.paymentHash);
    equal(r.payment_secret, ex.paymentSecret);
    equal(r.description_hash, ex.descriptionHash);
    equal(r.min_final_cltv_expiry, 18);
    equal(r.features, '4100');
    deepEqual(r.fallbacks, [
      { type: 'P2PKH', addr: '1RustyRX2oai4EYYDpQGWvEL62BBGqN9T', hex: '76a91404b61f7dc1ea0dc99424464cc4064dc564d91e8988ac' },
    ]);
    deepEqual(r.routes, [
      ex.routes![0]!.map(h => ({
        pubkey: h.pubkey,
        short_channel_id: h.shortChannelId,
        fee_base_msat: h.feeBaseMsat,
        fee_proportional_millionths: h.feeProportionalMillionths,
        cltv_expiry_delta: h.cltvExpiryDelta,
      })),
    ]);
    // DER of the breakdown's R || S
    ok(r.signature.startsWith('30440220' + ex.signature!.slice(0, 64)));
  });

  it('lists the ignored fields as extra, with their Bech32 data', () => {
    const r = decodeBolt11(VALID_EXAMPLES[13]!.bolt11);
    deepEqual(r.extra?.[0], { tag: '2', data: 'qqq' });
    deepEqual(r.extra?.[1], { tag: 'f', data: 'n' + 'q'.repeat(32) });
    equal(r.extra?.length, 10);
    equal(r.payment_metadata, undefined);
    equal(decodeBolt11(VALID_EXAMPLES[14]!.bolt11).payment_metadata, '01fafaf0');
  });
});
