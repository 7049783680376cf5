// bench/cold/measure.ts in a new Node process: `node --import tsx bench/cold/node.ts STORE_FILE JSON`
// prints one JSON line with the result.
import { fromHex } from '../../src/core/base/bytes.ts';
import { FileGossipStore } from '../../src/node/gossip-store-file.ts';
import { measureColdStart, type ColdStartRequest } from './measure.ts';

const [file, json] = process.argv.slice(2);
const r = JSON.parse(json!) as ColdStartRequest;
const result = await measureColdStart(() => FileGossipStore.open(file!), r, fromHex(r.chainHash));
process.stdout.write(JSON.stringify(result) + '\n');
