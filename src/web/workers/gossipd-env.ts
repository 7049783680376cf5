// gossipd's env in the browser, loaded only by the Worker that runs gossipd: the IndexedDB store of
// this node's data name, a pool of signature-check Workers nested in this one, and zlib.
import type { GossipdEnv } from '../../core/daemons/gossipd/interface.ts';
import type { SigVerifier } from '../../core/gossip/verify-pool.ts';
import type { DaemonEnv } from '../../core/node/daemon.ts';
import { inflateZlib } from '../../platform/inflate.ts';
import { openOrRecreateIdbGossipStore } from '../gossip-store-idb.ts';
import { createWebVerifyPool } from '../verify-pool.ts';
import { gossipDbName, type WebHostCtx } from '../worker-api.ts';

/** Counts the signatures handed to the verifier (tests: a restart must count none). */
function counting(v: SigVerifier): SigVerifier & { checks: number } {
  const c = {
    checks: 0,
    verifyBatch(items: Parameters<SigVerifier['verifyBatch']>[0]) {
      c.checks += items.length;
      return v.verifyBatch(items);
    },
    close: () => v.close(),
  };
  return c;
}

export function gossipdEnv(base: DaemonEnv, ctx: WebHostCtx): DaemonEnv & GossipdEnv {
  let verifier: (SigVerifier & { checks: number }) | undefined;
  return {
    ...base,
    openStore: () =>
      openOrRecreateIdbGossipStore({ name: gossipDbName(ctx.dataName) }, e =>
        base.log.warn(`gossipd: ${e.message}; starting from an empty gossip store`),
      ),
    verifier: () => (verifier = counting(createWebVerifyPool(ctx.verifyWorkers ? { size: ctx.verifyWorkers } : {}))),
    inflate: inflateZlib,
    // Signatures this Worker's verifier was given.
    info: () => ({ verifier_checks: verifier?.checks ?? 0 }),
  };
}
