/**
 * Refused constructs inside a workflow. Every one found is reported (the
 * caller collects them across the file); a workflow with errors is not lowered.
 */
import type { NodePath } from '@babel/core';
import type * as t from '@babel/types';
import type { ErrorSink } from './errors.js';
import type { WorkflowFunction, WorkflowSite } from './find-workflows.js';
import { pathOf } from './needs-babel.js';
import { eachChild, isFunctionNode } from './walk.js';

const THIS = `'this' is not supported inside a workflow: pass what you need as a parameter`;
const SUPER = `'super' is not supported inside a workflow`;
const NEW_TARGET = `'new.target' is not supported inside a workflow: a workflow is never called with 'new'`;
const YIELD = `'yield' is not supported inside a workflow: workflows are async functions, use 'await'`;
const FOR_AWAIT = `'for await' is not supported inside a workflow: collect the items with activities and loop over an array with 'for … of' and 'await'`;
const WITH = `'with' is not supported inside a workflow`;
const AWAIT_IN_PARAMS = `'await' in a parameter default is not supported: give the parameter a plain default and await inside the body`;
const NESTED_AWAIT = `'await' inside a nested function: async closures that await are not supported inside a workflow yet; await at the workflow's own level (e.g. 'await Promise.all(items.map((x) => activity(x)))')`;

/** Returns true when the workflow is clean. */
export function checkWorkflow(site: WorkflowSite, errors: ErrorSink): boolean {
  const { fn, name } = site;
  const before = errors.items.length;
  if (fn.generator) errors.at(fn, `workflow '${name}' is a generator; a workflow must be a plain 'async function' (no '*')`);
  if (!fn.async) errors.at(fn, `workflow '${name}' must be an async function: write 'async function ${name}(…)'`);
  const found = plainCheck(fn);
  if (found) for (const [node, message] of found) errors.at(node, message);
  else traversalCheck(pathOf(site.path, "checking 'arguments'/'eval'"), errors);
  return errors.items.length === before;
}

/** The body checks on Babel paths and scopes (exported for the test that holds plainCheck to it). */
export function traversalCheck(fn: NodePath<WorkflowFunction>, errors: ErrorSink): void {
  /** The function whose `this`/`arguments`/`new.target` a node sees: the workflow unless a non-arrow function intervenes. */
  const ownerIsWorkflow = (p: NodePath): boolean => {
    let f = p.getFunctionParent();
    while (f && f.isArrowFunctionExpression() && f.node !== fn.node) f = f.parentPath?.getFunctionParent() ?? null;
    return f?.node === fn.node;
  };
  const inParams = (p: NodePath): boolean => {
    for (let q: NodePath | null = p; q && q.node !== fn.node; q = q.parentPath) if (q.listKey === 'params' && q.parentPath?.node === fn.node) return true;
    return false;
  };

  fn.traverse({
    ThisExpression(p) {
      if (ownerIsWorkflow(p)) errors.at(p, THIS);
    },
    Super(p) {
      if (ownerIsWorkflow(p)) errors.at(p, SUPER);
    },
    MetaProperty(p) {
      if (p.node.meta.name === 'new' && ownerIsWorkflow(p)) errors.at(p, NEW_TARGET);
    },
    Identifier(p) {
      if (p.node.name !== 'arguments' || !p.isReferencedIdentifier() || !ownerIsWorkflow(p)) return;
      const binding = p.scope.getBinding('arguments');
      if (!binding) errors.at(p, `'arguments' is not supported inside a workflow: use a rest parameter ('...args') instead`);
    },
    YieldExpression(p) {
      if (p.getFunctionParent()?.node === fn.node) errors.at(p, YIELD);
    },
    ForOfStatement(p) {
      if (p.node.await) errors.at(p, FOR_AWAIT);
    },
    WithStatement(p) {
      errors.at(p, WITH);
    },
    CallExpression(p) {
      const callee = p.node.callee;
      if (callee.type === 'Identifier' && callee.name === 'eval' && !p.scope.getBinding('eval'))
        errors.at(p, `'eval(…)' is not supported inside a workflow: its code could not be compiled into the state machine`);
    },
    AwaitExpression(p) {
      if (inParams(p)) {
        errors.at(p, AWAIT_IN_PARAMS);
        return;
      }
      if (p.getFunctionParent()?.node !== fn.node) errors.at(p, NESTED_AWAIT);
    },
  });
}

/**
 * The checks above as one plain walk, in the traversal's order: the errors
 * found, or null when the function names `arguments` or `eval` (whether those
 * are bound needs Babel's scopes: the traversal decides then).
 */
export function plainCheck(fn: WorkflowFunction): [t.Node, string][] | null {
  const found: [t.Node, string][] = [];
  let bail = false;
  /** ownThis: `this` here is the workflow's (no non-arrow function between); ownFn: no function at all between. */
  const walk = (n: t.Node, ownThis: boolean, ownFn: boolean, inParams: boolean): void => {
    switch (n.type) {
      case 'Identifier':
        if (n.name === 'arguments' || n.name === 'eval') bail = true;
        break;
      case 'ThisExpression':
        if (ownThis) found.push([n, THIS]);
        break;
      case 'Super':
        if (ownThis) found.push([n, SUPER]);
        break;
      case 'MetaProperty':
        if (n.meta.name === 'new' && ownThis) found.push([n, NEW_TARGET]);
        break;
      case 'YieldExpression':
        if (ownFn) found.push([n, YIELD]);
        break;
      case 'ForOfStatement':
        if (n.await) found.push([n, FOR_AWAIT]);
        break;
      case 'WithStatement':
        found.push([n, WITH]);
        break;
      case 'AwaitExpression':
        if (inParams) found.push([n, AWAIT_IN_PARAMS]);
        else if (!ownFn) found.push([n, NESTED_AWAIT]);
        break;
    }
    if (isFunctionNode(n)) {
      const arrow = n.type === 'ArrowFunctionExpression';
      eachChild(n, (c) => walk(c, arrow && ownThis, false, inParams));
    } else eachChild(n, (c) => walk(c, ownThis, ownFn, inParams));
  };
  eachChild(fn, (c, key) => walk(c, true, true, key === 'params'));
  return bail ? null : found;
}
