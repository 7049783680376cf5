// BOLT 4 attribution data (option_attribution_data), against the spec's inline test vector: each
// node's attribution data on the way back from the erring node 4 (and for a fulfil), and the
// origin reading every hop's hold time, or finding the hop whose HMAC does not match.
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { ATTRIBUTION_DATA_LEN, OnionError, addAttribution, checkAttribution } from '../../src/core/onion/index.ts';
import { deepEqual, equal, throws } from '../support/assert.ts';
import { ATTRIBUTION_TEST as T } from './onion-vector-attribution.ts';

const byNode = [...T.errors].sort((a, b) => a.node - b.node);
const secrets = byNode.map(e => fromHex(e.shared_secret));
/** The vector's hold times as its data carries them: the erring node 4 holds 1 (100 ms), node 0 holds 5. */
const holdTime = (node: number) => 5 - node;
/** The return packet each node made its HMACs over: what it received (the erring node's own, unobfuscated). */
const packetsIn = byNode.map((_, i) => fromHex(i === 4 ? T.raw_error_packet : byNode[i + 1]!.error_packet));

describe('BOLT 4 attribution data', () => {
  it('is 920 bytes: 20 hold times and 210 truncated HMACs', () => {
    equal(ATTRIBUTION_DATA_LEN, 920);
    for (const e of T.errors) equal(e.attribution_data.length, 2 * 920);
  });

  it('each node back from the erring node 4 makes the vector’s attribution data', () => {
    let data: Uint8Array | undefined;
    for (let i = 4; i >= 0; i--) {
      data = addAttribution(secrets[i]!, packetsIn[i]!, holdTime(i), data);
      equal(toHex(data), byNode[i]!.attribution_data, `node ${i}`);
    }
  });

  it('for a fulfil (no return packet), the vector’s success values', () => {
    const success = [...T.success].sort((a, b) => a.node - b.node);
    let data: Uint8Array | undefined;
    for (let i = 4; i >= 0; i--) {
      data = addAttribution(secrets[i]!, new Uint8Array(0), holdTime(i), data);
      equal(toHex(data), success[i]!.attribution_data, `node ${i}`);
    }
    deepEqual(checkAttribution(secrets, [], data!), { holdTimes: [5, 4, 3, 2, 1] });
  });

  it('the origin reads every hop’s hold time', () => {
    deepEqual(checkAttribution(secrets, packetsIn, fromHex(byNode[0]!.attribution_data)), { holdTimes: [5, 4, 3, 2, 1] });
  });

  it('a hop that garbles what it got is found: the origin stops at the first HMAC that does not match', () => {
    // node 2's output altered on its way to node 1 (one bit of its hold time)
    const bad = fromHex(byNode[2]!.attribution_data);
    bad[1]! ^= 1;
    const at1 = addAttribution(secrets[1]!, packetsIn[1]!, holdTime(1), bad);
    const at0 = addAttribution(secrets[0]!, packetsIn[0]!, holdTime(0), at1);
    deepEqual(checkAttribution(secrets, packetsIn, at0), { holdTimes: [5, 4], badHop: 2 });
    // the error packet altered before node 3 made its HMACs: node 3's HMAC no longer matches the packet
    const garbled = packetsIn.map(p => p.slice());
    garbled[3]![40]! ^= 1;
    deepEqual(checkAttribution(secrets, garbled, fromHex(byNode[0]!.attribution_data)).badHop, 3);
    throws(() => checkAttribution(secrets, packetsIn, new Uint8Array(919)), OnionError, 'bad_attribution_data');
  });
});
