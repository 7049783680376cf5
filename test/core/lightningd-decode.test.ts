// Core Lightning's `decode` over lightningd's JSON-RPC dispatcher: every valid BOLT 11 example
// decodes to its spec values (named and positional parameters, with and without `lightning:`),
// every invalid one is a -32602 naming the parameter.
import { RpcDispatcher, RpcError } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { registerDecodeCommands } from '../../src/core/daemons/lightningd/decode-rpc.ts';
import { equal, ok, rejects } from '../support/assert.ts';
import { INVALID_EXAMPLES, SPEC_PAYEE, VALID_EXAMPLES } from './bolt11-vectors.ts';

function dispatcher(): RpcDispatcher {
  const rpc = new RpcDispatcher();
  registerDecodeCommands(rpc);
  return rpc;
}

describe('lightningd: decode (BOLT 11)', () => {
  it('decodes every valid example of BOLT 11 to its values, as Core Lightning names them', async () => {
    const rpc = dispatcher();
    for (const v of VALID_EXAMPLES) {
      const r = (await rpc.call('decode', { string: v.bolt11 })) as Record<string, unknown>;
      equal(r.type, 'bolt11 invoice', v.title);
      equal(r.valid, true);
      equal(r.currency, v.currency, v.title);
      equal(r.created_at, v.timestamp, v.title);
      equal(r.payment_hash, v.paymentHash, v.title);
      equal(r.payment_secret, v.paymentSecret, v.title);
      equal(r.expiry, v.expiry, v.title);
      equal(r.min_final_cltv_expiry, v.minFinalCltvExpiry, v.title);
      equal(r.description, v.description, v.title);
      if (v.amountMsat !== undefined) equal(String(r.amount_msat), v.amountMsat, v.title);
      else equal(r.amount_msat, undefined, v.title);
      if (!v.highS) equal(r.payee, SPEC_PAYEE, v.title);
    }
  });

  it('takes the string positionally and with a lightning: prefix in either case', async () => {
    const rpc = dispatcher();
    const v = VALID_EXAMPLES[0]!;
    const named = (await rpc.call('decode', { string: v.bolt11 })) as Record<string, unknown>;
    for (const params of [[v.bolt11], { string: `lightning:${v.bolt11}` }, [`LIGHTNING:${v.bolt11}`]]) {
      const r = (await rpc.call('decode', params)) as Record<string, unknown>;
      equal(JSON.stringify(r), JSON.stringify(named));
    }
  });

  it('refuses every invalid example of BOLT 11, and what is not a string, with -32602', async () => {
    const rpc = dispatcher();
    for (const v of INVALID_EXAMPLES) {
      const e = await rejects<RpcError>(rpc.call('decode', { string: v.bolt11 }), RpcError);
      equal(e.code, -32602, v.title);
      ok(e.message.startsWith('string: '), e.message);
    }
    for (const bad of [42, null, 'x'.repeat(10_000)])
      equal((await rejects<RpcError>(rpc.call('decode', { string: bad }), RpcError)).code, -32602);
    equal((await rejects<RpcError>(rpc.call('decode', {}), RpcError)).code, -32602, 'string is required');
  });
});
