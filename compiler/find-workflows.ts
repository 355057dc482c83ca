/**
 * Finds the `'use workflow'` functions of a module and where each one sits,
 * so that emit-module can replace it and insert its definition after it; a
 * directive function anywhere else is an error.
 */
import type * as t from '@babel/types';
import type { ErrorSink } from './errors.js';
import { eachChild, isFunctionNode } from './walk.js';

import { DIRECTIVE } from './directives.js';

export { DIRECTIVE, mayHoldDirectives } from './directives.js';

export type WorkflowFunction = t.FunctionDeclaration | t.FunctionExpression | t.ArrowFunctionExpression;

export interface WorkflowSite {
  name: string;
  fn: WorkflowFunction;
  /** The top-level statement holding the function; the definition goes after it. */
  statement: t.Statement;
  /** Where the function sits when it is not the statement itself: `export function`, `const x = …`. */
  holder: { node: t.Node; key: string } | null;
}

export function hasWorkflowDirective(node: t.Function): boolean {
  return node.body.type === 'BlockStatement' && node.body.directives.some((d) => d.value.value === DIRECTIVE);
}

/** One plain walk over the module: the workflows, in source order, and an error for each misplaced directive function. */
export function findWorkflows(program: t.Program, errors: ErrorSink): WorkflowSite[] {
  const sites: WorkflowSite[] = [];
  const stack: t.Node[] = [];
  const visit = (n: t.Node): void => {
    if (isFunctionNode(n) && hasWorkflowDirective(n)) {
      const site = placement(n, stack);
      if (typeof site === 'string') errors.at(n, site);
      else sites.push(site);
    }
    stack.push(n);
    eachChild(n, visit);
    stack.pop();
  };
  visit(program);
  return sites;
}

/** The site of a directive function with its ancestors (program first), or why it cannot be a workflow. */
function placement(fn: t.Function, ancestors: t.Node[]): WorkflowSite | string {
  if (fn.type === 'ObjectMethod' || fn.type === 'ClassMethod' || fn.type === 'ClassPrivateMethod')
    return `a 'use workflow' function must be a top-level function declaration or a const bound to a function; methods cannot be workflows`;
  const at = (up: number): t.Node | undefined => ancestors[ancestors.length - up];
  /** The top-level statement that `node` (at ancestor depth `up`, 0 = fn itself) is, or is exported by. */
  const topLevel = (up: number): t.Statement | null => {
    const parent = at(up + 1);
    if (parent?.type === 'Program') return (up === 0 ? fn : at(up)) as t.Statement;
    if ((parent?.type === 'ExportNamedDeclaration' || parent?.type === 'ExportDefaultDeclaration') && at(up + 2)?.type === 'Program') return parent;
    return null;
  };
  if (fn.type === 'FunctionDeclaration') {
    if (!fn.id) return `a 'use workflow' function needs a name (the workflow is registered under it): write 'export default async function myWorkflow() {…}'`;
    const statement = topLevel(0);
    if (!statement) return `'use workflow' function '${fn.id.name}' must be declared at module top level`;
    return { name: fn.id.name, fn, statement, holder: statement === fn ? null : { node: statement, key: 'declaration' } };
  }
  const declarator = at(1);
  if (declarator?.type === 'VariableDeclarator' && declarator.init === fn) {
    if (declarator.id.type !== 'Identifier') return `a 'use workflow' function must be bound to a plain name, not a destructuring pattern`;
    const statement = topLevel(2);
    if (!statement) return `'use workflow' function '${declarator.id.name}' must be declared at module top level`;
    return { name: declarator.id.name, fn: fn as WorkflowFunction, statement, holder: { node: declarator, key: 'init' } };
  }
  return `a 'use workflow' function needs a name: declare it as 'async function name() {…}' or 'const name = async () => {…}' at module top level`;
}
