/**
 * `reawait versions <build> [--prune] [--json]` (options: bin/commands.ts):
 * per workflow, the builds kept in `<build>/.reawait/versions`
 * (compiler/keep-versions.ts), how many fibers of executions that have not
 * ended wait at which point of which build (every fiber: the root, a
 * workflow function it called, an async closure `wf/3`), and what a worker
 * of the current build does with them: current, auto (the same fingerprint:
 * it moves to the current build), pinned (it runs on its kept build) or
 * unknown (no build of that version is kept: it stays ready with a problem). upgrade() registrations
 * live in the workflow modules and are not seen here: a point they migrate
 * shows as pinned. --prune deletes the kept builds no such execution needs
 * (none that a pinned fiber runs on, or that made a closure a state holds).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { PointFingerprint, SiteMeta, WorkflowMeta } from '../contract.js';
import type { Client } from '../engine/client.js';
import { UsageError, toJson, type ParsedArgs } from './args.js';
import type { CliIO } from './command.js';
import { clientFrom } from './connect.js';

interface Build {
  /** The module's folder of kept builds. */
  dir: string;
  module: string;
  hash: string;
  current: boolean;
  workflows: WorkflowMeta[];
  sites: SiteMeta[];
}

type Verdict = 'current' | 'auto' | 'pinned' | 'unknown';
interface Waiting {
  workflow: string;
  version: string;
  line: number | undefined;
  pc: number | undefined;
  count: number;
  verdict: Verdict;
}

async function keptBuilds(root: string): Promise<Build[]> {
  const out: Build[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    const cur = entries.some((e) => e.name === 'current.json') ? (JSON.parse(await readFile(path.join(dir, 'current.json'), 'utf8')) as { hash: string }).hash : undefined;
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.name.endsWith('.json') && e.name !== 'current.json') {
        const kept = JSON.parse(await readFile(full, 'utf8')) as { module: string; workflows: WorkflowMeta[]; sites?: SiteMeta[] };
        const hash = e.name.slice(0, -'.json'.length);
        out.push({ dir, module: kept.module, hash, current: hash === cur, workflows: kept.workflows, sites: kept.sites ?? [] });
      }
    }
  };
  await walk(root);
  return out;
}

/**
 * Where each fiber of each execution that has not ended waits: its function
 * (workflow or closure site), version and point; and the closure values
 * their states hold (`wf/3@<version>`: they run the build that made them).
 */
async function waitingExecutions(client: Client, held: Set<string>): Promise<{ workflow: string; version: string; pc?: number; line?: number }[]> {
  const out: { workflow: string; version: string; pc?: number; line?: number }[] = [];
  for (const status of ['waiting', 'ready'] as const) {
    let cursor: string | undefined;
    do {
      const page = await client.list({ status, limit: 500, ...(cursor ? { cursor } : {}) });
      for (const e of page.items) {
        const h = await client.get(e.id);
        const d = h && (await h.describe());
        if (!d || d.version === '') continue;
        for (const c of d.closures ?? []) held.add(c);
        const root = d.fibers?.[0];
        out.push({ workflow: d.workflow, version: d.version, ...(root ? { pc: root.pc } : {}), ...((root?.line ?? d.waitingAt?.line) !== undefined ? { line: root?.line ?? d.waitingAt?.line } : {}) });
        // Every other fiber that records its build: a workflow function it called, an async closure.
        for (const f of d.fibers?.slice(1) ?? []) if (f.version !== undefined) out.push({ workflow: f.fn, version: f.version, pc: f.pc, ...(f.line !== undefined ? { line: f.line } : {}) });
      }
      cursor = page.cursor;
    } while (cursor);
  }
  return out;
}

/** A build's metadata of function `fn`: a workflow by name, or an async closure site by id. */
function metaIn(b: Build, fn: string): { version: string; fingerprints?: PointFingerprint[] } | undefined {
  if (!fn.includes('/')) return b.workflows.find((w) => w.name === fn);
  const s = b.sites.find((x) => x.id === fn);
  return s?.version !== undefined ? { version: s.version, ...(s.fingerprints ? { fingerprints: s.fingerprints } : {}) } : undefined;
}

function verdict(builds: Build[], workflow: string, version: string, pc: number | undefined): Verdict {
  const metaOf = (b: Build) => metaIn(b, workflow);
  const current = builds.find((b) => b.current && metaOf(b));
  const cur = current && metaOf(current);
  if (cur?.version === version) return 'current';
  const old = builds.map(metaOf).find((m) => m?.version === version);
  if (!old) return 'unknown';
  const fp = pc !== undefined ? old.fingerprints?.[pc]?.fp : undefined;
  if (fp && cur?.fingerprints?.some((p) => p.fp === fp)) return 'auto';
  return 'pinned';
}

export async function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const build = args.positionals[0]!;
  const root = path.join(build, '.reawait', 'versions');
  if (!existsSync(root)) throw new UsageError(`${build}: no kept builds (${root} does not exist); 'npx reawait compile <src> --out ${build}' keeps them`);
  const builds = await keptBuilds(root);
  const client = clientFrom(args);
  let executions: Awaited<ReturnType<typeof waitingExecutions>>;
  const held = new Set<string>();
  try {
    executions = await waitingExecutions(client, held);
  } finally {
    await client.close();
  }
  const waiting = new Map<string, Waiting>();
  for (const e of executions) {
    const k = `${e.workflow}\0${e.version}\0${e.pc ?? ''}`;
    const w = waiting.get(k);
    if (w) w.count++;
    else waiting.set(k, { workflow: e.workflow, version: e.version, line: e.line, pc: e.pc, count: 1, verdict: verdict(builds, e.workflow, e.version, e.pc) });
  }
  // Builds pinned fibers run on, and those that made closures a state holds.
  const needed = new Set([...[...waiting.values()].filter((w) => w.verdict === 'pinned').map((w) => `${w.workflow}@${w.version}`), ...held]);
  // Workflows, and the closure sites some fiber waits in.
  const fns = [...builds.flatMap((b) => b.workflows.map((w) => w.name)), ...[...waiting.values()].map((w) => w.workflow).filter((f) => f.includes('/'))];
  const report = [...new Set(fns)].sort().map((name) => ({
    workflow: name,
    // One entry per version (a module's build keeps a function's version when only another function changed): the current build's first.
    versions: [...builds.filter((b) => b.current), ...builds.filter((b) => !b.current)]
      .filter((b, i, all) => metaIn(b, name) && all.findIndex((o) => metaIn(o, name)?.version === metaIn(b, name)!.version) === i)
      .map((b) => {
        const version = metaIn(b, name)!.version;
        return { version, module: b.module, build: b.hash, current: b.current, waiting: [...waiting.values()].filter((w) => w.workflow === name && w.version === version).map(({ line, pc, count, verdict }) => ({ line, pc, count, verdict })) };
      }),
  }));
  const unknown = [...waiting.values()].filter((w) => w.verdict === 'unknown');
  // A kept build is needed while it is current or some execution is pinned to one of its workflows.
  const prunable = builds.filter((b) => !b.current && ![...b.workflows.map((w) => `${w.name}@${w.version}`), ...b.sites.map((s) => `${s.id}@${s.version}`)].some((k) => needed.has(k)));
  if (args.booleans.has('prune')) for (const b of prunable) await Promise.all(['js', 'json'].map((ext) => rm(path.join(b.dir, `${b.hash}.${ext}`), { force: true })));
  if (args.booleans.has('json')) {
    io.out(`${toJson({ workflows: report, unknown: unknown.map(({ workflow, version, line, count }) => ({ workflow, version, line, count })), ...(args.booleans.has('prune') ? { pruned: prunable.map((b) => `${b.module}/${b.hash}`) } : {}) })}\n`);
    return 0;
  }
  for (const r of report) {
    io.out(`${r.workflow}\n`);
    for (const v of r.versions) {
      io.out(`  ${v.version}${v.current ? ' (current)' : ''}  ${v.module}/${v.build}\n`);
      for (const w of v.waiting) io.out(`    ${w.count} waiting at line ${w.line ?? '?'} (pc ${w.pc ?? '?'}): ${w.verdict}\n`);
    }
  }
  for (const u of unknown) io.out(`${u.workflow} ${u.version}: ${u.count} waiting at line ${u.line ?? '?'} on a build that is not kept (unknown): they stay ready until a worker has it\n`);
  if (args.booleans.has('prune')) io.err(`reawait versions: pruned ${prunable.length} kept build${prunable.length === 1 ? '' : 's'}\n`);
  return 0;
}
