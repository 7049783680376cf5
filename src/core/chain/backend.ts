// The chain as lightningd sees it (design.md, "Chain, keys and state"): a backend shaped like Core
// Lightning's backend plugin contract (doc/developers-guide/plugin-development/bitcoin-backend.md:
// `getchaininfo`, `estimatefees`, `getrawblockbyheight`, `getutxout`, `sendrawtransaction`), and the
// events a block follower gives the parts of lightningd that watch the chain (the wallet, gossipd's
// funding outputs, later the channels). Only lightningd holds a ChainBackend; every other daemon
// asks lightningd. Implementations live on the runtime side (they do I/O); src/core only declares.

/** Core Lightning's `getchaininfo` result. `chain` is Bitcoin Core's name: main, test, testnet4, signet, regtest. */
export interface ChainInfo {
  chain: string;
  headercount: number;
  blockcount: number;
  /** Initial block download still running: lightningd waits before acting on the tip. */
  ibd: boolean;
}

/** Core Lightning's `estimatefees` result: feerates in sat per 1000 virtual bytes (sat/kvB). */
export interface FeeEstimates {
  /** The lowest feerate the backend's mempool accepts (Bitcoin Core's `mempoolminfee`, at least the 1 sat/vB relay floor). */
  feerate_floor: number;
  /** One entry per confirmation target, ascending by `blocks`; empty when the backend has no estimate. */
  feerates: { blocks: number; feerate: number }[];
}

export interface RawBlock {
  /** Display order (reversed) hex, as explorers and Esplora write it. */
  blockhash: string;
  /** The serialized block. */
  block: Uint8Array;
}

export interface UtxOut {
  amount_sat: number;
  script: Uint8Array;
}

export interface SendResult {
  success: boolean;
  /** Bitcoin Core's reject reason when `success` is false (e.g. `bad-txns-inputs-missingorspent`). */
  errmsg?: string;
}

export interface ChainBackend {
  getchaininfo(): Promise<ChainInfo>;
  estimatefees(): Promise<FeeEstimates>;
  /** undefined: no block at that height yet. */
  getrawblockbyheight(height: number): Promise<RawBlock | undefined>;
  /** undefined: the output does not exist or is spent. `txid` in display order hex. */
  getutxout(txid: string, vout: number): Promise<UtxOut | undefined>;
  sendrawtransaction(tx: Uint8Array, allowhighfees?: boolean): Promise<SendResult>;
  /**
   * Optional, beyond Core Lightning's contract (its bitcoind plugin calls `submitpackage`): a child
   * and its unconfirmed parents judged together (Bitcoin Core 28 package relay), so that a child can
   * carry a parent whose own feerate is below the mempool's minimum (option_anchors CPFP).
   */
  submitpackage?(txs: Uint8Array[]): Promise<SendResult>;
  /**
   * Optional, beyond Core Lightning's contract: the best chain's block hash at `height` (display
   * order hex), undefined past the tip. The follower uses it to see a reorganisation that leaves the
   * height unchanged without downloading the block (Esplora: `/block-height/:height`).
   */
  getblockhash?(height: number): Promise<string | undefined>;
  /**
   * Optional, beyond Core Lightning's contract: the txid (display order hex) at `txindex` in the best
   * chain's block at `height`, undefined when there is none. lightningd resolves a gossiped
   * short_channel_id with it (gossipd_get_txout): during a gossip sync that is tens of thousands of
   * channels in as many blocks, and one raw block per channel (what Core Lightning reads from its
   * local bitcoind) would be gigabytes over HTTP (Esplora: `/block/:hash/txid/:index`).
   */
  gettxidbyposition?(height: number, txindex: number): Promise<string | undefined>;
}

/** A block the follower connected to the best chain, with its transactions serialized (witness included). */
export interface ConnectedBlock {
  height: number;
  /** Display order hex. */
  hash: string;
  prevHash: string;
  /** Block header time (seconds). */
  time: number;
  txs: Uint8Array[];
  /** The txids of `txs`, in the same order (display order hex), when the follower computed them. */
  txids?: string[];
  /** The outpoints each of `txs` spends (txid display order; none for the coinbase), when the follower read them. */
  inputs?: { txid: string; vout: number }[][];
}

/**
 * What a part of lightningd that follows the chain implements (the wallet, the watches, gossipd's
 * spent funding outputs through lightningd). Blocks arrive in height order; on a reorganisation the
 * follower disconnects the stale blocks from the tip down, then connects the new ones. A listener
 * must persist what a block changed before its promise resolves: the follower records the height
 * only after every listener has resolved, so a crash replays a block rather than skipping one.
 */
export interface ChainListener {
  blockConnected(block: ConnectedBlock): void | Promise<void>;
  blockDisconnected(block: { height: number; hash: string }): void | Promise<void>;
  /** A transaction seen unconfirmed (broadcast by us or found in the mempool), serialized. */
  txSeen?(tx: Uint8Array): void | Promise<void>;
}
