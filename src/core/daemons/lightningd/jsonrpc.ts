// JSON-RPC dispatch with Core Lightning's conventions: method names, parameters by name or by
// position, errors as {code, message}. The transport (HTTP in Node, postMessage in the browser,
// fetch on the edge) is the runtime's business.
import { BoltError } from '../../errors.ts';

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

export class RpcError extends BoltError {
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(`rpc_${rpcCode}`, message);
  }
  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined ? { code: this.rpcCode, message: this.message } : { code: this.rpcCode, message: this.message, data: this.data };
  }
}

export type Params = Record<string, unknown>;

export interface Command {
  /** Parameter names in positional order; a trailing `?` marks an optional one. */
  params: readonly string[];
  /** One line, shown by `help`. */
  description: string;
  category?: string;
  handler(p: Params): unknown | Promise<unknown>;
}

export class RpcDispatcher {
  private readonly commands = new Map<string, Command>();

  constructor() {
    this.register('help', {
      params: ['command?'],
      description: 'List available commands, or give verbose help on one {command}.',
      handler: (p) => this.help(p.command as string | undefined),
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
    return [name, ...cmd.params.map((p) => (p.endsWith('?') ? `[${p.slice(0, -1)}]` : p))].join(' ');
  }

  private help(command?: string) {
    const list = command === undefined ? this.names() : [command];
    return {
      help: list.map((name) => {
        const cmd = this.commands.get(name);
        if (!cmd) throw new RpcError(RpcCode.METHOD_NOT_FOUND, `Unknown command '${name}'`);
        return { command: this.usage(name, cmd), category: cmd.category ?? 'boltworker', description: cmd.description, verbose: cmd.description };
      }),
    };
  }

  /** Maps positional or named params onto the command's parameter names, checking required ones. */
  private bind(name: string, cmd: Command, params: unknown): Params {
    const names = cmd.params.map((p) => p.replace(/\?$/, ''));
    let out: Params;
    if (params === undefined || params === null) out = {};
    else if (Array.isArray(params)) {
      if (params.length > names.length) throw new RpcError(RpcCode.INVALID_PARAMS, `too many parameters: got ${params.length}, expected at most ${names.length}`);
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

  async call(method: string, params?: unknown): Promise<unknown> {
    const cmd = this.commands.get(method);
    if (!cmd) throw new RpcError(RpcCode.METHOD_NOT_FOUND, `Unknown command '${method}'`);
    return cmd.handler(this.bind(method, cmd, params));
  }

  /** Handles one JSON-RPC 2.0 request object and always returns a response object. */
  async handle(req: unknown): Promise<Record<string, unknown>> {
    const r = req as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
    const id = r && typeof r === 'object' && 'id' in r ? r.id : null;
    try {
      if (!r || typeof r !== 'object' || typeof r.method !== 'string') {
        throw new RpcError(RpcCode.INVALID_REQUEST, 'invalid request: expected {jsonrpc, id, method, params}');
      }
      const result = await this.call(r.method, r.params);
      return { jsonrpc: '2.0', id, result: toJson(result) };
    } catch (e) {
      return { jsonrpc: '2.0', id, error: rpcErrorOf(e).toJSON() };
    }
  }
}

export function rpcErrorOf(e: unknown): RpcError {
  if (e instanceof RpcError) return e;
  if (e instanceof BoltError) return new RpcError(RpcCode.LIGHTNINGD, `${e.code}: ${e.message}`);
  return new RpcError(RpcCode.LIGHTNINGD, e instanceof Error ? e.message : String(e));
}

/** JSON has no bigint or bytes: bigints become numbers when exact (else strings), bytes hex. */
export function toJson(v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
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
