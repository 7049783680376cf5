// The package version, declared once for every runtime (getinfo's `version`, `--version`). It
// mirrors package.json's (test/browser/web-node.test.ts checks that they agree), so that no
// runtime's bundle needs to import package.json.
export const VERSION = '0.1.0';

/** getinfo's `version`. */
export const NODE_VERSION = `boltworker-${VERSION}`;
