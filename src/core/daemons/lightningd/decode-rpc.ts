// Core Lightning's `decode` (doc/schemas/decode.json; it replaced `decodepay`) for BOLT 11
// invoices: the string, optionally prefixed by `lightning:` in either case (BOLT 11: "the current
// recommendation is to either use 'lightning:' as a prefix"), decoded and its signature checked
// by src/core/bolt11. As Core Lightning's, it decodes an invoice of any network (paying one checks
// the network). A string that does not decode is a bad parameter (-32602) saying why. BOLT 12
// strings and runes are not decoded yet.
import { isBoltError } from '../../base/errors.ts';
import { decodeBolt11 } from '../../bolt11/rpc.ts';
import { RpcCode, RpcError, type RpcDispatcher } from './jsonrpc.ts';

/** The longest string we look at: BOLT 11 lifts bech32's 90-character limit, not every limit (a 7,089-character invoice is already huge). */
const MAX_DECODE_CHARS = 8192;

export function registerDecodeCommands(rpc: RpcDispatcher): void {
  rpc.register('decode', {
    category: 'utility',
    params: ['string'],
    description: 'Decode {string} (a BOLT 11 invoice, optionally prefixed by lightning:), checking its signature.',
    handler: p => {
      if (typeof p.string !== 'string') throw new RpcError(RpcCode.INVALID_PARAMS, 'string: should be a string');
      if (p.string.length > MAX_DECODE_CHARS)
        throw new RpcError(RpcCode.INVALID_PARAMS, `string: longer than ${MAX_DECODE_CHARS} characters`);
      const s = /^lightning:/i.test(p.string) ? p.string.slice('lightning:'.length) : p.string;
      try {
        return decodeBolt11(s);
      } catch (e) {
        if (isBoltError(e)) throw new RpcError(RpcCode.INVALID_PARAMS, `string: ${e.message}`);
        throw e;
      }
    },
  });
}
