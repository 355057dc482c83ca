/**
 * Closure sites: every function written inside a workflow is made through
 * its site (see contract.ts "Closure sites" and fibers.md), so that the
 * function value carries `{ site, envs }` and the codec can save it as data
 * and make it again from its site's factory. Nothing here runs user code
 * except the factories and step functions the compiled module registered.
 */
import type { SiteFactory, SiteMeta, StepFn } from './contract.js';

/** A saved closure value names a build of its site that is not loaded here (not a corrupt state: a worker that has it can run it). */
export class SiteVersionMissingError extends Error {
  override name = 'SiteVersionMissingError';
}

export interface SyncSite {
  meta: SiteMeta & { kind: 'sync' };
  make: SiteFactory;
}
export interface AsyncSite {
  meta: SiteMeta & { kind: 'async' };
  step: StepFn;
  /** The function as plain JS, run when it is called outside a workflow (sites of a module's helper functions). */
  native?: SiteFactory;
}
export type Site = SyncSite | AsyncSite;

/** What a closure value is made of: its site and the environment objects it captures. */
export interface ClosureTag {
  site: string;
  envs: object[];
}

/** Current sites by id (the build imported as the app's code). */
const sites = new Map<string, Site>();
/** Every site with a version, current or of an earlier build kept by `reawait compile`, by `id@version`. */
const versioned = new Map<string, Site>();
const tags = new WeakMap<object, ClosureTag>();

/**
 * How an async site's function starts a fiber: installed by the machine. The
 * closure module does not import the machine (the machine imports it).
 */
export type FiberStarter = (site: AsyncSite, envs: object[], thisArg: unknown, args: unknown[]) => unknown;
let startFiber: FiberStarter = (site) => {
  throw new Error(`reawait: async closure '${site.meta.name || site.meta.id}' (${site.meta.file}:${site.meta.line}) was called outside a compiled workflow's run`);
};

export function setFiberStarter(starter: FiberStarter): void {
  startFiber = starter;
}

/** Register a closure site (the compiled module does, once per site, at import); `native`: see AsyncSite. */
export function defineSite(meta: SiteMeta, impl: SiteFactory | StepFn, native?: SiteFactory): void {
  if (typeof meta?.id !== 'string' || !/\/\d+$/.test(meta.id)) throw new TypeError(`reawait: invalid closure site id ${JSON.stringify(meta?.id)}`);
  if (typeof impl !== 'function') throw new TypeError(`reawait: closure site '${meta.id}' has no ${meta.kind === 'async' ? 'step function' : 'factory'}`);
  const prev = sites.get(meta.id);
  if (prev && prev.meta.file !== meta.file)
    throw new Error(`reawait: closure site '${meta.id}' is defined in both ${prev.meta.file}:${prev.meta.line} and ${meta.file}:${meta.line}; workflow names must be unique`);
  const site: Site =
    meta.kind === 'async' ? { meta: meta as AsyncSite['meta'], step: impl as StepFn, ...(native ? { native } : {}) } : { meta: meta as SyncSite['meta'], make: impl as SiteFactory };
  sites.set(meta.id, site);
  if (meta.version !== undefined) versioned.set(`${meta.id}@${meta.version}`, site);
}

/** A site of an earlier build (definitions.ts defineEarlierSite): found by id and version only. */
export function defineSiteVersion(meta: SiteMeta & { version: string }, impl: SiteFactory | StepFn, native?: SiteFactory): void {
  const k = `${meta.id}@${meta.version}`;
  if (versioned.has(k)) return;
  versioned.set(k, meta.kind === 'async' ? { meta: meta as AsyncSite['meta'], step: impl as StepFn, ...(native ? { native } : {}) } : { meta: meta as SyncSite['meta'], make: impl as SiteFactory });
}

/** Site `id`: the current one, or (`version` given and not the current one's) that build's, when loaded. */
export function closureSite(id: string, version?: string): Site | undefined {
  const cur = sites.get(id);
  if (version === undefined || cur?.meta.version === version) return cur;
  return versioned.get(`${id}@${version}`);
}

/** A site id naming a version: `<id>@<16 hex digits>` (a file name may hold an `@` too). */
const VERSIONED = /@([0-9a-f]{16})$/;

/**
 * The versioned site ids a saved state's text names (`wf/3@<version>`: the
 * closure values it holds), without decoding it. A string that only looks
 * like one counts too: what this is for (keeping builds) errs on keeping.
 */
export function versionedSitesIn(stateText: string): string[] {
  return [...new Set([...stateText.matchAll(/"([^"\\]+\/\d+@[0-9a-f]{16})"/g)].map((m) => m[1]!))].sort();
}

/** Whether an earlier build of site `id` is loaded whose code differs from the current one's. */
export function siteChanged(id: string): boolean {
  const cur = sites.get(id)?.meta.version;
  for (const s of versioned.values()) if (s.meta.id === id && s.meta.version !== cur) return true;
  return false;
}

function named<F extends (...args: never[]) => unknown>(fn: F, meta: SiteMeta): F {
  if (fn.name !== meta.name) Object.defineProperty(fn, 'name', { value: meta.name, configurable: true });
  if (fn.length !== meta.length) Object.defineProperty(fn, 'length', { value: meta.length, configurable: true });
  return fn;
}

/**
 * The function value of site `id` over `envs`: what the source's function
 * expression evaluates to. `id` may name a version (`wf/3@<version>`: what an
 * earlier build's code makes, keep-versions.ts, and what a saved value
 * names); the value is tagged with its site's version, so a saved value
 * revives on the code that made it.
 */
export function closure(id: string, ...envs: object[]): (...args: never[]) => unknown {
  const v = VERSIONED.exec(id);
  const base = v ? id.slice(0, v.index) : id;
  const site = v ? closureSite(base, v[1]) : sites.get(id);
  if (!site && v && sites.get(base)) {
    // A value made by a build that is not loaded here: the execution waits for a worker that has it (not failed).
    throw new SiteVersionMissingError(
      `the state holds a closure of site '${base}' version ${v[1]}, which is not loaded here (the current one is ${sites.get(base)!.meta.version ?? 'unversioned'}); keep the earlier builds next to the compiled workflows ('npx reawait compile' does)`,
    );
  }
  if (!site) throw new Error(`reawait: unknown closure site '${id}' (is the module that defines it${v ? ", or the earlier build kept by 'npx reawait compile'," : ''} imported?)`);
  // Tagged with its version: a saved value revives on the code that made it, whichever build is current then.
  id = site.meta.version !== undefined ? `${site.meta.id}@${site.meta.version}` : site.meta.id;
  let fn: (...args: never[]) => unknown;
  // A sync function gets its source's name and length (the factory's may differ: an inferred name, a captured parameter).
  if (site.meta.kind === 'sync') fn = named((site as SyncSite).make(...envs), site.meta);
  else {
    const s = site as AsyncSite;
    fn = s.meta.ownThis
      ? function (this: unknown, ...args: unknown[]) {
          return startFiber(s, envs, this, args);
        }
      : (...args: unknown[]) => startFiber(s, envs, undefined, args);
    named(fn, s.meta);
  }
  tags.set(fn, { site: id, envs });
  return fn;
}

/** The site and envs of a closure value made by closure(); undefined for any other function. */
export function closureTag(fn: unknown): ClosureTag | undefined {
  return typeof fn === 'function' ? tags.get(fn) : undefined;
}

/**
 * An object literal's getters and setters, made through their sites: the
 * compiled literal holds `key: undefined` where each accessor was written
 * (so the property keeps its place) and this makes it the accessor, as the
 * literal would have (enumerable, configurable).
 */
export function accessors<T extends object>(obj: T, defs: readonly [PropertyKey, ((this: T) => unknown) | undefined, ((this: T, v: unknown) => void) | undefined][]): T {
  for (const [key, get, set] of defs) Object.defineProperty(obj, key, { get, set, enumerable: true, configurable: true });
  return obj;
}

// ---------------------------------------------------------------------------
// What compiled code uses for let/const semantics once variables live in envs
// ---------------------------------------------------------------------------

/** The value of a captured let/const/class binding before its declaration ran (the codec knows it by name). */
export const TDZ: object = Object.freeze(Object.create(null) as object);

/** A read of a binding in its temporal dead zone. */
export function tdz(name: string): never {
  throw new ReferenceError(`Cannot access '${name}' before initialization`);
}

/** An assignment to a const binding (the right side has been evaluated, as in JS). */
export function constAssign(name: string): never {
  void name;
  throw new TypeError('Assignment to constant variable.');
}
