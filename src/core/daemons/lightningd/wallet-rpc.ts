// The on-chain wallet's JSON-RPC, in Core Lightning's shapes (doc/schemas/newaddr.json,
// listfunds.json, withdraw.json, listtransactions.json, feerates.json) and error codes
// (common/jsonrpc_errors.h: 301 FUND_CANNOT_AFFORD, 302 FUND_OUTPUT_IS_DUST, 313
// FUND_CANNOT_AFFORD_WITH_EMERGENCY, -32602 bad params).
// Feerates come from the chain backend's `estimatefees`; withdrawals go out through its
// `sendrawtransaction`.
import type { ChainBackend, FeeEstimates } from '../../chain/backend.ts';
import { WalletError } from '../../wallet/errors.ts';
import { FeerateError, feerateForBlocks, floorPerkw, NAMED_TARGETS, parseFeerate } from '../../wallet/fees.ts';
import type { Wallet } from '../../wallet/wallet.ts';
import { RpcCode, RpcError, type RpcDispatcher } from './jsonrpc.ts';

export const FUND_CANNOT_AFFORD = 301;
export const FUND_OUTPUT_IS_DUST = 302;
/** min-emergency-msat would not be left in the wallet (emergency.ts). */
export const FUND_CANNOT_AFFORD_WITH_EMERGENCY = 313;

export interface WalletRpcDeps {
  wallet: Wallet;
  chain: Pick<ChainBackend, 'estimatefees' | 'sendrawtransaction'>;
  /** listfunds' `channels` (channel-rpc.ts fundsChannels); none without. */
  channels?: () => Promise<unknown[]>;
  /** What a withdrawal must leave in the wallet: min-emergency-msat while we have an anchors channel, else 0 (emergency.ts). */
  emergencySat?: () => number;
}

/** The most satoshis there can be (21 million bitcoin). */
const MAX_SAT = 21e14;

/** A wallet's failure as Core Lightning's RPC error (fundchannel's too). */
export function walletRpcError(e: unknown): unknown {
  if (e instanceof FeerateError)
    return new RpcError(e.message.startsWith('Cannot estimate') ? RpcCode.LIGHTNINGD : RpcCode.INVALID_PARAMS, e.message);
  if (!(e instanceof WalletError)) return e;
  switch (e.code) {
    case 'cannot_afford':
      return new RpcError(FUND_CANNOT_AFFORD, e.message);
    case 'dust':
      return new RpcError(FUND_OUTPUT_IS_DUST, e.message);
    case 'emergency':
      return new RpcError(FUND_CANNOT_AFFORD_WITH_EMERGENCY, e.message);
    case 'bad_params':
    case 'reserved':
      return new RpcError(RpcCode.INVALID_PARAMS, e.message);
    default:
      return new RpcError(RpcCode.LIGHTNINGD, e.message);
  }
}

const bad = (message: string) => new RpcError(RpcCode.INVALID_PARAMS, message);

/** Core Lightning's `sat_or_all`: a whole number, `Nsat`, `N000msat`, `X.XXXXXXXXbtc`, or `all`. */
export function parseSatOrAll(v: unknown): number | 'all' {
  if (v === 'all') return 'all';
  let sat: number | undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) sat = v;
  else if (typeof v === 'string') {
    let m: RegExpExecArray | null;
    if ((m = /^(\d+)(sat)?$/.exec(v))) sat = Number(m[1]);
    else if ((m = /^(\d+)000msat$/.exec(v))) sat = Number(m[1]);
    else if ((m = /^(\d+)(?:\.(\d{1,8}))?btc$/.exec(v))) sat = Number(m[1]) * 1e8 + Number((m[2] ?? '').padEnd(8, '0'));
  }
  if (sat === undefined || !Number.isSafeInteger(sat) || sat > MAX_SAT)
    throw bad(`satoshi: should be a satoshi amount or 'all', not ${JSON.stringify(v)?.slice(0, 80)}`);
  return sat;
}

function parseMinconf(v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffff) throw bad('minconf: should be an integer 0 to 65535');
  return n;
}

function parseUtxos(v: unknown): string[] {
  let list = v;
  if (typeof v === 'string') {
    try {
      list = JSON.parse(v);
    } catch {
      list = undefined;
    }
  }
  if (!Array.isArray(list) || list.some(u => typeof u !== 'string')) throw bad('utxos: should be an array of txid:vout');
  return list as string[];
}

/** Transaction weights behind feerates' onchain_fee_estimates (Core Lightning's typical transactions). */
const TYPICAL_WEIGHT = {
  opening: 702,
  mutual_close: 673,
  unilateral_anchor: 1112,
  unilateral_nonanchor: 598,
  htlc_timeout: 663,
  htlc_success: 703,
};

/** Core Lightning's `feerates` result (perkw inside; perkb = 4 x perkw). */
export function feeratesResult(style: 'perkw' | 'perkb', est: FeeEstimates): Record<string, unknown> {
  const k = style === 'perkb' ? 4 : 1;
  const floor = floorPerkw(est);
  const at = (blocks: number) => feerateForBlocks(est, blocks);
  const opening = at(NAMED_TARGETS.normal!);
  if (opening === undefined) {
    return {
      warning_missing_feerates: 'Some fee estimates unavailable',
      [style]: { min_acceptable: floor * k, max_acceptable: floor * 10 * k, floor: floor * k, estimates: [] },
    };
  }
  const slow = at(NAMED_TARGETS.slow!)!;
  const urgent = at(NAMED_TARGETS.urgent!)!;
  const fast = at(2)!;
  const rates = {
    opening,
    mutual_close: slow,
    unilateral_close: urgent,
    unilateral_anchor_close: slow,
    penalty: opening,
    min_acceptable: Math.max(floor, Math.floor(slow / 2)),
    max_acceptable: fast * 10,
    floor,
  };
  const fee = (perkw: number, weight: number) => Math.floor((perkw * weight) / 1000);
  return {
    [style]: {
      ...Object.fromEntries(Object.entries(rates).map(([n, r]) => [n, r * k])),
      estimates: [...est.feerates]
        .sort((a, b) => a.blocks - b.blocks)
        .map(e => {
          const perkw = Math.max(floor, Math.floor(e.feerate / 4));
          return { blockcount: e.blocks, feerate: perkw * k, smoothed_feerate: perkw * k };
        }),
    },
    onchain_fee_estimates: {
      opening_channel_satoshis: fee(opening, TYPICAL_WEIGHT.opening),
      mutual_close_satoshis: fee(slow, TYPICAL_WEIGHT.mutual_close),
      unilateral_close_satoshis: fee(slow, TYPICAL_WEIGHT.unilateral_anchor),
      unilateral_close_nonanchor_satoshis: fee(urgent, TYPICAL_WEIGHT.unilateral_nonanchor),
      htlc_timeout_satoshis: fee(urgent, TYPICAL_WEIGHT.htlc_timeout),
      htlc_success_satoshis: fee(urgent, TYPICAL_WEIGHT.htlc_success),
    },
  };
}

async function estimates(d: WalletRpcDeps): Promise<FeeEstimates> {
  try {
    return await d.chain.estimatefees();
  } catch (e) {
    throw new RpcError(RpcCode.LIGHTNINGD, `Cannot estimate fees: ${(e as Error).message}`);
  }
}

export function registerWalletCommands(rpc: RpcDispatcher, d: WalletRpcDeps): void {
  const guarded =
    <T>(fn: (p: Record<string, unknown>) => Promise<T> | T) =>
    async (p: Record<string, unknown>) => {
      try {
        return await fn(p);
      } catch (e) {
        throw walletRpcError(e);
      }
    };
  rpc.register('newaddr', {
    category: 'bitcoin',
    params: ['addresstype?'],
    description: 'Get a new {bech32, p2tr or all} address to fund a channel (default p2tr).',
    handler: guarded(async p => {
      const t = p.addresstype ?? 'p2tr';
      if (t !== 'bech32' && t !== 'p2tr' && t !== 'all') throw bad(`addresstype: should be one of "bech32", "p2tr" or "all"`);
      // `all`: both addresses of one key index, as Core Lightning gives them.
      const a = await d.wallet.newaddrs(t === 'all' ? ['p2tr', 'p2wpkh'] : [t === 'p2tr' ? 'p2tr' : 'p2wpkh']);
      return { ...(a.p2tr ? { p2tr: a.p2tr } : {}), ...(a.p2wpkh ? { bech32: a.p2wpkh } : {}) };
    }),
  });
  rpc.register('listfunds', {
    category: 'utility',
    params: ['spent?'],
    description: 'Show available funds from the internal wallet (and spent outputs too if {spent}).',
    handler: guarded(async p => {
      if (p.spent !== undefined && typeof p.spent !== 'boolean' && p.spent !== 'true' && p.spent !== 'false')
        throw bad('spent: should be a boolean');
      return { outputs: d.wallet.listfunds(p.spent === true || p.spent === 'true'), channels: (await d.channels?.()) ?? [] };
    }),
  });
  rpc.register('listtransactions', {
    category: 'bitcoin',
    params: [],
    description: 'List transactions that we stored in the wallet.',
    handler: guarded(() => ({ transactions: d.wallet.listtransactions() })),
  });
  rpc.register('feerates', {
    category: 'bitcoin',
    params: ['style'],
    description: 'Return feerate estimates, either satoshi-per-kw ({style} perkw) or satoshi-per-kb ({style} perkb).',
    handler: guarded(async p => {
      if (p.style !== 'perkw' && p.style !== 'perkb') throw bad(`style: should be 'perkw' or 'perkb'`);
      return feeratesResult(p.style, await estimates(d));
    }),
  });
  rpc.register('withdraw', {
    category: 'bitcoin',
    params: ['destination', 'satoshi', 'feerate?', 'minconf?', 'utxos?'],
    description:
      'Send {satoshi} (or "all") to {destination} from the internal wallet, at {feerate}, from outputs with {minconf} confirmations or the given {utxos}.',
    handler: guarded(async p => {
      if (typeof p.destination !== 'string') throw bad('destination: should be an address string');
      const amount = parseSatOrAll(p.satoshi);
      const minconf = p.minconf === undefined ? 1 : parseMinconf(p.minconf);
      const utxos = p.utxos === undefined ? undefined : parseUtxos(p.utxos);
      const perkw = parseFeerate(p.feerate ?? 'normal', await estimates(d));
      const emergency_sat = d.emergencySat?.() ?? 0;
      return d.wallet.withdraw({ destination: p.destination, amount, perkw, minconf, utxos, emergency_sat }, tx =>
        d.chain.sendrawtransaction(tx),
      );
    }),
  });
}
