/*
 * A verify-only WebAssembly build of libsecp256k1 for gossipd's signature checks (BOLT 7), with the
 * same exports as the subset of tiny-secp256k1 2.2.4's secp256k1.wasm that src/core/crypto/verify-engines.ts
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
#include "src/util.h"
#include "src/ecmult_gen.h"
static void secp256k1_ecmult_gen_context_build(secp256k1_ecmult_gen_context *ctx, void **prealloc)
    __attribute__((noinline));

/*
 * ECDSA verification inverts s modulo the group order n once per check. Without GMP this
 * libsecp256k1 does it by exponentiation (s^(n-2), about 290 multiplications of 8x32 scalars),
 * which on wasm32 costs about as much as the rest of a verification. This build swaps in a binary
 * extended Euclid on 64-bit words (only additions, subtractions and shifts, which wasm32 has as
 * single instructions). Variable time is fine: s is public. The result is checked with the
 * library's own multiplication, s * s^-1 == 1, as its GMP inversion checks its own; should that
 * ever fail, the library's inversion answers instead. The one caller is secp256k1_ecdsa_sig_verify
 * (ecdsa_impl.h), which refuses s == 0 before it calls.
 */
#include "src/scalar_impl.h"

typedef struct { uint64_t d[4]; } u256; /* little-endian 64-bit words */
static const u256 ORDER = {{0xBFD25E8CD0364141ull, 0xBAAEDCE6AF48A03Bull, 0xFFFFFFFFFFFFFFFEull, 0xFFFFFFFFFFFFFFFFull}};

/* r = a + b; returns the carry out of bit 255. */
static uint64_t u256_add(u256 *r, const u256 *a, const u256 *b) {
  uint64_t carry = 0;
  int i;
  for (i = 0; i < 4; i++) {
    uint64_t t = a->d[i] + carry;
    uint64_t c1 = t < carry;
    r->d[i] = t + b->d[i];
    carry = c1 | (r->d[i] < t);
  }
  return carry;
}
/* r = a - b; returns the borrow. */
static uint64_t u256_sub(u256 *r, const u256 *a, const u256 *b) {
  uint64_t borrow = 0;
  int i;
  for (i = 0; i < 4; i++) {
    uint64_t t = a->d[i] - borrow;
    uint64_t b1 = a->d[i] < borrow;
    borrow = b1 | (t < b->d[i]);
    r->d[i] = t - b->d[i];
  }
  return borrow;
}
/* a = (top:a) >> 1 */
static void u256_shr1(u256 *a, uint64_t top) {
  a->d[0] = (a->d[0] >> 1) | (a->d[1] << 63);
  a->d[1] = (a->d[1] >> 1) | (a->d[2] << 63);
  a->d[2] = (a->d[2] >> 1) | (a->d[3] << 63);
  a->d[3] = (a->d[3] >> 1) | (top << 63);
}
static int u256_is_one(const u256 *a) { return a->d[0] == 1 && (a->d[1] | a->d[2] | a->d[3]) == 0; }
static int u256_less(const u256 *a, const u256 *b) {
  int i;
  for (i = 3; i >= 0; i--) {
    if (a->d[i] != b->d[i]) return a->d[i] < b->d[i];
  }
  return 0;
}
/* x = x / 2 mod n, for x < n (n is odd: an odd x becomes (x + n) / 2, with the carry as bit 256). */
static void half_mod_order(u256 *x) {
  uint64_t carry = (x->d[0] & 1) ? u256_add(x, x, &ORDER) : 0;
  u256_shr1(x, carry);
}
/* x = x - y mod n, for x, y < n. */
static void sub_mod_order(u256 *x, const u256 *y) {
  if (u256_sub(x, x, y)) u256_add(x, x, &ORDER);
}

/* r = a^-1 mod n for 0 < a < n. Invariants: x1 * a == u and x2 * a == v (mod n); gcd(u, v) == 1. */
static void scalar_inverse_var_euclid(secp256k1_scalar *r, const secp256k1_scalar *a) {
  unsigned char b[32];
  u256 u, v = ORDER, x1 = {{1, 0, 0, 0}}, x2 = {{0, 0, 0, 0}};
  const u256 *x;
  secp256k1_scalar check;
  int i;
  if (secp256k1_scalar_is_zero(a)) {
    secp256k1_scalar_inverse(r, a);
    return;
  }
  secp256k1_scalar_get_b32(b, a);
  for (i = 0; i < 4; i++) {
    int j;
    u.d[i] = 0;
    for (j = 0; j < 8; j++) u.d[i] |= (uint64_t)b[31 - 8 * i - j] << (8 * j);
  }
  while (!u256_is_one(&u) && !u256_is_one(&v)) {
    while (!(u.d[0] & 1)) {
      u256_shr1(&u, 0);
      half_mod_order(&x1);
    }
    while (!(v.d[0] & 1)) {
      u256_shr1(&v, 0);
      half_mod_order(&x2);
    }
    if (!u256_less(&u, &v)) {
      u256_sub(&u, &u, &v);
      sub_mod_order(&x1, &x2);
    } else {
      u256_sub(&v, &v, &u);
      sub_mod_order(&x2, &x1);
    }
  }
  x = u256_is_one(&u) ? &x1 : &x2;
  for (i = 0; i < 4; i++) {
    int j;
    for (j = 0; j < 8; j++) b[31 - 8 * i - j] = (unsigned char)(x->d[i] >> (8 * j));
  }
  secp256k1_scalar_set_b32(r, b, NULL);
  secp256k1_scalar_mul(&check, r, a);
  if (!secp256k1_scalar_is_one(&check)) secp256k1_scalar_inverse(r, a);
}
/* From here on (ecdsa_impl.h, included by secp256k1.c), the library's calls take the function above. */
#define secp256k1_scalar_inverse_var scalar_inverse_var_euclid
#include "src/secp256k1.c"
#undef secp256k1_scalar_inverse_var

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
