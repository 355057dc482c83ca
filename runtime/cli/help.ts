/**
 * `--help` text, rendered from the command specs: the usage line, every
 * argument and option with its sentence, the environment variables read and
 * the exit codes. Nothing here is written by hand per command.
 */
import type { OptionSpec } from './args.js';
import { ENVIRONMENT, EXIT_CODES, PROGRAM, type CommandSpec } from './command.js';

function optionLabel(o: OptionSpec): string {
  const value = o.kind === 'flag' ? '' : o.kind === 'list' ? ` <${o.value ?? 'value'}…>` : ` <${o.value ?? 'value'}>`;
  return `${o.short ? `-${o.short}, ` : ''}--${o.name}${value}`;
}

/** `npx reawait run <workflow> --workflows <module…> [options]`: positionals and required options. */
export function usageLine(c: CommandSpec): string {
  const parts = [PROGRAM, c.name, ...c.positionals.map((p) => (p.optional ? `[<${p.name}>]` : `<${p.name}>`))];
  for (const o of c.options) if (o.required) parts.push(optionLabel(o).replace(/^-\w, /, ''));
  if (c.options.some((o) => !o.required)) parts.push('[options]');
  return parts.join(' ');
}

function table(rows: readonly (readonly [string, string])[], indent = 2): string[] {
  const width = Math.min(30, Math.max(...rows.map(([k]) => k.length)));
  return rows.map(([k, v]) => `${' '.repeat(indent)}${k.length > width ? `${k}\n${' '.repeat(indent + width + 2)}` : k.padEnd(width + 2)}${v}`);
}

export function commandHelp(c: CommandSpec): string {
  const lines = [`${PROGRAM} ${c.name}: ${c.summary}`, '', `usage: ${usageLine(c)}`];
  if (c.description) lines.push('', c.description);
  if (c.positionals.length) lines.push('', 'arguments:', ...table(c.positionals.map((p) => [`<${p.name}>`, (p.optional ? '(optional) ' : '') + p.help])));
  const options: [string, string][] = c.options.map((o) => [optionLabel(o), (o.required ? '(required) ' : '') + o.help]);
  options.push(['-h, --help', 'show this help and exit.']);
  lines.push('', 'options:', ...table(options));
  if (c.env?.length) lines.push('', 'environment:', ...table(c.env.map((e) => [e, ENVIRONMENT[e]])));
  const exits = { ...EXIT_CODES, ...c.exits };
  lines.push('', 'exit codes:', ...table(Object.entries(exits).map(([code, text]) => [code, text])));
  if (c.examples.length) lines.push('', 'examples:', ...c.examples.map((e) => `  ${e}`));
  return lines.join('\n') + '\n';
}

export function programHelp(commands: readonly CommandSpec[], version: string): string {
  return [
    `reawait ${version}: durable workflows written as plain async functions`,
    '',
    `usage: ${PROGRAM} <command> [options]`,
    '',
    'commands:',
    ...table(commands.map((c) => [c.name, c.summary])),
    '',
    'options:',
    ...table([
      ['-h, --help', 'show this help; after a command, that command\'s options.'],
      ['-v, --version', 'print the version of reawait and exit.'],
    ]),
    '',
    'environment:',
    ...table(Object.entries(ENVIRONMENT)),
    '',
    'exit codes:',
    ...table(Object.entries(EXIT_CODES)),
    '',
    `Run '${PROGRAM} <command> --help' for a command's options.`,
  ].join('\n') + '\n';
}
