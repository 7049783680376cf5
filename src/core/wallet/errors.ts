// The wallet's typed failures; the RPC maps each code to Core Lightning's (common/jsonrpc_errors.h):
// cannot_afford 301 (FUND_CANNOT_AFFORD), dust 302 (FUND_OUTPUT_IS_DUST), emergency 313
// (FUND_CANNOT_AFFORD_WITH_EMERGENCY), bad_params -32602, the rest -1.
import { BoltError } from '../base/errors.ts';

export type WalletErrorCode =
  'cannot_afford' | 'dust' | 'emergency' | 'bad_params' | 'reserved' | 'no_estimate' | 'broadcast_failed' | 'signer';

export class WalletError extends BoltError {
  declare readonly code: WalletErrorCode;
  constructor(code: WalletErrorCode, message: string) {
    super(code, message);
  }
}
