// The demo's payment side (scripts/demo-network.ts starts it): node C behind node B with a private
// channel B → C (funded by B on the demo chain, so a payment tab → B → C is forwarded by B), and the
// page's endpoints on its own origin, /demo/*, which let the page get invoices to pay and have B pay
// the tab. They are NOT an RPC proxy: each path runs one fixed call with checked, bounded inputs.
//   GET  /demo/network                      {a, b, c: {id, alias}, channels: B's channels [{peer_id, short_channel_id, state}]}
//   POST /demo/invoice {node: 'b'|'c', amount_msat}   that node's `invoice` (fresh label, its private
//                                           channels in route hints: `exposeprivatechannels`) → {bolt11, payment_hash}
//   POST /demo/pay {bolt11}                 B's `xpay` of an invoice whose payee is one of B's channel
//                                           peers other than A and C (the tab), with an amount of at
//                                           most MAX_MSAT → {payment_preimage, amount_msat, amount_sent_msat}
// Anything else under /demo/ is 404; a body over 4 KiB, a cross-origin request (an Origin header
// that is not the page's own host) or a non-JSON body is refused.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunningNode } from '../src/node/node.ts';
import type { RegtestHandle } from '../src/regtest/server-node.ts';
import type { Plugin } from 'vite';

const HOST = '127.0.0.1';
/** What B puts into its channel to C, and what the chain gives B for it. */
export const B_TO_C_SAT = 1_000_000;
const B_FUNDS_SAT = 2_000_000;
/** The largest invoice the endpoints make or pay: 0.001 BTC. */
export const MAX_MSAT = 100_000_000;
const MAX_BODY = 4096;
/** Core Lightning's `funding-confirms` (src/core/daemons/lightningd/channel-config.ts MINIMUM_DEPTH). */
const DEPTH = 3;

interface PeerChannel {
  peer_id: string;
  state: string;
  short_channel_id?: string;
  status?: string[];
}

export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

const channelsOf = async (n: RunningNode) => ((await n.call('listpeerchannels', {})) as { channels: PeerChannel[] }).channels;
const normal = (c: PeerChannel) => c.state === 'CHANNELD_NORMAL' && /channeld normal/.test(c.status?.[0] ?? '');

/**
 * B gets coins from the chain's wallet, connects to C and opens a private channel B → C, and the
 * chain mines it to C's minimum_depth; resolves once both sides are in normal operation.
 */
export async function openBToC(chain: RegtestHandle, b: RunningNode, c: RunningNode): Promise<string> {
  const { bech32 } = (await b.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
  chain.chain.wallet.send(bech32, BigInt(B_FUNDS_SAT));
  chain.chain.mine(1);
  await until(
    "B's coins to confirm",
    async () => {
      const f = (await b.call('listfunds', {})) as { outputs: { status: string }[] };
      return f.outputs.some(o => o.status === 'confirmed') ? true : undefined;
    },
    60_000,
  );
  await b.call('connect', { id: `${c.id}@${HOST}:${c.binding[0]!.port}` });
  await b.call('fundchannel', { id: c.id, amount: B_TO_C_SAT, feerate: '1000perkw', announce: false });
  chain.chain.mine(DEPTH);
  const scid = await until(
    'the channel B → C to be in normal operation',
    async () => {
      const [bc, cb] = [(await channelsOf(b)).find(x => x.peer_id === c.id), (await channelsOf(c)).find(x => x.peer_id === b.id)];
      return bc && cb && normal(bc) && normal(cb) ? bc.short_channel_id : undefined;
    },
    60_000,
  );
  return scid ?? '';
}

class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new Refused(415, 'the body must be application/json');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Refused(413, `the body is over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Refused(400, 'the body must be a JSON object');
  return v as Record<string, unknown>;
}

function amountOf(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > MAX_MSAT)
    throw new Refused(400, `amount_msat: an integer from 1 to ${MAX_MSAT}`);
  return v;
}

export interface DemoNodes {
  a: RunningNode;
  b: RunningNode;
  c: RunningNode;
}

/** The /demo/* endpoints as a Vite plugin (the dev server and `vite preview` alike). */
export function demoEndpoints(nodes: DemoNodes): Plugin {
  const { a, b, c } = nodes;
  let labels = 0;
  const handle = async (req: IncomingMessage, path: string): Promise<unknown> => {
    const origin = req.headers.origin;
    if (origin !== undefined && new URL(origin).host !== req.headers.host) throw new Refused(403, 'cross-origin requests are refused');
    if (path === '/network' && req.method === 'GET') {
      const alias = async (n: RunningNode) => ({ id: n.id, alias: ((await n.call('getinfo')) as { alias: string }).alias });
      const channels = (await channelsOf(b)).map(x => ({ peer_id: x.peer_id, short_channel_id: x.short_channel_id, state: x.state }));
      return { a: await alias(a), b: await alias(b), c: await alias(c), channels };
    }
    if (req.method !== 'POST') throw new Refused(404, 'no such endpoint');
    if (path === '/invoice') {
      const p = await body(req);
      const n = p.node === 'b' ? b : p.node === 'c' ? c : undefined;
      if (!n) throw new Refused(400, "node: 'b' or 'c'");
      const amount_msat = amountOf(p.amount_msat);
      const label = `demo-page-${Date.now()}-${++labels}`;
      const description = `demo: ${amount_msat / 1000} sat to ${p.node === 'b' ? 'B' : 'C (through B)'}`;
      return n.call('invoice', { amount_msat, label, description, exposeprivatechannels: true });
    }
    if (path === '/pay') {
      const p = await body(req);
      if (typeof p.bolt11 !== 'string' || p.bolt11.length > 2000) throw new Refused(400, 'bolt11: an invoice string');
      const d = (await b.call('decode', { string: p.bolt11 }).catch((e: Error) => {
        throw new Refused(400, `not an invoice B can read: ${e.message}`);
      })) as { type?: string; valid?: boolean; payee?: string; amount_msat?: number | bigint };
      if (d.type !== 'bolt11 invoice' || d.valid === false || !d.payee) throw new Refused(400, 'not a valid bolt11 invoice');
      // Only the tab's invoices: a payee B has an open channel with that is not one of the demo's own nodes.
      const peers = new Set((await channelsOf(b)).filter(x => x.state.startsWith('CHANNELD_')).map(x => x.peer_id));
      if (d.payee === a.id || d.payee === c.id || d.payee === b.id || !peers.has(d.payee))
        throw new Refused(403, "B pays only the tab's invoices (a payee with a channel to B)");
      if (d.amount_msat === undefined) throw new Refused(400, 'the invoice must name its amount');
      amountOf(Number(d.amount_msat));
      return b.call('xpay', { invstring: p.bolt11, retry_for: 30 });
    }
    throw new Refused(404, 'no such endpoint');
  };
  const middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (!path.startsWith('/demo/')) return next();
    const send = (status: number, v: unknown) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)));
    };
    handle(req, path.slice('/demo'.length)).then(
      v => send(200, v),
      (e: unknown) => {
        if (e instanceof Refused) send(e.status, { message: e.message });
        else if (e instanceof SyntaxError) send(400, { message: `the body is not JSON: ${e.message}` });
        else send(500, { code: (e as { code?: unknown }).code, message: (e as Error).message ?? String(e) });
      },
    );
  };
  return {
    name: 'boltworker-demo-endpoints',
    configureServer: server => void server.middlewares.use(middleware),
    configurePreviewServer: server => void server.middlewares.use(middleware),
  };
}
