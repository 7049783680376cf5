// The demo's chain: `boltworker regtest` on 127.0.0.1, with every channel of the demo's graph funded
// on it. Each channel's funding output (BOLT 3: P2WSH of the 2-of-2 of its two bitcoin keys, for its
// capacity) is paid by the chain's own wallet, and the channel's short_channel_id is where that output
// landed (BOLT 7: block height, index in the block, output index). So every node of the demo, the
// page's included, checks each channel_announcement against the chain as it would on mainnet.
import { Address, OutScript } from '@scure/btc-signer';
import { fundingScriptPubKey } from '../src/core/gossip/funding.ts';
import { scidFromParts } from '../src/core/wire/scid.ts';
import { REGTEST_NETWORK } from '../src/regtest/params.ts';
import { startRegtest, type RegtestHandle } from '../src/regtest/server-node.ts';
import { orderChannel, type FixtureKeys } from '../bench/fixtures/keys.ts';
import type { Topology } from '../bench/fixtures/topology.ts';

/** Funding outputs per transaction (the chain's wallet pays them in one send). */
const OUTPUTS_PER_TX = 50;
/** Blocks on top of the last funding (BOLT 7's announcement depth). */
const DEPTH = 6;

/** The chain, premined so that its wallet has mature coins. */
export function startDemoChain(host: string): Promise<RegtestHandle> {
  return startRegtest({ host, port: 0, premine: 120 });
}

/** Funds every channel of `t` on `chain` and returns the topology with the short_channel_ids the chain gave them. */
export function fundTopology(chain: RegtestHandle, t: Topology, keys: FixtureKeys): Topology {
  const outputs = t.channels.map(c => {
    const oc = orderChannel(c, keys);
    const script = fundingScriptPubKey(oc.bitcoin_key_1, oc.bitcoin_key_2);
    return { address: Address(REGTEST_NETWORK).encode(OutScript.decode(script)), amount: c.capacity_sat };
  });
  // Channel k is output k % OUTPUTS_PER_TX of its batch's transaction (the wallet pays its outputs in order).
  const txids: string[] = [];
  for (let k = 0; k < outputs.length; k += OUTPUTS_PER_TX) txids.push(chain.chain.wallet.sendMany(outputs.slice(k, k + OUTPUTS_PER_TX)));
  chain.chain.mine(DEPTH);
  const channels = t.channels.map((c, k) => {
    const at = chain.chain.findTx(txids[Math.floor(k / OUTPUTS_PER_TX)]!)?.location;
    if (!at) throw new Error(`demo chain: the funding of channel ${k} was not mined`);
    return { ...c, short_channel_id: scidFromParts({ block: at.entry.height, txindex: at.index, outnum: k % OUTPUTS_PER_TX }) };
  });
  // Ascending, as a real graph's channels are listed.
  channels.sort((a, b) => (a.short_channel_id < b.short_channel_id ? -1 : a.short_channel_id > b.short_channel_id ? 1 : 0));
  return { ...t, channels };
}
