/*
 * A verify-only WebAssembly build of libsecp256k1 for gossipd's signature checks (BOLT 7), with the
 * same exports as the subset of tiny-secp256k1 2.2.4's secp256k1.wasm that src/core/crypto-verify.ts
 * drives, so one glue serves both: fixed input slots HASH_INPUT, PUBLIC_KEY_INPUT, SIGNATURE_INPUT,
 * and verify / pointCompress / initializeContext. build.sh compiles this file, which includes
 * libsecp256k1's sources as one translation unit, with the 10x26 field (32-bit limbs): on wasm32
 * the 5x52 field's 128-bit products are emulated, which is why this build is about 3x faster.
 * Verification needs no context randomisation and no heap: it uses secp256k1_context_static.
 */
#include "src/secp256k1.c"
#include "src/precomputed_ecmult.c"
#include "src/precomputed_ecmult_gen.c"

/* ---- the few libc functions the library uses (no libc in this build) ---- */
void *memcpy(void *dst, const void *src, size_t n) {
  __builtin_memcpy(dst, src, n); /* memory.copy (bulk memory) */
  return dst;
}
void *memmove(void *dst, const void *src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}
void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n); /* memory.fill */
  return dst;
}
int memcmp(const void *x, const void *y, size_t n) {
  const unsigned char *a = x, *b = y;
  for (; n > 0; n--, a++, b++) {
    if (*a != *b) return *a - *b;
  }
  return 0;
}
/* Only context creation allocates, and this build never creates a context. */
void *malloc(size_t n) { (void)n; return 0; }
void free(void *p) { (void)p; }
_Noreturn void abort(void) { __builtin_trap(); }
/* USE_EXTERNAL_DEFAULT_CALLBACKS: an illegal argument makes the call return 0, as in tiny-secp256k1. */
void secp256k1_default_illegal_callback_fn(const char *msg, void *data) { (void)msg; (void)data; }
void secp256k1_default_error_callback_fn(const char *msg, void *data) { (void)msg; (void)data; }

/* ---- the exported input slots (wasm-ld exports each as a global holding its address) ---- */
unsigned char HASH_INPUT[32];
unsigned char PUBLIC_KEY_INPUT[65];
unsigned char SIGNATURE_INPUT[64];

#define EXPORT(name) __attribute__((export_name(name)))

/* Nothing to set up: secp256k1_context_static verifies. Kept for tiny-secp256k1's call sequence. */
EXPORT("initializeContext") void initialize_context(void) {}

/*
 * 1 when SIGNATURE_INPUT (64-byte compact r|s) is a valid signature of HASH_INPUT by the key in
 * PUBLIC_KEY_INPUT (publen 33 compressed or 65 uncompressed bytes), else 0. secp256k1_ecdsa_verify
 * refuses high-S signatures, as BOLT 1 requires; `strict` is accepted for tiny-secp256k1's ABI and
 * has nothing to turn off. r or s not below the group order fails the parse; zero r or s, verify.
 */
EXPORT("verify") int verify(int publen, int strict) {
  secp256k1_pubkey pub;
  secp256k1_ecdsa_signature sig;
  (void)strict;
  if (publen != 33 && publen != 65) return 0;
  if (!secp256k1_ec_pubkey_parse(secp256k1_context_static, &pub, PUBLIC_KEY_INPUT, (size_t)publen)) return 0;
  if (!secp256k1_ecdsa_signature_parse_compact(secp256k1_context_static, &sig, SIGNATURE_INPUT)) return 0;
  return secp256k1_ecdsa_verify(secp256k1_context_static, &sig, HASH_INPUT, &pub);
}

/*
 * Re-encodes the key in PUBLIC_KEY_INPUT (inlen 33 or 65 bytes) in place as outlen (33 or 65)
 * bytes: 1 on success, 0 (slot untouched) for a key that is not on the curve.
 */
EXPORT("pointCompress") int point_compress(int inlen, int outlen) {
  secp256k1_pubkey pub;
  size_t len = (size_t)outlen;
  if ((inlen != 33 && inlen != 65) || (outlen != 33 && outlen != 65)) return 0;
  if (!secp256k1_ec_pubkey_parse(secp256k1_context_static, &pub, PUBLIC_KEY_INPUT, (size_t)inlen)) return 0;
  return secp256k1_ec_pubkey_serialize(secp256k1_context_static, PUBLIC_KEY_INPUT, &len, &pub,
                                       outlen == 33 ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED);
}
