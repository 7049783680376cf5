// JSON-RPC from raw text to raw text, the one entry every transport uses (HTTP in Node, fetch on the
// edge, the Unix socket): nothing a client sends can crash the node or make it build an unbounded
// answer. The request's size and nesting are checked before JSON.parse (a request nested 10,000
// deep once made JSON.stringify throw where nothing caught it); a batch is bounded in length, its
// items run a few at a time, and the answer is bounded in size (an item past the bound is answered
// with an error instead).
import { RpcCode, RpcError, rpcErrorOf } from './jsonrpc.ts';

export interface RpcLimits {
  /** Longest request, in characters (a transport also caps the bytes it reads). */
  maxRequestChars: number;
  /** Deepest nesting of arrays and objects in a request (the envelope counts: `{"params":[…]}` is 2). */
  maxDepth: number;
  /** Most requests in one batch. */
  maxBatch: number;
  /** Batch items running at once. */
  batchConcurrency: number;
  /** Longest answer, in characters: a single response, or a whole batch's. */
  maxResponseChars: number;
  /** Requests (batch items included) running at once in the whole node, whatever transport and client they came from. */
  nodeConcurrency: number;
}

/** The README's security section lists these; a transport may pass tighter ones. */
export const RPC_LIMITS: Readonly<RpcLimits> = Object.freeze({
  maxRequestChars: 1 << 20,
  maxDepth: 64,
  maxBatch: 64,
  batchConcurrency: 4,
  // Above a mainnet-size `listchannels` (about 40 MB).
  maxResponseChars: 64 << 20,
  // Many connections at once (the socket takes 64, each 16 commands deep) wait their turn here, so
  // answers being built at once stay at 8 × maxResponseChars at worst.
  nodeConcurrency: 8,
});

/** At most `n` holders at once; the others wait in order. */
class Slots {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly n: number) {}
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.busy >= this.n) await new Promise<void>(r => this.waiting.push(r));
    else this.busy++;
    try {
      return await f();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes on
      else this.busy--;
    }
  }
}

/** One set of slots per node (per handler): every transport's requests share it. */
const nodeSlots = new WeakMap<RpcRequestHandler, Slots>();
function handleBounded(rpc: RpcRequestHandler, req: unknown, n: number): Promise<Record<string, unknown>> {
  let slots = nodeSlots.get(rpc);
  if (!slots) nodeSlots.set(rpc, (slots = new Slots(n)));
  return slots.run(() => rpc.handle(req));
}

export interface RpcRequestHandler {
  /** One request object to one response object; never throws (RpcDispatcher.handle). */
  handle(req: unknown): Promise<Record<string, unknown>>;
}

const failure = (id: unknown, e: RpcError): string => JSON.stringify({ jsonrpc: '2.0', id, error: e.toJSON() });

/** True when `text` nests arrays/objects deeper than `max` (a linear scan, strings skipped). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** One response as text, within `budget` characters; an answer over it becomes an error. */
function encode(res: Record<string, unknown>, budget: number): string {
  let s: string;
  try {
    s = JSON.stringify(res);
  } catch (e) {
    return failure(
      res.id ?? null,
      new RpcError(RpcCode.LIGHTNINGD, `internal error: the answer could not be encoded (${rpcErrorOf(e).message})`),
    );
  }
  if (s.length <= budget) return s;
  return failure(
    res.id ?? null,
    new RpcError(
      RpcCode.LIGHTNINGD,
      `response too large: ${s.length} characters, over the limit of ${budget} left for it; ask for less (e.g. listchannels with short_channel_id, source or destination)`,
    ),
  );
}

/** Runs `f` over `items` with at most `n` at once, results in order. */
async function mapBounded<T, R>(items: readonly T[], n: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, lane));
  return out;
}

/**
 * A request (or batch) as text to its answer as text. Never throws: every failure is a JSON-RPC
 * error, -32700 for text that is not JSON, -32600 for a request over a limit or not a request.
 */
export async function answerText(rpc: RpcRequestHandler, text: string, limits: Readonly<RpcLimits> = RPC_LIMITS): Promise<string> {
  if (text.length > limits.maxRequestChars)
    return failure(null, new RpcError(RpcCode.INVALID_REQUEST, `request too large: over ${limits.maxRequestChars} characters`));
  if (nestsDeeperThan(text, limits.maxDepth))
    return failure(null, new RpcError(RpcCode.INVALID_REQUEST, `request nested deeper than ${limits.maxDepth} levels`));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return failure(null, new RpcError(RpcCode.PARSE_ERROR, 'Parse error'));
  }
  if (!Array.isArray(body)) return encode(await handleBounded(rpc, body, limits.nodeConcurrency), limits.maxResponseChars);
  // JSON-RPC 2.0 section 6: an empty batch is one Invalid Request.
  if (body.length === 0) return failure(null, new RpcError(RpcCode.INVALID_REQUEST, 'empty batch'));
  if (body.length > limits.maxBatch)
    return failure(null, new RpcError(RpcCode.INVALID_REQUEST, `batch of ${body.length} requests: at most ${limits.maxBatch}`));
  // Each item is encoded as soon as it is answered, against what the batch has left.
  let left = limits.maxResponseChars - 2;
  const parts = await mapBounded(body, limits.batchConcurrency, async req => {
    const s = encode(await handleBounded(rpc, req, limits.nodeConcurrency), Math.max(0, left - 1));
    left -= s.length + 1;
    return s;
  });
  return `[${parts.join(',')}]`;
}
