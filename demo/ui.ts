// What the page's Lightning panels (channels.ts, payments.ts) share: the page's hooks into the map
// and names (main.ts gives them), the demo server's /demo/ endpoints, and small formatting helpers.
import type { WebNode } from '../src/web/index.ts';
import type { MapEdge, MapNode } from './graph.ts';

export interface RpcFailure {
  code?: unknown;
  message?: string;
}

export interface LightningUi {
  node: WebNode;
  /** The peer the page connects to (node B). */
  peerId: string | undefined;
  /** A node's name: the gossip's alias, ours, or a cut id. */
  aliasOf(id: string): string;
  /** Our nodes and channels for the map (not in the gossip: private channels). */
  setOwn(nodes: MapNode[], edges: MapEdge[]): void;
  /** Draws a route (node ids, first to last) on the map. */
  showRoute(ids: string[]): void;
}
export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
export const msat = (v: unknown) => Number(v ?? 0);
export const sat = (m: number) => Math.floor(m / 1000).toLocaleString('en-US');
export const messageOf = (e: unknown) => (e as RpcFailure)?.message ?? String(e);
export const failure = (e: unknown) => {
  const code = (e as RpcFailure)?.code;
  return `${typeof code === 'number' || typeof code === 'string' ? `error ${code}: ` : ''}${messageOf(e)}`;
};

/** The demo server's endpoints (scripts/demo-payments.ts), on the page's origin. */
export async function demoApi<T>(path: string, body?: unknown): Promise<T> {
  const r = await fetch(new URL(`demo/${path}`, location.href), {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await r.text();
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`/demo/${path}: HTTP ${r.status}`);
  }
  if (!r.ok) throw Object.assign(new Error((v as RpcFailure).message ?? `HTTP ${r.status}`), { code: (v as RpcFailure).code ?? r.status });
  return v as T;
}

export function cell(tr: HTMLTableRowElement, text: string, title = text): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  td.title = title;
  tr.append(td);
  return td;
}
