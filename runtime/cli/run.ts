/**
 * `reawait run <workflow> --workflows <module…> --activities <module…>
 * [--args JSON] [--id ID] [--dir .reawait]`: run one execution to its end in
 * this process, on the embedded backend, with a worker. Progress goes to
 * stderr, the result as JSON to stdout. Ctrl+C closes gracefully; run again
 * with the same --id (after Ctrl+C or a kill -9) and it resumes from the
 * database in the folder, re-running no completed activity. Other processes
 * (`reawait worker --dir`, status, signal, a second run) share the database.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '../engine/client.js';
import { importModule, loadWorkflows } from '../engine/registry.js';
import { keptFoldersOf } from '../engine/kept-builds.js';
import { Worker } from '../engine/worker.js';
import { choiceOption, intOption, jsonOption, toJson, UsageError, type ParsedArgs } from './args.js';
import { PROGRAM, type CliIO } from './command.js';
import { progressView } from './progress.js';
import { describeThrown } from '../thrown.js';
import { DatabaseDamagedError, moveAside } from '../sqlite/damage.js';

/** Exit code of an interrupted run (128 + SIGINT), as shells report it. */
const INTERRUPTED = 130;

async function loadModule(kind: string, spec: string): Promise<Record<string, unknown>> {
  try {
    return await importModule(spec);
  } catch (e) {
    throw new UsageError(`cannot load ${kind} module '${spec}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A shell-safe rendering of one argument, for the "resume with" line. */
function shellArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function resumeCommand(argv: readonly string[], id: string): string {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--id') i++;
    else if (!a.startsWith('--id=')) out.push(a);
  }
  return [PROGRAM, ...['run', ...out, '--id', id].map(shellArg)].join(' ');
}

export async function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const workflow = args.positionals[0]!;
  const workflowSpecs = args.lists.get('workflows') ?? [];
  const wfArgs = jsonOption('args', args.values.get('args'), []);
  if (!Array.isArray(wfArgs)) throw new UsageError('--args must be a JSON array of arguments');
  const concurrency = intOption('concurrency', args.values.get('concurrency'));
  const mode = choiceOption('progress', args.values.get('progress'), ['bar', 'lines', 'none'] as const) ?? (process.stderr.isTTY ? 'bar' : 'lines');
  const dir = args.values.get('dir') ?? '.reawait';

  const workflows = await Promise.all(workflowSpecs.map((s) => loadModule('workflow', s)));
  const activities = await Promise.all((args.lists.get('activities') ?? []).map((s) => loadModule('activity', s)));
  const registry = await loadWorkflows(workflows).catch((e: unknown) => {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  });
  if (!registry.get(workflow)) throw new UsageError(`unknown workflow '${workflow}'; the workflows in ${workflowSpecs.join(', ')} are: ${registry.names().sort().join(', ')}`);

  const backend = { store: 'local' as const, dir };
  // The earlier builds kept next to the workflow modules: executions they suspended resume on their code.
  const open = () => new Worker({ ...backend, workflows, activities, versions: keptFoldersOf(workflowSpecs), ...(concurrency ? { concurrency } : {}) });
  let worker = open();
  try {
    await worker.run(); // opens (or creates) the database: a damaged one fails here, clearly
  } catch (e) {
    if (!(e instanceof DatabaseDamagedError)) throw e;
    // Never started over silently: only when told to, and the damaged file is kept beside the new one.
    if (!args.booleans.has('discard-corrupt')) throw new DatabaseDamagedError(e.file, `${e.detail}; 'npx reawait run … --discard-corrupt' moves it aside and starts a new database`);
    const aside = moveAside(e.file);
    io.err(`reawait run: the database ${e.file} is damaged (${e.detail}); moved it to ${aside} (kept for recovery) and starting a new one\n`);
    worker = open();
    await worker.run();
  }
  const client = new Client(backend);
  const id = args.values.get('id') ?? `${workflow}-${randomUUID().slice(0, 8)}`;
  const err = io.err;
  const view = progressView(mode, err);
  let interrupted = false;
  let wake: () => void = () => {};
  const onSignal = () => {
    if (interrupted) process.exit(INTERRUPTED); // a second Ctrl+C: the database is consistent at every moment
    interrupted = true;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const existing = await client.get(id);
    const handle = await client.start(workflow, wfArgs, { id });
    err(`reawait run: ${existing ? 'resuming' : 'started'} ${workflow} as ${id} (state in ${dir})\n`);
    for (;;) {
      const d = await handle.describe();
      view.update(d);
      if (d.status === 'completed') {
        view.end();
        // Close first: the result is printed once its state is on disk.
        await worker.close(5000);
        await client.close();
        io.out(`${toJson(d.result)}\n`);
        return 0;
      }
      if (d.status === 'failed' || d.status === 'cancelled') {
        view.end();
        const e = d.error; // as thrown: an Error, a string, undefined, …
        err(`reawait run: ${workflow} ${d.status}: ${describeThrown(e)}\n`);
        return 1;
      }
      if (interrupted) {
        view.end();
        err(`reawait run: interrupted; finishing running activities…\n`);
        await worker.close(5000);
        err(`reawait run: stopped. Resume with:\n  ${resumeCommand(args.argv, id)}\n`);
        return INTERRUPTED;
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        wake = () => (clearTimeout(t), r());
      });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await worker.close(5000);
    await client.close();
    // Activity modules may hold handles open; a finished run must still exit.
    setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
  }
}
