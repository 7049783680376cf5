// The package version, for `--version` and getinfo (inlined when the command line is bundled).
import pkg from '../../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
