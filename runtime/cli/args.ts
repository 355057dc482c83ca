/**
 * A small argument parser for the reawait subcommands: positionals, `--flag
 * value`, `--flag=value`, list flags that take every value up to the next
 * flag (`--workflows a.js b.js`), and boolean flags.
 */
export interface ArgSpec {
  /** Flags that take one value. */
  values?: readonly string[];
  /** Flags that take one or more values. */
  lists?: readonly string[];
  /** Flags without a value. */
  booleans?: readonly string[];
}

export interface ParsedArgs {
  positionals: string[];
  values: Map<string, string>;
  lists: Map<string, string[]>;
  booleans: Set<string>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const out: ParsedArgs = { positionals: [], values: new Map(), lists: new Map(), booleans: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      out.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    if (spec.booleans?.includes(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      out.booleans.add(name);
    } else if (spec.values?.includes(name)) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      out.values.set(name, v);
    } else if (spec.lists?.includes(name)) {
      const list = out.lists.get(name) ?? [];
      if (inline !== undefined) list.push(inline);
      else while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) list.push(argv[++i]!);
      if (list.length === 0) throw new UsageError(`--${name} needs at least one value`);
      out.lists.set(name, list);
    } else throw new UsageError(`unknown option --${name}`);
  }
  return out;
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

/** Runs a subcommand body: usage errors print with the usage line and exit 2; other errors exit 1. */
export async function runCommand(usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`reawait: ${e.message}\nusage: reawait ${usage}\n`);
      return 2;
    }
    process.stderr.write(`reawait: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    return 1;
  }
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

/** Flags every client command accepts: Redis (`--redis`, `--prefix`) or an embedded folder (`--dir`). */
export const CONNECTION_FLAGS = ['redis', 'prefix', 'dir'] as const;
