// Shows LDK the chain of `boltworker regtest` (its Esplora API): the block at a height with the
// transactions LDK holds in it, then the tip (ChannelManager's Confirm, as an Electrum-style client would).
import * as ldk from 'lightningdevkit';
import { fromHex } from '../../../src/core/base/bytes.ts';
import type { LdkPeer } from './peer.ts';

/** `to`: which of LDK's Confirm interfaces is shown the block (its ChannelManager's by default, or its ChainMonitor's). */
export async function showLdkBlock(
  peer: LdkPeer,
  url: string,
  height: number,
  txids: string[],
  to: 'manager' | 'monitor' = 'manager',
): Promise<void> {
  const get = async (path: string) => (await fetch(`${url}${path}`)).text();
  const hash = await get(`/block-height/${height}`);
  const header = fromHex(await get(`/block/${hash}/header`));
  const all = JSON.parse(await get(`/block/${hash}/txids`)) as string[];
  const txdata = await Promise.all(
    txids.map(async t => ldk.TwoTuple_usizeTransactionZ.constructor_new(all.indexOf(t), fromHex(await get(`/tx/${t}/hex`)))),
  );
  const confirm = to === 'manager' ? peer.channelManager!.as_Confirm() : peer.chainMonitor!.as_Confirm();
  confirm.transactions_confirmed(header, txdata, height);
  const tipHash = await get('/blocks/tip/hash');
  const tip = Number(await get('/blocks/tip/height'));
  confirm.best_block_updated(fromHex(await get(`/block/${tipHash}/header`)), tip);
  peer.processEvents();
}
