// BOLT 5 "Unilateral Close Handling: Remote Commitment Transaction", HTLC output types: a node
// "MUST resolve the output by spending it using the payment preimage" once it has it, for an HTLC
// it received. lightningd's OnchainControl (onchain-control.ts) with a real onchaind (the node
// table's per-channel kind over direct links, hsmd with this channel's onchain capabilities): the
// peer's commitment holding an HTLC it offered us is mined, and our onchaind must claim it with a
// preimage lightningd released, whether it was released before onchaind started (a forward settled
// downstream, an invoice paid: read from the database) or while it runs (ChannelControl's
// preimageReleased, which every fulfil of an incoming HTLC passes through: htlcs-in.ts). An unpaid
// invoice's preimage is never used: the HTLC receive did not accept is not claimed on chain. And
// the peer's commitment taken by a reorganisation is sent again until a spend is mined; a mined
// claim takes the incoming HTLC out of the channel's record.
import { Transaction } from '@scure/btc-signer';
import { toHex } from '../../src/core/base/bytes.ts';
import { TX_OPTS } from '../../src/core/bolt3/index.ts';
import type { ConnectedBlock } from '../../src/core/chain/backend.ts';
import { serializeChannel } from '../../src/core/channel/index.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { FORWARDS, forwardKey, type ForwardRecord } from '../../src/core/daemons/lightningd/forward-store.ts';
import { OnchainControl } from '../../src/core/daemons/lightningd/onchain-control.ts';
import { parseTx } from '../../src/core/wallet/tx.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { directSupervisor, type Slot } from '../support/direct-links.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { channelRecord } from './channel-record-fixture.ts';
import { DBID, PEER, walletOut } from './hsmd-channel-fixture.ts';
import { block, closing, onchainHsm, PREIMAGE, signedA, type Closing } from './onchain-fixture.ts';

const quiet = { debug() {}, info() {}, warn() {} };
const H = 5000;
const HASH = toHex(sha256(PREIMAGE.toB));

/** B's (our) node around the channel of onchain-fixture.ts, A's current commitment ready to be mined. */
async function node(x: Closing) {
  const theirs = signedA(x.a.state);
  const commitment = parseTx(theirs.raw);
  const db = new LightningdDb(new MemoryLightningdStorage());
  await db.saveChannel(
    channelRecord(DBID.toString(), toHex(PEER), {
      channel: serializeChannel(x.b.state),
      funding_txid: commitment.inputs[0]!.txid,
      funding_outnum: commitment.inputs[0]!.index,
      funding_sat: '10000000',
      // The HTLC A offered us, as channeld recorded it (incoming, undecided when the channel failed).
      htlcs: {
        'in:0': { direction: 'in', id: '0', amount_msat: '50000000', payment_hash: HASH, cltv_expiry: x.cltv.toB, state: 'incoming' },
      },
    }),
  );
  const clock = new FakeClock();
  const { links, daemons } = directSupervisor(clock);
  const sent: Transaction[] = [];
  let tip = H - 1;
  const control = new OnchainControl({
    db,
    daemons,
    hsmd: {
      api: {},
      guard: <T>(p: Promise<T>) => p,
      // hsmd answers onchaind's link with this channel's onchain capabilities.
      attach: async (a: { serves: { port: Slot } }) => links.expose(onchainHsm(x.hsmd), a.serves.port),
      detach: async () => undefined,
    } as never,
    wallet: {
      newKey: async () => ({ index: 5, type: 'p2wpkh' }),
      keyScript: () => walletOut(x.hsmd, 5),
      signChild: async (tx: Uint8Array) => tx,
      fundChild: async () => {
        throw new Error('no fee inputs without option_anchors');
      },
    } as never,
    broadcast: async raw => {
      sent.push(Transaction.fromRaw(raw, TX_OPTS));
      return { success: true };
    },
    feeratePerKw: async () => 1000,
    tip: () => tip,
    endChannel: async () => undefined,
    log: quiet,
  });
  // The output of the HTLC A offered us (PREIMAGE.toB's) on A's commitment.
  const vout = theirs.built.commitment.outputs.findIndex(o => o.htlc && toHex(o.htlc.paymentHash) === HASH);
  ok(vout >= 0, "the HTLC's output");
  const txid = theirs.built.commitment.tx.id;
  /** Our spends of the HTLC output (each once: onchaind sends its spend again at each block until mined). */
  const claims = () => [
    ...new Map(
      sent.filter(t => t.getInput(0).txid && toHex(t.getInput(0).txid!) === txid && t.getInput(0).index === vout).map(t => [t.id, t]),
    ).values(),
  ];
  const witnessHas = (t: Transaction, p: Uint8Array) => (t.getInput(0).finalScriptWitness ?? []).some(w => toHex(w) === toHex(p));
  const connect = async (b: ConnectedBlock) => {
    tip = b.height;
    await control.blockConnected(b);
  };
  const mineTheirs = () => connect(block(H, [theirs.raw]));
  return { db, control, claims, witnessHas, connect, mineTheirs, sent, theirs: { raw: theirs.raw, txid } };
}

/** A forward from this channel's HTLC (A → us → C) that C fulfilled: its preimage durable in the forwards table. */
function settledForward(db: LightningdDb) {
  const f: ForwardRecord = {
    created_index: 1,
    in_channel: DBID.toString(),
    in_scid: '1x1x0',
    in_htlc_id: '0',
    in_msat: '50000000',
    payment_hash: HASH,
    out_channel: '9',
    out_htlc_id: '4',
    status: 'settled',
    received_time: 0,
    shared_secret: '00'.repeat(32),
    preimage: toHex(PREIMAGE.toB),
  };
  db.stage(FORWARDS, forwardKey(f.in_channel, f.in_htlc_id), f);
  return db.flush();
}

async function invoice(db: LightningdDb, paid: boolean) {
  await db.addInvoice({
    label: 'l',
    bolt11: 'lnbcrt',
    payment_hash: HASH,
    payment_secret: '11'.repeat(32),
    payment_preimage: toHex(PREIMAGE.toB),
    description: 'd',
    expires_at: 2_000_000_000,
    status: 'unpaid',
  });
  if (paid)
    await db.markInvoicePaid('l', {
      paid_at: 1,
      amount_received_msat: 50_000_000n,
      htlcs: [{ channel: DBID.toString(), id: '0', amount_msat: '50000000' }],
    });
}

describe('lightningd: HTLCs we received, claimed on chain with the preimages we released (BOLT 5)', () => {
  it("a forward settled downstream before the peer's commitment was mined: onchaind claims its HTLC at once with the preimage", async () => {
    const x = await closing({ cltvBase: H + 100 });
    const n = await node(x);
    await settledForward(n.db);
    await n.mineTheirs();
    equal(n.db.channels()[0]!.state, 'ONCHAIN');
    const c = n.claims();
    equal(c.length, 1, 'the HTLC output spent at once');
    ok(n.witnessHas(c[0]!, PREIMAGE.toB), 'with the preimage learnt downstream');
    equal(n.db.channels()[0]!.htlcs?.['in:0']?.payment_hash, HASH, 'still in flight while the claim is unconfirmed');
    // The claim is mined: the incoming HTLC leaves the channel's record.
    await n.connect(block(H + 1, [c[0]!.toBytes(true, true)]));
    deepEqual(n.db.channels()[0]!.htlcs, {});
    await n.control.stop();
  });

  it('a preimage released while onchaind runs (a forward settled, an invoice paid) reaches it and is claimed at once', async () => {
    const x = await closing({ cltvBase: H + 100 });
    const n = await node(x);
    await n.mineTheirs();
    equal(n.claims().length, 0, 'no preimage yet: nothing to claim');
    // The downstream fulfils: the forward is settled durably, then htlcs-in.ts applies the fulfil.
    await settledForward(n.db);
    await n.control.preimage(DBID.toString(), PREIMAGE.toB);
    const c = n.claims();
    equal(c.length, 1, 'claimed without waiting for a block');
    ok(n.witnessHas(c[0]!, PREIMAGE.toB));
    // A preimage of no incoming HTLC of the channel changes nothing.
    await n.control.preimage(DBID.toString(), PREIMAGE.toA);
    equal(n.claims().length, 1);
    await n.control.stop();
  });

  it('a preimage made durable with no one to tell (a restart) reaches the running onchaind at the next block', async () => {
    const x = await closing({ cltvBase: H + 100 });
    const n = await node(x);
    await n.mineTheirs();
    equal(n.claims().length, 0);
    await settledForward(n.db);
    await n.connect(block(H + 1));
    equal(n.claims().length, 1, 'read from the forwards table at the block');
    ok(n.witnessHas(n.claims()[0]!, PREIMAGE.toB));
    await n.control.stop();
  });

  it("a paid invoice's preimage claims the HTLC; an unpaid invoice's does not (receive never accepted it)", async () => {
    for (const paid of [false, true]) {
      const x = await closing({ cltvBase: H + 100 });
      const n = await node(x);
      await invoice(n.db, paid);
      await n.mineTheirs();
      deepEqual(
        n.claims().map(t => n.witnessHas(t, PREIMAGE.toB)),
        paid ? [true] : [],
        paid ? 'paid: claimed' : 'unpaid: left to time out',
      );
      await n.control.stop();
    }
  });
});

describe('lightningd: a commitment of the peer taken by a reorganisation', () => {
  it('is sent again each block until a spend of the funding output is mined, then resolved by a new onchaind', async () => {
    const x = await closing({ cltvBase: H + 100 });
    const n = await node(x);
    await n.mineTheirs();
    equal(n.db.channels()[0]!.state, 'ONCHAIN');
    await n.control.blockDisconnected({ height: H });
    const c = n.db.channels()[0]!;
    deepEqual([c.state, c.onchain?.spend, c.onchain?.reorged_spend?.txid], ['FUNDING_SPEND_SEEN', undefined, n.theirs.txid]);
    ok(n.control.status(c)[0]!.includes('reorganisation'), n.control.status(c)[0]);
    const sentBefore = n.sent.length;
    await n.connect(block(H));
    ok(
      n.sent.slice(sentBefore).some(t => t.id === n.theirs.txid),
      'their commitment sent again',
    );
    await n.connect(block(H + 1, [n.theirs.raw]));
    const again = n.db.channels()[0]!;
    deepEqual([again.state, again.onchain?.spend?.height], ['ONCHAIN', H + 1]);
    await n.control.stop();
  });
});
