// The signed gossip fixture (bench/fixtures/signed-gossip.ts) on a generated 50-node topology:
// every message passes our BOLT 7 validator in the order generated and lands in the graph with the
// topology's policies; each bad case is refused with the expected verdict; tiny-secp256k1's signer
// gives the same bytes as crypto.ts's; the packed file round-trips and its input id follows its inputs.
import { describe, it } from 'node:test';
import { toHex } from '../../src/core/base/bytes.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { Graph } from '../../src/core/gossip/graph.ts';
import { validateGossip } from '../../src/core/gossip/validate.ts';
import { decodeMessage } from '../../src/core/wire/messages.ts';
import { fastSigner } from '../../bench/fixtures/signed-gossip-cache.ts';
import { deriveFixtureKeys, orderChannel } from '../../bench/fixtures/keys.ts';
import {
  SIGNED_GOSSIP_VERSION,
  badGossip,
  buildSignedGossip,
  packSignedGossip,
  signedGossipInputId,
  unpackSignedGossip,
  type SignedGossip,
} from '../../bench/fixtures/signed-gossip.ts';
import { generateTopology } from '../../bench/fixtures/topology.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const CHAIN = chainHash('regtest');
const NOW = 1_795_000_000;
const topology = generateTopology({ nodes: 50, channels: 120, seed: 3 });
const keys = deriveFixtureKeys(50);
let built: SignedGossip | undefined;
const good = (): SignedGossip => (built ??= buildSignedGossip(topology, { chainHash: CHAIN, now: NOW, seed: 1, keys }));

/** A graph that took the whole good set, checking each verdict on the way. */
function ingestAll(): { graph: Graph; verdicts: Map<string, number> } {
  const graph = new Graph();
  const verdicts = new Map<string, number>();
  const rules = { chainHash: CHAIN, now: () => NOW };
  for (const raw of good().messages) {
    const v = validateGossip(raw, graph, rules);
    const key = v.result === 'ignore' ? `ignore:${v.code}` : v.result;
    verdicts.set(key, (verdicts.get(key) ?? 0) + 1);
    if (v.result === 'accept') ok(graph.applyGossip(v.msg), 'an accepted message changes the graph');
  }
  return { graph, verdicts };
}

describe('signed gossip fixture', () => {
  it('has one announcement and two updates per channel, one node_announcement per node', () => {
    const g = good();
    equal(g.channel_announcements, 120);
    equal(g.channel_updates, 240);
    equal(g.node_announcements, 50);
    equal(g.messages.length, 120 + 240 + 50);
    const disabled = topology.channels.reduce((n, c) => n + (c.halves[0].disabled ? 1 : 0) + (c.halves[1].disabled ? 1 : 0), 0);
    ok(disabled > 0, 'the topology has disabled halves');
    equal(g.disabled_updates, disabled);
  });

  it('every message is accepted by the validator, in the order generated', () => {
    const g = good();
    const { graph, verdicts } = ingestAll();
    // Updates with htlc_maximum_msat below htlc_minimum_msat too: BOLT 7 says to leave the channel
    // out of routes, not to drop the update (graph.ts routable).
    deepEqual(Object.fromEntries(verdicts), { accept: g.messages.length });
    equal(graph.channelCount, 120);
    equal(graph.nodeCount, 50);
  });

  it('carries the topology: node order, directions, disabled bits, policies, aliases, timestamps', () => {
    const byScid = new Map(topology.channels.map(c => [c.short_channel_id, orderChannel(c, keys)]));
    for (const raw of good().messages) {
      const m = decodeMessage(raw);
      if (m.name === 'channel_announcement') {
        const oc = byScid.get(m.short_channel_id)!;
        equal(toHex(m.node_id_1), toHex(oc.node_id_1));
        equal(toHex(m.bitcoin_key_2), toHex(oc.bitcoin_key_2));
      } else if (m.name === 'channel_update') {
        const p = byScid.get(m.short_channel_id)!.updates[m.channel_flags & 1]!;
        equal((m.channel_flags & 2) !== 0, p.disabled);
        equal(m.fee_base_msat, p.fee_base_msat);
        equal(m.fee_proportional_millionths, p.fee_proportional_millionths);
        equal(m.cltv_expiry_delta, p.cltv_expiry_delta);
        equal(m.htlc_minimum_msat, p.htlc_minimum_msat);
        equal(m.htlc_maximum_msat, p.htlc_maximum_msat);
        ok(m.timestamp <= NOW - 60 && m.timestamp >= NOW - 13 * 86_400, 'timestamp within 13 days before now');
      } else if (m.name === 'node_announcement') {
        const i = keys.node_ids.findIndex(k => toHex(k) === toHex(m.node_id));
        equal(new TextDecoder().decode(m.alias).replace(/\0+$/, ''), topology.nodes[i]!.alias);
      }
    }
  });

  it('each bad case is refused with the expected verdict', () => {
    const { graph } = ingestAll();
    const cases = badGossip(topology, { chainHash: CHAIN, otherChainHash: chainHash('bitcoin'), now: NOW, keys, good: good() });
    deepEqual([...new Set(cases.map(c => c.kind))].sort(), [
      'bad_signature_announcement',
      'bad_signature_node',
      'bad_signature_update',
      'duplicate',
      'future',
      'out_of_order',
      'stale',
      'unknown_channel',
      'wrong_chain',
    ]);
    const rules = { chainHash: CHAIN, now: () => NOW };
    for (const c of cases) {
      for (const raw of c.setup ?? []) {
        const s = validateGossip(raw, graph, rules);
        ok(s.result === 'accept' && graph.applyGossip(s.msg), `${c.kind}: setup accepted`);
      }
      const v = validateGossip(c.raw, graph, rules);
      const got =
        v.result === 'reject'
          ? { result: 'reject', code: v.error.code }
          : v.result === 'ignore'
            ? { result: 'ignore', code: v.code }
            : { result: v.result };
      deepEqual(got, c.expect, c.kind);
    }
  });

  it("tiny-secp256k1's signer makes the same bytes as crypto.ts's", async () => {
    const sign = await fastSigner();
    ok(sign, 'tiny-secp256k1 loads in Node');
    const again = buildSignedGossip(topology, { chainHash: CHAIN, now: NOW, seed: 1, keys, sign: sign! });
    deepEqual(again.messages.map(toHex), good().messages.map(toHex));
  });

  it('packs and unpacks; the input id follows topology, seed, now and chain', () => {
    const id = signedGossipInputId(topology, CHAIN, NOW, 1);
    const { header, gossip } = unpackSignedGossip(
      packSignedGossip(good(), { version: SIGNED_GOSSIP_VERSION, inputId: id, now: NOW, chainHash: CHAIN }),
    );
    equal(header.version, SIGNED_GOSSIP_VERSION);
    equal(header.now, NOW);
    equal(toHex(header.inputId), toHex(id));
    deepEqual(gossip.messages.map(toHex), good().messages.map(toHex));
    equal(gossip.disabled_updates, good().disabled_updates);
    const other = new Set(
      [
        signedGossipInputId(topology, CHAIN, NOW, 2),
        signedGossipInputId(topology, CHAIN, NOW + 1, 1),
        signedGossipInputId(topology, chainHash('bitcoin'), NOW, 1),
        signedGossipInputId({ ...topology, channels: topology.channels.slice(1) }, CHAIN, NOW, 1),
        signedGossipInputId({ ...topology, nodes: topology.nodes.map((n, i) => (i === 7 ? { alias: 'renamed' } : n)) }, CHAIN, NOW, 1),
      ].map(toHex),
    );
    equal(other.size, 5);
    ok(!other.has(toHex(id)), 'a change of input changes the id');
  });
});
