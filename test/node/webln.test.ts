// The WebLN provider's mapping onto the node's RPC (src/web/webln.ts), over a recording fake of
// `call`: satoshis to msat, WebLN's argument shapes, Core Lightning's codes to WebLN's error names,
// the page's approval, and verifyMessage's answer for a signer outside the graph. The payments
// themselves run against a real node in test/browser/web-pay.test.ts.
import { describe, it } from 'node:test';
import { RpcError } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { webln, type WebLNError } from '../../src/web/webln.ts';
import { deepEqual, equal } from '../support/assert.ts';

const ID = '02' + '11'.repeat(32);
const PREIMAGE = '00'.repeat(32);
/** SHA-256 of 32 zero bytes. */
const HASH = '66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925';

function fakeNode(answers: Record<string, (p: Record<string, unknown>) => unknown>) {
  const calls: [string, Record<string, unknown>][] = [];
  return {
    calls,
    async call(method: string, params?: unknown) {
      const p = params as Record<string, unknown>;
      calls.push([method, p]);
      const a = answers[method];
      if (!a) throw new RpcError(-32601, `Unknown command '${method}'`);
      return a(p);
    },
  };
}
async function rejection(p: Promise<unknown>): Promise<WebLNError> {
  try {
    await p;
  } catch (e) {
    return e as WebLNError;
  }
  throw new Error('expected a rejection');
}

describe('WebLN provider over the node RPC', () => {
  it('refuses every method before enable, and enable when the page does not approve', async () => {
    const n = fakeNode({ getinfo: () => ({ id: ID }) });
    const p = webln(n, { approve: () => false });
    equal((await rejection(p.getInfo())).name, 'RejectionError');
    equal((await rejection(p.enable())).name, 'RejectionError');
    equal((await rejection(p.signMessage('x'))).name, 'RejectionError');
    deepEqual(n.calls, [], 'nothing reached the node');
  });

  it('sendPayment is xpay, with the paymentHash of the preimage; routing codes are RoutingError with the code', async () => {
    let code = 0;
    const n = fakeNode({
      xpay: () => {
        if (code) throw new RpcError(code, 'no');
        return { payment_preimage: PREIMAGE };
      },
    });
    const p = webln(n, { retryFor: 7 });
    await p.enable();
    deepEqual(await p.sendPayment('lnbcrt1'), { preimage: PREIMAGE, paymentHash: HASH });
    deepEqual(n.calls[0], ['xpay', { invstring: 'lnbcrt1', retry_for: 7 }]);
    for (const [c, name] of [
      [205, 'RoutingError'],
      [210, 'RoutingError'],
      [203, 'RoutingError'],
      [-32602, 'InvalidDataError'],
      [-1, 'InternalError'],
    ] as const) {
      code = c;
      const e = await rejection(p.sendPayment('lnbcrt1'));
      deepEqual([e.name, e.code], [name, c]);
    }
  });

  it('makeInvoice: satoshis to msat, "any" without an amount, min/max checked before the node is asked', async () => {
    const n = fakeNode({ invoice: () => ({ bolt11: 'lnbcrt1x', payment_hash: HASH }) });
    const p = webln(n);
    await p.enable();
    deepEqual(await p.makeInvoice({ amount: '1500', defaultMemo: 'tip' }), { paymentRequest: 'lnbcrt1x', paymentHash: HASH });
    await p.makeInvoice(20);
    await p.makeInvoice({});
    deepEqual(
      n.calls.map(([, q]) => [q.amount_msat, q.description]),
      [
        [1_500_000, 'tip'],
        [20_000, ''],
        ['any', ''],
      ],
    );
    equal((await rejection(p.makeInvoice({ amount: 10, minimumAmount: 100 }))).name, 'InvalidDataError');
    equal((await rejection(p.makeInvoice({ amount: 1.5 }))).name, 'InvalidDataError');
    equal(n.calls.length, 3);
  });

  it('keysend: satoshis to msat, customRecords as UTF-8 hex in extratlvs', async () => {
    const n = fakeNode({ keysend: () => ({ payment_preimage: PREIMAGE, payment_hash: HASH }) });
    const p = webln(n);
    await p.enable();
    deepEqual(await p.keysend({ destination: ID, amount: 700, customRecords: { '696969': 'hi' } }), {
      preimage: PREIMAGE,
      paymentHash: HASH,
    });
    deepEqual(n.calls[0], ['keysend', { destination: ID, amount_msat: 700_000, extratlvs: { '696969': '6869' } }]);
    equal((await rejection(p.keysend({ destination: 'nope', amount: 1 }))).name, 'InvalidDataError');
  });

  it('signMessage answers the zbase; verifyMessage: a graph node or our own node is valid, another signer (1301) is not', async () => {
    let claimed = ID;
    const n = fakeNode({
      getinfo: () => ({ id: ID }),
      signmessage: () => ({ zbase: 'zb' }),
      checkmessage: p => {
        if (p.zbase === 'graph') return { verified: true, pubkey: '03' + '22'.repeat(32) };
        throw new RpcError(1301, 'pubkey not found in the graph', { claimed_key: claimed });
      },
    });
    const p = webln(n);
    await p.enable();
    deepEqual(await p.signMessage('m'), { message: 'm', signature: 'zb' });
    deepEqual(await p.verifyMessage('graph', 'm'), { valid: true, pubkey: '03' + '22'.repeat(32) });
    deepEqual(await p.verifyMessage('ours', 'm'), { valid: true, pubkey: ID });
    claimed = '03' + '33'.repeat(32);
    deepEqual(await p.verifyMessage('stranger', 'm'), { valid: false });
  });
});
