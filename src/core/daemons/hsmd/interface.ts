// hsmd's whole interface, read top to bottom (the TypeScript form of Core Lightning's hsmd_wire.csv):
// what it can do, the capabilities a link may be given (one per method, Core Lightning's hsmd
// permission bits by name), what it answers lightningd, and what the runtime gives it. It needs no
// link of its own: it only answers.

/** Everything hsmd can do for a client. A link exposes a subset of these methods. */
export interface HsmApi {
  /** Our node id (BOLT 8 `ls.pub`, BOLT 7 `node_id`): the 33-byte compressed public key. */
  nodeId(): Uint8Array;
  /** BOLT 8 `ECDH(k, rk)` with the node secret: SHA-256 of the compressed shared point. */
  ecdh(pub: Uint8Array): Uint8Array;
  /**
   * A compact low-S signature over a 32-byte digest that the caller computed from a message of
   * our own (our node_announcement, our channel_update). A capability to grant sparingly.
   */
  signMessage(digest: Uint8Array): Uint8Array;
  /** Signs our own node_announcement (BOLT 7): refuses one whose `node_id` is not ours. */
  signNodeAnnouncement(msg: Uint8Array): Uint8Array;
  /** Signs a channel_update (BOLT 7): the double-SHA256 of the message after its signature. */
  signChannelUpdate(msg: Uint8Array): Uint8Array;
}

/** The permission names: one per method (Core Lightning's hsmd permission bits, by name). */
export type HsmCapability = keyof HsmApi;

export const HSM_CAPABILITIES: readonly HsmCapability[] = Object.freeze([
  'nodeId',
  'ecdh',
  'signMessage',
  'signNodeAnnouncement',
  'signChannelUpdate',
]);

/** A link that can call exactly the methods named in `C`. */
export type HsmLink<C extends HsmCapability> = Pick<HsmApi, C>;

// ---- What hsmd answers lightningd ----

export interface HsmdDaemonApi {
  /** Our node id, hex. */
  nodeId(): string;
}

// ---- What the runtime gives hsmd in its realm ----

export interface HsmdEnv {
  /**
   * The node secret from this runtime's storage (a file, IndexedDB, Durable Object storage),
   * created and saved first if there is none. hsmd keeps a copy and zeroes what it was given.
   */
  loadOrCreateSecret(): Promise<Uint8Array>;
}

/** hsmd's spec for the node table: no init, no links of its own. */
export interface HsmdSpec {
  init: Record<string, never>;
  api: HsmdDaemonApi;
  uses: Record<string, never>;
  env: HsmdEnv;
}
