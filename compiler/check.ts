/**
 * Refused constructs inside a workflow. Every one found is reported (the
 * caller collects them across the file); a workflow with errors is not lowered.
 */
import type { NodePath } from '@babel/core';
import type { ErrorSink } from './errors.js';
import type { WorkflowFunction } from './find-workflows.js';

/** Returns true when the workflow is clean. */
export function checkWorkflow(fn: NodePath<WorkflowFunction>, name: string, errors: ErrorSink): boolean {
  const before = errors.items.length;
  if (fn.node.generator) errors.at(fn, `workflow '${name}' is a generator; a workflow must be a plain 'async function' (no '*')`);
  if (!fn.node.async) errors.at(fn, `workflow '${name}' must be an async function: write 'async function ${name}(…)'`);

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
      if (ownerIsWorkflow(p)) errors.at(p, `'this' is not supported inside a workflow: pass what you need as a parameter`);
    },
    Super(p) {
      if (ownerIsWorkflow(p)) errors.at(p, `'super' is not supported inside a workflow`);
    },
    MetaProperty(p) {
      if (p.node.meta.name === 'new' && ownerIsWorkflow(p)) errors.at(p, `'new.target' is not supported inside a workflow: a workflow is never called with 'new'`);
    },
    Identifier(p) {
      if (p.node.name !== 'arguments' || !p.isReferencedIdentifier() || !ownerIsWorkflow(p)) return;
      const binding = p.scope.getBinding('arguments');
      if (!binding) errors.at(p, `'arguments' is not supported inside a workflow: use a rest parameter ('...args') instead`);
    },
    YieldExpression(p) {
      if (p.getFunctionParent()?.node === fn.node) errors.at(p, `'yield' is not supported inside a workflow: workflows are async functions, use 'await'`);
    },
    ForOfStatement(p) {
      if (p.node.await) errors.at(p, `'for await' is not supported inside a workflow: collect the items with activities and loop over an array with 'for … of' and 'await'`);
    },
    WithStatement(p) {
      errors.at(p, `'with' is not supported inside a workflow`);
    },
    CallExpression(p) {
      const callee = p.node.callee;
      if (callee.type === 'Identifier' && callee.name === 'eval' && !p.scope.getBinding('eval'))
        errors.at(p, `'eval(…)' is not supported inside a workflow: its code could not be compiled into the state machine`);
    },
    AwaitExpression(p) {
      if (inParams(p)) {
        errors.at(p, `'await' in a parameter default is not supported: give the parameter a plain default and await inside the body`);
        return;
      }
      if (p.getFunctionParent()?.node !== fn.node)
        errors.at(p, `'await' inside a nested function: async closures that await are not supported inside a workflow yet; await at the workflow's own level (e.g. 'await Promise.all(items.map((x) => activity(x)))')`);
    },
  });
  return errors.items.length === before;
}
