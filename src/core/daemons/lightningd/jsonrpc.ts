// JSON-RPC dispatch with Core Lightning's conventions: method names, parameters by name or by
// position, errors as {code, message}. The transport (HTTP in Node, postMessage in the browser,
// fetch on the edge) is the runtime's business.
import { BoltError } from '../../base/errors.ts';

/** Core Lightning's JSON-RPC error codes that we use (common/jsonrpc_errors.h, connect_errors). */
export const RpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  LIGHTNINGD: -1,
  CONNECT_NO_KNOWN_ADDRESS: 400,
  CONNECT_ALL_ADDRESSES_FAILED: 401,
  CONNECT_DISCONNECTED_DURING: 402,
  ROUTE_NOT_FOUND: 205,
  ROUTE_TOO_EXPENSIVE: 206,
} as const;

/**
 * A JSON-RPC error as Core Lightning answers it: `code` is the numeric code (205, -32601, ...), so
 * code written for Core Lightning can test `e.code === 205` in every runtime. `data` as CLN's.
 */
export class RpcError extends Error {
  readonly code: number;
  constructor(
    code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.code = code;
    this.name = 'RpcError';
  }
  /** The same as `code` (kept for callers written before `code` became numeric). */
  get rpcCode(): number {
    return this.code;
  }
  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

export type Params = Record<string, unknown>;

export interface Command {
  /** Parameter names in positional order; a trailing `?` marks an optional one. */
  params: readonly string[];
  /** One line, shown by `help`. */
  description: string;
  /** Core Lightning's category for the command ('network', 'channels', 'utility', ...). */
  category: string;
  /** Longer help for `help COMMAND` (default: the description). */
  verbose?: string;
  handler(p: Params): unknown | Promise<unknown>;
}

/** JSON-RPC 2.0: an id is a string, a number or null (absent: answered with null, as a request). */
function validId(id: unknown): id is string | number | null {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

export class RpcDispatcher {
  private readonly commands = new Map<string, Command>();

  constructor() {
    this.register('help', {
      params: ['command?'],
      category: 'utility',
      description: 'List available commands, or give verbose help on one {command}.',
      verbose: 'help [command]\nWithout [command]: every command with its category and description.\nWith [command]: that command alone.',
      handler: p => this.help(p.command),
    });
  }

  register(name: string, cmd: Command): void {
    if (this.commands.has(name)) throw new Error(`command ${name} registered twice`);
    this.commands.set(name, cmd);
  }

  names(): string[] {
    return [...this.commands.keys()].sort();
  }

  private usage(name: string, cmd: Command): string {
    return [name, ...cmd.params.map(p => (p.endsWith('?') ? `[${p.slice(0, -1)}]` : p))].join(' ');
  }

  /** Core Lightning's `help` (doc/schemas/help.json): `help[]` sorted by name, and `format-hint`. */
  private help(command: unknown) {
    if (command !== undefined && typeof command !== 'string') throw new RpcError(RpcCode.INVALID_PARAMS, 'command: should be a string');
    if (command !== undefined && !this.commands.has(command)) throw new RpcError(RpcCode.METHOD_NOT_FOUND, `Unknown command '${command}'`);
    const list = command === undefined ? this.names() : [command];
    return {
      help: list.map(name => {
        const cmd = this.commands.get(name)!;
        return {
          command: this.usage(name, cmd),
          category: cmd.category,
          description: cmd.description,
          verbose: cmd.verbose ?? cmd.description,
        };
      }),
      // Tells lightning-cli (and ours) this is simple enough to print flat for humans.
      'format-hint': 'simple',
    };
  }

  /** Maps positional or named params onto the command's parameter names, checking required ones. */
  private bind(name: string, cmd: Command, params: unknown): Params {
    const names = cmd.params.map(p => p.replace(/\?$/, ''));
    let out: Params;
    if (params === undefined || params === null) out = {};
    else if (Array.isArray(params)) {
      if (params.length > names.length)
        throw new RpcError(RpcCode.INVALID_PARAMS, `too many parameters: got ${params.length}, expected at most ${names.length}`);
      out = {};
      params.forEach((v, i) => {
        if (v !== null && v !== undefined) out[names[i]!] = v;
      });
    } else if (typeof params === 'object') {
      out = {};
      for (const [k, v] of Object.entries(params as Params)) {
        if (!names.includes(k)) throw new RpcError(RpcCode.INVALID_PARAMS, `unknown parameter: ${k}`);
        if (v !== null && v !== undefined) out[k] = v;
      }
    } else throw new RpcError(RpcCode.INVALID_PARAMS, 'params must be an array or an object');
    cmd.params.forEach((p, i) => {
      if (!p.endsWith('?') && out[names[i]!] === undefined) {
        throw new RpcError(RpcCode.INVALID_PARAMS, `missing required parameter: ${names[i]} (usage: ${this.usage(name, cmd)})`);
      }
    });
    return out;
  }

  /** Runs one command. Whatever its handler throws (or rejects with) comes back as an RpcError. */
  async call(method: string, params?: unknown): Promise<unknown> {
    try {
      const cmd = typeof method === 'string' ? this.commands.get(method) : undefined;
      if (!cmd) throw new RpcError(RpcCode.METHOD_NOT_FOUND, `Unknown command '${String(method)}'`);
      return await cmd.handler(this.bind(method, cmd, params));
    } catch (e) {
      throw rpcErrorOf(e);
    }
  }

  /** Handles one JSON-RPC 2.0 request object and always returns a response object (never throws). */
  async handle(req: unknown): Promise<Record<string, unknown>> {
    const r = req as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
    const rawId = r && typeof r === 'object' && !Array.isArray(r) && 'id' in r ? r.id : null;
    // An id we could not echo safely is answered with null (JSON-RPC 2.0 section 5).
    const id = validId(rawId) ? rawId : null;
    try {
      if (!r || typeof r !== 'object' || Array.isArray(r))
        throw new RpcError(RpcCode.INVALID_REQUEST, 'invalid request: expected an object {jsonrpc, id, method, params}');
      if (!validId(rawId)) throw new RpcError(RpcCode.INVALID_REQUEST, 'invalid request: id must be a string, a number or null');
      if (typeof r.method !== 'string') throw new RpcError(RpcCode.INVALID_REQUEST, 'invalid request: method must be a string');
      const result = await this.call(r.method, r.params);
      return { jsonrpc: '2.0', id, result: toJson(result) };
    } catch (e) {
      return { jsonrpc: '2.0', id, error: rpcErrorOf(e).toJSON() };
    }
  }
}

/** Any failure as an RpcError: ours as is, one flattened by a port (name 'RpcError', numeric code) rebuilt, anything else -1. */
export function rpcErrorOf(e: unknown): RpcError {
  if (e instanceof RpcError) return e;
  const f = e as { name?: unknown; code?: unknown; message?: unknown; data?: unknown } | null;
  if (f && typeof f === 'object' && f.name === 'RpcError' && typeof f.code === 'number' && typeof f.message === 'string')
    return new RpcError(f.code, f.message, f.data);
  if (e instanceof BoltError) return new RpcError(RpcCode.LIGHTNINGD, `${e.code}: ${e.message}`);
  let message: string;
  try {
    message = e instanceof Error ? e.message : String(e);
  } catch {
    message = 'internal error';
  }
  return new RpcError(RpcCode.LIGHTNINGD, message);
}

/** JSON has no bigint or bytes: bigints become numbers when exact (else strings), bytes hex. */
export function toJson(v: unknown): unknown {
  if (typeof v === 'bigint')
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) {
    let s = '';
    for (const b of v) s += b.toString(16).padStart(2, '0');
    return s;
  }
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = toJson(x);
    return o;
  }
  return v;
}
