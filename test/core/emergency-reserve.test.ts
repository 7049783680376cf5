// Core Lightning's min-emergency-msat (lightningd/options.c, wallet/reservation.c): the option as
// opt_set_sat_nondust reads it and listconfigs shows it (OPT_SHOWMSATS: value_msat); when lightningd
// asks the wallet to keep it (have_anchor_channel: an anchors channel not yet forgotten, an open
// under way with a peer that negotiated anchors, or fundchannel to such a peer); withdraw's and
// fundchannel's refusal, FUND_CANNOT_AFFORD_WITH_EMERGENCY (313). The wallet's arithmetic is in
// wallet.test.ts ("the emergency reserve").
import { ChannelControl } from '../../src/core/daemons/lightningd/channels.ts';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { MIN_EMERGENCY_SAT, parseMinEmergency } from '../../src/core/daemons/lightningd/emergency.ts';
import { RpcError } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { FUND_CANNOT_AFFORD_WITH_EMERGENCY, walletRpcError } from '../../src/core/daemons/lightningd/wallet-rpc.ts';
import { FeatureVector } from '../../src/core/features/index.ts';
import { ourFeatures } from '../../src/core/features/ours.ts';
import { WalletError } from '../../src/core/wallet/errors.ts';
import { configsOf, type OptionSpec } from '../../src/node/options.ts';
import { deepEqual, equal, throws } from '../support/assert.ts';
import { channelRecord } from './channel-record-fixture.ts';

const PEER = '02'.padEnd(66, '1');
const ANCHORS_TYPE = FeatureVector.fromBits([12, 22]).toHex();
const STATIC_TYPE = FeatureVector.fromBits([12]).toHex();
const quiet = { debug() {}, info() {}, warn() {} };

/** lightningd's channels over a database alone (emergencySat reads only the channels and the opens under way). */
async function control(records: Parameters<typeof channelRecord>[2][], minEmergencySat?: number) {
  const db = new LightningdDb(new MemoryLightningdStorage());
  for (const [i, r] of records.entries()) await db.saveChannel(channelRecord(String(i + 1), PEER, r));
  const c = new ChannelControl({
    network: 'regtest',
    nodeId: '02'.padEnd(66, '9'),
    ourFeatures: ourFeatures('I').toHex(),
    db,
    daemons: {} as never,
    hsmd: {} as never,
    connectd: {} as never,
    randomBytes: n => new Uint8Array(n),
    log: quiet,
    ...(minEmergencySat !== undefined ? { minEmergencySat } : {}),
  });
  return { c, db };
}

describe('min-emergency-msat', () => {
  it('reads msat, Nmsat or Nsat: a whole number of sats over the dust limit (opt_set_sat_nondust)', () => {
    equal(MIN_EMERGENCY_SAT, 25_000);
    equal(parseMinEmergency('25000000'), 25_000);
    equal(parseMinEmergency('30000sat'), 30_000);
    equal(parseMinEmergency('546000msat'), 546);
    equal(throws(() => parseMinEmergency('1500'), Error).message, "'1500' is not a whole number of sats");
    equal(throws(() => parseMinEmergency('545sat'), Error).message, 'Option must be over dust limit!');
    equal(throws(() => parseMinEmergency('lots'), Error).message, "Unable to parse millisatoshi 'lots'");
  });

  it('listconfigs shows it in msat (value_msat), the default or as set', () => {
    const specs: OptionSpec[] = [{ name: 'min-emergency-msat', msat: true, default: '25000000', help: '' }];
    deepEqual(configsOf(specs, new Map()), { 'min-emergency-msat': { value_msat: 25_000_000, source: 'default' } });
    deepEqual(configsOf(specs, new Map([['min-emergency-msat', [{ value: '30000sat', source: 'cmdline' }]]])), {
      'min-emergency-msat': { value_msat: 30_000_000, source: 'cmdline' },
    });
  });

  it('is kept only while we have an anchors channel (any state until forgotten) or open one', async () => {
    const none = await control([]);
    equal(none.c.emergencySat(), 0, 'no channel');
    equal(none.c.emergencySat(FeatureVector.fromBits([13]).toHex()), 0, 'opening to a peer without anchors');
    equal(
      none.c.emergencySat(FeatureVector.fromBits([13, 23]).toHex()),
      25_000,
      "opening to a peer that offers anchors (Core Lightning's opening_anchor_channel)",
    );
    equal((await control([{ channel_type: STATIC_TYPE }])).c.emergencySat(), 0, 'static_remotekey channels need no wallet coin');
    equal((await control([{ channel_type: STATIC_TYPE }, { channel_type: ANCHORS_TYPE }])).c.emergencySat(), 25_000);
    const onchain = await control([{ channel_type: ANCHORS_TYPE, state: 'ONCHAIN' }], 40_000);
    equal(onchain.c.emergencySat(), 40_000, 'its HTLC transactions may still need a coin; the option sets the amount');
    await onchain.db.forgetChannel('1');
    equal(onchain.c.emergencySat(), 0, 'resolved and forgotten');
  });

  it('a wallet refusal becomes FUND_CANNOT_AFFORD_WITH_EMERGENCY (313) for withdraw and fundchannel', () => {
    const e = walletRpcError(new WalletError('emergency', 'We would not have enough left for min-emergency-msat 25000sat'));
    equal((e as RpcError).code, FUND_CANNOT_AFFORD_WITH_EMERGENCY);
    equal(FUND_CANNOT_AFFORD_WITH_EMERGENCY, 313);
    equal((e as RpcError).message, 'We would not have enough left for min-emergency-msat 25000sat');
  });
});
