/**
 * What a reawait CLI command is, as data: its arguments, its options (each
 * with one sentence of help), the environment variables it reads, its exit
 * codes and an example. `--help`, the parser and the error messages are all
 * derived from this one entry, so adding a command or an option is adding
 * an entry (bin/commands.ts), never writing parsing code.
 */
import type { OptionSpec, ParsedArgs, PositionalSpec } from './args.js';

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIO: CliIO = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

/** A command's body: gets parsed, checked arguments, returns the exit code. */
export type CommandMain = (args: ParsedArgs, io: CliIO) => Promise<number>;

export interface CommandSpec {
  name: string;
  /** One line for `reawait --help`. */
  summary: string;
  /** More sentences for `reawait <name> --help`. */
  description?: string;
  positionals: readonly PositionalSpec[];
  options: readonly OptionSpec[];
  /** Names from ENVIRONMENT that this command reads. */
  env?: readonly (keyof typeof ENVIRONMENT)[];
  /** Exit codes beyond EXIT_CODES' 0/1/2 (or their meaning for this command). */
  exits?: Readonly<Record<number, string>>;
  examples: readonly string[];
  /** Imported only when the command runs (`reawait worker` never loads Babel). */
  load: () => Promise<{ main: CommandMain }>;
}

/** How every hint and usage line spells the command: it works in a project (node_modules/.bin is not on the PATH). */
export const PROGRAM = 'npx reawait';

export const ENVIRONMENT = {
  REDIS_URL: 'Redis to use when --redis is not given (default redis://127.0.0.1:6379).',
  COLUMNS: 'width of the progress bar when stderr is not a terminal (default 100).',
} as const;

export const EXIT_CODES: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'the command failed (the error is on stderr)',
  2: 'bad usage: an unknown option, a missing argument or a bad value',
};

/** The options of every command that talks to a backend: Redis, or an embedded folder. */
export const CONNECTION_OPTIONS: readonly OptionSpec[] = [
  { name: 'redis', kind: 'value', value: 'url', help: 'Redis to connect to, as redis://[[user]:password@]host[:port][/db], or rediss://… for TLS (default: $REDIS_URL, else redis://127.0.0.1:6379).' },
  { name: 'prefix', kind: 'value', value: 'namespace', help: "the app's namespace on Redis, the prefix of every key and queue: apps with different namespaces share one Redis without seeing each other's executions (default: reawait)." },
  { name: 'connect-timeout', kind: 'value', value: 'duration', help: "how long to wait for an unreachable Redis before failing with RedisUnavailableError; ms or e.g. '5s' (default 5000)." },
  { name: 'dir', kind: 'value', value: 'folder', help: 'use the embedded backend (the SQLite database <folder>/reawait.db) instead of Redis, as written by npx reawait run, npx reawait worker --dir or a Worker with { store: "local" }.' },
];
