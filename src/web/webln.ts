// A WebLN provider (https://webln.guide, the `webln` package's WebLNProvider) backed by the node in
// the tab: the page opts in (`webln(node)` returns one; `enableWebLN(node)` also sets
// `window.webln` and fires `webln:ready`, as WebLN extensions do). Every method maps to Core
// Lightning's RPC on the node: sendPayment → xpay, makeInvoice → invoice, keysend → keysend,
// signMessage → signmessage, verifyMessage → checkmessage. Amounts are satoshis, as WebLN's are.
// Errors carry WebLN's class names (RejectionError, InvalidDataError, RoutingError, InternalError).

/** The node as the provider needs it: Core Lightning's RPC (WebNode satisfies it). */
export interface WebLNNode {
  call(method: string, params?: unknown): Promise<unknown>;
}

export interface WebLNOptions {
  /**
   * Asked before enable and before each payment or signature (the wallet's prompt): false (or a
   * rejected promise) refuses it with RejectionError. Default: allow.
   */
  approve?(request: {
    method: 'enable' | 'sendPayment' | 'keysend' | 'makeInvoice' | 'signMessage';
    args: unknown;
  }): boolean | Promise<boolean>;
  /** How long xpay and keysend keep retrying, in seconds (xpay's retry_for). */
  retryFor?: number;
}

export interface GetInfoResponse {
  node: { alias: string; pubkey: string; color?: string };
  methods: string[];
  supports: string[];
  version: string;
}
export interface SendPaymentResponse {
  preimage: string;
  paymentHash: string;
}
export interface RequestInvoiceArgs {
  amount?: string | number;
  defaultAmount?: string | number;
  minimumAmount?: string | number;
  maximumAmount?: string | number;
  defaultMemo?: string;
}
export interface RequestInvoiceResponse {
  paymentRequest: string;
  paymentHash: string;
}
export interface KeysendArgs {
  destination: string;
  amount: string | number;
  /** Custom TLV records (type ≥ 65536: value), values as text (sent UTF-8). */
  customRecords?: Record<string, string>;
}
export interface SignMessageResponse {
  message: string;
  signature: string;
}
/** WebLN leaves verifyMessage's answer to the provider: whether a node of our graph signed it, and who. */
export interface VerifyMessageResponse {
  valid: boolean;
  pubkey?: string;
}

export interface WebLNProvider {
  enable(): Promise<void>;
  getInfo(): Promise<GetInfoResponse>;
  sendPayment(paymentRequest: string): Promise<SendPaymentResponse>;
  makeInvoice(args: string | number | RequestInvoiceArgs): Promise<RequestInvoiceResponse>;
  keysend(args: KeysendArgs): Promise<SendPaymentResponse>;
  signMessage(message: string): Promise<SignMessageResponse>;
  verifyMessage(signature: string, message: string): Promise<VerifyMessageResponse>;
}

/** WebLN's error classes (webln/lib/errors), by name: `e.name === 'RoutingError'`. */
export class WebLNError extends Error {
  /** Core Lightning's code when the node refused it. */
  readonly code?: number;
  /** Core Lightning's `data` with it. */
  readonly data?: unknown;
  constructor(
    name: 'RejectionError' | 'InvalidDataError' | 'RoutingError' | 'InternalError',
    message: string,
    code?: number,
    data?: unknown,
  ) {
    super(message);
    this.name = name;
    if (code !== undefined) this.code = code;
    if (data !== undefined) this.data = data;
  }
}

const METHODS = ['getInfo', 'sendPayment', 'makeInvoice', 'keysend', 'signMessage', 'verifyMessage'];
/** common/jsonrpc_errors.h: the payment could not be routed or was refused on its way. */
const ROUTING_CODES = new Set([200, 201, 203, 204, 205, 206, 207, 210]);

function invalid(message: string): WebLNError {
  return new WebLNError('InvalidDataError', message);
}

/** Satoshis as WebLN passes them (number or decimal string), as a whole non-negative number. */
function sats(v: string | number | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(`${name}: should be a whole number of satoshis`);
  return n;
}

const utf8Hex = (s: string) => Array.from(new TextEncoder().encode(s), b => b.toString(16).padStart(2, '0')).join('');

export function webln(node: WebLNNode, options: WebLNOptions = {}): WebLNProvider {
  let enabled = false;
  const ask = async (method: Parameters<NonNullable<WebLNOptions['approve']>>[0]['method'], args: unknown) => {
    let ok = true;
    try {
      ok = options.approve ? await options.approve({ method, args }) : true;
    } catch {
      ok = false;
    }
    if (!ok) throw new WebLNError('RejectionError', `${method} was refused`);
  };
  const ready = (method: string) => {
    if (!enabled) throw new WebLNError('RejectionError', `Provider must be enabled before calling ${method}`);
  };
  const call = async <T>(method: string, params: Record<string, unknown>): Promise<T> => {
    try {
      return (await node.call(method, params)) as T;
    } catch (e) {
      const { code, data } = e as { code?: unknown; data?: unknown };
      const message = e instanceof Error ? e.message : String(e);
      if (typeof code !== 'number') throw new WebLNError('InternalError', message);
      const name = code === -32602 ? 'InvalidDataError' : ROUTING_CODES.has(code) ? 'RoutingError' : 'InternalError';
      throw new WebLNError(name, message, code, data);
    }
  };
  const retry = options.retryFor !== undefined ? { retry_for: options.retryFor } : {};
  const hashOf = async (preimage: string) => {
    const bytes = new Uint8Array(preimage.match(/../g)!.map(h => parseInt(h, 16)));
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return Array.from(d, b => b.toString(16).padStart(2, '0')).join('');
  };

  return {
    async enable() {
      if (enabled) return;
      await ask('enable', undefined);
      enabled = true;
    },
    async getInfo() {
      ready('getInfo');
      const i = await call<{ id: string; alias: string; color: string; version: string }>('getinfo', {});
      return {
        node: { alias: i.alias, pubkey: i.id, color: `#${i.color}` },
        methods: [...METHODS],
        supports: ['lightning'],
        version: i.version,
      };
    },
    async sendPayment(paymentRequest) {
      ready('sendPayment');
      if (typeof paymentRequest !== 'string' || paymentRequest === '') throw invalid('paymentRequest: should be a BOLT 11 invoice');
      await ask('sendPayment', { paymentRequest });
      const r = await call<{ payment_preimage: string }>('xpay', { invstring: paymentRequest, ...retry });
      return { preimage: r.payment_preimage, paymentHash: await hashOf(r.payment_preimage) };
    },
    async makeInvoice(args) {
      ready('makeInvoice');
      const a: RequestInvoiceArgs = typeof args === 'object' && args !== null ? args : { amount: args };
      const amount = sats(a.amount, 'amount') ?? sats(a.defaultAmount, 'defaultAmount');
      const min = sats(a.minimumAmount, 'minimumAmount');
      const max = sats(a.maximumAmount, 'maximumAmount');
      if (amount !== undefined && ((min !== undefined && amount < min) || (max !== undefined && amount > max)))
        throw invalid(`amount ${amount} is outside [${min ?? 0}, ${max ?? '∞'}]`);
      await ask('makeInvoice', a);
      const label = `webln-${Date.now()}-${Array.from(crypto.getRandomValues(new Uint8Array(6)), b => b.toString(16).padStart(2, '0')).join('')}`;
      const r = await call<{ bolt11: string; payment_hash: string }>('invoice', {
        amount_msat: amount === undefined || amount === 0 ? 'any' : amount * 1000,
        label,
        description: a.defaultMemo ?? '',
      });
      return { paymentRequest: r.bolt11, paymentHash: r.payment_hash };
    },
    async keysend(args) {
      ready('keysend');
      if (!args || typeof args.destination !== 'string' || !/^0[23][0-9a-fA-F]{64}$/.test(args.destination))
        throw invalid('destination: should be a node id');
      const amount = sats(args.amount, 'amount');
      if (!amount) throw invalid('amount: should be a positive number of satoshis');
      const extratlvs = args.customRecords
        ? Object.fromEntries(Object.entries(args.customRecords).map(([k, v]) => [k, utf8Hex(String(v))]))
        : undefined;
      await ask('keysend', args);
      const r = await call<{ payment_preimage: string; payment_hash: string }>('keysend', {
        destination: args.destination.toLowerCase(),
        amount_msat: amount * 1000,
        ...(extratlvs ? { extratlvs } : {}),
        ...retry,
      });
      return { preimage: r.payment_preimage, paymentHash: r.payment_hash };
    },
    async signMessage(message) {
      ready('signMessage');
      if (typeof message !== 'string') throw invalid('message: should be a string');
      await ask('signMessage', { message });
      const r = await call<{ zbase: string }>('signmessage', { message });
      return { message, signature: r.zbase };
    },
    async verifyMessage(signature, message) {
      ready('verifyMessage');
      if (typeof signature !== 'string' || typeof message !== 'string') throw invalid('signature and message: should be strings');
      try {
        const r = await call<{ verified: boolean; pubkey?: string }>('checkmessage', { message, zbase: signature });
        return { valid: r.verified, ...(r.pubkey ? { pubkey: r.pubkey } : {}) };
      } catch (e) {
        // 1301: a signature, but from no node of our graph: valid only if it is our own node's.
        if (!(e instanceof WebLNError) || e.code !== 1301) throw e;
        const claimed = (e.data as { claimed_key?: string } | undefined)?.claimed_key;
        const { id } = await call<{ id: string }>('getinfo', {});
        return claimed === id ? { valid: true, pubkey: id } : { valid: false };
      }
    },
  };
}

/**
 * The page's opt-in: a provider for `node`, set as `window.webln` (WebLN's global) with a
 * `webln:ready` event on window, as WebLN browser extensions announce theirs.
 */
export function enableWebLN(node: WebLNNode, options: WebLNOptions = {}): WebLNProvider {
  const provider = webln(node, options);
  const g = globalThis as { webln?: WebLNProvider; dispatchEvent?: (e: Event) => boolean };
  g.webln = provider;
  if (typeof g.dispatchEvent === 'function' && typeof Event === 'function') g.dispatchEvent(new Event('webln:ready'));
  return provider;
}
