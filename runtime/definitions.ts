/**
 * Workflow definitions of this process, by name and by version. The current
 * build of each workflow is what its imported compiled module defined
 * (defineWorkflow); earlier builds kept by `reawait compile` are defined by
 * version only (defineEarlierWorkflow), so several builds of one workflow
 * load in one process and a state resumes on the exact code that wrote it.
 *
 * Invariant: a (name, version) pair names one step function. Two modules may
 * each define a workflow of the same name (they are refused only when one
 * worker registers both, or when a lookup by name alone is ambiguous), so
 * importing them never fails.
 */
import { WORKFLOW, type CompiledWorkflowRecord, type SiteFactory, type SiteMeta, type StepFn, type WorkflowMeta } from './contract.js';
import { closureSite, defineSite, defineSiteVersion } from './closures.js';

/** Current definitions by name: one per defining module (file). */
const current = new Map<string, CompiledWorkflowRecord[]>();
/** Every definition, current or earlier, by `name@version`. */
const byVersion = new Map<string, CompiledWorkflowRecord>();

const key = (name: string, version: string): string => `${name}@${version}`;

/** Two modules define a workflow of one name, and something asked for it by name alone. */
export class DuplicateWorkflowError extends Error {
  override name = 'DuplicateWorkflowError';
  constructor(
    readonly workflow: string,
    readonly files: string[],
  ) {
    super(`reawait: two different modules define a workflow named '${workflow}' (${files.join(' and ')}); workflow names must be unique among the workflows one worker runs`);
  }
}

const where = (r: CompiledWorkflowRecord): string => `${r.meta.file}:${r.meta.line}`;

/** A current definition (the compiled module's defineWorkflow). Re-importing one module replaces its own definition. */
export function defineCurrent(record: CompiledWorkflowRecord): void {
  const list = (current.get(record.meta.name) ?? []).filter((r) => r.meta.file !== record.meta.file);
  list.push(record);
  current.set(record.meta.name, list);
  byVersion.set(key(record.meta.name, record.meta.version), record);
}

/**
 * An earlier build of a workflow (a module kept by `reawait compile` calls it
 * where the current build calls defineWorkflow): found by its version only.
 * `fn` is that build's own function, so the old code's calls of it run the
 * old code too.
 */
export function defineEarlierWorkflow(fn: (...args: never[]) => unknown, meta: WorkflowMeta, step: StepFn): CompiledWorkflowRecord {
  const k = key(meta.name, meta.version);
  const record = byVersion.get(k) ?? { meta, step };
  Object.defineProperty(fn, WORKFLOW, { value: record, enumerable: false, configurable: true });
  byVersion.set(k, record);
  lastEarlier.set(meta.name, meta.version);
  return record;
}

/** Per earlier build (`name@version`): its closure sites whose code differs from the current build's. */
const changedSites = new Map<string, Set<string>>();
/** The earlier build whose module is being loaded now (its sites are registered right after its workflows). */
const lastEarlier = new Map<string, string>();

/**
 * A closure site of an earlier build. A site with a version is kept by
 * id and version (the kept build's code makes its closures by version,
 * keep-versions.ts). One kept before sites had versions cannot run beside
 * the current build's: when its code differs it is remembered, so that no
 * state of that build resumes on the other code (upgrade.ts).
 */
export function defineEarlierSite(meta: SiteMeta, impl: SiteFactory | StepFn, native?: SiteFactory): void {
  const cur = closureSite(meta.id);
  if (!cur) return defineSite(meta, impl, native);
  if (meta.version !== undefined) return defineSiteVersion({ ...meta, version: meta.version }, impl, native);
  const curImpl = 'step' in cur ? cur.step : cur.make;
  if (String(curImpl) === String(impl) && JSON.stringify(cur.meta.suspensions ?? []) === JSON.stringify(meta.suspensions ?? [])) return;
  const wf = meta.id.slice(0, meta.id.lastIndexOf('/'));
  const k = key(wf, lastEarlier.get(wf) ?? '?');
  changedSites.set(k, (changedSites.get(k) ?? new Set()).add(meta.id));
}

/** The closure sites of build `version` of `name` whose code is not the current build's (builds kept before sites had versions). */
export function sitesChangedIn(name: string, version: string): ReadonlySet<string> {
  return changedSites.get(key(name, version)) ?? new Set();
}

/** The current definition of `name`; DuplicateWorkflowError when two modules define it. */
export function currentDefinition(name: string): CompiledWorkflowRecord | undefined {
  const list = current.get(name);
  if (!list?.length) return undefined;
  if (list.length > 1) throw new DuplicateWorkflowError(name, list.map(where));
  return list[0];
}

/** The current definitions made by the module compiled from `file` (exported or not). */
export function definedIn(file: string): CompiledWorkflowRecord[] {
  return [...current.values()].flatMap((list) => list.filter((r) => r.meta.file === file));
}

/** The definition of `name` at `version`, current or earlier. */
export function definitionAt(name: string, version: string): CompiledWorkflowRecord | undefined {
  return byVersion.get(key(name, version));
}

/** Every version of `name` this process knows (current first). */
export function knownVersions(name: string): CompiledWorkflowRecord[] {
  const now = current.get(name) ?? [];
  const rest = [...byVersion.values()].filter((r) => r.meta.name === name && !now.includes(r));
  return [...now, ...rest];
}
