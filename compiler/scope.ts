/**
 * Prepares a checked workflow function for lowering, on Babel paths (while
 * scope information is exact):
 * - strips TypeScript-only syntax from it (the rest of the file is left to
 *   @babel/plugin-transform-typescript),
 * - rewrites `Promise.all/allSettled/race/any(x)` to the durable group helper,
 * - renames block-scoped bindings that would clash once every local of the
 *   workflow becomes one variable of the step function (`x`, `x$1`, …).
 */
import type { NodePath } from '@babel/core';

type Scope = NodePath['scope'];
import * as t from '@babel/types';
import type { WorkflowFunction, WorkflowSite } from './find-workflows.js';
import { pathOf } from './needs-babel.js';
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

/** `byTraversal` forces the path version (for the test that holds the plain walk to it). */
export function rewritePromiseGroups(site: WorkflowSite, helper: string, promiseBound: () => boolean, byTraversal = false): void {
  const rewrite = (call: t.CallExpression): void => {
    const callee = call.callee;
    if (callee.type !== 'MemberExpression' || callee.object.type !== 'Identifier' || callee.object.name !== 'Promise') return;
    const mode = !callee.computed && callee.property.type === 'Identifier' ? callee.property.name : callee.property.type === 'StringLiteral' ? callee.property.value : null;
    if (!mode || !GROUP_MODES.has(mode) || call.arguments.length !== 1) return;
    call.callee = t.identifier(helper);
    call.arguments.unshift(t.stringLiteral(mode));
  };
  // Without a declaration of `Promise` in the workflow, every call in it sees the binding (if any) the workflow's scope sees.
  if (!byTraversal && !mayDeclarePromise(site.fn)) {
    if (promiseBound()) return;
    const walk = (n: t.Node): void => {
      if (n.type === 'CallExpression') rewrite(n);
      eachChild(n, walk);
    };
    walk(site.fn);
    return;
  }
  pathOf(site.path, 'Promise.all').traverse({
    CallExpression(p) {
      const callee = p.node.callee;
      if (callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && callee.object.name === 'Promise' && !p.scope.getBinding('Promise')) rewrite(p.node);
    },
  });
}

/** True when a `Promise` identifier occurs in the function other than as the object of a member expression. */
function mayDeclarePromise(fn: t.Node): boolean {
  let found = false;
  const walk = (n: t.Node): void => {
    if (n.type === 'Identifier' && n.name === 'Promise') found = true;
    else eachChild(n, (c, key) => (key === 'object' && c.type === 'Identifier' && (n.type === 'MemberExpression' || n.type === 'OptionalMemberExpression') ? undefined : walk(c)));
  };
  walk(fn);
  return found;
}

function isWithin(scope: Scope | undefined, root: Scope): boolean {
  for (let s: Scope | undefined = scope; s; s = s.parent) if (s === root) return true;
  return false;
}

/**
 * Renames block-scoped bindings that clash with another local of the
 * workflow or with a name the workflow uses from outside. Returns the names
 * of every binding the workflow itself declares (outside nested functions).
 */
export function renameShadowed(fn: NodePath<WorkflowFunction>, names: NameGen): Set<string> {
  fn.scope.crawl();
  const root = fn.scope;
  const claimed = new Set<string>(Object.keys(root.bindings));
  fn.traverse({
    Identifier(p) {
      if (!p.isReferencedIdentifier()) return;
      const b = p.scope.getBinding(p.node.name);
      if (!b || !isWithin(b.scope, root)) claimed.add(p.node.name);
    },
  });
  const locals = new Set<string>(Object.keys(root.bindings));
  const seen = new Set<Scope>([root]);
  fn.traverse({
    Scopable(p) {
      if (p.isFunction()) {
        p.skip();
        return;
      }
      if (seen.has(p.scope)) return; // a catch body shares its clause's scope
      seen.add(p.scope);
      for (const name of Object.keys(p.scope.bindings)) {
        if (p.scope.bindings[name]!.scope !== p.scope) continue;
        let final = name;
        if (claimed.has(name)) {
          final = names.fresh(name);
          p.scope.rename(name, final);
        }
        claimed.add(final);
        locals.add(final);
      }
    },
  });
  return locals;
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

/**
 * Hoisting turns `let`/`const` into step-level variables, which loses the
 * temporal dead zone. A read that sits textually before its declaration, in
 * the same function, always runs before the declaration: keep JS's
 * ReferenceError there. (Reads from closures, or across a `switch` case, are
 * not checked.)
 */
export function keepTemporalDeadZone(fn: NodePath<WorkflowFunction>, origin: ReadonlyMap<string, string>): void {
  // Runs right after renameShadowed, on the scope it crawled (renames keep bindings and references exact).
  const seen = new Set<Scope>();
  const visitScope = (scope: Scope): void => {
    if (seen.has(scope)) return;
    seen.add(scope);
    for (const [name, binding] of Object.entries(scope.bindings)) {
      if (binding.scope !== scope || (binding.kind !== 'let' && binding.kind !== 'const')) continue;
      if (!binding.path.isVariableDeclarator() && !binding.path.isClassDeclaration()) continue; // catch parameters have no TDZ
      const declEnd = binding.path.node.end ?? 0;
      for (const ref of binding.referencePaths) {
        if ((ref.node.start ?? Infinity) >= declEnd || ref.getFunctionParent()?.node !== fn.node) continue;
        const error = t.newExpression(t.identifier('ReferenceError'), [t.stringLiteral(`Cannot access '${origin.get(name) ?? name}' before initialization`)]);
        ref.replaceWith(t.callExpression(t.arrowFunctionExpression([], t.blockStatement([t.throwStatement(error)])), []));
      }
    }
  };
  visitScope(fn.scope);
  fn.traverse({
    Scopable(p) {
      if (p.isFunction()) p.skip();
      else visitScope(p.scope);
    },
  });
}
