/* Declarations libsecp256k1's sources name but a verify-only wasm build never calls (see build.sh). */
#pragma once
typedef struct FILE FILE;
extern FILE *stderr;
int fprintf(FILE *, const char *, ...);
int printf(const char *, ...);
