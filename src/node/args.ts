// Command-line parsing for `boltworker`: `--flag value`, `--flag=value`, repeated flags collect.
export interface ParsedArgs {
  flags: Map<string, string[]>;
  positional: string[];
}

export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--') && positional.length === 0) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      let value: string;
      if (eq > 0) value = a.slice(eq + 1);
      else if (booleans.includes(name)) value = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new Error(`--${name} needs a value`);
        value = next;
        i++;
      }
      flags.set(name, [...(flags.get(name) ?? []), value]);
    } else positional.push(a);
  }
  return { flags, positional };
}

export function flag(a: ParsedArgs, name: string, dflt?: string): string | undefined {
  const v = a.flags.get(name);
  return v ? v[v.length - 1] : dflt;
}

/** `127.0.0.1:9835` → {host, port}; the host must be given. */
export function hostPort(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s);
  if (!m) throw new Error(`expected HOST:PORT, got ${s}`);
  const port = Number(m[2]);
  if (port < 0 || port > 65535) throw new Error(`bad port in ${s}`);
  return { host: m[1]!, port };
}
