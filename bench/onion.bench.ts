// BOLT 4 onions built and peeled, and BOLT 11 invoices decoded, per second, each beside a baseline
// measured in the same run (interleaved, harness.ts measureGroup):
// - building a 3-hop onion (createOnion) and peeling one layer (peelOnion), beside the bare
//   cryptography BOLT 4 requires for the same work (ECDH, the ephemeral key blinding, the HMACs
//   and ChaCha20 streams over the 1,300-byte packet), done with the same primitives: what is left
//   is our framing, copies and checks;
// - decoding a BOLT 11 invoice (decodeInvoice: every field, signature recovery) beside the floor
//   any decoder that checks the signature has (Bech32 decode, SHA-256, public key recovery), and
//   in Node beside LDK's parser (npm lightningdevkit, WASM: Bolt11Invoice.constructor_from_str,
//   which also recovers the payee).
import * as secp from '@noble/secp256k1';
import { bech32 } from '@scure/base';
import { chacha20 } from '@noble/ciphers/chacha.js';
import type { Case, Reporter } from './harness.ts';
import { concat } from '../src/core/base/bytes.ts';
import { buildInvoiceFields } from '../src/core/bolt11/build.ts';
import { decodeInvoice, invoiceToSign, signedInvoice } from '../src/core/bolt11/invoice.ts';
import { signInvoiceHash, signingHash } from '../src/core/bolt11/signature.ts';
import { wordsToBytes } from '../src/core/bolt11/words.ts';
import { ecdh, getPublicKey, hmacSha256, sha256 } from '../src/core/crypto/primitives.ts';
import { FeatureVector } from '../src/core/features/index.ts';
import { createOnion } from '../src/core/onion/construct.ts';
import { multiplyPoint, multiplySecret } from '../src/core/onion/crypto.ts';
import { peelOnion } from '../src/core/onion/process.ts';

export const title = 'BOLT 4 onions and BOLT 11 decodes';

const HOPS = 3;
const SIZE = 1300;
const key = (b: number) => new Uint8Array(32).fill(b);
const nodeSecrets = Array.from({ length: HOPS }, (_, i) => key(0x41 + i));
const nodeIds = nodeSecrets.map(getPublicKey);
const sessionKey = key(0x33);
const paymentHash = key(0x55);
/** A forward payload (~40 bytes: amt_to_forward, outgoing_cltv_value, short_channel_id) per hop. */
const payload = Uint8Array.from({ length: 40 }, (_, i) => i);
const ENC = new TextEncoder();
const rhoKey = ENC.encode('rho');
const muKey = ENC.encode('mu');
const padKey = ENC.encode('pad');
const NONCE = new Uint8Array(12);

/** The cryptography of building: per hop ECDH, blinding (SHA-256, scalar product), rho and mu keys, a 1,300-byte stream and HMAC; filler streams; the pad stream. */
function bareBuild(): Uint8Array {
  let e: Uint8Array = sessionKey;
  const secrets: Uint8Array[] = [];
  for (let i = 0; i < HOPS; i++) {
    const pub = getPublicKey(e);
    const ss = ecdh(e, nodeIds[i]!);
    secrets.push(ss);
    if (i < HOPS - 1) e = multiplySecret(e, sha256(concat(pub, ss)));
  }
  let info: Uint8Array = chacha20(hmacSha256(padKey, sessionKey), NONCE, new Uint8Array(SIZE));
  for (let i = 0; i < HOPS - 1; i++) chacha20(hmacSha256(rhoKey, secrets[i]!), NONCE, new Uint8Array(2 * SIZE));
  let mac: Uint8Array = new Uint8Array(32);
  for (let i = HOPS - 1; i >= 0; i--) {
    info = chacha20(hmacSha256(rhoKey, secrets[i]!), NONCE, info);
    mac = hmacSha256(hmacSha256(muKey, secrets[i]!), concat(info, paymentHash));
  }
  return mac;
}

/** The cryptography of peeling: ECDH, the mu key and HMAC over the packet, a 2,600-byte stream, the next ephemeral key. */
function barePeel(ephemeral: Uint8Array, hopPayloads: Uint8Array): Uint8Array {
  const ss = ecdh(nodeSecrets[0]!, ephemeral);
  hmacSha256(hmacSha256(muKey, ss), concat(hopPayloads, paymentHash));
  const plain = new Uint8Array(2 * SIZE);
  plain.set(hopPayloads);
  chacha20(hmacSha256(rhoKey, ss), NONCE, plain, plain);
  return multiplyPoint(ephemeral, sha256(concat(ephemeral, ss)));
}

/** A typical invoice: amount, description, payment_secret, features, expiry, one route hint. */
function invoice(): string {
  const payee = key(0x77);
  const fields = buildInvoiceFields({
    paymentHash,
    paymentSecret: key(0x66),
    description: 'coffee and a croissant',
    expiry: 3600,
    minFinalCltvExpiry: 18,
    features: FeatureVector.fromFeatures({ var_onion_optin: 'required', payment_secret: 'required', basic_mpp: 'optional' }),
    routes: [
      [
        {
          pubkey: nodeIds[0]!,
          shortChannelId: (800000n << 40n) | (1n << 16n),
          feeBaseMsat: 1000,
          feeProportionalMillionths: 100,
          cltvExpiryDelta: 144,
        },
      ],
    ],
  });
  const { hrp, data } = invoiceToSign({ currency: 'bc', amountMsat: 2_500_000n, timestamp: 1_800_000_000, fields });
  return signedInvoice(hrp, data, signInvoiceHash(signingHash(hrp, data), payee));
}

/** Bech32 decode, SHA-256 of what is signed, public key recovery: any checking decoder does this much. */
function bareDecode(s: string): Uint8Array {
  const { prefix, words } = bech32.decode(s as `${string}1${string}`, false);
  const data = words.slice(0, words.length - 104);
  const sig = wordsToBytes(words.slice(words.length - 104), false);
  const hash = sha256(concat(ENC.encode(prefix), wordsToBytes(data, true)));
  return secp.recoverPublicKey(concat(Uint8Array.of(sig[64]!), sig.subarray(0, 64)), hash, { prehash: false });
}

export async function run(report: Reporter): Promise<void> {
  const hops = nodeIds.map(pubkey => ({ pubkey, payload }));
  const built = createOnion(sessionKey, hops, paymentHash);
  // Sanity: the first hop reads its payload, and the bare peel derives the same next key.
  const peeled = peelOnion(nodeSecrets[0]!, built.bytes, paymentHash);
  if (peeled.payload.length !== payload.length || !peeled.next) throw new Error('onion does not peel');
  const next = barePeel(built.packet.publicKey, built.packet.hopPayloads);
  if (next.join() !== peeled.next.publicKey.join()) throw new Error('the bare peel is not the same work');
  await report.measureGroup([
    {
      id: 'onion-build',
      label: `build a ${HOPS}-hop onion (createOnion)`,
      fn: () => createOnion(sessionKey, hops, paymentHash),
      opts: { unit: 'onion', baselines: ['onion-build-bare'] },
    },
    { id: 'onion-build-bare', label: '  its bare cryptography (ECDH, blinding, HMACs, ChaCha20)', fn: bareBuild, opts: { unit: 'onion' } },
    {
      id: 'onion-peel',
      label: 'peel one layer (peelOnion)',
      fn: () => peelOnion(nodeSecrets[0]!, built.bytes, paymentHash),
      opts: { unit: 'onion', baselines: ['onion-peel-bare'] },
    },
    {
      id: 'onion-peel-bare',
      label: '  its bare cryptography',
      fn: () => barePeel(built.packet.publicKey, built.packet.hopPayloads),
      opts: { unit: 'onion' },
    },
  ]);

  const inv = invoice();
  if (decodeInvoice(inv).routes.length !== 1) throw new Error('invoice does not decode');
  const cases: Case[] = [
    {
      id: 'bolt11',
      label: `decode a BOLT 11 invoice (${inv.length} chars, decodeInvoice)`,
      fn: () => decodeInvoice(inv),
      opts: { unit: 'invoice', baselines: ['bolt11-bare', 'bolt11-ldk'] },
    },
    {
      id: 'bolt11-bare',
      label: '  Bech32 + SHA-256 + key recovery (@scure/base, @noble/secp256k1)',
      fn: () => bareDecode(inv),
      opts: { unit: 'invoice' },
    },
  ];
  if (report.runtime === 'node') {
    const ldk = (await import(/* @vite-ignore */ ['lightningdevkit'][0]!)) as typeof import('lightningdevkit');
    const wasm = (await import(/* @vite-ignore */ ['../test/interop/ldk/wasm.ts'][0]!)) as typeof import('../test/interop/ldk/wasm.ts');
    await wasm.loadLdk();
    const parse = () => {
      const r = ldk.Bolt11Invoice.constructor_from_str(inv);
      if (!(r instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK refuses the invoice');
      return r.res.recover_payee_pub_key();
    };
    parse();
    cases.push({
      id: 'bolt11-ldk',
      label: '  LDK 0.1 (WASM) Bolt11Invoice.constructor_from_str + payee',
      fn: parse,
      opts: { unit: 'invoice' },
    });
  }
  await report.measureGroup(cases);
  report.note("ratios: time per operation over the baseline's (1.00x: no overhead; above 1: slower than the baseline)");
}
