/**
 * Refused constructs inside a workflow. Every one found is reported (the
 * caller collects them across the file); a workflow with errors is not lowered.
 */
import type * as t from '@babel/types';
import type { ErrorSink } from './errors.js';
import type { WorkflowSite } from './find-workflows.js';
import { hasAwait } from './refs.js';
import { eachChild, isFunctionNode } from './walk.js';

const THIS = `'this' is not supported inside a workflow: pass what you need as a parameter`;
const SUPER = `'super' is not supported inside a workflow`;
const NEW_TARGET = `'new.target' is not supported inside a workflow: a workflow is never called with 'new'`;
const ARGUMENTS = `'arguments' is not supported inside a workflow: use a rest parameter ('...args') instead`;
const EVAL = `'eval(…)' is not supported inside a workflow: its code could not be compiled into the state machine`;
const YIELD = `'yield' is not supported inside a workflow: workflows are async functions, use 'await'`;
const FOR_AWAIT = `'for await' is not supported inside a workflow: collect the items with activities and loop over an array with 'for … of' and 'await'`;
const WITH = `'with' is not supported inside a workflow`;
const AWAIT_IN_PARAMS = `'await' in a parameter default is not supported: give the parameter a plain default and await inside the body`;
const NESTED_AWAIT = `'await' inside a nested function: async closures that await are not supported inside a workflow yet; await at the workflow's own level (e.g. 'await Promise.all(items.map((x) => activity(x)))')`;
const CLASS_HERITAGE = `'await' in a class's 'extends' clause is not supported inside a workflow: await the base class into a const first`;
const CLASS_KEY = `'await' in a computed class member name is not supported inside a workflow: await the key into a const before the class`;

/** Returns true when the workflow is clean. */
export function checkWorkflow(site: WorkflowSite, errors: ErrorSink): boolean {
  const { fn, name } = site;
  const before = errors.items.length;
  if (fn.generator) errors.at(fn, `workflow '${name}' is a generator; a workflow must be a plain 'async function' (no '*')`);
  if (!fn.async) errors.at(fn, `workflow '${name}' must be an async function: write 'async function ${name}(…)'`);
  for (const [node, message] of refused(fn)) errors.at(node, message);
  return errors.items.length === before;
}

/**
 * One walk over the function, in source order. `ownThis`: `this` here is the
 * workflow's (no non-arrow function between); `ownFn`: no function at all
 * between. (`arguments` and `eval` cannot be bindings in a module.)
 */
export function refused(fn: t.Function): [t.Node, string][] {
  const found: [t.Node, string][] = [];
  const walk = (n: t.Node, parent: t.Node, key: string, ownThis: boolean, ownFn: boolean, inParams: boolean): void => {
    switch (n.type) {
      case 'Identifier':
        if (n.name === 'arguments' && ownThis && isReference(parent, key)) found.push([n, ARGUMENTS]);
        break;
      case 'CallExpression':
        if (n.callee.type === 'Identifier' && n.callee.name === 'eval') found.push([n, EVAL]);
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
      case 'ClassDeclaration':
      case 'ClassExpression':
        // The heritage and computed keys are evaluated by the function around the class, which the lowering does not reach into.
        if (ownFn && hasAwait(n.superClass)) found.push([n.superClass!, CLASS_HERITAGE]);
        for (const m of n.body.body) if (ownFn && 'computed' in m && m.computed && 'key' in m && hasAwait(m.key)) found.push([m.key, CLASS_KEY]);
        break;
    }
    if (isFunctionNode(n)) {
      const arrow = n.type === 'ArrowFunctionExpression';
      eachChild(n, (c, k) => (k === 'key' ? walk(c, n, k, ownThis, ownFn, inParams) : walk(c, n, k, arrow && ownThis, false, inParams)));
    } else eachChild(n, (c, k) => walk(c, n, k, ownThis, ownFn, inParams));
  };
  eachChild(fn, (c, key) => walk(c, fn, key, true, true, key === 'params'));
  return found;
}

/** False for the child fields that hold names but never references: property keys, member names, labels. */
function isReference(parent: t.Node, key: string): boolean {
  if (key === 'label' || parent.type === 'MetaProperty') return false;
  if (key === 'key') return (parent as { computed?: boolean }).computed === true;
  if (key === 'property') return !((parent.type === 'MemberExpression' || parent.type === 'OptionalMemberExpression') && !parent.computed);
  return true;
}
