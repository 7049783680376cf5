// signmessage / checkmessage in Core Lightning's format: Core Lightning's own examples
// (doc/schemas/signmessage.json, checkmessage.json: a node key's signatures of two messages) must
// verify and recover that key, hsmd's signatures must round-trip, and bad input gets CLN's errors.
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { RpcDispatcher, RpcError } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { registerSignMessageCommands } from '../../src/core/daemons/lightningd/signmessage-rpc.ts';
import { fromZbase32, toZbase32 } from '../../src/core/crypto/signed-message.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { deepEqual, equal, rejects } from '../support/assert.ts';

// Core Lightning's examples: the node 0338...799a signed these.
const CLN_KEY = '033845802d25b4e074ccfd7cd8b339a41dc75bf9978a034800444b51d42b07799a';
const CLN_EXAMPLES = [
  {
    message: 'this is a test!',
    signature:
      'b313a7ef5cec27f8be4e6389d208a5646ce3fa8fde4c5a2b84cf5d92e2c997f14f1c53fd72897f2025add34939d918a2abd2e2f675c4402b106f7777b364f85b',
    recid: '00',
    zbase: 'd63t8j9xmusnx6f6j3tauwoewi1g3a94t9xrastmou8i5rzn3gm9nuahkx6zfnm9ry145w4j88ctteim4mtxc7qreyity55zq63sj6n5',
  },
  {
    message: 'message for you',
    signature:
      'a797422126bb3ecee680e2edc8a4c5afc6ebaf2a05a03c37e5ab62214ea5edc05a7db3b45ee8db4c022e6765b7258c82d0c769c8798e0c6baeb94f6fa9275302',
    recid: '01',
    zbase: 'rnu3qotbr47u7uzgodtq51fraszhp47xfen4yxbzhsisrekqwzshysu7sq4f74g5jobnh35fsh1a3ysoa7who6cqbti47qkxp6w1qwan',
  },
];

const SEED = new Uint8Array(32).fill(7);

function dispatcher(known?: string[]): { rpc: RpcDispatcher; hsmd: Hsmd } {
  const rpc = new RpcDispatcher();
  const hsmd = new Hsmd(SEED);
  registerSignMessageCommands(rpc, {
    signMessage: m => hsmd.signMessage(m),
    ...(known ? { knownNode: async (id: string) => known.includes(id) } : {}),
  });
  return { rpc, hsmd };
}

describe('lightningd: signmessage / checkmessage', () => {
  it("verifies Core Lightning's examples against their key, and recovers it without one", async () => {
    const { rpc } = dispatcher([CLN_KEY]);
    for (const ex of CLN_EXAMPLES) {
      deepEqual(await rpc.call('checkmessage', { message: ex.message, zbase: ex.zbase, pubkey: CLN_KEY }), {
        pubkey: CLN_KEY,
        verified: true,
      });
      deepEqual(await rpc.call('checkmessage', [ex.message, ex.zbase]), { pubkey: CLN_KEY, verified: true });
      // zbase is recid + 31, then the signature, as signmessage's signature and recid fields.
      equal(toHex(fromZbase32(ex.zbase)!), toHex(new Uint8Array([31 + Number(ex.recid)])) + ex.signature);
      equal(toZbase32(fromZbase32(ex.zbase)!), ex.zbase);
    }
  });

  it('a signature of another message, or against another key, is not verified', async () => {
    const { rpc, hsmd } = dispatcher([CLN_KEY]);
    const r = (await rpc.call('checkmessage', { message: 'this is a test?', zbase: CLN_EXAMPLES[0]!.zbase, pubkey: CLN_KEY })) as {
      verified: boolean;
      pubkey: string;
    };
    equal(r.verified, false);
    const other = toHex(hsmd.nodeId());
    equal(
      (
        (await rpc.call('checkmessage', { message: 'this is a test!', zbase: CLN_EXAMPLES[0]!.zbase, pubkey: other })) as {
          verified: boolean;
        }
      ).verified,
      false,
    );
    // Without a pubkey, a key not in the graph is Core Lightning's 1301, naming the key.
    const e = await rejects<RpcError>(rpc.call('checkmessage', { message: 'this is a test?', zbase: CLN_EXAMPLES[0]!.zbase }), RpcError);
    equal(e.code, 1301);
    equal((e.data as { claimed_key: string }).claimed_key, r.pubkey);
  });

  it("signmessage answers Core Lightning's fields; its zbase verifies against our node id", async () => {
    const { rpc, hsmd } = dispatcher([]);
    const id = toHex(hsmd.nodeId());
    for (const message of ['this is a test!', '', 'ünïcödé ⚡', 'x'.repeat(65535)]) {
      const s = (await rpc.call('signmessage', { message })) as { signature: string; recid: string; zbase: string };
      equal(s.signature.length, 128);
      equal(toHex(fromZbase32(s.zbase)!), toHex(new Uint8Array([31 + parseInt(s.recid, 16)])) + s.signature);
      deepEqual(await rpc.call('checkmessage', { message, zbase: s.zbase, pubkey: id }), { pubkey: id, verified: true });
    }
  });

  it("refuses bad input with Core Lightning's -32602 messages", async () => {
    const { rpc } = dispatcher();
    const zb = CLN_EXAMPLES[0]!.zbase;
    const code = async (method: string, params: object, message?: string) => {
      const e = await rejects<RpcError>(rpc.call(method, params), RpcError);
      equal(e.code, -32602, JSON.stringify(params).slice(0, 80));
      if (message) equal(e.message, message);
    };
    await code('signmessage', { message: 'x'.repeat(65536) }, 'Message must be < 64k');
    await code('signmessage', { message: 42 });
    await code('checkmessage', { message: 'm', zbase: zb.slice(0, -8) }, 'zbase is too short');
    await code('checkmessage', { message: 'm', zbase: zb + 'yyyyyyyy' }, 'zbase is too long');
    await code('checkmessage', { message: 'm', zbase: zb.slice(0, -1) + 'l' }, 'zbase is not valid zbase32');
    await code('checkmessage', { message: 'm', zbase: zb.slice(0, -1) }, 'zbase is not valid zbase32');
    // A first byte that is not 31..34: no recovery id.
    await code('checkmessage', { message: 'm', zbase: toZbase32(new Uint8Array(65).fill(1)) }, 'cannot parse zbase signature');
    await code('checkmessage', { message: 'm', zbase: zb, pubkey: '02' + '00'.repeat(32) });
  });
});
