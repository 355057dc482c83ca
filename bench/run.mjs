#!/usr/bin/env node
/**
 * `npm run bench`: build, run every row (each in its own process), print one
 * table of reawait vs its anchor with ratios, and write bench/results.json.
 *
 *   node bench/run.mjs [--smoke] [--only 3[,5]] [--no-build] [--out file.json]
 *
 * --smoke runs every row with tiny sizes (CI). Its JSON, and that of an
 * --only run, goes to a tmp file unless --out is given, so that only a full
 * run replaces bench/results.json.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable, verdict } from './lib/table.mjs';
import { ROOT } from './lib/paths.mjs';
import { MARK, loadRow, rowFiles } from './run-row.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const o = { smoke: false, only: null, build: true, out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--smoke') o.smoke = true;
    else if (a === '--no-build') o.build = false;
    else if (a === '--only') o.only = String(argv[++i] ?? '').split(',').map(Number);
    else if (a === '--out') o.out = argv[++i];
    else throw new Error(`bench: unknown argument '${a}' (use --smoke, --only N[,M], --no-build, --out FILE)`);
  }
  if (o.only && o.only.some((n) => !Number.isInteger(n))) throw new Error('bench: --only takes row numbers, e.g. --only 3 or --only 5,7');
  // Only a full run of every row replaces bench/results.json.
  o.out ??= o.smoke || o.only ? path.join(os.tmpdir(), `reawait-bench-${o.smoke ? 'smoke' : 'partial'}.json`) : path.join(HERE, 'results.json');
  return o;
}

function build() {
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) {
    // tsc still emits; benchmark what it left, but say so.
    const why = (r.stdout + r.stderr).trim().split('\n').slice(0, 3).join(' / ');
    process.stderr.write(`bench: warning: 'npm run build' failed (${why}); measuring the dist/ it emitted\n`);
    return `failed: ${why}`;
  }
  return 'ok';
}

function machine() {
  const git = (args) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const redis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    redis: redis.status === 0 ? redis.stdout.trim() : null,
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: (git(['status', '--porcelain']) ?? '') !== '',
  };
}

function runChild(n, smoke, timeoutMs) {
  return new Promise((resolve) => {
    const args = ['--expose-gc', path.join(HERE, 'run-row.mjs'), String(n), ...(smoke ? ['--smoke'] : [])];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const at = out.lastIndexOf(MARK);
      if (at >= 0) return resolve(JSON.parse(out.slice(at + MARK.length).split('\n')[0]));
      resolve({ error: signal === 'SIGKILL' ? `timed out after ${timeoutMs / 1000} s` : `exited with code ${code} without a result` });
    });
  });
}

const opts = parseArgs(process.argv.slice(2));
const t0 = Date.now();
const buildStatus = opts.build ? build() : 'skipped';
const info = machine();
const all = rowFiles().map((f) => parseInt(path.basename(f)));
const selected = opts.only ?? all;
const lines = [];
for (const n of selected) {
  const row = await loadRow(n);
  const t = Date.now();
  process.stderr.write(`bench: row ${n} — ${row.title}…\n`);
  const res = await runChild(n, opts.smoke, opts.smoke ? 60_000 : 240_000);
  const rowLines = Array.isArray(res) ? res : row.lines.map((l) => ({ ...l, error: res.error }));
  for (const l of rowLines) lines.push({ row: n, ...l });
  process.stderr.write(`bench: row ${n} done in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
}
const seconds = (Date.now() - t0) / 1000;

const mode = opts.smoke ? 'SMOKE (tiny sizes: figures are not meaningful)' : 'full';
console.log(`\nreawait benchmarks — ${mode}; ${info.cores} × ${info.cpu}, Node ${info.node}, ${info.redis ?? 'no redis-server'}; ${new Date().toISOString()}`);
console.log(`ratio = reawait ÷ anchor, measured in this run (time/bytes: lower is better; throughput: higher is better)\n`);
console.log(renderTable(lines));
const notes = lines.filter((l) => l.note || l.error || l.ok === false);
if (notes.length) {
  console.log('\nNotes:');
  for (const l of notes) {
    const head = l.ok === false && !l.error ? `MISSES target ${l.target}` : verdict(l);
    console.log(`- ${l.id} ${head}: ${l.error ?? l.note}`);
  }
}
console.log(`\ntotal ${seconds.toFixed(1)} s; results written to ${path.relative(process.cwd(), opts.out) || opts.out}`);

const doc = { date: new Date().toISOString(), smoke: opts.smoke, seconds: Number(seconds.toFixed(1)), build: buildStatus, machine: info, rows: lines.map((l) => ({ ...l, verdict: verdict(l) })) };
const tmp = `${opts.out}.tmp`;
writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
renameSync(tmp, opts.out);
// A row that failed (not one that missed its target) fails the command.
if (lines.some((l) => l.error)) process.exitCode = 1;
