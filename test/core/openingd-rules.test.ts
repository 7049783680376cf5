// Every BOLT 2 establishment refusal openingd makes, one test each on the pure flow (opening.ts):
// a proposal that passes, changed in one field so that only the rule under test can refuse it,
// must be refused with that rule's code. Without the check, the changed proposal goes through (or
// another rule names it) and the test fails.
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { pubkeyOf } from '../../src/core/bolt3/index.ts';
import { FeatureVector } from '../../src/core/features/index.ts';
import { OpeningError, type OpeningRule } from '../../src/core/daemons/openingd/errors.ts';
import {
  createFunding,
  openChannel,
  receiveAcceptChannel,
  receiveFundingCreated,
  receiveFundingSigned,
  receiveOpenChannel,
  type OpeningContext,
  type OpenRequest,
} from '../../src/core/daemons/openingd/opening.ts';
import { channelIdOf } from '../../src/core/daemons/openingd/funding.ts';
import type { MessageOf } from '../../src/core/wire/messages.ts';
import { deepEqual, equal, rejects, throws } from '../support/assert.ts';
import { common } from './bolt3/appendix-c.ts';
import { APPENDIX, contextOf, signerOf, TYPE } from './openingd-fixture.ts';

const POINT_A = pubkeyOf(new Uint8Array(32).fill(0xa1));
const POINT_B = pubkeyOf(new Uint8Array(32).fill(0xb1));
/** 0x02 then x = 2^256 - 1: not on the curve. */
const NOT_A_POINT = fromHex('02' + 'ff'.repeat(32));
const bits = (...b: number[]) => FeatureVector.fromBits(b).toBytes();

const REQUEST: OpenRequest = {
  temporaryChannelId: new Uint8Array(32).fill(0x77),
  fundingSatoshis: APPENDIX.fundingSatoshis,
  pushMsat: APPENDIX.pushMsat,
  feeratePerKw: APPENDIX.feeratePerKw,
  channelType: fromHex(TYPE.staticRemotekey),
  announce: false,
};

function opened(req: Partial<OpenRequest> = {}, ctx: OpeningContext = contextOf('a')) {
  return openChannel(ctx, { ...REQUEST, ...req }, POINT_A);
}

type Open = MessageOf<'open_channel'>;
type Accept = MessageOf<'accept_channel'>;

function refusedOpen(code: OpeningRule, change: (m: Open) => Open, ctx: OpeningContext = contextOf('b')): void {
  const m = opened().message;
  receiveOpenChannel(ctx, m, POINT_B, 3); // the unchanged proposal passes
  throws(() => receiveOpenChannel(ctx, change(m), POINT_B, 3), OpeningError, code);
}

describe('openingd rules: the accepter refuses open_channel', () => {
  const cases: [string, OpeningRule, (m: Open) => Open][] = [
    [
      'a chain we do not know ("the `chain_hash` value is set to a hash of a chain that is unknown")',
      'unknown_chain',
      m => ({ ...m, chain_hash: chainHash('testnet') }),
    ],
    [
      'no channel_type ("if the message doesn\'t include a `channel_type`: fail the channel")',
      'channel_type_missing',
      m => ({ ...m, tlvs: { upfront_shutdown_script: { shutdown_scriptpubkey: new Uint8Array(0) } } }),
    ],
    [
      'anchors without static_remotekey (not a defined type)',
      'channel_type_unsuitable',
      m => ({ ...m, tlvs: { ...m.tlvs, channel_type: { type: bits(22) } } }),
    ],
    [
      'a bit no defined type has (payment_secret, 14)',
      'channel_type_unsuitable',
      m => ({ ...m, tlvs: { ...m.tlvs, channel_type: { type: bits(12, 14) } } }),
    ],
    [
      'a channel_type that is not the smallest bitmap',
      'channel_type_unsuitable',
      m => ({ ...m, tlvs: { ...m.tlvs, channel_type: { type: fromHex('001000') } } }),
    ],
    [
      'option_scid_alias on a channel to announce',
      'channel_type_unsuitable',
      m => ({ ...m, channel_flags: 1, tlvs: { ...m.tlvs, channel_type: { type: bits(12, 46) } } }),
    ],
    [
      'option_zeroconf from a peer we do not trust',
      'zeroconf_untrusted',
      m => ({ ...m, tlvs: { ...m.tlvs, channel_type: { type: bits(12, 50) } } }),
    ],
    ['push_msat over funding_satoshis * 1000', 'push_too_large', m => ({ ...m, push_msat: m.funding_satoshis * 1000n + 1n })],
    ['funding_satoshis below our minimum (MAY)', 'funding_too_small', m => ({ ...m, funding_satoshis: 9_999n, push_msat: 0n })],
    ['to_self_delay over our maximum ("unreasonably large")', 'to_self_delay_too_large', m => ({ ...m, to_self_delay: 2017 })],
    ['max_accepted_htlcs over 483', 'max_accepted_htlcs', m => ({ ...m, max_accepted_htlcs: 484 })],
    ['max_accepted_htlcs 0 (MAY: "too small")', 'max_accepted_htlcs', m => ({ ...m, max_accepted_htlcs: 0 })],
    ['feerate_per_kw below our floor ("too small for timely processing")', 'feerate_out_of_range', m => ({ ...m, feerate_per_kw: 252 })],
    ['feerate_per_kw over our ceiling ("unreasonably large")', 'feerate_out_of_range', m => ({ ...m, feerate_per_kw: 100_001 })],
    ['a funding_pubkey that is not a point', 'bad_pubkey', m => ({ ...m, funding_pubkey: NOT_A_POINT })],
    ['a htlc_basepoint that is not a point', 'bad_pubkey', m => ({ ...m, htlc_basepoint: NOT_A_POINT })],
    ['a first_per_commitment_point that is not a point', 'bad_pubkey', m => ({ ...m, first_per_commitment_point: NOT_A_POINT })],
    ['dust_limit_satoshis below 354', 'dust_limit_too_small', m => ({ ...m, dust_limit_satoshis: 353n })],
    ['dust_limit_satoshis over our maximum (MAY)', 'dust_limit_too_large', m => ({ ...m, dust_limit_satoshis: 10_001n })],
    [
      'dust_limit_satoshis above its own channel_reserve_satoshis',
      'dust_limit_above_reserve',
      m => ({ ...m, dust_limit_satoshis: 600n, channel_reserve_satoshis: 599n }),
    ],
    [
      'a reserve asked of us below our dust limit (546)',
      'reserve_below_dust',
      m => ({ ...m, dust_limit_satoshis: 400n, channel_reserve_satoshis: 500n }),
    ],
    [
      "an opener that cannot pay the first commitment's fee",
      'cannot_afford_fee',
      m => ({ ...m, funding_satoshis: 20_000n, push_msat: 19_000_000n }),
    ],
    ['reserves and fee over the funding', 'reserve_too_large', m => ({ ...m, funding_satoshis: 150_000n, push_msat: 0n })],
  ];
  for (const [what, code, change] of cases) it(`${code}: ${what}`, () => refusedOpen(code, change));

  it('the boundaries pass: to_self_delay 2016, max_accepted_htlcs 483, dust_limit 354, feerates 253 and 100000', () => {
    const m = opened().message;
    for (const ok of [
      { to_self_delay: 2016 },
      { max_accepted_htlcs: 483 },
      { dust_limit_satoshis: 354n },
      { feerate_per_kw: 253 },
      { feerate_per_kw: 100_000 },
    ]) {
      receiveOpenChannel(contextOf('b'), { ...m, ...ok }, POINT_B, 3);
    }
  });

  it('reserve_unmet: both first balances at their reserves ("both `to_local` and `to_remote` amounts ... less than or equal to `channel_reserve_satoshis`")', () => {
    // 20,000 + 20,000 reserves + 10,860 fee (feerate 15000, 724 weight) = 50,860 funded.
    const ctx = contextOf('b', { local: { channelReserveSatoshis: 20_000n } });
    const m = { ...opened().message, funding_satoshis: 50_860n, channel_reserve_satoshis: 20_000n };
    throws(() => receiveOpenChannel(ctx, { ...m, push_msat: 20_000_000n }, POINT_B, 3), OpeningError, 'reserve_unmet');
    // One satoshi more to the opener puts its balance above the reserve.
    receiveOpenChannel(ctx, { ...m, push_msat: 19_999_000n }, POINT_B, 3);
  });

  it('a channel_type with a feature the peer did not offer (anchors) is not suitable', () => {
    const ctx = contextOf('b', { theirFeatures: FeatureVector.fromBits([12, 19]).toHex() });
    const m = opened({ channelType: bits(12, 22) }).message;
    receiveOpenChannel(contextOf('b'), m, POINT_B, 3);
    throws(() => receiveOpenChannel(ctx, m, POINT_B, 3), OpeningError, 'channel_type_unsuitable');
  });

  it('funding of 2^24 sat or more needs option_support_large_channel from both', () => {
    const m = { ...opened().message, funding_satoshis: 1n << 24n };
    receiveOpenChannel(contextOf('b'), m, POINT_B, 3);
    const ctx = contextOf('b', { theirFeatures: FeatureVector.fromBits([12, 23]).toHex() });
    throws(() => receiveOpenChannel(ctx, m, POINT_B, 3), OpeningError, 'funding_too_large');
    receiveOpenChannel(ctx, { ...m, funding_satoshis: (1n << 24n) - 1n }, POINT_B, 3);
  });

  it('upfront_shutdown_script (BOLT 2): ours committed and theirs kept only when both advertised the feature; a script of no valid form fails', () => {
    const P2WPKH = fromHex('0014' + 'ab'.repeat(20));
    const P2TR = fromHex('5120' + 'cd'.repeat(32));
    const withUpfront = FeatureVector.fromBits([...FeatureVector.fromBytes(contextOf('a').ourFeatures).bits(), 5]).toHex();
    const both = { ourFeatures: withUpfront, theirFeatures: withUpfront };
    const scriptOf = (m: Open | Accept) => toHex(m.tlvs!.upfront_shutdown_script!.shutdown_scriptpubkey);
    // Negotiated: our close_to goes in open_channel, and the accepter keeps it as the peer's.
    const m = opened({}, { ...contextOf('a', both), upfrontShutdownScript: P2WPKH }).message;
    equal(scriptOf(m), toHex(P2WPKH));
    const accepted = receiveOpenChannel(contextOf('b', both), m, POINT_B, 3);
    equal(scriptOf(accepted.message), '', 'the accepter commits to nothing');
    const deal = (accepted.state as { deal: { remoteUpfront?: Uint8Array; localUpfront?: Uint8Array } }).deal;
    deepEqual([deal.remoteUpfront && toHex(deal.remoteUpfront), deal.localUpfront], [toHex(P2WPKH), undefined]);
    // Offered by one side only: the TLV is empty and nothing is kept.
    const alone = opened({}, { ...contextOf('a', { ourFeatures: withUpfront }), upfrontShutdownScript: P2WPKH }).message;
    equal(scriptOf(alone), '');
    const kept = receiveOpenChannel(contextOf('b', { ourFeatures: withUpfront }), { ...m }, POINT_B, 3).state as {
      deal: { remoteUpfront?: Uint8Array };
    };
    equal(kept.deal.remoteUpfront, undefined);
    // A taproot script needs option_shutdown_anysegwit: refused from the peer, and ours is never sent.
    const taproot = { ...m, tlvs: { ...m.tlvs, upfront_shutdown_script: { shutdown_scriptpubkey: P2TR } } };
    throws(() => receiveOpenChannel(contextOf('b', both), taproot, POINT_B, 3), OpeningError, 'bad_upfront_shutdown_script');
    throws(() => opened({}, { ...contextOf('a', both), upfrontShutdownScript: P2TR }), OpeningError, 'bad_upfront_shutdown_script');
  });

  it('dual_fund_negotiated: "if `option_dual_fund` has been negotiated: fail the channel"', () => {
    const withDualFund = FeatureVector.fromBits([12, 19, 23, 29, 47, 51]).toHex();
    const m = opened().message;
    receiveOpenChannel(contextOf('b', { ourFeatures: withDualFund }), m, POINT_B, 3); // offered by us alone: not negotiated
    const ctx = contextOf('b', { ourFeatures: withDualFund, theirFeatures: withDualFund });
    throws(() => receiveOpenChannel(ctx, m, POINT_B, 3), OpeningError, 'dual_fund_negotiated');
  });

  it('option_zeroconf from a trusted peer is accepted with minimum_depth 0, whatever lightningd asked', () => {
    const ctx = contextOf('b', { policy: { trustZeroconf: true } });
    const m = opened({ channelType: bits(12, 50) }).message;
    equal(receiveOpenChannel(ctx, m, POINT_B, 6).message.minimum_depth, 0);
  });

  it("accept_channel answers with the opener's channel_type and a reserve at least the opener's dust limit", () => {
    const ctx = contextOf('b', { local: { channelReserveSatoshis: 500n, dustLimitSatoshis: 400n } });
    const m = { ...opened().message, dust_limit_satoshis: 700n, channel_reserve_satoshis: 1000n };
    const a = receiveOpenChannel(ctx, m, POINT_B, 3).message;
    equal(a.channel_reserve_satoshis, 700n);
    deepEqual(a.tlvs?.channel_type?.type, m.tlvs?.channel_type?.type);
  });
});

function acceptedBy(open: Open, ctx = contextOf('b')): Accept {
  return receiveOpenChannel(ctx, open, POINT_B, 3).message;
}

function refusedAccept(code: OpeningRule, change: (m: Accept) => Accept, ctxA = contextOf('a'), ctxB = contextOf('b')): void {
  const { state, message } = opened({}, ctxA);
  const accept = acceptedBy(message, ctxB);
  receiveAcceptChannel(state, accept);
  throws(() => receiveAcceptChannel(state, change(accept)), OpeningError, code);
}

describe('openingd rules: the opener refuses accept_channel', () => {
  const cases: [string, OpeningRule, (m: Accept) => Accept][] = [
    [
      'another temporary_channel_id ("MUST be the same as ... in the `open_channel` message")',
      'temporary_channel_id',
      m => ({ ...m, temporary_channel_id: new Uint8Array(32).fill(1) }),
    ],
    ['no channel_type ("MUST fail the channel")', 'channel_type_missing', m => ({ ...m, tlvs: {} })],
    [
      'another channel_type ("does not match the `channel_type` from `open_channel`")',
      'channel_type_mismatch',
      m => ({ ...m, tlvs: { ...m.tlvs, channel_type: { type: bits(12, 22) } } }),
    ],
    ['minimum_depth over our maximum ("unreasonably large": MAY)', 'minimum_depth_too_large', m => ({ ...m, minimum_depth: 101 })],
    ['max_accepted_htlcs over 483 (the same requirements as open_channel)', 'max_accepted_htlcs', m => ({ ...m, max_accepted_htlcs: 484 })],
    ['to_self_delay over our maximum', 'to_self_delay_too_large', m => ({ ...m, to_self_delay: 2017 })],
    ['dust_limit_satoshis below 354', 'dust_limit_too_small', m => ({ ...m, dust_limit_satoshis: 353n })],
    ['a delayed_payment_basepoint that is not a point', 'bad_pubkey', m => ({ ...m, delayed_payment_basepoint: NOT_A_POINT })],
    ['a first_per_commitment_point that is not a point', 'bad_pubkey', m => ({ ...m, first_per_commitment_point: NOT_A_POINT })],
    [
      'its channel_reserve below our dust_limit ("`channel_reserve_satoshis` is less than `dust_limit_satoshis` within the `open_channel` message")',
      'reserve_below_dust',
      m => ({ ...m, channel_reserve_satoshis: 500n, dust_limit_satoshis: 400n }),
    ],
  ];
  for (const [what, code, change] of cases) it(`${code}: ${what}`, () => refusedAccept(code, change));

  it('reserve_below_dust: our channel_reserve below its dust_limit ("`channel_reserve_satoshis` from the `open_channel` message is less than `dust_limit_satoshis`")', () => {
    refusedAccept(
      'reserve_below_dust',
      m => ({ ...m, dust_limit_satoshis: 6_000n }),
      contextOf('a', { local: { channelReserveSatoshis: 5_000n } }),
    );
  });

  it('lightningd asking for more than 483 HTLCs is refused before anything is sent', () => {
    throws(() => opened({}, contextOf('a', { local: { maxAcceptedHtlcs: 484 } })), OpeningError, 'max_accepted_htlcs');
    throws(() => opened({ pushMsat: REQUEST.fundingSatoshis * 1000n + 1n }), OpeningError, 'push_too_large');
  });
});

describe('openingd rules: funding_created and funding_signed', () => {
  const TXID = common.funding_tx_id;

  async function toFundingCreated(signerA = signerOf('a'), outputIndex = 0) {
    const o = opened();
    const b = receiveOpenChannel(contextOf('b'), o.message, POINT_B, 3);
    const a = receiveAcceptChannel(o.state, b.message);
    const created = await createFunding(a.state, { txid: TXID, outputIndex }, signerA);
    return { a: created.state, b: b.state, created: created.message };
  }

  it('channel_id is the funding txid (internal order) with the output index XORed into its last 2 bytes', () => {
    const txid = new Uint8Array(32).fill(0xf0);
    deepEqual(channelIdOf(txid, 0x0102), Uint8Array.from([...new Uint8Array(30).fill(0xf0), 0xf1, 0xf2]));
  });

  it('temporary_channel_id: funding_created naming another channel', async () => {
    const { b, created } = await toFundingCreated();
    await rejects(
      receiveFundingCreated(b, { ...created, temporary_channel_id: new Uint8Array(32) }, signerOf('b')),
      OpeningError,
      'temporary_channel_id',
    );
  });

  it("bad_funding_signature: funding_created signed with a key that is not the opener's funding key", async () => {
    const { b, created } = await toFundingCreated();
    await receiveFundingCreated(b, created, signerOf('b'));
    const wrong = (await toFundingCreated(signerOf('b'))).created;
    await rejects(receiveFundingCreated(b, wrong, signerOf('b')), OpeningError, 'bad_funding_signature');
  });

  it('bad_funding_signature: a signature for the commitment spending output 0 sent with output index 1', async () => {
    const { b, created } = await toFundingCreated();
    await rejects(receiveFundingCreated(b, { ...created, funding_output_index: 1 }, signerOf('b')), OpeningError, 'bad_funding_signature');
  });

  it("channel_id: funding_signed naming another channel; bad_funding_signature: one not by the accepter's funding key", async () => {
    const { a, b, created } = await toFundingCreated();
    const signed = (await receiveFundingCreated(b, created, signerOf('b'))).message;
    receiveFundingSigned(a, signed);
    throws(() => receiveFundingSigned(a, { ...signed, channel_id: new Uint8Array(32) }), OpeningError, 'channel_id');
    // B's flow signing with A's key.
    const forged = (await receiveFundingCreated(b, created, signerOf('a'))).message;
    throws(() => receiveFundingSigned(a, forged), OpeningError, 'bad_funding_signature');
  });

  it('unexpected_message: a step out of order', async () => {
    const { a, b, created } = await toFundingCreated();
    await rejects(receiveFundingCreated(a, created, signerOf('a')), OpeningError, 'unexpected_message');
    throws(
      () => receiveFundingSigned(b, { name: 'funding_signed', channel_id: new Uint8Array(32), signature: new Uint8Array(64) }),
      OpeningError,
      'unexpected_message',
    );
  });
});
