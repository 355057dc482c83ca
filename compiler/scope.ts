/**
 * Small preparations of a checked workflow function before lowering, as
 * plain node walks: generated names that clash with nothing in the file,
 * type stripping (for Babel set-ups where TypeScript syntax is still there),
 * the Promise calls a workflow makes durable, and which locals an awaiting
 * expression may change.
 */
import * as t from '@babel/types';
import type { WorkflowFunction } from './find-workflows.js';
import type { Helpers } from './helpers.js';
import { hasAwait as hasAwaitShallow } from './refs.js';
import { eachChild, isFunctionNode, TYPE_WRAPPERS } from './walk.js';

export const GROUP_MODES = new Set(['all', 'allSettled', 'race', 'any']);

/** All identifier names used anywhere in a file, so that generated names never collide. */
export function collectFileNames(program: t.Program): Set<string> {
  const names = new Set<string>();
  // A plain node walk: no paths are needed to read names (a path traversal costs several times more).
  t.traverseFast(program, (n) => {
    if (n.type === 'Identifier' || n.type === 'JSXIdentifier') names.add(n.name);
  });
  return names;
}

/** Generates names that appear nowhere in the file. */
export class NameGen {
  /** Each fresh name → the name it was made from (error messages show the original). */
  readonly origin = new Map<string, string>();
  constructor(private readonly taken: Set<string>) {}
  fresh(base: string): string {
    let n = 1;
    while (this.taken.has(`${base}$${n}`)) n++;
    const name = `${base}$${n}`;
    this.taken.add(name);
    this.origin.set(name, base);
    return name;
  }
  /** A prefix no identifier of the file starts with, for the step function's internal names. */
  internalPrefix(): string {
    let prefix = '$';
    while ([...this.taken].some((n) => n.startsWith(prefix))) prefix += '$';
    return prefix;
  }
}

const TYPE_STATEMENTS = new Set(['TSTypeAliasDeclaration', 'TSInterfaceDeclaration', 'TSDeclareFunction']);
const TYPE_KEYS = ['typeAnnotation', 'returnType', 'typeParameters', 'typeArguments'];

/**
 * A plain node walk (no paths): under compile() the TypeScript plugin has
 * stripped the file already and this finds nothing; in other Babel set-ups
 * it makes the workflow plain JS before lowering.
 */
export function stripTypes(fn: WorkflowFunction): void {
  const strip = (n: t.Node): void => {
    const r = n as unknown as Record<string, unknown>;
    for (const key of TYPE_KEYS) if (r[key]) r[key] = null;
    if (r.optional === true && n.type === 'Identifier') r.optional = false;
    if (r.definite === true) r.definite = false;
  };
  const unwrap = (n: t.Node): t.Node => {
    while (TYPE_WRAPPERS.has(n.type)) n = (n as t.TSAsExpression).expression;
    return n;
  };
  const typeOnly = (c: t.Node | null): boolean => !!c && (TYPE_STATEMENTS.has(c.type) || TYPE_WRAPPERS.has(c.type));
  const walk = (n: t.Node): void => {
    strip(n);
    const r = n as unknown as Record<string, unknown>;
    for (const key of t.VISITOR_KEYS[n.type] ?? []) {
      const v = r[key];
      if (Array.isArray(v)) {
        // A new array only when something goes: under compile() the types are gone already.
        const kept = (v as (t.Node | null)[]).some(typeOnly) ? (v as (t.Node | null)[]).filter((c) => !c || !TYPE_STATEMENTS.has(c.type)).map((c) => c && unwrap(c)) : v;
        r[key] = kept;
        for (const c of kept as (t.Node | null)[]) if (c && !c.type.startsWith('TS')) walk(c);
      } else if (v && typeof v === 'object' && 'type' in v) {
        const c = unwrap(v as t.Node);
        r[key] = c;
        if (!c.type.startsWith('TS')) walk(c); // type positions: nothing to visit inside
      }
    }
  };
  walk(fn);
}

/**
 * `Promise.all/allSettled/race/any(x)` → `group(mode, x)`, `Promise.resolve(x)`
 * → `resolve(x)`, `Promise.reject(e)` → `reject(e)`: what a workflow awaits
 * through them becomes durable. `globals` are the workflow's references to the
 * global `Promise` (the scope analysis's free names; the caller has checked
 * that the module does not declare one).
 */
export function rewritePromiseCalls(fn: t.Function, globals: ReadonlySet<t.Identifier>, helpers: Helpers): void {
  if (globals.size === 0) return;
  const walk = (n: t.Node): void => {
    if (n.type === 'CallExpression') {
      const callee = n.callee;
      if (callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && globals.has(callee.object)) {
        const method = !callee.computed && callee.property.type === 'Identifier' ? callee.property.name : callee.property.type === 'StringLiteral' ? callee.property.value : null;
        if (method && GROUP_MODES.has(method) && n.arguments.length === 1) {
          n.callee = helpers.id('group');
          n.arguments.unshift(t.stringLiteral(method));
        } else if ((method === 'resolve' || method === 'reject') && n.arguments.length <= 1) n.callee = helpers.id(method);
      }
    }
    eachChild(n, walk);
  };
  walk(fn);
}

/**
 * Locals that may change while an expression holding an await is evaluated:
 * the targets of assignments inside such expressions, and anything assigned
 * inside a nested function. Other locals can be read after the await instead
 * of being copied into a temporary before it.
 */
export function unstableLocals(body: t.Node): Set<string> {
  const out = new Set<string>();
  const targets = (n: t.Node): void => {
    if (n.type === 'Identifier') out.add(n.name);
    else if (n.type === 'AssignmentPattern') targets(n.left);
    else if (n.type === 'ArrayPattern') n.elements.forEach((e) => e && targets(e));
    else if (n.type === 'ObjectPattern') n.properties.forEach((p) => targets(p.type === 'RestElement' ? p.argument : p.value));
    else if (n.type === 'RestElement') targets(n.argument);
  };
  const walk = (n: t.Node, hot: boolean): void => {
    const inFn = isFunctionNode(n);
    const nowHot = hot || inFn || (t.isExpression(n) && hasAwaitShallow(n));
    if (nowHot && n.type === 'AssignmentExpression') targets(n.left);
    if (nowHot && n.type === 'UpdateExpression') targets(n.argument);
    for (const key of t.VISITOR_KEYS[n.type] ?? []) {
      const v = (n as unknown as Record<string, unknown>)[key];
      if (Array.isArray(v)) v.forEach((c) => c && typeof c === 'object' && walk(c as t.Node, nowHot));
      else if (v && typeof v === 'object' && 'type' in v) walk(v as t.Node, nowHot);
    }
  };
  walk(body, false);
  return out;
}
