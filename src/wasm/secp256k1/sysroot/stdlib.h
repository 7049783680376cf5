/* Declarations for libsecp256k1's sources in a wasm build without a libc (see build.sh, verify.c). */
#pragma once
#include <stddef.h>
void *malloc(size_t);
void *realloc(void *, size_t);
void free(void *);
_Noreturn void abort(void);
