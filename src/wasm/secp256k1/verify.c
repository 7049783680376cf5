/*
 * A verify-only WebAssembly build of libsecp256k1 for gossipd's signature checks (BOLT 7), with the
 * same exports as the subset of tiny-secp256k1 2.2.4's secp256k1.wasm that src/core/crypto-verify.ts
 * drives, so one glue serves both: fixed input slots HASH_INPUT, PUBLIC_KEY_INPUT, SIGNATURE_INPUT,
 * and verify / pointCompress / initializeContext. build.sh compiles this file, which includes the
 * libsecp256k1 sources shipped by the npm package `secp256k1` (node_modules/secp256k1/src/secp256k1)
 * as one translation unit, with the 10x26 field (32-bit limbs): on wasm32 the 5x52 field's 128-bit
 * products are emulated, which is why this build is about 3x faster than tiny-secp256k1's.
 *
 * That libsecp256k1 predates compiled-in verification tables: a context with SECP256K1_CONTEXT_VERIFY
 * computes its table of multiples of G when created. initializeContext creates it once, in a static
 * buffer (secp256k1_context_preallocated_create), so there is still no heap.
 */
/*
 * The signing tables are never built here (no SECP256K1_CONTEXT_SIGN), but their builder keeps about
 * 210 KB of temporaries on the stack; inlined into secp256k1_context_preallocated_create, that frame
 * would be reserved on every context creation and overflow the 64 KB stack (build.sh). Declared
 * noinline before the library's definition, so the frame exists only if it is ever called.
 */
#include "include/secp256k1.h"
#include "src/ecmult_gen.h"
static void secp256k1_ecmult_gen_context_build(secp256k1_ecmult_gen_context *ctx, void **prealloc)
    __attribute__((noinline));
#include "src/secp256k1.c"

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
/* Only secp256k1_context_create and scratch spaces allocate; this build calls neither. */
void *malloc(size_t n) { (void)n; return 0; }
void free(void *p) { (void)p; }
_Noreturn void abort(void) { __builtin_trap(); }
/* USE_EXTERNAL_DEFAULT_CALLBACKS: an illegal argument makes the call return 0, as in tiny-secp256k1. */
void secp256k1_default_illegal_callback_fn(const char *msg, void *data) { (void)msg; (void)data; }
void secp256k1_default_error_callback_fn(const char *msg, void *data) { (void)msg; (void)data; }

/* ---- the verification context, in static memory ---- */
/* What secp256k1_context_preallocated_size(SECP256K1_CONTEXT_VERIFY) asks for: the context and the
 * two tables of odd multiples of G and of 2^128 G (USE_ENDOMORPHISM), ECMULT_WINDOW_SIZE each. */
#define CONTEXT_BYTES \
  (ROUND_TO_ALIGN(sizeof(secp256k1_context)) + \
   2 * ROUND_TO_ALIGN(sizeof(secp256k1_ge_storage) * ECMULT_TABLE_SIZE(WINDOW_G)))
static _Alignas(ALIGNMENT) unsigned char context_memory[CONTEXT_BYTES];
static secp256k1_context *ctx;

/* The context, created on first use; NULL (every check then fails) if the buffer were too small. */
static const secp256k1_context *context(void) {
  if (!ctx && secp256k1_context_preallocated_size(SECP256K1_CONTEXT_VERIFY) <= sizeof context_memory) {
    ctx = secp256k1_context_preallocated_create(context_memory, SECP256K1_CONTEXT_VERIFY);
  }
  return ctx;
}

/* ---- the exported input slots (wasm-ld exports each as a global holding its address) ---- */
unsigned char HASH_INPUT[32];
unsigned char PUBLIC_KEY_INPUT[65];
unsigned char SIGNATURE_INPUT[64];

#define EXPORT(name) __attribute__((export_name(name)))

/* Builds the tables for G now, so the first verify does not pay for it. */
EXPORT("initializeContext") void initialize_context(void) { (void)context(); }

/*
 * 1 when SIGNATURE_INPUT (64-byte compact r|s) is a valid signature of HASH_INPUT by the key in
 * PUBLIC_KEY_INPUT (publen 33 compressed or 65 uncompressed bytes), else 0. secp256k1_ecdsa_verify
 * refuses high-S signatures, as BOLT 1 requires; `strict` is accepted for tiny-secp256k1's ABI and
 * has nothing to turn off. r or s not below the group order fails the parse; zero r or s, verify.
 */
EXPORT("verify") int verify(int publen, int strict) {
  const secp256k1_context *c = context();
  secp256k1_pubkey pub;
  secp256k1_ecdsa_signature sig;
  (void)strict;
  if (!c || (publen != 33 && publen != 65)) return 0;
  if (!secp256k1_ec_pubkey_parse(c, &pub, PUBLIC_KEY_INPUT, (size_t)publen)) return 0;
  if (!secp256k1_ecdsa_signature_parse_compact(c, &sig, SIGNATURE_INPUT)) return 0;
  return secp256k1_ecdsa_verify(c, &sig, HASH_INPUT, &pub);
}

/*
 * Re-encodes the key in PUBLIC_KEY_INPUT (inlen 33 or 65 bytes) in place as outlen (33 or 65)
 * bytes: 1 on success, 0 (slot untouched) for a key that is not on the curve. Needs no tables.
 */
EXPORT("pointCompress") int point_compress(int inlen, int outlen) {
  secp256k1_pubkey pub;
  size_t len = (size_t)outlen;
  if ((inlen != 33 && inlen != 65) || (outlen != 33 && outlen != 65)) return 0;
  if (!secp256k1_ec_pubkey_parse(secp256k1_context_no_precomp, &pub, PUBLIC_KEY_INPUT, (size_t)inlen)) return 0;
  return secp256k1_ec_pubkey_serialize(secp256k1_context_no_precomp, PUBLIC_KEY_INPUT, &len, &pub,
                                       outlen == 33 ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED);
}
