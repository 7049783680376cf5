// One JSON-RPC request text in, one answer text out, for both Node transports (the Unix socket and
// HTTP); it never throws. Size and nesting are checked before JSON.parse, a batch (HTTP only) is
// bounded and run one item at a time, and an answer that cannot be serialised becomes an error.
// (The rpc branch's src/core/daemons/lightningd/rpc-text.ts answerText does the same for every
// runtime; once both are merged this file gives way to it.)
import { JsonFrameError, JsonSplitter } from './json-stream.ts';

export interface RpcHandler {
  handle(req: unknown): Promise<Record<string, unknown>>;
}

/** Bounds: one request's size and depth, a batch's length, commands at once per socket connection, connections. */
export const RPC_LIMITS = { maxBytes: 1 << 20, maxDepth: 64, maxBatch: 100, maxInFlight: 16, maxConnections: 64 } as const;

const error = (id: unknown, code: number, message: string) => JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } });

function responseText(resp: Record<string, unknown>): string {
  try {
    return JSON.stringify(resp);
  } catch (e) {
    const id = typeof resp.id === 'string' || typeof resp.id === 'number' ? resp.id : null;
    return error(id, -32603, `cannot serialise the response: ${(e as Error).message}`);
  }
}

async function handled(rpc: RpcHandler, req: unknown): Promise<string> {
  try {
    return responseText(await rpc.handle(req));
  } catch (e) {
    return error(null, -32603, e instanceof Error ? e.message : String(e));
  }
}

export async function answerRequestText(rpc: RpcHandler, text: string, batches: boolean): Promise<string> {
  let body: unknown;
  try {
    const texts = new JsonSplitter({ ...RPC_LIMITS, arrays: batches }).push(Buffer.from(text));
    if (texts.length !== 1) throw new JsonFrameError('expected one JSON text');
    body = JSON.parse(texts[0]!);
  } catch (e) {
    return error(null, -32700, e instanceof JsonFrameError ? e.message : `Parse error: ${(e as Error).message}`);
  }
  if (!Array.isArray(body)) return handled(rpc, body);
  if (body.length === 0 || body.length > RPC_LIMITS.maxBatch) return error(null, -32600, `a batch holds 1 to ${RPC_LIMITS.maxBatch} requests`);
  const out: string[] = [];
  for (const item of body) out.push(await handled(rpc, item));
  return `[${out.join(',')}]`;
}
