#!/bin/sh
# Builds verify.wasm (see verify.c) from the libsecp256k1 sources that the npm package `secp256k1`
# ships under src/secp256k1/ (a devDependency of this repository, pinned in package.json; `npm ci`
# installs it, and its install script need not run: only its sources are read).
# Needs node, clang and wasm-ld (Debian: apt-get install clang lld). The committed verify.wasm was
# built by Debian 12's clang 14.0.6 (clang 1:14.0-55.7~deb12u1, lld 1:14.0-55.7~deb12u1):
#   src/wasm/secp256k1/build.sh [OUT]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
OUT=${1:-$HERE/verify.wasm}
PKG=$ROOT/node_modules/secp256k1
SRC=$PKG/src/secp256k1
[ -f "$SRC/src/secp256k1.c" ] || { echo "no $SRC/src/secp256k1.c: run npm ci first" >&2; exit 1; }
# The package must be the version package.json pins, so the build names its sources exactly.
HAVE=$(node -p "require('$PKG/package.json').version")
WANT=$(node -p "require('$ROOT/package.json').devDependencies.secp256k1")
[ "$HAVE" = "$WANT" ] || { echo "node_modules/secp256k1 is $HAVE, package.json pins $WANT: run npm ci" >&2; exit 1; }
echo "reading libsecp256k1 from npm secp256k1@$HAVE ($SRC)"
# Field and scalar: USE_FIELD_10X26 and USE_SCALAR_8X32, 32-bit limbs (wasm32 has no 64x64->128
# multiply; the 5x52 field would emulate it). This libsecp256k1 predates USE_FORCE_WIDEMUL_INT64,
# which selects the same two in later releases. No GMP: USE_NUM_NONE and the built-in inversions.
# USE_ENDOMORPHISM: the GLV split of each scalar in two 128-bit halves (always on in later releases).
# ECMULT_WINDOW_SIZE=12: the tables for G (built when the context is created, see verify.c) take
# 2 x 64 KB of memory instead of the default 15's 2 x 512 KB.
# ECMULT_GEN_PREC_BITS=4: required by the headers; the signing tables are never built.
# --stack-first: the stack sits below the data, so an overflow traps instead of overwriting tables.
clang --target=wasm32 -O3 -nostdlib -ffreestanding -mbulk-memory -msign-ext \
  -isystem "$HERE/sysroot" -I "$SRC" \
  -DUSE_NUM_NONE=1 -DUSE_FIELD_10X26=1 -DUSE_SCALAR_8X32=1 \
  -DUSE_FIELD_INV_BUILTIN=1 -DUSE_SCALAR_INV_BUILTIN=1 -DUSE_ENDOMORPHISM=1 \
  -DECMULT_WINDOW_SIZE=12 -DECMULT_GEN_PREC_BITS=4 -DUSE_EXTERNAL_DEFAULT_CALLBACKS=1 \
  -Wno-unused-function \
  -Wl,--no-entry -Wl,--gc-sections -Wl,--strip-all -Wl,--stack-first -Wl,-z,stack-size=65536 \
  -Wl,--export=HASH_INPUT -Wl,--export=PUBLIC_KEY_INPUT -Wl,--export=SIGNATURE_INPUT \
  -o "$OUT" "$HERE/verify.c"
echo "wrote $OUT ($(wc -c <"$OUT") bytes)"
