// BOLT 3 Appendix C through the BOLT 2 state machine: for every vector with HTLCs, our channel
// holds commitment 41 with all but one of the vector's HTLCs, the remote adds the last one, and
// the remote's commitment_signed carries the signatures Appendix C prints. They verify only if the
// commitment the state machine builds for commitment 42 is byte for byte the spec's transaction
// and its HTLC transactions the spec's, in the spec's order.
import { fromHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { compactFromDer, obscuringFactor, perCommitmentPoint, pubkeyOf } from '../../src/core/bolt3/index.ts';
import {
  ChannelError,
  receiveMessage,
  type AddHtlc,
  type ChannelParams,
  type ChannelSigner,
  type ChannelState,
  type SideParams,
  type SpecHtlc,
} from '../../src/core/channel/index.ts';
import type { MessageOf } from '../../src/core/wire/messages.ts';
import { equal, rejects } from '../support/assert.ts';
import { common, htlcs as vectorHtlcs, tests } from './bolt3/appendix-c.ts';

const hex = (s: string) => fromHex(s.replace(/^0x/, '').toLowerCase());
const priv = (s: string) => hex(s).subarray(0, 32);
const unused = pubkeyOf(new Uint8Array(32).fill(0x55));
const other = pubkeyOf(new Uint8Array(32).fill(0x66));
const onion = new Uint8Array(1366);
const channelId = new Uint8Array(32).fill(1);

function side(o: Partial<SideParams> & Pick<SideParams, 'fundingPubkey' | 'basepoints'>): SideParams {
  return {
    dustLimitSatoshis: BigInt(common.local_dust_limit_satoshi),
    maxHtlcValueInFlightMsat: 1n << 60n,
    channelReserveSatoshis: 0n,
    htlcMinimumMsat: 1n,
    // The delay the local side asks of the remote: only the remote's commitment uses it.
    toSelfDelay: 720,
    maxAcceptedHtlcs: 483,
    ...o,
  };
}

const params: ChannelParams = {
  channelId,
  fundingTxid: common.funding_tx_id,
  fundingOutputIndex: Number(common.funding_output_index),
  fundingSatoshis: BigInt(common.funding_amount_satoshi),
  anchors: false,
  localIsOpener: true,
  obscuringFactor: obscuringFactor(hex(common.local_payment_basepoint), hex(common.remote_payment_basepoint)),
  local: side({
    fundingPubkey: hex(common.local_funding_pubkey),
    basepoints: {
      revocationBasepoint: unused,
      paymentBasepoint: hex(common.local_payment_basepoint),
      delayedPaymentBasepoint: hex(common.internal_local_delayed_payment_basepoint),
      htlcBasepoint: hex(common.local_htlc_basepoint),
    },
  }),
  remote: side({
    fundingPubkey: hex(common.remote_funding_pubkey),
    basepoints: {
      revocationBasepoint: hex(common.internal_remote_revocation_basepoint),
      paymentBasepoint: hex(common.remote_payment_basepoint),
      delayedPaymentBasepoint: unused,
      htlcBasepoint: hex(common.remote_htlc_basepoint),
    },
    // "local_delay": the to_self_delay the remote asks of the local side.
    toSelfDelay: Number(common.local_delay),
  }),
  policy: { maxDustHtlcExposureMsat: 1n << 60n, minFeeratePerKw: 0, maxFeeratePerKw: 0xffffffff },
};

/** Our signer for commitment 42 with Appendix C's per-commitment secret. */
const revealed = new Uint8Array(32).fill(0x41);
const signer: ChannelSigner = {
  perCommitmentPoint: async n => (n === 42n ? perCommitmentPoint(priv(common.x_local_per_commitment_secret)) : other),
  revealSecret: async n => (n === 41n ? revealed : new Uint8Array(32)),
  signRemoteCommitment: async () => {
    throw new Error('not used');
  },
  signRemoteHtlcs: async () => {
    throw new Error('not used');
  },
  validateCommitment: async () => undefined,
};

type VectorHtlc = { direction: string; amount_msat: string; expiry: string; payment_preimage: string };
const H = vectorHtlcs as Record<string, VectorHtlc>;

/** Our state at commitment 41: the vector's HTLCs but `last` (received), ids counted per direction. */
function stateBefore(ids: number[], toLocalMsat: bigint, toRemoteMsat: bigint, feeratePerKw: number, expiryShift = 0) {
  let offered = 0n;
  let received = 0n;
  const all: SpecHtlc[] = ids.map(i => {
    const h = H[i]!;
    const isOffered = h.direction === 'local->remote';
    const add: AddHtlc = {
      kind: 'add',
      id: isOffered ? offered++ : received++,
      amountMsat: BigInt(h.amount_msat),
      paymentHash: sha256(hex(h.payment_preimage)),
      cltvExpiry: Number(h.expiry) + expiryShift,
      onion,
    };
    return { offered: isOffered, add };
  });
  const last = all.filter(h => !h.offered).at(-1)!;
  const committed = all.filter(h => h !== last);
  const spec = { htlcs: committed, toLocalMsat, toRemoteMsat: toRemoteMsat + last.add.amountMsat, feeratePerKw };
  const state: ChannelState = {
    params,
    localCommit: { index: 41n, spec, signature: new Uint8Array(64), htlcSignatures: [] },
    remoteCommit: {
      index: 41n,
      spec: {
        ...spec,
        toLocalMsat: spec.toRemoteMsat,
        toRemoteMsat: spec.toLocalMsat,
        htlcs: committed.map(h => ({ ...h, offered: !h.offered })),
      },
      perCommitmentPoint: other,
    },
    remoteNextPerCommitmentPoint: other,
    localChanges: { proposed: [], signed: [], acked: [] },
    remoteChanges: { proposed: [], signed: [], acked: [] },
    localNextHtlcId: offered,
    remoteNextHtlcId: last.add.id,
    remoteSecrets: [],
  };
  const addMsg: MessageOf<'update_add_htlc'> = {
    name: 'update_add_htlc',
    channel_id: channelId,
    id: last.add.id,
    amount_msat: last.add.amountMsat,
    payment_hash: last.add.paymentHash,
    cltv_expiry: last.add.cltvExpiry,
    onion_routing_packet: onion,
  };
  return { state, addMsg };
}

// Every vector but the first holds HTLCs (some all trimmed); the first has none to add.
const withHtlcs = tests.filter(t => t.name !== 'simple commitment tx with no HTLCs');

function commitmentSigned(t: (typeof tests)[number]): MessageOf<'commitment_signed'> {
  return {
    name: 'commitment_signed',
    channel_id: channelId,
    signature: compactFromDer(hex(t.remote_signature)),
    htlc_signature: (t.htlcs as { remote_htlc_signature: string }[]).map(h => compactFromDer(hex(h.remote_htlc_signature))),
  };
}

function vectorIds(name: string): number[] {
  return name.includes('same amount and preimage') ? [1, 5, 6] : [0, 1, 2, 3, 4];
}

/** Our channel at commitment 41 takes the remote's add, then its commitment_signed with the vector's signatures. */
async function signWith(t: (typeof tests)[number], expiryShift = 0) {
  const { state, addMsg } = stateBefore(
    vectorIds(t.name),
    BigInt(t.to_local_msat),
    BigInt(t.to_remote_msat),
    Number(t.local_feerate_per_kw),
    expiryShift,
  );
  const added = await receiveMessage(state, addMsg, signer);
  return receiveMessage(added.state, commitmentSigned(t), signer);
}

describe('BOLT 3 Appendix C reproduced by the BOLT 2 state machine', () => {
  for (const t of withHtlcs) {
    it(t.name, async () => {
      const r = await signWith(t);
      equal(r.state.localCommit.index, 42n);
      equal(r.state.localCommit.htlcSignatures.length, Number(t.num_htlcs));
      const revoke = r.messages[0] as MessageOf<'revoke_and_ack'>;
      equal(revoke.name, 'revoke_and_ack');
      equal(revoke.per_commitment_secret, revealed);
    });
  }

  it('refuses the same signatures when one HTLC’s cltv_expiry differs from the vector’s', async () => {
    await rejects(signWith(withHtlcs[0]!, 1), ChannelError, 'bad_commitment_signature');
  });
});
