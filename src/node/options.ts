// Strict option parsing as Core Lightning does it (ccan/opt + common/configdir.c): `--name value`,
// `--name=value`, short aliases, flags without a value, and config files of `name=value` lines with
// `#` comments using the same names. Anything unknown is an error naming the nearest known option.

export interface OptionSpec {
  /** Long name without dashes, spelled as Core Lightning spells it. */
  name: string;
  /** One-letter alias without its dash (`h` for `-h`). */
  short?: string;
  /** A flag takes no value; anything else takes one (the word after it, or after `=`). */
  flag?: boolean;
  /** May be given more than once; every value is kept. */
  multi?: boolean;
  /** Shown by --help and by listconfigs; a flag's default is off. */
  default?: string;
  /** What the value looks like in --help (`DIR`, `HOST:PORT`). */
  arg?: string;
  help: string;
  /** An amount listconfigs shows as `value_msat` (Core Lightning's OPT_SHOWMSATS), in msat. */
  msat?: boolean;
  /** Only on the command line (lightning-dir, conf, help, version), never in a config file. */
  cmdlineOnly?: boolean;
}

/** On every subcommand. */
export const COMMON_OPTIONS: OptionSpec[] = [
  { name: 'help', short: 'h', flag: true, cmdlineOnly: true, help: 'Print this message and exit' },
  { name: 'version', short: 'V', flag: true, cmdlineOnly: true, help: 'Print the version and exit' },
];

/** One value and where it came from: `cmdline`, or `FILE:LINE` as listconfigs reports it. */
export interface OptionValue {
  value: string;
  source: string;
}

export type OptionValues = Map<string, OptionValue[]>;

/** A mistake in the options or parameters a user typed: printed as is, exit code 3 (usage). */
export class UsageError extends Error {}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

export function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function unknown(specs: readonly OptionSpec[], what: string, name: string): UsageError {
  const near = nearest(
    name,
    specs.map(s => s.name),
  );
  return new UsageError(`${what}${near ? ` (did you mean --${near}?)` : ''}`);
}

function add(values: OptionValues, spec: OptionSpec, v: OptionValue): void {
  const prev = values.get(spec.name) ?? [];
  // A single-valued option given again replaces the earlier value (the last one wins, as in ccan/opt).
  values.set(spec.name, spec.multi ? [...prev, v] : [v]);
}

/**
 * Parses options up to the first word that is not one (or `--`); the rest are returned as
 * positional words untouched, so a command's parameters (`-1`, `--x`) are never taken for options.
 */
export function parseCommandLine(specs: readonly OptionSpec[], argv: readonly string[]): { values: OptionValues; positional: string[] } {
  const values: OptionValues = new Map();
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (!a.startsWith('--')) {
      // `-kH`: several one-letter flags together.
      for (const ch of a.slice(1)) {
        const spec = specs.find(s => s.short === ch);
        if (!spec) throw new UsageError(`unknown option -${ch}`);
        if (!spec.flag) {
          if (a.length !== 2) throw new UsageError(`-${ch} needs a value: give it on its own`);
          const next = argv[++i];
          if (next === undefined) throw new UsageError(`-${ch} (--${spec.name}) needs a value`);
          add(values, spec, { value: next, source: 'cmdline' });
        } else add(values, spec, { value: 'true', source: 'cmdline' });
      }
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const spec = specs.find(s => s.name === name);
    if (!spec) throw unknown(specs, `unknown option --${name}`, name);
    if (spec.flag) {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      add(values, spec, { value: 'true', source: 'cmdline' });
    } else if (eq > 0) add(values, spec, { value: a.slice(eq + 1), source: 'cmdline' });
    else {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`--${name} needs a value${spec.arg ? ` (${spec.arg})` : ''}`);
      add(values, spec, { value: next, source: 'cmdline' });
    }
  }
  return { values, positional: argv.slice(i) };
}

/** A config file in Core Lightning's format: `name=value` or `name` (a flag) per line, `#` comments. */
export function parseConfigFile(specs: readonly OptionSpec[], text: string, path: string): OptionValues {
  const values: OptionValues = new Map();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${path}:${i + 1}`;
    const eq = line.indexOf('=');
    const name = (eq > 0 ? line.slice(0, eq) : line).trim();
    const spec = specs.find(s => s.name === name);
    if (!spec) throw unknown(specs, `${where}: unknown option ${name}`, name);
    if (spec.cmdlineOnly) throw new UsageError(`${where}: ${name} can only be given on the command line`);
    if (spec.flag) {
      if (eq > 0) throw new UsageError(`${where}: ${name} takes no value`);
      add(values, spec, { value: 'true', source: where });
    } else {
      if (eq < 0) throw new UsageError(`${where}: ${name} needs a value (${name}=...)`);
      add(values, spec, { value: line.slice(eq + 1).trim(), source: where });
    }
  });
  return values;
}

/** Layers later in the list override earlier ones; multi-valued options accumulate. */
export function mergeOptions(specs: readonly OptionSpec[], ...layers: OptionValues[]): OptionValues {
  const out: OptionValues = new Map();
  for (const layer of layers) {
    for (const [name, vs] of layer) {
      const spec = specs.find(s => s.name === name)!;
      for (const v of vs) add(out, spec, v);
    }
  }
  return out;
}

export function lastValue(values: OptionValues, name: string): string | undefined {
  const v = values.get(name);
  return v?.[v.length - 1]?.value;
}

export function allValues(values: OptionValues, name: string): string[] {
  return (values.get(name) ?? []).map(v => v.value);
}

/** `--help`: every option with its default. */
export function usage(synopsis: string, specs: readonly OptionSpec[]): string {
  const left = specs.map(s => `${s.short ? `-${s.short}|` : ''}--${s.name}${s.flag ? '' : ` ${s.arg ?? 'ARG'}`}`);
  const width = Math.min(36, Math.max(...left.map(l => l.length)) + 2);
  const lines = specs.map((s, i) => {
    const dflt = s.flag ? '' : s.default !== undefined ? ` (default: ${s.default === '' ? '""' : s.default})` : '';
    const multi = s.multi ? ' [may be repeated]' : '';
    const l = left[i]!;
    return `  ${l.padEnd(width)}${l.length >= width ? `\n  ${' '.repeat(width)}` : ''}${s.help}${dflt}${multi}`;
  });
  return `${synopsis}\n\n${lines.join('\n')}\n`;
}

/** msat options as a number of msat (`Nsat` is N x 1000, `Nmsat` N), the rest as typed. */
function shown(s: OptionSpec, value: string, source: string): Record<string, unknown> {
  const m = s.msat ? /^(\d+)(msat|sat)?$/.exec(value) : null;
  if (!m) return { value_str: value, source };
  return { value_msat: Number(m[1]) * (m[2] === 'sat' ? 1000 : 1), source };
}

/**
 * listconfigs' `configs` object in Core Lightning's shape (v23.08+): a flag `{set, source}`, a
 * repeatable option `{values_str, sources}`, an amount `{value_msat, source}`, any other `{value_str, source}`, with source `default`,
 * `cmdline` or `FILE:LINE`. Options neither set nor defaulted are left out, as lightningd does.
 */
export function configsOf(specs: readonly OptionSpec[], values: OptionValues, hidden: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of specs) {
    if (hidden.includes(s.name)) continue;
    const vs = values.get(s.name);
    if (s.flag) {
      if (vs?.length) out[s.name] = { set: true, source: vs[vs.length - 1]!.source };
    } else if (s.multi) {
      if (vs?.length) out[s.name] = { values_str: vs.map(v => v.value), sources: vs.map(v => v.source) };
    } else if (vs?.length) out[s.name] = shown(s, vs[vs.length - 1]!.value, vs[vs.length - 1]!.source);
    else if (s.default !== undefined) out[s.name] = shown(s, s.default, 'default');
  }
  return out;
}
