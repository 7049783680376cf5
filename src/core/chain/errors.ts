// The chain backend's typed failure, shared by the Esplora client and the block parser.
import { BoltError } from '../base/errors.ts';

/**
 * The backend could not answer: `code` is 'http_status' (`status` set: 5xx, 429, another
 * unexpected status), 'timeout', 'network' (fetch itself failed), 'bad_response' (a body we
 * cannot read) or 'bad_block' (a raw block that does not parse, or is not the block asked for):
 * not a statement about the chain, the same question may succeed later. Also 'refused' (a
 * broadcast the server turned down: sendrawtransaction reports it), 'wrong_chain' (the backend
 * follows another network than ours) and 'bad_url'.
 */
export class ChainSourceError extends BoltError {
  readonly status: number | undefined;
  constructor(code: string, message: string, status?: number) {
    super(code, message);
    this.status = status;
  }
}
