/**
 * Finds the `'use workflow'` functions of a module and where each one sits,
 * so that emit-module can replace it and insert its definition after it.
 */
import type { NodePath } from '@babel/core';
import type * as t from '@babel/types';
import type { ErrorSink } from './errors.js';
import { pathOf } from './needs-babel.js';
import { eachChild, isFunctionNode } from './walk.js';

export const DIRECTIVE = 'use workflow';

export type WorkflowFunction = t.FunctionDeclaration | t.FunctionExpression | t.ArrowFunctionExpression;

export interface WorkflowSite {
  name: string;
  fn: WorkflowFunction;
  /** The top-level statement holding the function; the definition goes after it. */
  statement: t.Statement;
  /** Where the function sits when it is not the statement itself: `export function`, `const x = …`. */
  holder: { node: t.Node; key: string } | null;
  /** The function's Babel path, made on demand; null when the pass runs on a bare AST. */
  path: (() => NodePath<WorkflowFunction>) | null;
  /** Where the function sits under the program, as a path key (`body.3.declaration`), when found without a traversal. */
  at?: string;
}

export function hasWorkflowDirective(node: t.Function): boolean {
  return node.body.type === 'BlockStatement' && node.body.directives.some((d) => d.value.value === DIRECTIVE);
}

/** `programPath` is null when the pass runs on a bare AST. */
export function findWorkflows(program: t.Program, programPath: NodePath<t.Program> | null, errors: ErrorSink): WorkflowSite[] {
  return findTopLevel(program, programPath) ?? findByTraversal(pathOf(programPath && (() => programPath), 'reporting misplaced workflows'), errors);
}

/**
 * The usual case without a path traversal (which costs several times a plain
 * walk): null unless every directive function of the module sits where a
 * workflow may, and then the traversal below reports what is wrong.
 */
export function findTopLevel(program: t.Program, programPath: NodePath<t.Program> | null): WorkflowSite[] | null {
  let directives = 0;
  const count = (n: t.Node): void => {
    if (isFunctionNode(n) && hasWorkflowDirective(n)) directives++;
    eachChild(n, count);
  };
  count(program);
  const sites: WorkflowSite[] = [];
  const lazy = (at: string): (() => NodePath<WorkflowFunction>) | null => (programPath ? () => programPath.get(at) as NodePath<WorkflowFunction> : null);
  program.body.forEach((stmt, i) => {
    const exported = stmt.type === 'ExportNamedDeclaration' || stmt.type === 'ExportDefaultDeclaration';
    const decl = exported ? stmt.declaration : stmt;
    const at = exported ? `body.${i}.declaration` : `body.${i}`;
    if (decl?.type === 'FunctionDeclaration') {
      if (decl.id && hasWorkflowDirective(decl)) sites.push({ name: decl.id.name, fn: decl, statement: stmt, holder: exported ? { node: stmt, key: 'declaration' } : null, path: lazy(at), at });
    } else if (decl?.type === 'VariableDeclaration') {
      decl.declarations.forEach((d, j) => {
        const init = d.init;
        if (d.id.type !== 'Identifier' || (init?.type !== 'FunctionExpression' && init?.type !== 'ArrowFunctionExpression') || !hasWorkflowDirective(init)) return;
        const key = `${at}.declarations.${j}.init`;
        sites.push({ name: d.id.name, fn: init, statement: stmt, holder: { node: d, key: 'init' }, path: lazy(key), at: key });
      });
    }
  });
  return sites.length === directives ? sites : null;
}

export function findByTraversal(program: NodePath<t.Program>, errors: ErrorSink): WorkflowSite[] {
  const sites: WorkflowSite[] = [];
  program.traverse({
    Function(path) {
      if (!hasWorkflowDirective(path.node)) return;
      if (path.isObjectMethod() || path.isClassMethod() || path.isClassPrivateMethod()) {
        errors.at(path, `a 'use workflow' function must be a top-level function declaration or a const bound to a function; methods cannot be workflows`);
        return;
      }
      const fn = path as NodePath<WorkflowFunction>;
      const site = placement(fn);
      if (typeof site === 'string') errors.at(path, site);
      else sites.push(site);
    },
  });
  return sites;
}

function placement(fn: NodePath<WorkflowFunction>): WorkflowSite | string {
  const topLevel = (p: NodePath | null): boolean =>
    !!p && (p.parentPath?.isProgram() === true ||
      ((p.parentPath?.isExportNamedDeclaration() || p.parentPath?.isExportDefaultDeclaration()) === true && p.parentPath!.parentPath?.isProgram() === true));
  const outer = (p: NodePath<t.Statement>): t.Statement => (p.parentPath!.isProgram() ? p.node : (p.parentPath!.node as t.Statement));
  const holder = fn.parentPath.isProgram() ? null : { node: fn.parent, key: fn.key as string };
  if (fn.isFunctionDeclaration()) {
    if (!fn.node.id) return `a 'use workflow' function needs a name (the workflow is registered under it): write 'export default async function myWorkflow() {…}'`;
    if (!topLevel(fn)) return `'use workflow' function '${fn.node.id.name}' must be declared at module top level`;
    return { name: fn.node.id.name, fn: fn.node, statement: outer(fn as NodePath<t.Statement>), holder, path: () => fn };
  }
  const declarator = fn.parentPath;
  if (declarator?.isVariableDeclarator() && declarator.node.init === fn.node) {
    const id = declarator.node.id;
    if (id.type !== 'Identifier') return `a 'use workflow' function must be bound to a plain name, not a destructuring pattern`;
    const decl = declarator.parentPath as NodePath<t.VariableDeclaration>;
    if (!topLevel(decl)) return `'use workflow' function '${id.name}' must be declared at module top level`;
    return { name: id.name, fn: fn.node, statement: outer(decl), holder, path: () => fn };
  }
  return `a 'use workflow' function needs a name: declare it as 'async function name() {…}' or 'const name = async () => {…}' at module top level`;
}
