// Every secp256k1 engine Node can use (@noble/secp256k1, and libsecp256k1 from tiny-secp256k1's
// secp256k1.wasm as src/node/ec-engine.ts installs it) through the BOLT 3 vectors.
import { instantiateEcEngine, nobleEc } from '../../src/core/crypto/ec-engine.ts';
import { libsecp256k1EcModule, randomInt32 } from '../../src/node/ec-engine.ts';
import { ecEngineVectors } from '../core/crypto/ec-engine-vectors.ts';

ecEngineVectors('noble', async () => nobleEc, 200);
ecEngineVectors('libsecp256k1', async () => instantiateEcEngine(await libsecp256k1EcModule(), randomInt32), 10_000);
