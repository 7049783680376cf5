// Fixture graphs: the GOSSMAP_COMPRESSv1 decoder against the figures of
// ../shared/data/mainnet-topology/README.md, the generator's shape, and the synthetic keys.
import { execFileSync, spawnSync } from 'node:child_process';
import { createECDH, createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compare, concat, toHex, u32be } from '../../src/core/base/bytes.ts';
import { DecodeError } from '../../src/core/base/errors.ts';
import { encodeBigSize } from '../../src/core/wire/bigsize.ts';
import { scidParts } from '../../src/core/wire/scid.ts';
import { bitcoinSecret, deriveFixtureKeys, nodeSecret, orderChannel } from '../../bench/fixtures/keys.ts';
import {
  KEY_CACHE_FILE,
  loadFixtureKeys,
  loadMainnetTopology,
  loadOrGenerateTopology,
  mainnetAvailable,
  readNodeMap,
} from '../../bench/fixtures/load.ts';
import {
  MAINNET_CHANNELS,
  MAINNET_NODES,
  SCID_FIRST_BLOCK,
  SCID_LAST_BLOCK,
  aliasBytes,
  decodeGossmapCompressed,
  generateTopology,
  generatedAlias,
  parseNodeMap,
  topologyStats,
  type Topology,
} from '../../bench/fixtures/topology.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';

const HAVE_XZ = spawnSync('xz', ['--version']).status === 0;
const SKIP = mainnetAvailable() ? false : 'no ../shared/data/mainnet-topology/ next to the repo: mainnet figures not checked';

/** A GOSSMAP_COMPRESSv1 file from bigsize values, after the header. */
function file(...values: (number | bigint)[]): Uint8Array {
  return concat(new TextEncoder().encode('GOSSMAP_COMPRESSv1\0'), ...values.map(v => encodeBigSize(v)));
}

/** CLN's example (channels 0→1 and 0→2), node 0's half of channel 1 disabled. */
function tinyFile(): Uint8Array {
  return file(
    2,
    0,
    0,
    1,
    2, // channel ends
    3,
    4, // disabled: 2*1+1 (channel 1, direction 1), then 4 = 2N ends the list
    2,
    1_000_000,
    0xfd,
    0,
    1, // capacity: 2 values, channel 0 -> 1,000,000 sat, channel 1 -> 253 sat
    2,
    0,
    1000,
    1,
    1,
    1,
    0, // htlc_minimum_msat
    2,
    0,
    1,
    0,
    1,
    1,
    0, // htlc_maximum_msat: 0 = capacity, 1 = 99% of capacity
    2,
    0,
    1000,
    1,
    0,
    1,
    0, // fee_base_msat
    2,
    0,
    70_000,
    1,
    1,
    1,
    0, // fee_proportional_millionths (70,000 is a 0xfe bigsize)
    3,
    0,
    40,
    144,
    1,
    2,
    2,
    0, // cltv_expiry_delta
  );
}

/** Share of enabled halves whose (cltv, ppm) is their origin node's most common one. */
function policyConsistency(t: Topology): number {
  const per = new Map<number, Map<string, number>>();
  for (const c of t.channels) {
    c.halves.forEach((h, d) => {
      if (h.disabled) return;
      const owner = d === 0 ? c.node1 : c.node2;
      const key = `${h.cltv_expiry_delta}/${h.fee_proportional_millionths}`;
      const m = per.get(owner) ?? new Map<string, number>();
      per.set(owner, m.set(key, (m.get(key) ?? 0) + 1));
    });
  }
  let hit = 0;
  let all = 0;
  for (const m of per.values()) {
    hit += Math.max(...m.values());
    for (const v of m.values()) all += v;
  }
  return hit / all;
}

function checkScids(t: Topology): void {
  for (let i = 0; i < t.channels.length; i++) {
    const { block, outnum } = scidParts(t.channels[i]!.short_channel_id);
    ok(block >= SCID_FIRST_BLOCK && block <= SCID_LAST_BLOCK, `block ${block} in range`);
    ok(outnum < 4, 'small output index');
    if (i > 0) ok(t.channels[i - 1]!.short_channel_id < t.channels[i]!.short_channel_id, `scids strictly increasing at ${i}`);
  }
}

describe('GOSSMAP_COMPRESSv1 decoding', () => {
  it('decodes a hand-built file: ends, disabled halves, templates, htlc_maximum specials', () => {
    const g = decodeGossmapCompressed(tinyFile());
    deepEqual(Array.from(g.node1), [0, 0]);
    deepEqual(Array.from(g.node2), [1, 2]);
    deepEqual(Array.from(g.disabled), [0, 0, 0, 1]);
    deepEqual(g.capacity_sat, [1_000_000n, 253n]);
    deepEqual(g.htlc_minimum_msat, [1000n, 1000n, 1000n, 0n]);
    deepEqual(g.htlc_maximum_msat, [1_000_000_000n, 990_000_000n, 250_470n, 253_000n]);
    deepEqual(g.fee_base_msat, [1000, 0, 1000, 0]);
    deepEqual(g.fee_proportional_millionths, [70_000, 70_000, 70_000, 0]);
    deepEqual(g.cltv_expiry_delta, [40, 144, 144, 0]);
  });

  it('rejects malformed files with typed errors', () => {
    const good = tinyFile();
    const badHeader = good.slice();
    badHeader[0] = 0x67;
    throws(() => decodeGossmapCompressed(badHeader), DecodeError, 'gossmap_bad_header');
    throws(() => decodeGossmapCompressed(good.subarray(0, good.length - 1)), DecodeError, 'short_read');
    throws(() => decodeGossmapCompressed(concat(good, new Uint8Array([0]))), DecodeError, 'gossmap_trailing_bytes');
    // A template index past the template's values.
    throws(() => decodeGossmapCompressed(file(1, 0, 1, 2, 1, 5, 1)), DecodeError, 'gossmap_bad_count');
    // A channel count larger than the bytes could hold.
    throws(() => decodeGossmapCompressed(file(1_000_000)), DecodeError, 'gossmap_bad_count');
    // A non-canonical bigsize (BOLT 1).
    const nonCanonical = concat(file(), new Uint8Array([0xfd, 0x00, 0x01]));
    throws(() => decodeGossmapCompressed(nonCanonical), DecodeError, 'bigsize_not_canonical');
  });

  it('parses node map lines, keeping colons inside aliases', () => {
    const id = '02' + '11'.repeat(32);
    deepEqual(parseNodeMap(`0:${id}:ACINQ\n1:${id}:node-router::out\n2:${id}:\n`), [
      { node_id: id, alias: 'ACINQ' },
      { node_id: id, alias: 'node-router::out' },
      { node_id: id, alias: '' },
    ]);
    throws(() => parseNodeMap(`0:${id}:a\n2:${id}:b\n`), DecodeError, 'node_map_bad_line');
    throws(() => parseNodeMap('0:zz:a\n'), DecodeError, 'node_map_bad_line');
  });

  it('reads an xz node map through the xz command', { skip: HAVE_XZ ? false : 'no xz command' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'topo-'));
    try {
      const id = '03' + 'ab'.repeat(32);
      writeFileSync(join(dir, 'm.xz'), execFileSync('xz', ['-c'], { input: `0:${id}:Kraken 🐙⚡\n` }));
      deepEqual(readNodeMap(join(dir, 'm.xz')), [{ node_id: id, alias: 'Kraken 🐙⚡' }]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('returns no node map when the xz command is missing', () => {
    equal(readNodeMap('/nonexistent.xz'), null);
    const dir = mkdtempSync(join(tmpdir(), 'topo-'));
    try {
      writeFileSync(join(dir, 'm.xz'), new Uint8Array([1]));
      equal(readNodeMap(join(dir, 'm.xz'), join(dir, 'no-such-xz')), null);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('falls back to a generated mainnet-sized graph when the data folder is absent', () => {
    equal(loadMainnetTopology({ dir: '/nonexistent' }), null);
    const t = loadOrGenerateTopology({ dir: '/nonexistent', seed: 5 });
    equal(t.source, 'generated');
    equal(t.nodes.length, MAINNET_NODES);
    equal(t.channels.length, MAINNET_CHANNELS);
  });

  it('encodes aliases as 32 zero-padded bytes, cut at a character boundary', () => {
    equal(toHex(aliasBytes('ACINQ')), toHex(new TextEncoder().encode('ACINQ')) + '00'.repeat(27));
    const cut = aliasBytes('🐙'.repeat(9)); // 36 bytes of UTF-8: 8 octopuses fit
    equal(new TextDecoder('utf-8', { fatal: true }).decode(cut.subarray(0, 32)).replace(/\0+$/, ''), '🐙'.repeat(8));
  });
});

describe('mainnet topology 2026-02-03 (README figures)', () => {
  let topo: Topology | null = null;
  const mainnet = () => (topo ??= loadMainnetTopology());

  it('has 50,808 channels and 17,324 nodes, and the node map has a line per node', { skip: SKIP }, () => {
    const s = topologyStats(mainnet()!);
    equal(s.channels, 50_808);
    equal(s.nodes, 17_324);
    equal(mainnet()!.source, 'mainnet-2026-02-03');
    equal(mainnet()!.nodes[0]!.alias, 'ACINQ');
  });

  it('has 101,616 half-channels, 35,806 disabled, 31,917 channels enabled both ways', { skip: SKIP }, () => {
    const s = topologyStats(mainnet()!);
    equal(s.halfChannels, 101_616);
    equal(s.disabledHalves, 35_806);
    equal(s.enabledBothWays, 31_917);
  });

  it('holds 5,361.7 BTC, median capacity 1,283,260 sat', { skip: SKIP }, () => {
    const s = topologyStats(mainnet()!);
    equal(Math.round(Number(s.totalCapacitySat) / 1e7) / 10, 5361.7);
    equal(s.medianCapacitySat, 1_283_260n);
  });

  it('has highest node degree 1,989 and median cltv delta 40 over all half-channels', { skip: SKIP }, () => {
    const s = topologyStats(mainnet()!);
    equal(s.maxDegree, 1989);
    equal(s.medianCltvExpiryDelta, 40);
  });

  it('keeps every policy valid for a channel_update (htlc_minimum <= htlc_maximum <= capacity)', { skip: SKIP }, () => {
    for (const c of mainnet()!.channels) {
      ok(c.node1 !== c.node2, 'no channel to itself');
      for (const h of c.halves) {
        const valid = h.htlc_minimum_msat <= h.htlc_maximum_msat && h.htlc_maximum_msat <= c.capacity_sat * 1000n;
        ok(valid, `policy of ${c.short_channel_id}`);
        ok(h.cltv_expiry_delta <= 0xffff && h.fee_base_msat <= 0xffffffff);
      }
    }
  });

  it('gives unique short_channel_ids in realistic blocks, channels sorted by them', { skip: SKIP }, () => {
    checkScids(mainnet()!);
  });

  it('orients half-channels by the real node ids: each node then looks more consistent', { skip: SKIP }, () => {
    const withMap = policyConsistency(mainnet()!);
    const without = loadMainnetTopology({ xz: false })!;
    // Without the node map the figures still hold, with generated aliases.
    deepEqual(topologyStats(without), topologyStats(mainnet()!));
    equal(without.nodes[7]!.alias, generatedAlias(7));
    const naive = policyConsistency(without);
    ok(withMap > naive + 0.1, `policy consistency with node ids ${withMap.toFixed(3)} vs file order ${naive.toFixed(3)}`);
  });
});

describe('generateTopology', () => {
  it('makes small graphs of the requested size, each node with a channel, none to itself', () => {
    const t = generateTopology({ nodes: 50, channels: 120, seed: 7 });
    equal(t.source, 'generated');
    equal(t.nodes.length, 50);
    equal(t.channels.length, 120);
    const degree = new Array<number>(50).fill(0);
    for (const c of t.channels) {
      ok(c.node1 !== c.node2);
      ok(c.node1 < 50 && c.node2 < 50);
      degree[c.node1]!++;
      degree[c.node2]!++;
      for (const h of c.halves) ok(h.htlc_minimum_msat <= h.htlc_maximum_msat && h.htlc_maximum_msat <= c.capacity_sat * 1000n);
    }
    ok(
      degree.every(d => d >= 1),
      'every node has a channel',
    );
    checkScids(t);
  });

  it('is deterministic from its seed', () => {
    const a = generateTopology({ nodes: 300, channels: 900, seed: 42 });
    deepEqual(a, generateTopology({ nodes: 300, channels: 900, seed: 42 }));
    const b = generateTopology({ nodes: 300, channels: 900, seed: 43 });
    ok(
      JSON.stringify(a.channels.slice(0, 20), (_k, v) => (typeof v === 'bigint' ? String(v) : v)) !==
        JSON.stringify(b.channels.slice(0, 20), (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      'another seed, another graph',
    );
  });

  it('at mainnet size has mainnet skew: ~54% single-channel nodes, hubs near 2,000', () => {
    const t = generateTopology({ nodes: MAINNET_NODES, channels: MAINNET_CHANNELS, seed: 1 });
    const s = topologyStats(t);
    equal(s.nodes, MAINNET_NODES);
    equal(s.channels, MAINNET_CHANNELS);
    ok(s.maxDegree > 1500 && s.maxDegree < 2500, `max degree ${s.maxDegree}`);
    ok(s.leafShare > 0.5 && s.leafShare < 0.6, `leaf share ${s.leafShare}`);
    equal(s.degreeQuantiles.p50, 1);
    ok(s.degreeQuantiles.p90 >= 6 && s.degreeQuantiles.p90 <= 10, `p90 ${s.degreeQuantiles.p90}`);
    ok(s.degreeQuantiles.p99 >= 50 && s.degreeQuantiles.p99 <= 100, `p99 ${s.degreeQuantiles.p99}`);
    ok(Math.abs(s.disabledHalves / s.halfChannels - 0.352) < 0.02, `disabled share ${s.disabledHalves / s.halfChannels}`);
    ok(s.medianCapacitySat > 900_000n && s.medianCapacitySat < 1_700_000n, `median capacity ${s.medianCapacitySat}`);
    equal(s.medianCltvExpiryDelta, 40);
    checkScids(t);
  });

  it('refuses sizes it cannot build', () => {
    let threw = false;
    try {
      generateTopology({ nodes: 10, channels: 4, seed: 1 });
    } catch {
      threw = true;
    }
    ok(threw, '10 nodes cannot all have a channel with 4 channels');
  });
});

describe('fixture keys', () => {
  const tag = (s: string, i: number) => new Uint8Array(createHash('sha256').update(s).update(u32be(i)).digest());
  const pub = (secret: Uint8Array) => {
    const e = createECDH('secp256k1');
    e.setPrivateKey(secret);
    return toHex(e.getPublicKey(null, 'compressed'));
  };

  it('derives secret = sha256(tag || u32 index) and its public key (checked against node:crypto)', () => {
    for (const i of [0, 1, 17_323]) {
      equal(toHex(nodeSecret(i)), toHex(tag('boltworker fixture node', i)));
      equal(toHex(bitcoinSecret(i)), toHex(tag('boltworker fixture bitcoin', i)));
      const k = deriveFixtureKeys(i + 1, i);
      equal(toHex(k.node_ids[0]!), pub(nodeSecret(i)));
      equal(toHex(k.bitcoin_keys[0]!), pub(bitcoinSecret(i)));
    }
  });

  it('orders channel ends as BOLT 7 wants and swaps the halves with them', () => {
    const t = generateTopology({ nodes: 50, channels: 120, seed: 3 });
    const keys = deriveFixtureKeys(50);
    let swaps = 0;
    for (const c of t.channels) {
      const o = orderChannel(c, keys);
      ok(compare(o.node_id_1, o.node_id_2) < 0, 'node_id_1 < node_id_2');
      equal(toHex(o.node_id_1), toHex(keys.node_ids[o.node_1]!));
      equal(toHex(o.bitcoin_key_2), toHex(keys.bitcoin_keys[o.node_2]!));
      if (o.swapped) {
        swaps++;
        deepEqual([o.node_1, o.node_2], [c.node2, c.node1]);
        equal(o.updates[0], c.halves[1]);
        equal(o.updates[1], c.halves[0]);
      } else {
        deepEqual([o.node_1, o.node_2], [c.node1, c.node2]);
        equal(o.updates[0], c.halves[0]);
      }
    }
    ok(swaps > 20 && swaps < 100, `about half the channels swap (${swaps} of 120)`);
  });

  it('caches public keys on disk and rejects a corrupted cache', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    try {
      const fresh = loadFixtureKeys(6, dir);
      deepEqual(fresh, deriveFixtureKeys(6));
      deepEqual(loadFixtureKeys(4, dir), deriveFixtureKeys(4), 'a prefix from the cache');
      deepEqual(loadFixtureKeys(8, dir), deriveFixtureKeys(8), 'the cache extended');
      writeFileSync(join(dir, KEY_CACHE_FILE), new Uint8Array(8 * 66).fill(2));
      deepEqual(loadFixtureKeys(8, dir), deriveFixtureKeys(8), 'a corrupted cache is re-derived');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
