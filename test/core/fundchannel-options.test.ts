// fundchannel's channel_type (Core Lightning's param_channel_type and channel_type_accept): an
// array of feature bits becomes a BOLT 2 channel_type only when it is a defined type whose every
// feature our `init` offers; otherwise JSONRPC2_INVALID_PARAMS "channel_type not supported".
import { ourFeatures } from '../../src/core/features/ours.ts';
import { FeatureVector } from '../../src/core/features/index.ts';
import { requestedChannelType } from '../../src/core/daemons/lightningd/channel-rpc.ts';
import { defaultChannelType } from '../../src/core/daemons/lightningd/channel-config.ts';
import { RpcCode, RpcError } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { equal, throws } from '../support/assert.ts';

const OURS = ourFeatures('I').toHex();
const refused = (v: unknown, features = OURS) => throws<RpcError>(() => requestedChannelType(v, features), RpcError);

describe('fundchannel channel_type', () => {
  it('takes static_remotekey (bits as numbers, or the JSON text of the array) as the smallest bitmap', () => {
    equal(requestedChannelType([12], OURS), FeatureVector.fromBits([12]).toHex());
    equal(requestedChannelType('[12]', OURS), FeatureVector.fromBits([12]).toHex());
  });

  it('refuses a type with a feature our init does not offer, an undefined type, and malformed input', () => {
    const e = refused([12, 22], FeatureVector.fromBits([13]).toHex());
    equal(e.code, RpcCode.INVALID_PARAMS);
    equal(e.message, 'channel_type not supported');
    equal(refused([22]).message, 'channel_type not supported', 'anchors without static_remotekey is no type');
    equal(refused([12, 8]).message, 'channel_type not supported', 'bit 8 is in no defined type');
    equal(refused(['12']).code, RpcCode.INVALID_PARAMS);
    equal(refused(12).code, RpcCode.INVALID_PARAMS);
  });

  it('takes anchors once our init offers option_anchors (its odd bit is enough)', () => {
    equal(requestedChannelType([22, 12], FeatureVector.fromBits([13, 23]).toHex()), FeatureVector.fromBits([12, 22]).toHex());
  });

  it('without channel_type: anchors when both inits offer option_anchors (as Core Lightning), else static_remotekey', () => {
    const ours = ourFeatures('I');
    equal(defaultChannelType(ours, FeatureVector.fromBits([13, 23])), FeatureVector.fromBits([12, 22]).toHex());
    equal(defaultChannelType(ours, FeatureVector.fromBits([12, 22])), FeatureVector.fromBits([12, 22]).toHex(), 'their even bit too');
    equal(
      defaultChannelType(ours, FeatureVector.fromBits([13])),
      FeatureVector.fromBits([12]).toHex(),
      'a peer without anchors (LDK by default)',
    );
    equal(defaultChannelType(FeatureVector.fromBits([13]), FeatureVector.fromBits([13, 23])), FeatureVector.fromBits([12]).toHex());
  });
});
