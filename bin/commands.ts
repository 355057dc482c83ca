/**
 * Every `reawait` command, as one declarative entry each: arguments,
 * options with a sentence of help, environment, exit codes, an example, and
 * the module that runs it (loaded lazily). To add a command or an option,
 * add it here; `--help`, parsing and errors follow from the entry.
 */
import { CONNECTION_OPTIONS, type CommandSpec } from '../runtime/cli/command.js';

const ACTIVITIES = { name: 'activities', kind: 'list', value: 'module', help: 'modules (paths or package names) whose exported functions are the activities the workflows call.' } as const;
const ARGS = { name: 'args', kind: 'value', value: 'json', help: 'the workflow\'s arguments as a JSON array (default []).' } as const;

export const commands: readonly CommandSpec[] = [
  {
    name: 'compile',
    summary: 'compile the workflows of a source folder (or one file) into runnable JavaScript',
    description: "Every .ts/.mts/.js file under <src> is written to --out with a source map: workflow functions ('use workflow') become resumable state machines, everything else has its types stripped, relative imports are rewritten to the files written (extensionless and folder imports too), and each TypeScript source gets a .d.ts that re-exports its types. Every compile error is printed with file, line, column and a code frame.",
    positionals: [{ name: 'src', help: 'the folder of sources to compile, or one source file.' }],
    options: [
      { name: 'out', short: 'o', kind: 'value', value: 'out-dir', required: true, help: 'the folder to write the compiled files to (created if missing).' },
      { name: 'watch', short: 'w', kind: 'flag', help: 'after compiling, keep compiling each source file as it changes, until Ctrl+C.' },
    ],
    exits: { 0: 'compiled (with --watch: stopped by Ctrl+C)', 1: 'at least one file has a compile error (all are printed; the other files are still written)' },
    examples: ['npx reawait compile src --out build', 'npx reawait compile src/workflow.ts --out build --watch'],
    load: () => import('./compile.js'),
  },
  {
    name: 'run',
    summary: 'run one workflow to its end in this process, on the embedded backend',
    description: 'Shows progress on stderr and prints the result as JSON on stdout. State is kept in --dir: after Ctrl+C or a crash, the same command with the same --id resumes, re-running no completed activity.',
    positionals: [{ name: 'workflow', help: 'the name of the workflow function to run.' }],
    options: [
      { name: 'workflows', kind: 'list', value: 'module', required: true, help: 'compiled modules that export the workflow functions.' },
      ACTIVITIES,
      ARGS,
      { name: 'id', kind: 'value', value: 'id', help: 'the execution id; give an existing one to resume it (default: <workflow>-<random>).' },
      { name: 'dir', kind: 'value', value: 'folder', help: 'the folder that holds the state (default .reawait).' },
      { name: 'concurrency', kind: 'value', value: 'n', help: 'how many activities run at once (default 10).' },
      { name: 'progress', kind: 'value', value: 'bar|lines|none', help: 'how progress is shown (default: bar on a terminal, lines otherwise).' },
    ],
    env: ['COLUMNS'],
    exits: { 0: 'the workflow completed (its result is on stdout)', 1: 'the workflow failed or was cancelled', 130: 'interrupted (Ctrl+C); the command that resumes it is printed' },
    examples: ['npx reawait run videoPipeline --workflows build/workflow.js --activities build/activities.js --args \'[["a.mov"]]\''],
    load: () => import('../runtime/cli/run.js'),
  },
  {
    name: 'worker',
    summary: 'serve workflow resumes and activity calls from Redis, or from the embedded database with --dir, until stopped',
    description: 'Run as many as you like: on Redis on as many machines, on an embedded database (--dir) as many processes as share its folder; they share the work, each job held by one worker at a time. SIGINT or SIGTERM stops it after its running jobs finish.',
    positionals: [],
    options: [
      { name: 'workflows', kind: 'list', value: 'module', required: true, help: 'compiled modules that export the workflow functions to serve.' },
      ACTIVITIES,
      ...CONNECTION_OPTIONS,
      { name: 'concurrency', kind: 'value', value: 'n', help: 'how many jobs this worker runs at once (default 10).' },
      { name: 'stall-interval', kind: 'value', value: 'ms', help: 'how often to look for jobs whose worker died, to run them again (on --dir: how long a job stays with a worker that stopped renewing it; default 5000).' },
      { name: 'sweep-interval', kind: 'value', value: 'ms', help: 'how often to re-push work that a crash left undispatched.' },
      { name: 'start-timeout', kind: 'value', value: 'ms', help: 'while Redis cannot be reached at start, retry (logging each attempt) for this long, then exit 1 (default 60000).' },
      { name: 'grace', kind: 'value', value: 'ms', help: 'on SIGINT or SIGTERM, wait this long for running jobs, then exit even if Redis is gone (default 5000).' },
    ],
    env: ['REDIS_URL'],
    exits: { 0: 'stopped by SIGINT or SIGTERM', 1: 'Redis could not be reached within --start-timeout (RedisUnavailableError), the embedded database is damaged (DatabaseDamagedError), or a module failed to load' },
    examples: ['npx reawait worker --workflows build/workflow.js --activities build/activities.js --concurrency 8', 'npx reawait worker --dir .reawait --workflows build/workflow.js --activities build/activities.js'],
    load: () => import('../runtime/cli/worker.js'),
  },
  {
    name: 'start',
    summary: 'start a workflow execution (and optionally wait for its result)',
    positionals: [{ name: 'workflow', help: 'the name of the workflow function to start.' }],
    options: [
      ARGS,
      { name: 'id', kind: 'value', value: 'id', help: 'the execution id; starting an id that exists returns that execution (default: a random id).' },
      { name: 'wait', kind: 'flag', help: 'wait for the end, showing progress on stderr, and print the result as JSON.' },
      ...CONNECTION_OPTIONS,
    ],
    env: ['REDIS_URL'],
    exits: { 0: 'started (its id is on stdout), or with --wait: completed (its result is on stdout)', 1: 'with --wait: the workflow failed or was cancelled' },
    examples: ['npx reawait start videoPipeline --args \'[["a.mov","b.mov"]]\' --wait'],
    load: () => import('../runtime/cli/start.js'),
  },
  {
    name: 'status',
    summary: 'print an execution\'s description as JSON',
    description: 'Status, the source line it waits at, live locals of its fibers, calls done of started, result or error, and history.',
    positionals: [{ name: 'id', help: 'the execution id.' }],
    options: [...CONNECTION_OPTIONS],
    env: ['REDIS_URL'],
    exits: { 1: 'no execution has this id, or the backend cannot be reached' },
    examples: ['npx reawait status order-42'],
    load: () => import('../runtime/cli/status.js'),
  },
  {
    name: 'list',
    summary: 'list executions, one line each (id, workflow, status, start time)',
    positionals: [],
    options: [
      { name: 'status', kind: 'value', value: 'status', help: 'only executions in this status: ready, waiting, completed, failed or cancelled.' },
      { name: 'workflow', kind: 'value', value: 'name', help: 'only executions of this workflow.' },
      { name: 'limit', kind: 'value', value: 'n', help: 'at most this many lines.' },
      { name: 'cursor', kind: 'value', value: 'cursor', help: 'continue a previous listing from the cursor it printed on stderr.' },
      ...CONNECTION_OPTIONS,
    ],
    env: ['REDIS_URL'],
    examples: ['npx reawait list --status waiting --limit 20'],
    load: () => import('../runtime/cli/list.js'),
  },
  {
    name: 'signal',
    summary: 'send a signal (with optional data) to an execution',
    positionals: [
      { name: 'id', help: 'the execution id.' },
      { name: 'name', help: 'the signal\'s name, as the workflow awaits it.' },
    ],
    options: [{ name: 'data', kind: 'value', value: 'json', help: 'the signal\'s payload as JSON (default: none).' }, ...CONNECTION_OPTIONS],
    env: ['REDIS_URL'],
    exits: { 1: 'no execution has this id, or the backend cannot be reached' },
    examples: ['npx reawait signal order-42 approve --data true'],
    load: () => import('../runtime/cli/signal.js'),
  },
  {
    name: 'cancel',
    summary: 'cancel an execution (the workflow sees CancelledError at its await)',
    positionals: [{ name: 'id', help: 'the execution id.' }],
    options: [{ name: 'reason', kind: 'value', value: 'text', help: 'why, recorded with the cancellation.' }, ...CONNECTION_OPTIONS],
    env: ['REDIS_URL'],
    exits: { 1: 'no execution has this id, or the backend cannot be reached' },
    examples: ['npx reawait cancel order-42 --reason "no longer needed"'],
    load: () => import('../runtime/cli/cancel.js'),
  },
];
