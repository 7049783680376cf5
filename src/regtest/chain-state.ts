// What the mempool and the wallet read of the regtest chain (chain.ts implements it): declared
// apart so that neither imports chain.ts, which builds them (no import cycle).
import type { Block } from './block.ts';

export interface Coin {
  value: bigint;
  script: Uint8Array;
  /** Height of the block holding it. */
  height: number;
  coinbase: boolean;
}

export interface BlockEntry {
  block: Block;
  height: number;
  prev: BlockEntry | undefined;
  /** The coins this block spent, for disconnecting it (set while it is active). */
  undo?: [string, Coin][];
}

export interface TxLocation {
  entry: BlockEntry;
  index: number;
}

export interface ChainState {
  /** The active chain by height; [0] is genesis. */
  readonly active: readonly BlockEntry[];
  readonly utxos: ReadonlyMap<string, Coin>;
  readonly txIndex: ReadonlyMap<string, TxLocation>;
  readonly tip: BlockEntry;
  readonly height: number;
  /** Median time past of `entry` (BIP 113). */
  medianTimePast(entry: BlockEntry): number;
}
