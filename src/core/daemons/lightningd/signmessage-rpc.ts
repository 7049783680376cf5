// Core Lightning's `signmessage` and `checkmessage` (doc/schemas/signmessage.json,
// checkmessage.json; lightningd/signmessage.c), the format LND's signmessage/verifymessage share:
// hsmd signs SHA-256d("Lightning Signed Message:" || message) with the node key
// (crypto/signed-message.ts). checkmessage recovers the signer; without `pubkey` it is verified
// only if the recovered key is a node in our graph (1301 otherwise, as Core Lightning).
import { fromHex, toHex } from '../../base/bytes.ts';
import {
  fromZbase32,
  parsesAsRecoverable,
  recoverMessageSigner,
  signedMessageBytes,
  zbaseOfSignature,
} from '../../crypto/signed-message.ts';
import { isValidPublicKey } from '../../crypto/primitives.ts';
import { RpcCode, RpcError, type RpcDispatcher } from './jsonrpc.ts';

/** Core Lightning's SIGNMESSAGE_PUBKEY_NOT_FOUND. */
export const SIGNMESSAGE_PUBKEY_NOT_FOUND = 1301;

export interface SignMessageDeps {
  /** hsmd's signMessage: 65 bytes, the recovery id first, then R || S. */
  signMessage(message: string): Uint8Array | Promise<Uint8Array>;
  /** Whether node `id` (hex) is in our graph (gossipd's listnodes); absent: no graph to look in. */
  knownNode?(id: string): Promise<boolean>;
}

function messageParam(m: unknown): string {
  if (typeof m !== 'string') throw new RpcError(RpcCode.INVALID_PARAMS, 'message: should be a string');
  if (!signedMessageBytes(m)) throw new RpcError(RpcCode.INVALID_PARAMS, 'Message must be < 64k');
  return m;
}

export function registerSignMessageCommands(rpc: RpcDispatcher, d: SignMessageDeps): void {
  rpc.register('signmessage', {
    category: 'utility',
    params: ['message'],
    description: 'Create a digital signature of {message} with the node key, checkable with checkmessage (or LND verifymessage).',
    handler: async p => {
      const sig = await d.signMessage(messageParam(p.message));
      return { signature: toHex(sig.subarray(1)), recid: toHex(sig.subarray(0, 1)), zbase: zbaseOfSignature(sig) };
    },
  });
  rpc.register('checkmessage', {
    category: 'utility',
    params: ['message', 'zbase', 'pubkey?'],
    description: 'Verify a digital signature {zbase} of {message} signed with {pubkey}, or recover the signer if {pubkey} is not given.',
    handler: async p => {
      const message = messageParam(p.message);
      if (typeof p.zbase !== 'string') throw new RpcError(RpcCode.INVALID_PARAMS, 'zbase: should be a string');
      let pubkey: string | undefined;
      if (p.pubkey !== undefined) {
        if (typeof p.pubkey !== 'string' || !/^[0-9a-f]{66}$/i.test(p.pubkey) || !isValidPublicKey(fromHex(p.pubkey)))
          throw new RpcError(RpcCode.INVALID_PARAMS, 'pubkey: should be a compressed public key');
        pubkey = p.pubkey.toLowerCase();
      }
      const sig = fromZbase32(p.zbase);
      if (!sig) throw new RpcError(RpcCode.INVALID_PARAMS, 'zbase is not valid zbase32');
      if (sig.length !== 65) throw new RpcError(RpcCode.INVALID_PARAMS, `zbase is too ${sig.length < 65 ? 'short' : 'long'}`);
      if (!parsesAsRecoverable(sig)) throw new RpcError(RpcCode.INVALID_PARAMS, 'cannot parse zbase signature');
      const key = recoverMessageSigner(new TextEncoder().encode(message), sig);
      if (!key) return { verified: false };
      const recovered = toHex(key);
      if (pubkey === undefined && d.knownNode) {
        // Core Lightning (after LND): without a pubkey, a signature counts only from a node in the graph.
        if (!(await d.knownNode(recovered)))
          throw new RpcError(SIGNMESSAGE_PUBKEY_NOT_FOUND, 'pubkey not found in the graph', { claimed_key: recovered });
        return { pubkey: recovered, verified: true };
      }
      return { pubkey: recovered, verified: pubkey === recovered };
    },
  });
}
