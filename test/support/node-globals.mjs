// Gives node:test the same global names mocha gives tests in Chromium.
import { describe, it, before, after } from 'node:test';
import { isMainThread } from 'node:worker_threads';
Object.assign(globalThis, { describe, it, before, after });

// The Node runtime's secp256k1 engine (libsecp256k1 in WASM, src/node/ec-engine.ts) for the tests'
// own thread too, as lightningd's and each daemon host's threads have it; test/node/ec-engine.test.ts
// holds it and @noble/secp256k1 (which Chromium's run of test/core uses) to the same vectors.
// Worker threads get this file too, before boot.mjs has registered tsx: they install their own.
if (isMainThread) {
  const { installNodeEcEngine } = await import('../../src/node/ec-engine.ts');
  await installNodeEcEngine();
}
