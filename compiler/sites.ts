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
import * as t from '@babel/types';
import type { SiteMeta, WorkflowMeta } from '../runtime/contract.js';
import { morph, type BindingsPlan } from './bindings.js';
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
  /** Lower an async site's function (its body already converted) into a step function; `entry` runs first at pc 0. */
  lowerAsync: (fn: SiteFunction, plan: BindingsPlan, entry: t.Statement[], info: SiteInfo) => LoweredSite;
}

export interface ConvertedSites {
  /** The `_rw_site(…)` registrations, in source order. */
  registrations: t.Statement[];
  /** The sites' code, for the workflow's version hash. */
  code: string;
}

export function convertSites(sites: readonly SiteInfo[], c: SiteContext): ConvertedSites {
  const made = new Map<SiteInfo, { stmt: t.Statement; code: string }>();
  for (const info of [...sites].reverse()) {
    const r = info.async ? asyncSite(info, c) : syncSite(info, c);
    if (r) made.set(info, r);
  }
  const ordered = sites.map((s) => made.get(s)).filter((x) => x !== undefined);
  return { registrations: ordered.map((x) => x.stmt), code: ordered.map((x) => x.code).join('\n') };
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

/** Detach the function's contents from where it is written, leaving there the expression that makes its value. */
function replaceWithClosure(info: SiteInfo, c: SiteContext, envs: string[]): SiteFunction {
  const node = info.node;
  const copy = { ...node } as SiteFunction;
  const make = c.helpers.call('closure', [t.stringLiteral(info.id), ...envs.map((e) => t.identifier(e))]);
  if (node.type === 'ObjectMethod') morph(node, t.objectProperty(node.key, make, node.computed));
  else morph(node, make);
  return copy;
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

function syncSite(info: SiteInfo, c: SiteContext): { stmt: t.Statement; code: string } {
  const plan = c.plans.get(info.node)!;
  const envs = capturedEnvs(info.node, plan, c);
  const fn = replaceWithClosure(info, c, envs);
  const body = fn.body as t.BlockStatement;
  const head: t.Statement[] = [];
  if (plan.locals.length) head.push(t.variableDeclaration('let', plan.locals.map((n) => t.variableDeclarator(t.identifier(n)))));
  head.push(...plan.prologue);
  let params = fn.params;
  if (movedParams(params)) {
    // A captured parameter binds into its environment: the function takes the arguments and destructures them (its length comes from the site).
    const args = t.identifier(`${c.prefix}args`);
    head.push(t.expressionStatement(t.assignmentExpression('=', t.arrayPattern(params as t.PatternLike[] as (t.LVal | null)[] as never), args)));
    params = [t.restElement(t.cloneNode(args))];
  }
  const block = t.blockStatement([...head, ...body.body], body.directives);
  const value: t.Expression =
    fn.type === 'ArrowFunctionExpression'
      ? t.arrowFunctionExpression(params, block, false)
      : t.functionExpression(fn.type === 'FunctionExpression' ? fn.id : null, params, block, fn.generator, false);
  value.loc = fn.loc ?? null;
  const factory = t.arrowFunctionExpression(envs.map((e) => t.identifier(e)), value);
  const stmt = t.expressionStatement(c.helpers.call('defineSite', [t.valueToNode(baseMeta(info, c, envs)), factory]));
  stmt.loc = fn.loc ?? null;
  return { stmt, code: `${info.id}(${envs.join(',')})${stepCode(t.functionExpression(null, [], t.blockStatement([t.returnStatement(factory)])))}` };
}

function asyncSite(info: SiteInfo, c: SiteContext): { stmt: t.Statement; code: string } | null {
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
  const meta: SiteMeta = {
    ...baseMeta(info, c, envs),
    params: m.params,
    suspensions: m.suspensions,
    ...(m.display ? { display: m.display } : {}),
    ...(m.envLayout ? { envLayout: m.envLayout } : {}),
  };
  const stmt = t.expressionStatement(c.helpers.call('defineSite', [t.valueToNode(meta), lowered.step]));
  stmt.loc = node.loc ?? null;
  return { stmt, code: `${info.id}(${envs.join(',')})${stepCode(lowered.step)}` };
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
