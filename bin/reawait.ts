#!/usr/bin/env node
/**
 * The `reawait` command. Each subcommand lives next to what it drives and
 * exports `main(argv): Promise<number>` (the exit code); they are imported
 * lazily so that `reawait worker` never loads Babel and `reawait compile`
 * never loads ioredis.
 */
type Main = (argv: string[]) => Promise<number>;
const commands: Record<string, { load: () => Promise<{ main: Main }>; help: string }> = {
  compile: { load: () => import('../compiler/cli.js'), help: 'compile <src-dir> --out <out-dir>   compile workflows (and strip types from everything else)' },
  run: { load: () => import('../runtime/cli/run.js'), help: 'run <workflow> --workflows <module> --activities <module> [--args JSON] [--id ID] [--dir .reawait] [--concurrency N] [--progress bar|lines|none]' },
  worker: { load: () => import('../runtime/cli/worker.js'), help: 'worker --workflows <module…> --activities <module…> [--redis URL] [--concurrency N]' },
  start: { load: () => import('../runtime/cli/start.js'), help: 'start <workflow> [--args JSON] [--id ID] [--wait] [--redis URL | --dir DIR]' },
  status: { load: () => import('../runtime/cli/status.js'), help: 'status <id> [--redis URL | --dir DIR]' },
  list: { load: () => import('../runtime/cli/list.js'), help: 'list [--status S] [--workflow W] [--limit N] [--redis URL | --dir DIR]' },
  signal: { load: () => import('../runtime/cli/signal.js'), help: 'signal <id> <name> [--data JSON] [--redis URL | --dir DIR]' },
  cancel: { load: () => import('../runtime/cli/cancel.js'), help: 'cancel <id> [--reason TEXT] [--redis URL | --dir DIR]' },
};

function usage(): string {
  return ['usage: reawait <command> [options]', '', ...Object.values(commands).map((c) => `  reawait ${c.help}`)].join('\n');
}

async function cli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`reawait: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  const mod = await cmd.load();
  return mod.main(rest);
}

cli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`reawait: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
