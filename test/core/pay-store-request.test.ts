// A payment's stored request (pay-store.ts requestRecord / requestOf) gives back, after JSON, the
// request a restart resumes it from: every field, a blinded path's included (a resumed xpayblinded
// payment must stay blinded, not be sent to the introduction node as its payee).
import { requestOf, requestRecord, type PaymentRecord, type PayRequestRecord } from '../../src/core/daemons/lightningd/pay-store.ts';
import type { PayRequest } from '../../src/core/pay/index.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { deepEqual, equal } from '../support/assert.ts';

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);

function roundTrip(req: PayRequest): PayRequest {
  const record = JSON.parse(JSON.stringify(requestRecord(req, [], 1_700_000_000_000))) as PayRequestRecord;
  const p: PaymentRecord & { request: PayRequestRecord } = {
    payment_hash: toHex(req.payment_hash),
    groupid: 1,
    status: 'pending',
    destination: req.destination,
    amount_msat: req.amount_msat.toString(),
    created_at: 1_700_000_000,
    request: record,
  };
  return requestOf(p).req;
}

describe('pay-store: the stored request', () => {
  it('gives back a blinded payment with its path and payinfo', () => {
    const req: PayRequest = {
      destination: '02' + '11'.repeat(32),
      payment_hash: bytes(32, 7),
      amount_msat: 123_456n,
      final_cltv: 0,
      mpp: true,
      maxfee_msat: 5_000n,
      retry_for_s: 60,
      blinded: {
        path: {
          firstNodeId: bytes(33, 2),
          firstPathKey: bytes(33, 3),
          hops: [
            { blindedNodeId: bytes(33, 4), encryptedData: bytes(40, 5) },
            { blindedNodeId: bytes(33, 6), encryptedData: bytes(52, 8) },
          ],
        },
        payinfo: {
          fee_base_msat: 1000,
          fee_proportional_millionths: 100,
          cltv_expiry_delta: 162,
          htlc_minimum_msat: 1n,
          htlc_maximum_msat: 990_000_000n,
        },
      },
    };
    deepEqual(roundTrip(req), req);
  });

  it('gives back a plain payment without a blinded path', () => {
    const req: PayRequest = {
      destination: '03' + '22'.repeat(32),
      payment_hash: bytes(32, 9),
      amount_msat: 1_000n,
      final_cltv: 18,
      payment_secret: bytes(32, 1),
    };
    const back = roundTrip(req);
    deepEqual(back, req);
    equal('blinded' in back, false);
  });
});
