// onchaind's whole interface, read top to bottom (the TypeScript form of Core Lightning's
// onchaind_wire.csv): one instance per channel whose funding output is spent (the node table's
// `many`). lightningd starts it with the channel's state and the spending transaction; onchaind
// asks hsmd (a link limited to this channel's onchain signing) for its signatures and lightningd
// for everything touching the chain: watches, broadcasts. It keeps nothing durable of its own:
// after a restart lightningd starts it again with the same init and replays the spends it saw.
import type { ChannelLink, ONCHAIN_CAPABILITIES } from '../hsmd/interface.ts';
import type { WalletAddressType } from '../../keys/derive.ts';
import type { HtlcStub, TrackedKind } from '../../onchain/index.ts';

export type { HtlcStub, TrackedKind };

// ---- Its init ----

export interface OnchaindInit {
  /** The peer's node id, hex, and the channel's database id (hsmd's channel key). */
  peerId: string;
  dbid: bigint;
  /** The channel's last state (src/core/channel serializeChannel), as channeld persisted it. */
  channel: string;
  /** The transaction that spent the funding output (raw, with witnesses), and the height of its block. */
  spendingTx: Uint8Array;
  height: number;
  /** The chain's tip now (>= height). */
  tip: number;
  /** Payment preimages lightningd knows for this channel's HTLCs (BOLT 5: to claim received HTLCs). */
  preimages: Uint8Array[];
  /**
   * Every HTLC the channel ever carried (Core Lightning's htlc stubs): a revoked commitment's HTLC
   * outputs are found among them. The state's own HTLCs are added by onchaind.
   */
  htlcs?: HtlcStub[];
  /** The wallet key every sweep pays (so listfunds shows it): a fresh address of lightningd's wallet. */
  destination: { index: number; type: WalletAddressType; script: Uint8Array };
  /** The feerate sweeps pay (sat per 1000 weight); later blocks may change it. */
  feeratePerKw: number;
  /** BOLT 5 "irrevocably resolved" depth; 100 if absent. */
  irrevocableDepth?: number;
  /** BOLT 5's "reasonable depth" after which an HTLC we offered is failed upstream; 3 if absent. */
  reasonableDepth?: number;
  /** After a restart: the transactions seen spending the outputs onchaind watched, with their heights, in order. */
  spends?: { tx: Uint8Array; height: number }[];
}

// ---- What onchaind answers lightningd ----

export interface OnchainOutputStatus {
  txid: string;
  vout: number;
  amount: bigint;
  kind: TrackedKind;
  /** 'pending': ours, not spendable yet; 'broadcast': our spend sent; 'spent'; 'resolved': irrevocably; 'theirs'. */
  state: 'pending' | 'broadcast' | 'spent' | 'resolved' | 'theirs';
  spentBy?: string;
  /** An HTLC output's payment hash, hex. */
  paymentHash?: string;
}

export interface OnchainStatus {
  /** What spent the funding output (classify.ts Close kind), with the commitment number. */
  close: 'mutual' | 'local' | 'remote' | 'revoked' | 'future';
  commitmentNumber?: bigint;
  tip: number;
  outputs: OnchainOutputStatus[];
  resolved: boolean;
}

export interface OnchaindDaemonApi {
  /**
   * A new block at `height` (at or below the last one: a reorganisation replaced blocks from there),
   * with every transaction in it that spends an output onchaind watches (raw), in block order.
   * Answers once onchaind has acted on it (signed and asked to broadcast what became valid). When a
   * reorganisation removes the spending transaction itself, lightningd stops this onchaind (the
   * channel's funding output is unspent again) and starts another on the next spend.
   */
  block(b: { height: number; spends: Uint8Array[]; feeratePerKw?: number }): Promise<OnchainStatus>;
  /** A preimage lightningd learned elsewhere (an upstream fulfill): claim the HTLC with it. */
  preimage(preimage: Uint8Array): Promise<OnchainStatus>;
  status(): OnchainStatus;
}

// ---- The links onchaind needs ----

/** onchaind → lightningd. */
export interface OnchaindEvents {
  /** Tell onchaind of spends of these outpoints (in `block`) until `resolved`. Called again as outputs are added. */
  watch(outpoints: { txid: string; vout: number }[]): void | Promise<void>;
  /**
   * Send this transaction to the chain (sendrawtransaction), once lightningd has signed the wallet
   * inputs `fund` added to it (onchaind signs its own input 0). May reject (not yet valid, a
   * conflict): onchaind tries again at the next block while it still matters.
   */
  broadcast(tx: Uint8Array): Promise<void>;
  /**
   * option_anchors: our HTLC-timeout/HTLC-success transactions pay no fee (BOLT 3; the peer signed
   * them SIGHASH_SINGLE|SIGHASH_ANYONECANPAY). Add wallet inputs after input 0 and change outputs
   * after output 0, paying onchaind's `destination` only, so that the whole pays `feeratePerKw`
   * (input 0's witness will weigh `inputWitnessWeight`); answer the unsigned funded transaction.
   * onchaind checks input 0, output 0 and the locktime are unchanged, and hsmd signs input 0 over it.
   */
  fund(req: { tx: Uint8Array; inputWitnessWeight: number; feeratePerKw: number }): Promise<Uint8Array>;
  /** The peer revealed this preimage on chain (BOLT 5): fulfill the incoming HTLC upstream. */
  preimage(p: { paymentHash: Uint8Array; preimage: Uint8Array }): void | Promise<void>;
  /**
   * An HTLC we offered is failed for good (BOLT 5 "MUST fail the corresponding incoming HTLC"): timed
   * out on chain, or missing from the closing transaction, at `reasonableDepth`. Once per HTLC;
   * lightningd ignores it for an HTLC it already settled.
   */
  htlcFailed(h: HtlcStub): void | Promise<void>;
  /** Every output is irrevocably resolved: lightningd may forget the channel (and stop onchaind). */
  resolved(status: OnchainStatus): void | Promise<void>;
}

/** hsmd, this channel only, with ONCHAIN_CAPABILITIES. */
export type OnchainHsm = ChannelLink<(typeof ONCHAIN_CAPABILITIES)[number]>;

export interface OnchaindUses {
  hsm: OnchainHsm;
  events: OnchaindEvents;
}

/** onchaind's spec for the node table. */
export interface OnchaindSpec {
  init: OnchaindInit;
  api: OnchaindDaemonApi;
  uses: OnchaindUses;
  env: Record<string, never>;
}
