/**
 * What a worker can run: workflows by name and activities by name, given as
 * compiled workflow functions, activity functions, module namespaces, or
 * module paths (the CLI loads modules by path).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CompiledWorkflowRecord } from '../contract.js';
import { DuplicateWorkflowError, definedIn, definitionAt, sitesChangedIn } from '../definitions.js';
import { resolveBy, type Resolve } from '../machine.js';
import type { Builds } from '../upgrade.js';
import { isCompiledWorkflow, registeredWorkflow, workflowRecord } from '../workflow.js';

export type ActivityFn = (...args: never[]) => unknown;
/** A workflow function, a module object (its compiled workflows are taken), or a module path. */
export type WorkflowSource = ((...args: never[]) => unknown) | Record<string, unknown> | string;
/** An object of activity functions (a module namespace works), or a module path. */
export type ActivitySource = Record<string, unknown> | string;

export async function importModule(spec: string): Promise<Record<string, unknown>> {
  const url = spec.startsWith('file:') ? spec : pathToFileURL(path.resolve(spec)).href;
  return (await import(url)) as Record<string, unknown>;
}

export class WorkflowRegistry {
  private readonly byName = new Map<string, CompiledWorkflowRecord>();

  add(fnOrModule: unknown): void {
    if (isCompiledWorkflow(fnOrModule)) {
      const rec = workflowRecord(fnOrModule);
      // The workflows its module defines without exporting them (a helper called inline, a compensation
      // started as a child) run here too: executions of children name their workflow by name alone.
      for (const r of [rec, ...definedIn(rec.meta.file).filter((d) => d.meta.name !== rec.meta.name)]) this.put(r);
      return;
    }
    if (typeof fnOrModule === 'function') workflowRecord(fnOrModule); // throws the "not compiled" error
    if (typeof fnOrModule === 'object' && fnOrModule !== null) {
      let found = 0;
      for (const v of Object.values(fnOrModule)) {
        if (isCompiledWorkflow(v)) {
          this.add(v);
          found++;
        }
      }
      if (found === 0) throw new TypeError(`reawait: a workflows module/object holds no compiled workflow (keys: ${Object.keys(fnOrModule).join(', ') || 'none'}); compile it with 'npx reawait compile' first`);
    }
  }

  /** Names are unique among what one worker runs (an execution names its workflow by name alone); one module's own may come again. */
  private put(rec: CompiledWorkflowRecord): void {
    const have = this.byName.get(rec.meta.name);
    if (have && have !== rec && have.meta.file !== rec.meta.file) throw new DuplicateWorkflowError(rec.meta.name, [`${have.meta.file}:${have.meta.line}`, `${rec.meta.file}:${rec.meta.line}`]);
    this.byName.set(rec.meta.name, rec);
  }

  get(name: string): CompiledWorkflowRecord | undefined {
    return this.byName.get(name);
  }

  /**
   * A workflow function by name (and the version its caller names), for the
   * machine: those this worker runs first, then any other build the loaded
   * modules define (an earlier build, or a helper in a module not given).
   */
  private readonly resolveLoaded: Resolve = resolveBy((n) => this.byName.get(n) ?? registeredWorkflow(n), () => this.names());
  resolve: Resolve = (name, version) => {
    const mine = this.byName.get(name);
    return mine && (version === undefined || mine.meta.version === version) ? mine : this.resolveLoaded(name, version);
  };

  /** The builds upgrade planning sees: the current one by name (as resolve), any by version. */
  readonly builds: Builds = {
    current: (name) => this.byName.get(name) ?? registeredWorkflow(name),
    at: (name, version) => (this.byName.get(name)?.meta.version === version ? this.byName.get(name) : definitionAt(name, version)),
    sitesChanged: sitesChangedIn,
  };

  names(): string[] {
    return [...this.byName.keys()];
  }
}

export async function loadWorkflows(sources: readonly WorkflowSource[]): Promise<WorkflowRegistry> {
  const reg = new WorkflowRegistry();
  for (const s of sources) reg.add(typeof s === 'string' ? await importModule(s) : s);
  return reg;
}

export async function loadActivities(sources: readonly ActivitySource[] | ActivitySource): Promise<Map<string, ActivityFn>> {
  const list = Array.isArray(sources) ? sources : [sources];
  const out = new Map<string, ActivityFn>();
  for (const s of list as ActivitySource[]) {
    const mod = typeof s === 'string' ? await importModule(s) : s;
    for (const [name, fn] of Object.entries(mod)) {
      if (typeof fn === 'function' && !isCompiledWorkflow(fn)) out.set(name, fn as ActivityFn);
    }
  }
  return out;
}
