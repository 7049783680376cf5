// A minimal ChainBackend (src/core/chain/backend.ts) over Esplora's REST API, for the wallet's
// tests against an HTTP `boltworker regtest`: no retries, no failover (the chain helper's backend
// has those).
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import type { ChainBackend, ChainInfo, FeeEstimates, RawBlock, SendResult, UtxOut } from '../../src/core/chain/backend.ts';

interface Answer {
  status: number;
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}
export type Fetch = (url: string, init?: { method?: string; body?: string }) => Promise<Answer>;

export class TestEsploraBackend implements ChainBackend {
  /** Every transaction broadcast, in order. */
  readonly sent: Uint8Array[] = [];
  constructor(
    private readonly base: string,
    private readonly fetch: Fetch = (u, i) => (globalThis as unknown as { fetch: Fetch }).fetch(u, i),
  ) {}

  private async get(path: string): Promise<Answer | undefined> {
    const r = await this.fetch(`${this.base}${path}`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
    return r;
  }

  async getchaininfo(): Promise<ChainInfo> {
    const h = Number(await (await this.get('/blocks/tip/height'))!.text());
    return { chain: 'regtest', headercount: h, blockcount: h, ibd: false };
  }

  async estimatefees(): Promise<FeeEstimates> {
    const j = (await (await this.get('/fee-estimates'))!.json()) as Record<string, number>;
    const feerates = Object.entries(j)
      .map(([b, satPerVb]) => ({ blocks: Number(b), feerate: Math.round(satPerVb * 1000) }))
      .sort((a, b) => a.blocks - b.blocks);
    return { feerate_floor: 1000, feerates };
  }

  async getrawblockbyheight(height: number): Promise<RawBlock | undefined> {
    const h = await this.get(`/block-height/${height}`);
    if (!h) return undefined;
    const blockhash = (await h.text()).trim();
    const raw = await this.get(`/block/${blockhash}/raw`);
    if (!raw) return undefined;
    return { blockhash, block: new Uint8Array(await raw.arrayBuffer()) };
  }

  async getutxout(txid: string, vout: number): Promise<UtxOut | undefined> {
    const t = await this.get(`/tx/${txid}`);
    if (!t) return undefined;
    const out = ((await t.json()) as { vout: { value: number; scriptpubkey: string }[] }).vout[vout];
    if (!out) return undefined;
    const spent = (await (await this.get(`/tx/${txid}/outspend/${vout}`))!.json()) as { spent: boolean };
    return spent.spent ? undefined : { amount_sat: out.value, script: fromHex(out.scriptpubkey) };
  }

  async sendrawtransaction(tx: Uint8Array): Promise<SendResult> {
    this.sent.push(tx);
    const r = await this.fetch(`${this.base}/tx`, { method: 'POST', body: toHex(tx) });
    const text = await r.text();
    return r.status === 200 ? { success: true } : { success: false, errmsg: text };
  }
}
