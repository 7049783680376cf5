// onchaind's typed refusals: a transaction that is not this channel's, a state that cannot explain it.
import { BoltError } from '../base/errors.ts';

export class OnchainError extends BoltError {}
