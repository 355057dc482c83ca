/**
 * Closure sites: every function written inside a workflow is made through
 * its site (see contract.ts "Closure sites" and fibers.md), so that the
 * function value carries `{ site, envs }` and the codec can save it as data
 * and make it again from its site's factory. Nothing here runs user code
 * except the factories and step functions the compiled module registered.
 */
import type { SiteFactory, SiteMeta, StepFn } from './contract.js';

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

const sites = new Map<string, Site>();
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
}

export function closureSite(id: string): Site | undefined {
  return sites.get(id);
}

function named<F extends (...args: never[]) => unknown>(fn: F, meta: SiteMeta): F {
  if (fn.name !== meta.name) Object.defineProperty(fn, 'name', { value: meta.name, configurable: true });
  if (fn.length !== meta.length) Object.defineProperty(fn, 'length', { value: meta.length, configurable: true });
  return fn;
}

/** The function value of site `id` over `envs`: what the source's function expression evaluates to. */
export function closure(id: string, ...envs: object[]): (...args: never[]) => unknown {
  const site = sites.get(id);
  if (!site) throw new Error(`reawait: unknown closure site '${id}' (is the module that defines it imported?)`);
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
