// Every secp256k1 engine a browser realm can use (@noble/secp256k1, and libsecp256k1 from
// tiny-secp256k1's secp256k1.wasm as src/web/ec-engine.ts loads it) through the BOLT 3 vectors.
import { instantiateEcEngine, nobleEc } from '../../src/core/crypto/ec-engine.ts';
import { libsecp256k1EcModule, randomInt32 } from '../../src/web/ec-engine.ts';
import { ecEngineVectors } from '../core/crypto/ec-engine-vectors.ts';

ecEngineVectors('noble', async () => nobleEc, 200);
ecEngineVectors(
  'libsecp256k1',
  async () => {
    const module = await libsecp256k1EcModule();
    if (!module) throw new Error('secp256k1.wasm was not served');
    return instantiateEcEngine(module, randomInt32);
  },
  10_000,
);
