// Every input's scriptSig and witness, evaluated against the output it spends by bitcore-lib's
// script interpreter (legacy, P2SH, segwit v0 P2WPKH/P2WSH, taproot key and script path), first
// with Bitcoin Core's standard flags, then (on failure) with the consensus ones, as
// CheckInputScripts does in AcceptToMemoryPool (src/validation.cpp): a spend that fails only a
// policy flag is "non-mandatory-script-verify-flag (...)", one that fails consensus is
// "mandatory-script-verify-flag-failed (...)", with Core's text for the script error.
import bitcore from 'bitcore-lib';
import { schnorr } from '@noble/curves/secp256k1.js';
import type { Tx, TxOutput } from './tx.ts';

export interface ScriptFailure {
  /** The input that failed. */
  input: number;
  /** "mandatory-script-verify-flag-failed (...)" or "non-mandatory-script-verify-flag (...)". */
  reason: string;
}

/** Checks each input of `tx` against the outputs it spends (`prevouts[i]` for input i). */
export type ScriptVerifier = (tx: Tx, prevouts: TxOutput[]) => ScriptFailure | undefined;

const I = bitcore.Script.Interpreter as unknown as Record<string, number>;
const f = (name: string): number => {
  const v = I[name];
  if (typeof v !== 'number') throw new Error(`bitcore-lib has no ${name}`);
  return v;
};

/** MANDATORY_SCRIPT_VERIFY_FLAGS (src/policy/policy.h). */
const MANDATORY =
  f('SCRIPT_VERIFY_P2SH') |
  f('SCRIPT_VERIFY_DERSIG') |
  f('SCRIPT_VERIFY_NULLDUMMY') |
  f('SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY') |
  f('SCRIPT_VERIFY_CHECKSEQUENCEVERIFY') |
  f('SCRIPT_VERIFY_WITNESS') |
  f('SCRIPT_VERIFY_TAPROOT');
/**
 * STANDARD_SCRIPT_VERIFY_FLAGS, as far as bitcore-lib implements them. Not CLEANSTACK: bitcore-lib
 * 11.5.1 checks it against the scriptSig's stack, so it refuses every native segwit spend (segwit
 * scripts need a clean stack by consensus anyway, which the interpreter does check).
 */
const STANDARD =
  MANDATORY |
  f('SCRIPT_VERIFY_STRICTENC') |
  f('SCRIPT_VERIFY_MINIMALDATA') |
  f('SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS') |
  f('SCRIPT_VERIFY_MINIMALIF') |
  f('SCRIPT_VERIFY_NULLFAIL') |
  f('SCRIPT_VERIFY_LOW_S') |
  f('SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM') |
  f('SCRIPT_VERIFY_WITNESS_PUBKEYTYPE') |
  f('SCRIPT_VERIFY_CONST_SCRIPTCODE') |
  f('SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION') |
  f('SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS') |
  f('SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE');

/** ScriptErrorString (src/script/script_error.cpp) for bitcore-lib's error codes. */
const CORE_TEXT: Record<string, string> = {
  EVAL_FALSE: 'Script evaluated without error but finished with a false/empty top stack element',
  EVAL_FALSE_IN_STACK: 'Script evaluated without error but finished with a false/empty top stack element',
  EVAL_FALSE_NO_RESULT: 'Script evaluated without error but finished with a false/empty top stack element',
  EVAL_FALSE_IN_P2SH_STACK: 'Script evaluated without error but finished with a false/empty top stack element',
  EVAL_FALSE_NO_P2SH_STACK: 'Script evaluated without error but finished with a false/empty top stack element',
  VERIFY: 'Script failed an OP_VERIFY operation',
  EQUALVERIFY: 'Script failed an OP_EQUALVERIFY operation',
  CHECKMULTISIGVERIFY: 'Script failed an OP_CHECKMULTISIGVERIFY operation',
  CHECKSIGVERIFY: 'Script failed an OP_CHECKSIGVERIFY operation',
  NUMEQUALVERIFY: 'Script failed an OP_NUMEQUALVERIFY operation',
  SCRIPT_SIZE: 'Script is too big',
  PUSH_SIZE: 'Push value size limit exceeded',
  OP_COUNT: 'Operation limit exceeded',
  STACK_SIZE: 'Stack size limit exceeded',
  SIG_COUNT: 'Signature count negative or greater than pubkey count',
  PUBKEY_COUNT: 'Pubkey count negative or limit exceeded',
  BAD_OPCODE: 'Opcode missing or not understood',
  UNDEFINED_OPCODE: 'Opcode missing or not understood',
  DISABLED_OPCODE: 'Attempted to use a disabled opcode',
  INVALID_STACK_OPERATION: 'Operation not valid with the current stack size',
  INVALID_ALTSTACK_OPERATION: 'Operation not valid with the current altstack size',
  OP_RETURN: 'OP_RETURN was encountered',
  UNBALANCED_CONDITIONAL: 'Invalid OP_IF construction',
  NEGATIVE_LOCKTIME: 'Negative locktime',
  UNSATISFIED_LOCKTIME: 'Locktime requirement not satisfied',
  SIG_HASHTYPE: 'Signature hash type missing or not understood',
  SIG_DER: 'Non-canonical DER signature',
  SIG_DER_INVALID_FORMAT: 'Non-canonical DER signature',
  SIG_DER_HIGH_S: 'Non-canonical signature: S value is unnecessarily high',
  MINIMALDATA: 'Data push larger than necessary',
  SIG_PUSHONLY: 'Only push operators allowed in signatures',
  SIG_HIGH_S: 'Non-canonical signature: S value is unnecessarily high',
  SIG_NULLDUMMY: 'Dummy CHECKMULTISIG argument must be zero',
  MINIMALIF: 'OP_IF/NOTIF argument must be minimal',
  SIG_NULLFAIL: 'Signature must be zero for failed CHECK(MULTI)SIG operation',
  NULLFAIL: 'Signature must be zero for failed CHECK(MULTI)SIG operation',
  DISCOURAGE_UPGRADABLE_NOPS: 'NOPx reserved for soft-fork upgrades',
  DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM: 'Witness version reserved for soft-fork upgrades',
  DISCOURAGE_UPGRADABLE_TAPROOT_VERSION: 'Taproot version reserved for soft-fork upgrades',
  DISCOURAGE_OP_SUCCESS: 'OP_SUCCESSx reserved for soft-fork upgrades',
  DISCOURAGE_UPGRADABLE_PUBKEYTYPE: 'Public key version reserved for soft-fork upgrades',
  PUBKEYTYPE: 'Public key is neither compressed or uncompressed',
  CLEANSTACK: 'Stack size must be exactly one after execution',
  WITNESS_PROGRAM_WRONG_LENGTH: 'Witness program has incorrect length',
  WITNESS_PROGRAM_WITNESS_EMPTY: 'Witness program was passed an empty witness',
  WITNESS_PROGRAM_MISMATCH: 'Witness program hash mismatch',
  WITNESS_MALLEATED: 'Witness requires empty scriptSig',
  WITNESS_MALLEATED_P2SH: 'Witness requires only-redeemscript scriptSig',
  WITNESS_UNEXPECTED: 'Witness provided for non-witness script',
  WITNESS_PUBKEYTYPE: 'Using non-compressed keys in segwit',
  SCHNORR_SIG_SIZE: 'Invalid Schnorr signature size',
  SCHNORR_SIG_HASHTYPE: 'Invalid Schnorr signature hash type',
  SCHNORR_SIG: 'Invalid Schnorr signature',
  TAPROOT_WRONG_CONTROL_SIZE: 'Invalid Taproot control block size',
  TAPSCRIPT_VALIDATION_WEIGHT: 'Too much signature validation relative to witness weight',
  TAPSCRIPT_CHECKMULTISIG: 'OP_CHECKMULTISIG(VERIFY) is not available in tapscript',
  TAPSCRIPT_MINIMALIF: 'OP_IF/NOTIF argument must be minimal in tapscript',
  OP_CODESEPARATOR: 'Using OP_CODESEPARATOR in non-witness script',
  SIG_FINDANDDELETE: 'Signature is found in scriptCode',
};

function coreText(errstr: string, taprootKeyPath: boolean): string {
  // bitcore-lib leaves errstr empty when a taproot key-path signature does not verify.
  const code = errstr.replace(/^SCRIPT_ERR_/, '') || (taprootKeyPath ? 'SCHNORR_SIG' : 'UNKNOWN_ERROR');
  return CORE_TEXT[code] ?? (code === 'UNKNOWN_ERROR' ? 'unknown error' : code);
}

/**
 * BIP 340 verification by @noble/curves in place of bitcore-lib's, which refuses every valid
 * signature for a public key whose x coordinate starts with a zero byte (about 1 key in 256): a
 * taproot spend Bitcoin Core accepts was refused. bitcore-lib's callers pass the key as 32 bytes or a
 * PublicKey, the message as 32 bytes or hex, the signature as bytes, hex or a Signature (64 or 65 bytes
 * with the sighash type, which the interpreter has already read).
 */
type SchnorrArg = Uint8Array | string | { toBuffer(): Uint8Array } | { point: { x: { toBuffer(o: { size: number }): Uint8Array } } };
const bytesOf = (v: SchnorrArg): Uint8Array =>
  typeof v === 'string'
    ? Uint8Array.from(v.match(/../g) ?? [], h => parseInt(h, 16))
    : v instanceof Uint8Array
      ? v
      : 'point' in v
        ? v.point.x.toBuffer({ size: 32 })
        : v.toBuffer();
(bitcore as unknown as { crypto: { Schnorr: { verify(p: SchnorrArg, m: SchnorrArg, s: SchnorrArg): boolean } } }).crypto.Schnorr.verify = (
  p,
  m,
  s,
) => {
  const key = bytesOf(p);
  const msg = bytesOf(m);
  const sig = bytesOf(s).subarray(0, 64);
  if (key.length !== 32 || msg.length !== 32 || sig.length !== 64) return false;
  try {
    return schnorr.verify(sig, msg, key);
  } catch {
    return false;
  }
};

/** bitcore-lib reads Node Buffers (a global in Node; a bundler's polyfill elsewhere). */
const BufferCtor = (globalThis as unknown as { Buffer: { from(u: Uint8Array): Uint8Array } }).Buffer;
const buf = (u: Uint8Array): Uint8Array => BufferCtor.from(u);

type BitcoreTx = InstanceType<typeof bitcore.Transaction>;

/** One input under `flags`: undefined when it verifies, else bitcore-lib's error code. */
function run(btx: BitcoreTx, nin: number, prev: TxOutput, flags: number): string | undefined {
  const input = btx.inputs[nin]!;
  const interp = new bitcore.Script.Interpreter();
  // verify() pops the witness it is given: each run gets its own copy.
  try {
    if (interp.verify(input.script, new bitcore.Script(buf(prev.script)), btx, nin, flags, input.witnesses.map(buf), Number(prev.value)))
      return undefined;
    return interp.errstr;
  } catch {
    // bitcore-lib throws on some malformed inputs (a bad signature encoding, a bad key).
    return interp.errstr || 'SCRIPT_ERR_UNKNOWN_ERROR';
  }
}

export const bitcoreVerifier: ScriptVerifier = (tx, prevouts) => {
  let btx: BitcoreTx;
  try {
    btx = new bitcore.Transaction(buf(tx.raw));
  } catch {
    return { input: 0, reason: 'mandatory-script-verify-flag-failed (unknown error)' };
  }
  // Taproot signatures commit to every spent output (BIP 341): give bitcore-lib all of them.
  prevouts.forEach((p, i) => {
    btx.inputs[i]!.output = new bitcore.Transaction.Output({ script: buf(p.script), satoshis: Number(p.value) });
  });
  for (let i = 0; i < tx.inputs.length; i++) {
    const prev = prevouts[i]!;
    const keyPath = prev.script.length === 34 && prev.script[0] === 0x51 && tx.inputs[i]!.witness.length === 1;
    const policy = run(btx, i, prev, STANDARD);
    if (policy === undefined) continue;
    const consensus = run(btx, i, prev, MANDATORY);
    if (consensus === undefined) return { input: i, reason: `non-mandatory-script-verify-flag (${coreText(policy, keyPath)})` };
    return { input: i, reason: `mandatory-script-verify-flag-failed (${coreText(consensus, keyPath)})` };
  }
  return undefined;
};
