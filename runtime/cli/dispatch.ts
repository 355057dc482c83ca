/**
 * The `reawait` program: picks the command, answers `--help` and
 * `--version`, parses and checks the arguments against the command's spec,
 * then loads and runs it. Usage errors exit 2 with the usage line and the
 * `--help` hint; any other error exits 1 with its message.
 */
import { checkArgs, closest, parseArgs, UsageError } from './args.js';
import { PROGRAM, processIO, type CliIO, type CommandSpec } from './command.js';
import { commandHelp, programHelp, usageLine } from './help.js';
import { packageVersion } from './version.js';

function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

export async function runCli(commands: readonly CommandSpec[], argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(programHelp(commands, packageVersion()));
    return 2;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.out(programHelp(commands, packageVersion()));
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.out(`${packageVersion()}\n`);
    return 0;
  }
  const helpOf = name === 'help' ? rest[0]! : undefined;
  const command = commands.find((c) => c.name === (helpOf ?? name));
  if (!command) {
    const wanted = helpOf ?? name;
    const guess = closest(wanted, commands.map((c) => c.name));
    const what = wanted.startsWith('-') ? `unknown option ${wanted}` : `unknown command '${wanted}'`;
    io.err(`reawait: ${what}${guess ? ` (did you mean '${guess}'?)` : ''}\nRun '${PROGRAM} --help' for the commands.\n`);
    return 2;
  }
  if (helpOf !== undefined || wantsHelp(rest)) {
    io.out(commandHelp(command));
    return 0;
  }
  try {
    const args = parseArgs(rest, command.options);
    checkArgs(args, command.positionals, command.options);
    const { main } = await command.load();
    return await main(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`reawait: ${e.message}\nusage: ${usageLine(command)}\nRun '${PROGRAM} ${command.name} --help' for every option.\n`);
      return 2;
    }
    io.err(`reawait: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    return 1;
  }
}
