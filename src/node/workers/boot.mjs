// Node 20 cannot start a `.ts` worker under tsx directly (ERR_UNKNOWN_FILE_EXTENSION): each
// daemon's worker starts here, registers tsx, then imports its TypeScript entry.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';
register();
await import(workerData.entry);
