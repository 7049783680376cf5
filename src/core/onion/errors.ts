// Why an onion, a payload, an error packet or a blinded hop is refused. A forwarding node turns
// these into the BOLT 4 failure the spec names (`failure` below), never a crash.
import { BoltError } from '../base/errors.ts';

export class OnionError extends BoltError {
  /** The BOLT 4 failure message a processing node returns for this, when there is one. */
  readonly failure?: string;
  constructor(code: string, message: string, failure?: string) {
    super(code, message);
    if (failure !== undefined) this.failure = failure;
  }
}
