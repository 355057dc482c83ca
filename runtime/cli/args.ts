/**
 * The reawait CLI's argument parsing, on node's `util.parseArgs`: every
 * command is one declarative `CommandSpec` (bin/commands.ts), and parsing
 * accepts exactly the options the spec declares — positionals, `--flag
 * value`, `--flag=value`, lists that take every value up to the next flag
 * (`--workflows a.js b.js`) and booleans. Anything else is a `UsageError`
 * naming the option (and the nearest declared one), so `--help` and the
 * parser can never disagree.
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import { parseDuration, type Duration } from '../duration.js';

export interface OptionSpec {
  /** Long name, without `--`. */
  name: string;
  /** `value`: one value; `list`: one or more (`--x a b` or `--x a --x b`); `flag`: no value. */
  kind: 'value' | 'list' | 'flag';
  /** What the value is, shown in help (`url`, `module…`). */
  value?: string;
  /** One sentence for `--help`. */
  help: string;
  required?: boolean;
  /** A one-letter alias (`o` for `-o`). */
  short?: string;
}

export interface PositionalSpec {
  name: string;
  help: string;
  optional?: boolean;
}

export interface ParsedArgs {
  /** The arguments as given (after the command name), to repeat them in a hint. */
  argv: readonly string[];
  positionals: string[];
  values: Map<string, string>;
  lists: Map<string, string[]>;
  booleans: Set<string>;
}

/** What the user got wrong on the command line; the CLI prints it with the usage line and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Edit distance, for "did you mean" on a mistyped option. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

export function closest(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = distance(name, n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best !== undefined && bestD <= Math.min(2, Math.floor(name.length / 2)) ? best : undefined;
}

/** `--workflows a b` → `--workflows a --workflows b`, so that node's parser sees one value per occurrence. */
function spreadLists(argv: readonly string[], lists: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    out.push(arg);
    if (arg === '--') {
      out.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg.includes('=') || !lists.has(arg.slice(2))) continue;
    let n = 0;
    while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) {
      if (n++ > 0) out.push(arg);
      out.push(argv[++i]!);
    }
  }
  return out;
}

/**
 * Parse `argv` (after the command name) against the command's options.
 * Checks declared options only; required options and positional counts are
 * checked by `checkArgs`, so that `--help` works on an incomplete line.
 */
export function parseArgs(argv: readonly string[], options: readonly OptionSpec[]): ParsedArgs {
  const byName = new Map(options.map((o) => [o.name, o]));
  const byShort = new Map(options.filter((o) => o.short).map((o) => [o.short!, o]));
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const o of options) config[o.name] = { type: o.kind === 'flag' ? 'boolean' : 'string', ...(o.kind === 'list' ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  const lists = new Set(options.filter((o) => o.kind === 'list').map((o) => o.name));
  // strict: false and tokens, so that every error below is ours and names the option.
  const { tokens } = nodeParseArgs({ args: spreadLists(argv, lists), options: config, strict: false, allowPositionals: true, tokens: true });
  const out: ParsedArgs = { argv: [...argv], positionals: [], values: new Map(), lists: new Map(), booleans: new Set() };
  for (const t of tokens) {
    if (t.kind === 'positional') out.positionals.push(t.value);
    if (t.kind !== 'option') continue;
    const spec = t.rawName.startsWith('--') ? byName.get(t.name) : byShort.get(t.rawName.slice(1)) ?? byName.get(t.name);
    if (!spec) {
      const guess = closest(t.name, [...byName.keys()]);
      throw new UsageError(`unknown option ${t.rawName}${guess ? ` (did you mean --${guess}?)` : ''}`);
    }
    const shown = t.rawName.startsWith('--') ? t.rawName : `${t.rawName} (--${spec.name})`;
    if (spec.kind === 'flag') {
      if (t.value !== undefined) throw new UsageError(`${shown} takes no value`);
      out.booleans.add(spec.name);
      continue;
    }
    // node takes the next argument as the value even when it looks like an option: that is a forgotten value.
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('-') && t.value.length > 1 && !/^-\d/.test(t.value)))
      throw new UsageError(`${shown} needs a value${t.value === undefined ? '' : ` (to pass one that starts with '-', write --${spec.name}=${t.value})`}`);
    if (spec.kind === 'value') out.values.set(spec.name, t.value);
    else out.lists.set(spec.name, [...(out.lists.get(spec.name) ?? []), t.value]);
  }
  return out;
}

/** Required options present, and as many positionals as the command takes. */
export function checkArgs(args: ParsedArgs, positionals: readonly PositionalSpec[], options: readonly OptionSpec[]): void {
  const required = positionals.filter((p) => !p.optional);
  if (args.positionals.length < required.length) throw new UsageError(`missing <${required[args.positionals.length]!.name}>`);
  if (args.positionals.length > positionals.length) throw new UsageError(`unexpected argument '${args.positionals[positionals.length]}'`);
  for (const o of options)
    if (o.required && !args.values.has(o.name) && !args.lists.has(o.name)) throw new UsageError(`--${o.name} is required`);
}

/** Parse a JSON option, naming the option on failure. */
export function jsonOption(flag: string, text: string | undefined, fallback: unknown): unknown {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--${flag} is not valid JSON: ${(e as Error).message}`);
  }
}

export function intOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${flag} must be a positive integer, got '${text}'`);
  return n;
}

/** A duration, as everywhere in reawait: a number of ms, or e.g. '5s', '2m', '1 hour' (runtime/duration.ts); more than 0. */
export function durationOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(/^\d+$/.test(text) ? Number(text) : (text as Duration));
  } catch (e) {
    throw new UsageError(`--${flag}: ${(e as Error).message}`); // the parser says what it expects
  }
  if (ms <= 0) throw new UsageError(`--${flag} must be longer than 0, got '${text}'`);
  return ms;
}

/** A value that must be one of `choices`. */
export function choiceOption<T extends string>(flag: string, text: string | undefined, choices: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got '${text}'`);
  return text as T;
}

/** JSON for output: Maps, Sets, BigInts, Errors and undefined shown readably. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (v instanceof Map) return Object.fromEntries(v);
      if (v instanceof Set) return [...v];
      if (v instanceof Error) return { name: v.name, message: v.message };
      return v;
    },
    indent,
  ) ?? 'null';
}
