// Typed errors for BOLT 3: a bad key, a secret that does not belong to the chain, a transaction
// that cannot be built from the given amounts.
import { BoltError } from '../base/errors.ts';

/** A BOLT 3 rule refused an input (codes: 'bad_point', 'bad_scalar', 'bad_secret', 'bad_index', 'unknown_secret', ...). */
export class Bolt3Error extends BoltError {}
