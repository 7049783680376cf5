// The package version (src/platform/version.ts, the one place it is declared), for `--version`.
export { VERSION } from '../platform/version.ts';
