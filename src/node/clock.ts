// The real clock for daemons running in Node (src/platform/system.ts, the one every runtime uses).
export { systemClock as nodeClock } from '../platform/system.ts';
