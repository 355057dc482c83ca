/**
 * Closure conversion, second half: every nested function of a workflow
 * (environments.ts found them, bindings.ts moved what they capture into
 * environment objects) is replaced where it is written by
 *
 *   _rw_closure('wf/3', $e1, $e4)
 *
 * and registered once at module level, after the workflow's definition:
 *
 *   _rw_site({ id: 'wf/3', kind: 'sync', envs: ['$e1', '$e4'], … }, ($e1, $e4) => (y) => $e1.x + y);
 *   _rw_site({ id: 'wf/4', kind: 'async', envs: ['$e1'], suspensions: […], … }, function wf$4$step($f, $r) { … });
 *
 * Invariant: a site's code refers to nothing of the workflow but the
 * environments it takes, so the runtime can make it again from its id and
 * envs alone. Sites are converted innermost first, so a site's code already
 * holds the `_rw_closure` calls of the functions inside it, and the
 * environments it takes are exactly those its code names.
 */
import { createHash } from 'node:crypto';
import * as t from '@babel/types';
import type { SiteMeta, WorkflowMeta } from '../runtime/contract.js';
import { morph, type BindingsPlan } from './bindings.js';
import type { Emitter } from './emitter.js';
import type { SiteFunction, SiteInfo } from './environments.js';
import { envsUsed } from './environments.js';
import type { ErrorSink } from './errors.js';
import type { Helpers } from './helpers.js';
import { stepCode } from './meta.js';
import type { Analysis } from './scopes.js';

/** What lowering an async site into a step function gives (workflow-pass does it, as for the workflow). */
export interface LoweredSite {
  step: t.FunctionExpression;
  meta: WorkflowMeta;
  e: Emitter;
}

/** An async site, lowered: its fingerprints are added once every workflow's version is known (workflow-pass). */
export interface AsyncSiteMade {
  meta: SiteMeta;
  e: Emitter;
  /** The `_rw_site(meta, step)` call: its first argument is replaced by the final meta. */
  call: t.CallExpression;
}

export interface SiteContext {
  file: string;
  prefix: string;
  helpers: Helpers;
  an: Analysis;
  errors: ErrorSink;
  /** Each site's bindings plan (bindings.ts), run outer functions first. */
  plans: ReadonlyMap<t.Node, BindingsPlan>;
  /** Every environment object of the workflow, in creation order. */
  envNames: readonly string[];
  /** Async sites also get their function as native code, run when called outside a workflow (sites of module-level helpers). */
  native?: boolean;
  /** Lower an async site's function (its body already converted) into a step function; `entry` runs first at pc 0. */
  lowerAsync: (fn: SiteFunction, plan: BindingsPlan, entry: t.Statement[], info: SiteInfo) => LoweredSite;
}

export interface ConvertedSites {
  /** The `_rw_site(…)` registrations, in source order. */
  registrations: t.Statement[];
  /** The sites' code, for the workflow's version hash. */
  code: string;
  /** Each site's code by id (a site's fingerprints hash the others'). */
  codes: Map<string, string>;
  async: AsyncSiteMade[];
}

export function convertSites(sites: readonly SiteInfo[], c: SiteContext): ConvertedSites {
  const made = new Map<SiteInfo, { stmt: t.Statement; code: string; async?: AsyncSiteMade }>();
  const accessors = new Map<t.ObjectExpression, SiteInfo[]>();
  for (const info of sites) if (info.accessor) accessors.set(info.accessor.object, [...(accessors.get(info.accessor.object) ?? []), info]);
  const accessorValues = new Map<SiteInfo, t.Expression>();
  for (const info of [...sites].reverse()) {
    if (info.accessor && accessorKey(info, c) === null) continue;
    const r = info.async ? asyncSite(info, c) : syncSite(info, c, accessorValues);
    if (r) made.set(info, r);
    // The literal's first accessor is converted last (innermost first, in reverse source order): then the literal is complete.
    const group = info.accessor && accessors.get(info.accessor.object);
    if (group && group[0] === info) wrapAccessors(info.accessor!.object, group, accessorValues, c);
  }
  const ordered = sites.map((s) => made.get(s)).filter((x) => x !== undefined);
  const codes = new Map(sites.filter((s) => made.has(s)).map((s) => [s.id, made.get(s)!.code]));
  return { registrations: ordered.map((x) => x.stmt), code: ordered.map((x) => x.code).join('\n'), codes, async: ordered.flatMap((x) => (x.async ? [x.async] : [])) };
}

/** A site's version: its code hashed (a closure fiber's frame records it, so it resumes on that code). */
function siteVersion(code: string): string {
  return createHash('sha256').update(code).digest('hex').slice(0, 16);
}

function baseMeta(info: SiteInfo, c: SiteContext, envs: string[]): SiteMeta {
  const loc = info.node.loc?.start;
  return {
    id: info.id,
    kind: info.async ? 'async' : 'sync',
    name: info.name,
    length: info.length,
    file: c.file,
    line: loc?.line ?? 0,
    column: loc?.column ?? 0,
    envs,
    ownThis: !info.arrow,
  };
}

/** The environments a site takes: those its code names that are not its own. */
function capturedEnvs(fn: t.Node, plan: BindingsPlan, c: SiteContext): string[] {
  const own = new Set(Object.keys(plan.envLayout));
  return envsUsed(fn, c.envNames.filter((n) => !own.has(n)));
}

/**
 * Detach the function's contents from where it is written, leaving there the
 * expression that makes its value (for a getter or setter: `key: undefined`,
 * and its value goes to `accessors`, for wrapAccessors).
 */
function replaceWithClosure(info: SiteInfo, c: SiteContext, envs: string[], accessors?: Map<SiteInfo, t.Expression>): SiteFunction {
  const node = info.node;
  const copy = { ...node } as SiteFunction;
  const make = c.helpers.call('closure', [t.stringLiteral(info.id), ...envs.map((e) => t.identifier(e))]);
  if (info.accessor && node.type === 'ObjectMethod') {
    accessors?.set(info, make);
    morph(node, t.objectProperty(node.key, t.identifier('undefined'), false));
  } else if (node.type === 'ObjectMethod') morph(node, t.objectProperty(node.key, make, node.computed));
  else morph(node, make);
  return copy;
}

/** A getter's or setter's key as a literal; null (and an error) for a computed key, which would be evaluated twice. */
function accessorKey(info: SiteInfo, c: SiteContext): t.StringLiteral | t.NumericLiteral | null {
  const m = info.node as t.ObjectMethod;
  if (!m.computed && m.key.type === 'Identifier') return t.stringLiteral(m.key.name);
  if (!m.computed && (m.key.type === 'StringLiteral' || m.key.type === 'NumericLiteral')) return t.cloneNode(m.key);
  c.errors.at(m.key, `a getter or setter with a computed name is not supported inside a workflow: name it, or define it with Object.defineProperty`);
  return null;
}

/** `{ …, get k() {…}, … }` → `_rw_accessors({ …, k: undefined, … }, [['k', getter, setter]])`. */
function wrapAccessors(obj: t.ObjectExpression, group: SiteInfo[], made: Map<SiteInfo, t.Expression>, c: SiteContext): void {
  const byKey = new Map<string | number, { key: t.Expression; get?: t.Expression; set?: t.Expression }>();
  for (const info of group) {
    const value = made.get(info);
    const m = info.node as unknown as t.ObjectProperty;
    const key = m.key.type === 'Identifier' ? t.stringLiteral(m.key.name) : (m.key as t.StringLiteral | t.NumericLiteral);
    if (!value) continue;
    const k = key.value;
    const entry = byKey.get(k) ?? { key: t.cloneNode(key) };
    entry[info.accessor!.kind] = value;
    byKey.set(k, entry);
  }
  if (byKey.size === 0) return;
  const undef = (): t.Identifier => t.identifier('undefined');
  const defs = [...byKey.values()].map((d) => t.arrayExpression([d.key, d.get ?? undef(), d.set ?? undef()]));
  const literal = { ...obj } as t.ObjectExpression;
  morph(obj, c.helpers.call('accessors', [literal, t.arrayExpression(defs)]));
}

/** A pattern's assignment targets that are environment fields (a captured parameter). */
function movedParams(params: t.Node[]): boolean {
  let moved = false;
  const visit = (p: t.Node | null | undefined): void => {
    if (!p) return;
    if (p.type === 'MemberExpression') moved = true;
    else if (p.type === 'AssignmentPattern') visit(p.left);
    else if (p.type === 'ArrayPattern') p.elements.forEach(visit);
    else if (p.type === 'ObjectPattern') p.properties.forEach((q) => visit(q.type === 'RestElement' ? q.argument : q.value));
    else if (p.type === 'RestElement') visit(p.argument);
  };
  params.forEach(visit);
  return moved;
}

function syncSite(info: SiteInfo, c: SiteContext, accessors: Map<SiteInfo, t.Expression>): { stmt: t.Statement; code: string } {
  const plan = c.plans.get(info.node)!;
  const envs = capturedEnvs(info.node, plan, c);
  const fn = replaceWithClosure(info, c, envs, accessors);
  const factory = t.arrowFunctionExpression(envs.map((e) => t.identifier(e)), nativeFunction(fn, plan, c));
  const code = `${info.id}(${envs.join(',')})${stepCode(t.functionExpression(null, [], t.blockStatement([t.returnStatement(factory)])))}`;
  const stmt = t.expressionStatement(c.helpers.call('defineSite', [t.valueToNode({ ...baseMeta(info, c, envs), version: siteVersion(code) }), factory]));
  stmt.loc = fn.loc ?? null;
  return { stmt, code };
}

/** The function as plain JS over its envs (what a sync site's factory returns): its own envs declared, captured parameters bound into them. */
function nativeFunction(fn: SiteFunction, plan: BindingsPlan, c: SiteContext): t.ArrowFunctionExpression | t.FunctionExpression {
  const body = fn.body as t.BlockStatement;
  const head: t.Statement[] = [];
  if (plan.locals.length) head.push(t.variableDeclaration('let', plan.locals.map((n) => t.variableDeclarator(t.identifier(n)))));
  head.push(...plan.prologue.map((x) => t.cloneNode(x, true)));
  let params = fn.params;
  if (movedParams(params)) {
    // A captured parameter binds into its environment: the function takes the arguments and destructures them (its length comes from the site).
    const args = t.identifier(`${c.prefix}args`);
    head.push(t.expressionStatement(t.assignmentExpression('=', t.arrayPattern(params as t.PatternLike[] as (t.LVal | null)[] as never), args)));
    params = [t.restElement(t.cloneNode(args))];
  }
  const block = t.blockStatement([...head, ...body.body], body.directives);
  const value =
    fn.type === 'ArrowFunctionExpression'
      ? t.arrowFunctionExpression(params, block, fn.async)
      : t.functionExpression(fn.type === 'FunctionExpression' ? fn.id : null, params, block, fn.generator, fn.async);
  value.loc = fn.loc ?? null;
  return value;
}

function asyncSite(info: SiteInfo, c: SiteContext): { stmt: t.Statement; code: string; async: AsyncSiteMade } | null {
  const node = info.node;
  const plan = c.plans.get(node)!;
  if (node.generator) {
    c.errors.at(node, `async generator functions are not supported inside a workflow: return an array, or call activities from a plain async function`);
    return null;
  }
  if (node.type === 'FunctionExpression' && node.id) {
    const self = c.an.declared.get(node.id);
    const use = self?.kind === 'name' ? self.refs[0] : undefined;
    if (use) {
      c.errors.at(use.id, `an async function expression that refers to itself by its own name ('${node.id.name}') is not supported inside a workflow: assign it to a const and call it through that`);
      return null;
    }
  }
  const envs = capturedEnvs(node, plan, c);
  const fn = replaceWithClosure(info, c, envs);
  const native = c.native ? t.arrowFunctionExpression(envs.map((e) => t.identifier(e)), nativeFunction(t.cloneNode(fn as t.Node, true) as SiteFunction, plan, c)) : null;
  const f = t.identifier(`${c.prefix}f`);
  const fromFrame = (local: string, key: string): t.Statement =>
    t.expressionStatement(t.assignmentExpression('=', t.identifier(local), t.memberExpression(t.memberExpression(f, t.identifier('locals')), t.identifier(key))));
  const entry = envs.map((e) => fromFrame(e, e));
  if (fn.type !== 'ArrowFunctionExpression') {
    const self = `${c.prefix}this`;
    if (replaceThis(fn.body, self)) entry.push(fromFrame(self, '$this'));
  }
  const lowered = c.lowerAsync(fn, plan, entry, info);
  const m = lowered.meta;
  const code = `${info.id}(${envs.join(',')})${stepCode(lowered.step)}${native ? stepCode(t.functionExpression(null, [], t.blockStatement([t.returnStatement(native)]))) : ''}`;
  const meta: SiteMeta = {
    ...baseMeta(info, c, envs),
    version: siteVersion(code),
    params: m.params,
    suspensions: m.suspensions,
    ...(m.display ? { display: m.display } : {}),
    ...(m.envLayout ? { envLayout: m.envLayout } : {}),
  };
  const call = c.helpers.call('defineSite', [t.valueToNode(meta), lowered.step, ...(native ? [native] : [])]);
  const stmt = t.expressionStatement(call);
  stmt.loc = node.loc ?? null;
  return { stmt, code, async: { meta, e: lowered.e, call } };
}

/** `this` of an async method's own body (arrows inside are sites already; class bodies have their own). */
function replaceThis(n: t.Node, self: string): boolean {
  let found = false;
  const walk = (x: t.Node): void => {
    const r = x as unknown as Record<string, unknown>;
    for (const key of t.VISITOR_KEYS[x.type] ?? []) {
      const v = r[key];
      const visit = (ch: t.Node, set: (y: t.Node) => void): void => {
        if (ch.type === 'ThisExpression') {
          found = true;
          set(t.identifier(self));
        } else if (!(ch.type === 'ClassBody' || ch.type === 'FunctionExpression' || ch.type === 'FunctionDeclaration' || ch.type === 'ObjectMethod')) walk(ch);
      };
      if (Array.isArray(v)) v.forEach((ch, i) => ch && typeof ch === 'object' && 'type' in ch && visit(ch as t.Node, (y) => (v[i] = y)));
      else if (v && typeof v === 'object' && 'type' in v) visit(v as t.Node, (y) => (r[key] = y));
    }
  };
  walk(n);
  return found;
}
