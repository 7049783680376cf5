#!/bin/sh
# Builds verify.wasm (see verify.c) from libsecp256k1's sources. Needs clang and wasm-ld (Debian:
# apt-get install clang lld). The committed verify.wasm was built from bitcoin-core/secp256k1 v0.8.0
# (commit 6e2c8bc4ecdc6e71dbe7a368f360d8d453ce435d, MIT licence) with Debian clang 14:
#   src/wasm/secp256k1/build.sh /path/to/secp256k1-v0.8.0
set -eu
SRC=${1:?usage: build.sh LIBSECP256K1_SOURCE_DIR [OUT]}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${2:-$HERE/verify.wasm}
# USE_FORCE_WIDEMUL_INT64: the 10x26 field (wasm32 has no 64x64->128 multiply).
# ECMULT_WINDOW_SIZE=12: a 128 KB table for G instead of the default 15's 1 MB; verification
# measured within 1-2% of it (bench/verify.bench.ts), and the browser downloads 900 KB less.
# --stack-first: the stack sits below the data, so an overflow traps instead of overwriting tables.
clang --target=wasm32 -O3 -nostdlib -ffreestanding -mbulk-memory -msign-ext \
  -isystem "$HERE/sysroot" -I "$SRC" \
  -DUSE_FORCE_WIDEMUL_INT64=1 -DECMULT_WINDOW_SIZE=12 -DUSE_EXTERNAL_DEFAULT_CALLBACKS=1 \
  -Wno-unused-function \
  -Wl,--no-entry -Wl,--gc-sections -Wl,--strip-all -Wl,--stack-first -Wl,-z,stack-size=65536 \
  -Wl,--export=HASH_INPUT -Wl,--export=PUBLIC_KEY_INPUT -Wl,--export=SIGNATURE_INPUT \
  -o "$OUT" "$HERE/verify.c"
echo "wrote $OUT ($(wc -c <"$OUT") bytes)"
