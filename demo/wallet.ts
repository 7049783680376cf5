// The page's on-chain wallet panel: the node's balance (`listfunds`, confirmed and unconfirmed) and a
// "get test coins" button that has `boltworker regtest` send to a fresh `newaddr` and mine a block
// (through the page's own origin: the demo's page server forwards /chain/ to the chain, which
// refuses its controls cross-origin), then waits for the node to see the coins in that block.
import type { WebNode } from '../src/web/index.ts';

interface Funds {
  outputs: { amount_msat: number; status: string; reserved?: boolean }[];
}

/** What one click asks the chain to send. */
const TEST_COINS_SAT = 1_000_000;
const REFRESH_MS = 2000;

const sat = (msat: number) => Math.floor(msat / 1000).toLocaleString('en-US');

/** One of the chain's controls (send, mine), through the page's origin. */
export async function control(path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(new URL(`chain/regtest/${path}`, location.href), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`the chain refused ${path}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export function showWallet(node: WebNode, els: { balance: HTMLElement; button: HTMLButtonElement; text: HTMLElement }): void {
  let confirmed = 0;
  const refresh = async () => {
    const f = (await node.call('listfunds', {})) as Funds;
    const sum = (s: string) => f.outputs.filter(o => o.status === s).reduce((t, o) => t + o.amount_msat, 0);
    confirmed = sum('confirmed');
    const pending = sum('unconfirmed');
    els.balance.dataset.sat = String(Math.floor(confirmed / 1000));
    els.balance.textContent = `${sat(confirmed)} sat confirmed${pending ? `, ${sat(pending)} sat unconfirmed` : ''} in ${f.outputs.length} output${f.outputs.length === 1 ? '' : 's'}`;
    return confirmed;
  };
  const tick = () => void refresh().catch(e => (els.text.textContent = `listfunds failed: ${(e as Error).message}`));
  tick();
  setInterval(tick, REFRESH_MS);
  els.button.disabled = false;
  els.button.addEventListener('click', async () => {
    els.button.disabled = true;
    try {
      const before = await refresh();
      // A P2WPKH address: `boltworker regtest` checks scripts with bitcore-lib, which refuses a valid
      // taproot key-path signature when the output key's first byte is 0 (1 key in 256), so a
      // channel funded from a P2TR coin is sometimes refused there (a chain bug, not the node's).
      const { bech32: address } = (await node.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
      const { txid } = await control('send', { address, amount_sat: TEST_COINS_SAT });
      await control('mine', { blocks: 1 });
      els.text.textContent = `the chain sent ${sat(TEST_COINS_SAT * 1000)} sat to ${address} (tx ${String(txid).slice(0, 16)}…) and mined a block; waiting for the node to see it…`;
      // The node follows the chain on its own (each second on regtest).
      for (let i = 0; i < 60 && (await refresh()) <= before; i++) await new Promise(r => setTimeout(r, 500));
      els.text.textContent =
        confirmed > before
          ? `received ${sat(confirmed - before)} sat in tx ${String(txid).slice(0, 16)}…`
          : 'the node has not seen the block yet';
    } catch (e) {
      els.text.textContent = (e as Error).message;
    } finally {
      els.button.disabled = false;
    }
  });
}
