// `invoice`'s route hints for private channels (invoice-hints.ts), as Core Lightning's
// `exposeprivatechannels` chooses them: the invoice's `r` fields name the peer, our channel's
// short_channel_id and the peer's channel_update towards us (defaults when it is unknown).
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { LightningdDb, MemoryLightningdStorage, type ChannelRecord } from '../../src/core/daemons/lightningd/db.ts';
import { RpcDispatcher, RpcError } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { registerInvoiceCommands } from '../../src/core/daemons/lightningd/invoice-rpc.ts';
import { DEFAULT_PEER_POLICY, type PeerPolicy } from '../../src/core/daemons/lightningd/invoice-hints.ts';
import { decodeInvoice } from '../../src/core/bolt11/invoice.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { formatScid } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, rejects } from '../support/assert.ts';

const PEER_A = '02' + 'aa'.repeat(32);
const PEER_B = '03' + 'bb'.repeat(32);

function channel(
  dbid: string,
  peer: string,
  scid: string | undefined,
  announce: boolean,
  state: ChannelRecord['state'] = 'CHANNELD_NORMAL',
): ChannelRecord {
  return {
    dbid,
    peer_id: peer,
    state,
    opener: 'local',
    channel_id: dbid.padStart(64, '0'),
    funding_txid: '00'.repeat(32),
    funding_outnum: 0,
    funding_sat: '100000',
    push_msat: '0',
    channel_type: '',
    announce,
    minimum_depth: 3,
    funded: '',
    ...(scid ? { short_channel_id: scid } : {}),
  };
}

function setup(channels: ChannelRecord[], policies: Record<string, PeerPolicy> = {}) {
  const hsmd = new Hsmd(new Uint8Array(32).fill(4));
  const rpc = new RpcDispatcher();
  let n = 0;
  registerInvoiceCommands(rpc, {
    db: new LightningdDb(new MemoryLightningdStorage()),
    network: 'regtest',
    signInvoice: (hrp, data) => hsmd.signInvoice(hrp, data),
    randomBytes: k => new Uint8Array(k).fill(++n),
    now: () => 1_800_000_000,
    channels: () => channels,
    peerPolicy: async scid => policies[scid],
  });
  let label = 0;
  const hints = async (expose?: unknown) => {
    const r = (await rpc.call('invoice', {
      amount_msat: 1000,
      label: `l${++label}`,
      description: 'd',
      ...(expose !== undefined ? { exposeprivatechannels: expose } : {}),
    })) as { bolt11: string };
    return decodeInvoice(r.bolt11).routes.map(route =>
      route.map(h => [toHex(h.pubkey), formatScid(h.shortChannelId), h.feeBaseMsat, h.feeProportionalMillionths, h.cltvExpiryDelta]),
    );
  };
  return { rpc, hints };
}

describe('lightningd: invoice route hints', () => {
  it('a private channel: its peer, short_channel_id and the peer’s channel_update towards us (or defaults)', async () => {
    const { hints } = setup(
      [
        channel('1', PEER_A, '103x1x0', false),
        channel('2', PEER_B, '104x2x1', false),
        channel('3', PEER_B, undefined, false, 'CHANNELD_AWAITING_LOCKIN'),
      ],
      { '103x1x0': { base_fee_millisatoshi: 7, fee_per_millionth: 300, delay: 40 } },
    );
    const d = DEFAULT_PEER_POLICY;
    deepEqual(await hints(), [
      [[PEER_A, '103x1x0', 7, 300, 40]],
      [[PEER_B, '104x2x1', d.base_fee_millisatoshi, d.fee_per_millionth, d.delay]],
    ]);
    deepEqual(await hints(true), await hints());
    deepEqual(await hints(false), []);
    deepEqual(await hints('104x2x1'), [[[PEER_B, '104x2x1', d.base_fee_millisatoshi, d.fee_per_millionth, d.delay]]]);
    deepEqual(await hints(['103x1x0']), [[[PEER_A, '103x1x0', 7, 300, 40]]]);
  });

  it('by default no hints when a public channel exists; true still exposes the private ones', async () => {
    const { hints } = setup([channel('1', PEER_A, '103x1x0', true), channel('2', PEER_B, '104x2x1', false)]);
    deepEqual(await hints(), []);
    equal((await hints(true)).length, 1);
    equal((await hints(true))[0]![0]![1], '104x2x1');
  });

  it('a private channel whose peer sent an alias is hinted by that alias (Core Lightning, BOLT 2); a public one by its real short_channel_id', async () => {
    const aliased = { ...channel('1', PEER_A, '103x1x0', false), alias: { local: '13000000x5x1', remote: '12600000x9x2' } };
    const pub = { ...channel('2', PEER_B, '104x2x1', true), alias: { local: '13000001x5x1', remote: '12600001x9x2' } };
    const { hints } = setup([aliased, pub], { '103x1x0': { base_fee_millisatoshi: 7, fee_per_millionth: 300, delay: 40 } });
    // the peer's policy is still looked up by the real short_channel_id (gossipd's listchannels)
    deepEqual(await hints(['103x1x0', '104x2x1']), [[[PEER_A, '12600000x9x2', 7, 300, 40]], [[PEER_B, '104x2x1', 1000, 10, 34]]]);
  });

  it('a malformed exposeprivatechannels is -32602', async () => {
    const { rpc } = setup([]);
    const e = await rejects<RpcError>(
      rpc.call('invoice', { amount_msat: 1, label: 'x', description: 'd', exposeprivatechannels: 'nope' }),
      RpcError,
    );
    equal(e.code, -32602);
  });
});
