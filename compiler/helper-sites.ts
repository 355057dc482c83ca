/**
 * Module-level helper functions of a workflow module that create functions
 * (`function makeAdder(k) { return async (x) => await add(x, k); }`): a
 * closure such a helper returns to a workflow is kept in the workflow's state
 * like one written inside it, so the helper is closure-converted too. Its
 * nested functions become sites `<file>#<helper>/<n>`; the helper itself
 * stays plain JS (its own `this`, `arguments`, name and length), and its
 * async closures also carry their native code, which runs when they are
 * called outside a workflow.
 *
 * Invariant: a helper is converted only when nothing in it is refused
 * inside a workflow and its captured parameters are plain names; any other
 * helper is left exactly as written (its closures then cannot be saved: a
 * StateEncodeError naming the local, as for any function from outside).
 */
import * as t from '@babel/types';
import type { BindingsPlan } from './bindings.js';
import { refused } from './check.js';
import type { Analysis, Binding } from './scopes.js';
import { eachChild, isFunctionNode } from './walk.js';

export interface ModuleHelper {
  name: string;
  fn: t.FunctionDeclaration | t.FunctionExpression | t.ArrowFunctionExpression;
  /** The top-level statement holding it. */
  statement: t.Statement;
}

/** Top-level functions other than the workflows (and steps) that create functions and use nothing refused in a workflow. */
export function moduleHelpers(program: t.Program, excluded: ReadonlySet<t.Node>): ModuleHelper[] {
  const out: ModuleHelper[] = [];
  const consider = (name: string, fn: ModuleHelper['fn'], statement: t.Statement): void => {
    if (excluded.has(fn) || !createsFunctions(fn) || refused(fn).length) return;
    out.push({ name, fn, statement });
  };
  for (const statement of program.body) {
    const d = statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration' ? statement.declaration : statement;
    if (d?.type === 'FunctionDeclaration' && d.id) consider(d.id.name, d, statement);
    else if (d?.type === 'VariableDeclaration')
      for (const v of d.declarations)
        if (v.id.type === 'Identifier' && (v.init?.type === 'ArrowFunctionExpression' || v.init?.type === 'FunctionExpression')) consider(v.id.name, v.init, statement);
  }
  return out;
}

function createsFunctions(fn: t.Function): boolean {
  let found = false;
  const walk = (n: t.Node): void => {
    if (found || n.type === 'ClassBody') return;
    if (isFunctionNode(n)) found = true;
    else eachChild(n, walk);
  };
  eachChild(fn, walk);
  return found;
}

/** A helper keeps its parameter list: each parameter a closure captures must be a plain name (bound into its environment on entry). */
export function rootParamsMovable(fn: t.Function, an: Analysis, captured: ReadonlySet<Binding>): boolean {
  return fn.params.every((p) => {
    if (p.type === 'Identifier') return true;
    let moves = false;
    t.traverseFast(p, (n) => {
      const b = n.type === 'Identifier' ? an.declared.get(n) : undefined;
      if (b && captured.has(b)) moves = true;
    });
    return !moves;
  });
}

/**
 * After bindings.ts moved the helper's captured parameters into its
 * environment (`$e1.k` in the parameter list), give the list its names back
 * and bind them on entry: `function makeAdder(k) { let $e1; $e1 = { k: … }; $e1.k = k; … }`.
 */
export function bindHelperParams(fn: ModuleHelper['fn'], plan: BindingsPlan): void {
  const assigns: t.Statement[] = [];
  fn.params = fn.params.map((p) => {
    const moved = p as t.Node;
    if (moved.type !== 'MemberExpression' || moved.property.type !== 'Identifier') return p;
    const name = t.identifier(moved.property.name);
    assigns.push(t.expressionStatement(t.assignmentExpression('=', moved, t.cloneNode(name))));
    return name;
  });
  const body = fn.body as t.BlockStatement;
  const head: t.Statement[] = [];
  if (plan.locals.length) head.push(t.variableDeclaration('let', plan.locals.map((n) => t.identifier(n)).map((id) => t.variableDeclarator(id))));
  body.body.unshift(...head, ...plan.prologue, ...assigns);
}
