/**
 * Upgrade planning: before a resume, decide for each fiber of a state which
 * build of its function it runs on (issue 13).
 *
 *   current   the fiber's version is the current build's: run it
 *   auto      the current build has a point with the same fingerprint as
 *             the fiber's point in its build: move it there (pc mapped,
 *             compiler temporaries renamed pairwise)
 *   migrate   an explicit upgrade registered for (workflow, version, line)
 *             maps the old locals to a line and locals of the current build
 *   pinned    the fiber's build is loaded (kept by `reawait compile`): it
 *             keeps running on the exact code that suspended it
 *   else      VersionMismatchError naming workflow, versions, line and where
 *             earlier builds are kept; the execution stays ready
 *
 * Invariant: a fiber only moves to other code when a resume there is
 * provably the same (equal fingerprints) or the user said how (upgrade()).
 * Planning never runs workflow code except an explicit upgrade function.
 */
import { closureSite, closureTag, siteChanged, type Site } from './closures.js';
import type { CompiledWorkflowRecord, PointFingerprint, SuspensionMeta } from './contract.js';
import { VersionMismatchError } from './errors.js';
import type { Fiber, MachineState } from './machine.js';
import { isCompiledWorkflow, workflowRecord } from './workflow.js';

/** What an explicit upgrade returns: where in the current build the fiber resumes, with which locals. */
export interface UpgradeTarget {
  /** A line of the current build with a suspension point (its first point on that line). */
  line: number;
  locals: Record<string, unknown>;
}
export type UpgradeFn = (oldLocals: Record<string, unknown>) => UpgradeTarget;

interface RegisteredUpgrade {
  workflow: string;
  version: string;
  line: number;
  fn: UpgradeFn;
}
const upgrades: RegisteredUpgrade[] = [];

/**
 * Register an explicit upgrade: a fiber of `workflow` suspended by build
 * `from.version` at line `from.line` resumes on the current build at the
 * line and with the locals `fn` returns.
 */
export function upgrade(workflow: string | ((...args: never[]) => unknown), from: { version: string; line: number }, fn: UpgradeFn): () => void {
  const name = typeof workflow === 'string' ? workflow : isCompiledWorkflow(workflow) ? workflowRecord(workflow).meta.name : workflow.name;
  if (typeof fn !== 'function') throw new TypeError(`reawait: upgrade() of workflow '${name}' needs a function (old locals) => ({ line, locals })`);
  if (typeof from?.version !== 'string' || !Number.isInteger(from.line)) throw new TypeError(`reawait: upgrade() of workflow '${name}' needs { version: string, line: number } of the old build`);
  const i = upgrades.findIndex((u) => u.workflow === name && u.version === from.version && u.line === from.line);
  const entry = { workflow: name, version: from.version, line: from.line, fn };
  if (i >= 0) upgrades[i] = entry;
  else upgrades.push(entry);
  // Returns its removal (tests; a module that registers it for a while).
  return () => {
    const at = upgrades.indexOf(entry);
    if (at >= 0) upgrades.splice(at, 1);
  };
}

/**
 * Check the registered upgrades against what a worker runs, when it starts:
 * an upgrade of a workflow it runs must come from a line with an await in
 * that old build (when the build is loaded). Returns the problems, one
 * sentence each; an old build that is not loaded is only worth a warning.
 */
export function checkUpgrades(builds: Builds, names: readonly string[]): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const u of upgrades) {
    if (!names.includes(u.workflow)) continue;
    const old = builds.at(u.workflow, u.version);
    if (!old) {
      warnings.push(`upgrade() of workflow '${u.workflow}' from version ${u.version} line ${u.line}: no build of that version is loaded here (it is checked when a state of it resumes)`);
      continue;
    }
    if (!old.meta.suspensions.some((p) => p.id > 0 && p.line === u.line))
      errors.push(
        `upgrade() of workflow '${u.workflow}' from version ${u.version} line ${u.line}: that build (${old.meta.file}) has no await on line ${u.line}; its awaits are on lines ${[...new Set(old.meta.suspensions.filter((p) => p.id > 0).map((p) => p.line))].join(', ')}`,
      );
  }
  return { errors, warnings };
}

/** The explicit upgrades registered in this process (for checks and `reawait versions`). */
export function registeredUpgrades(): readonly RegisteredUpgrade[] {
  return upgrades;
}

export type UpgradeHow = 'auto' | 'migrate' | 'pinned' | 'retry';
export interface UpgradeEvent {
  fn: string;
  from: string;
  to: string;
  how: UpgradeHow;
  /** The line the fiber waited at in its build, and where it resumes. */
  line?: number;
  toLine?: number;
}

export interface UpgradePlan {
  /** Fibers moved to the current build, or kept on theirs (history events `upgraded`). */
  events: UpgradeEvent[];
  /** Set when some fiber can run on no build here: the state is left untouched. */
  problem?: VersionMismatchError;
}

/** How a worker finds builds: the current one by name, any by name and version. */
export interface Builds {
  current(name: string): CompiledWorkflowRecord | undefined;
  at(name: string, version: string): CompiledWorkflowRecord | undefined;
  /** Where this worker looks for earlier builds (for the error's hint). */
  keptIn?: string;
  /** The closure sites of an earlier build whose code is not the current one's. */
  sitesChanged?(name: string, version: string): ReadonlySet<string>;
}

/** What planning needs of a build of a fiber's function: a workflow's meta, or an async closure site's. */
interface FnBuild {
  version: string;
  file: string;
  suspensions: readonly SuspensionMeta[];
  fingerprints?: PointFingerprint[];
  display?: Record<string, string>;
}
const siteBuild = (s: Site | undefined): FnBuild | undefined =>
  s && s.meta.kind === 'async' && s.meta.version !== undefined
    ? { version: s.meta.version, file: s.meta.file, suspensions: s.meta.suspensions ?? [], ...(s.meta.fingerprints ? { fingerprints: s.meta.fingerprints } : {}), ...(s.meta.display ? { display: s.meta.display } : {}) }
    : undefined;

/**
 * Plan (and apply, when every fiber has a way) the upgrade of `state`.
 * `rootLine`: where the root waits when no build of its version is loaded
 * (the execution record's `at`). Fibers of async closures are planned as
 * workflow frames are, by their site's version (Frame.v); explicit
 * upgrades are for workflow frames only.
 */
export function planUpgrade(state: MachineState, builds: Builds, rootLine?: number, options: { retry?: boolean } = {}): UpgradePlan {
  const moves: (() => void)[] = [];
  const events: UpgradeEvent[] = [];
  let pinned = false;
  for (const f of state.fibers) {
    const site = f.frame.fn.includes('/');
    if (site && f.frame.v === undefined) {
      // A closure fiber started before sites had versions: it runs its site's current code, only when the build that made it has the same closures.
      const wf = f.frame.fn.slice(0, f.frame.fn.lastIndexOf('/'));
      const cur = builds.current(wf);
      const version = wf === state.workflow ? state.version : undefined;
      if (!cur || version === undefined || version === cur.meta.version) continue;
      const changed = builds.sitesChanged?.(wf, version);
      if (!builds.at(wf, version) || changed?.has(f.frame.fn)) return { events: [], problem: mismatch(wf, version, cur.meta, undefined, builds.keptIn, [f.frame.fn]) };
      continue;
    }
    const version = f.id === 0 ? state.version : f.frame.v;
    const cur: FnBuild | undefined = site ? siteBuild(closureSite(f.frame.fn)) : builds.current(f.frame.fn)?.meta;
    if (version === undefined || !cur || cur.version === version) continue;
    const old: FnBuild | undefined = site ? siteBuild(closureSite(f.frame.fn, version)) : builds.at(f.frame.fn, version)?.meta;
    const oldPoint = old?.fingerprints?.[f.frame.pc];
    const line = old?.suspensions[f.frame.pc]?.line ?? (f.id === 0 ? rootLine : undefined);
    const at = line !== undefined ? { line } : {};
    const same = oldPoint && cur.fingerprints?.find((p) => p.fp === oldPoint.fp);
    if (same) {
      moves.push(() => move(state, f, cur.version, same.pc, renamed(f.frame.locals, oldPoint, same)));
      events.push({ fn: f.frame.fn, from: version, to: cur.version, how: 'auto', ...at, toLine: same.line });
      continue;
    }
    const explicit = line === undefined || site ? undefined : upgrades.find((u) => u.workflow === f.frame.fn && u.version === version && u.line === line);
    if (explicit) {
      moves.push(() => {
        const target = explicit.fn(f.frame.locals);
        const point = cur.suspensions.find((s) => s.id > 0 && s.line === target?.line);
        if (!point)
          throw new Error(`reawait: the upgrade of workflow '${f.frame.fn}' from version ${version} line ${line} returned line ${String(target?.line)}, which has no await in the current build (${cur.file})`);
        move(state, f, cur.version, point.id, { ...target.locals });
      });
      events.push({ fn: f.frame.fn, from: version, to: cur.version, how: 'migrate', ...at });
      continue;
    }
    // A retry (handle.retry()) runs the current code: the point on the same line that restores the same locals.
    const again = options.retry && oldPoint ? cur.fingerprints?.find((p) => p.pc > 0 && p.line === line && sameLocals(oldPoint, p, old!, cur)) : undefined;
    if (again && oldPoint) {
      moves.push(() => move(state, f, cur.version, again.pc, renamed(f.frame.locals, oldPoint, again)));
      events.push({ fn: f.frame.fn, from: version, to: cur.version, how: 'retry', ...at, toLine: again.line });
      continue;
    }
    // A workflow build kept before closure sites had versions cannot run beside the current closures.
    const sites = site ? new Set<string>() : (builds.sitesChanged?.(f.frame.fn, version) ?? new Set<string>());
    if (old && sites.size === 0) {
      pinned = true;
      events.push({ fn: f.frame.fn, from: version, to: version, how: 'pinned', ...at });
      continue;
    }
    if (old) return { events: [], problem: mismatch(f.frame.fn, version, cur, line, undefined, [...sites]) };
    return { events: [], problem: mismatch(f.frame.fn, version, cur, line, builds.keptIn) };
  }
  // Old code may call a closure value the state holds; one made when its build was current names no version, and would run the current site's code.
  const unversioned = pinned ? [...closureSitesIn(state)].filter((id) => !/@[0-9a-f]{16}$/.test(id) && siteChanged(id)) : [];
  if (unversioned.length) {
    const root = state.fibers.find((f) => f.id === 0);
    const cur = builds.current(state.workflow);
    if (cur) {
      const line = root ? builds.at(state.workflow, state.version)?.meta.suspensions[root.frame.pc]?.line : undefined;
      return { events: [], problem: mismatch(state.workflow, state.version, cur.meta, line, undefined, unversioned, true) };
    }
  }
  for (const m of moves) m();
  return { events };
}

/** The sites of the closure values `state` holds (its fibers' locals, its promise table, its tokens and watches). */
function closureSitesIn(state: MachineState): Set<string> {
  const found = new Set<string>();
  const seen = new Set<unknown>();
  const todo: unknown[] = [state.fibers, state.ops, state.tokens, state.watches];
  while (todo.length) {
    const v = todo.pop();
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v)) continue;
    seen.add(v);
    const tag = closureTag(v);
    if (tag) {
      found.add(tag.site);
      todo.push(...tag.envs);
    }
    if (typeof v === 'function') continue;
    if (v instanceof Map) for (const [k, x] of v) todo.push(k, x);
    else if (v instanceof Set) for (const x of v) todo.push(x);
    else todo.push(...Object.values(v));
  }
  return found;
}

function move(state: MachineState, f: Fiber, version: string, pc: number, locals: Record<string, unknown>): void {
  f.frame.pc = pc;
  f.frame.locals = locals;
  if (f.id === 0) state.version = version;
  else f.frame.v = version;
}

/** The same locals: as many, and the user's own (not compiler temporaries) by the same names in the same order. */
function sameLocals(a: PointFingerprint, b: PointFingerprint, am: FnBuild, bm: FnBuild): boolean {
  if (a.locals.length !== b.locals.length) return false;
  const own = (n: string, m: FnBuild): string => (m.display?.[n] !== undefined && /\s/.test(m.display[n]!) ? '' : (m.display?.[n] ?? n));
  return a.locals.every((n, i) => own(n, am) === own(b.locals[i]!, bm));
}

/** The locals under the new build's names: locals[i] of one point is locals[i] of the other. */
function renamed(locals: Record<string, unknown>, from: PointFingerprint, to: PointFingerprint): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  from.locals.forEach((name, i) => {
    if (name in locals) out[to.locals[i]!] = locals[name];
  });
  return out;
}

/** `held`: the sites are of closure values the state holds, made when that build was current. */
function mismatch(fn: string, version: string, cur: FnBuild, line: number | undefined, keptIn: string | undefined, sites: string[] = [], held = false): VersionMismatchError {
  const err = new VersionMismatchError(fn, version, cur.version);
  const at = line !== undefined ? ` at line ${line}` : '';
  const what = fn.includes('/') ? `async closure '${fn}'` : `workflow '${fn}'`;
  if (sites.length) {
    err.message =
      `${what} was suspended by version ${version}${at} but this process has version ${cur.version} (${cur.file}), ` +
      (held
        ? `and it holds closures of ${sites.join(', ')}, made when that build was current, whose code has changed since (the old code would call the new closures); `
        : `and the closures ${sites.join(', ')} of that version differ from this one's (it was kept before closure sites had versions); `) +
      `run a worker of version ${version} until its executions finish, or register an upgrade() for that version and line`;
    return err;
  }
  err.message =
    `${what} was suspended by version ${version}${at} but this process has version ${cur.version} (${cur.file}), ` +
    `whose code after that point differs, and no build of version ${version} is loaded` +
    (keptIn ? ` (earlier builds are looked for in ${keptIn})` : '') +
    `; keep the earlier builds next to the compiled workflows ('npx reawait compile' does), or register an upgrade() for that version and line`;
  return err;
}
