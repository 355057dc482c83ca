#!/usr/bin/env node
/**
 * `npm run demo`: compile the video-encoding example and run it with
 * `reawait run` on the embedded backend (no Redis). It shows the parallel
 * fan-out, then kills the process with kill -9 halfway through the encodes,
 * then runs the same command again with --id: the execution resumes from
 * its folder, runs only the encodes that had not completed, and prints the
 * result.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'dist/bin/reawait.js');
// Under .reawait/ (git-ignored) and inside the package, so the compiled code's
// `import 'reawait/workflow'` resolves to this package.
const build = '.reawait/demo/build';
const dir = '.reawait/demo/state';
const FILES = 12;
const CONCURRENCY = 4;
const ENCODE_MS = 700;
const tty = Boolean(process.stderr.isTTY);
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[22m` : s);
const say = (s) => process.stderr.write(`\n${bold(s)}\n`);

function must(cmd, args) {
  // progress on stderr: stdout carries only the workflow's result
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync(cli)) {
  say('Building reawait (npm run build)…');
  must('npm', ['run', 'build']);
}
say(`Compiling examples/video-encoding → ${build}`);
must(process.execPath, [cli, 'compile', 'examples/video-encoding', '--out', build]);
rmSync(path.join(root, dir), { recursive: true, force: true });

const id = `demo-${Date.now().toString(36)}`;
const files = Array.from({ length: FILES }, (_, i) => `clip${String(i + 1).padStart(2, '0')}.mov`);
const args = ['run', 'videoPipeline', '--workflows', `${build}/workflow.js`, '--activities', `${build}/activities.js`, '--args', JSON.stringify([files]), '--dir', dir, '--concurrency', String(CONCURRENCY), '--id', id];
const env = { ...process.env, VIDEO_ENCODE_MS: String(ENCODE_MS), ...(process.stderr.columns ? { COLUMNS: String(process.stderr.columns) } : {}) };
const shown = `node dist/bin/reawait.js ${args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(' ')}`;

say(`1) reawait run: ${FILES} encodes fanned out with Promise.all, ${CONCURRENCY} at a time, ${ENCODE_MS} ms each (state in ${dir}):`);
process.stderr.write(`   $ ${shown}\n`);
const first = spawn(process.execPath, [cli, ...args, '--progress', tty ? 'bar' : 'lines'], { cwd: root, env, stdio: ['ignore', 'inherit', 'pipe'] });
let seen = '';
let killedAt = 0;
first.stderr.on('data', (d) => {
  process.stderr.write(d);
  seen += d.toString();
  const done = [...seen.matchAll(/(\d+)\/(\d+) calls/g)].map((m) => Number(m[1])).at(-1) ?? 0;
  if (!killedAt && done >= FILES / 2) {
    killedAt = done;
    // a moment for those completions to reach the disk (the next ones are ENCODE_MS away)
    setTimeout(() => first.kill('SIGKILL'), 150);
  }
});
await new Promise((r) => first.once('exit', r));
if (!killedAt) {
  say('The first run ended before it could be interrupted; see above.');
  process.exit(1);
}

say(`2) Killed it with kill -9 once ${killedAt} of ${FILES} encodes were done. The same command again resumes ${id} from ${dir}:`);
process.stderr.write(`   $ ${shown}\n`);
const second = spawn(process.execPath, [cli, ...args], { cwd: root, env, stdio: 'inherit' });
const code = await new Promise((r) => second.once('exit', r));
if (code !== 0) process.exit(code ?? 1);

say('Done: the encodes that had completed before the kill were not run again.');
process.stderr.write(
  `Try it yourself: run the command above with a new --id, press Ctrl+C (or kill -9 it) halfway,\n` +
    `and run it again with the same --id. 'node dist/bin/reawait.js --help' lists the other commands.\n`,
);
