// The browser runtime's own refusals, typed like every other error here (BoltError with a stable
// `code`): 'node_locked' (another node runs on this data name in this origin), 'no_web_locks' (no
// Web Locks API: an insecure context), 'stopped' (the node was stopped), 'worker_failed' (a daemon's
// Worker did not load or crashed while starting), 'bad_option', 'seed_exists' (`recover` into a data
// name that already holds a seed).
import { BoltError } from '../core/base/errors.ts';

export class WebNodeError extends BoltError {}
